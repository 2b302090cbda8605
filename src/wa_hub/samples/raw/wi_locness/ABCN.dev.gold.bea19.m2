S My sister want to study medicine at university .
A 2 3|||R:VERB:SVA|||wants|||REQUIRED|||-NONE-|||0

S I have visited Paris two years ago .
A 1 2|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0

S There are a lot of differents between the two cities .
A 5 6|||R:SPELL|||differences|||REQUIRED|||-NONE-|||0

S He gave me an useful piece of advice .
A 3 4|||R:DET|||a|||REQUIRED|||-NONE-|||0

S We are going to meet on Saturday at the station .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S People in my country is very friendly .
A 4 5|||R:VERB:SVA|||are|||REQUIRED|||-NONE-|||0

S I am boring because there is nothing to do here .
A 2 3|||R:MORPH|||bored|||REQUIRED|||-NONE-|||0

S She did n't came to the party last night .
A 3 4|||R:VERB:FORM|||come|||REQUIRED|||-NONE-|||0

