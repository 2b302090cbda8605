S My brother is more older than me .
A 3 4|||U:ADV||||||REQUIRED|||-NONE-|||0

S I have a lot of homeworks to do tonight .
A 5 6|||R:NOUN:INFL|||homework|||REQUIRED|||-NONE-|||0

S She arrived to the airport late .
A 2 3|||R:PREP|||at|||REQUIRED|||-NONE-|||0

S The film was so bored that I fell asleep .
A 4 5|||R:MORPH|||boring|||REQUIRED|||-NONE-|||0

S He do n't have any brothers or sisters .
A 1 2|||R:VERB:SVA|||does|||REQUIRED|||-NONE-|||0

S I think that the goverment should build more schools .
A 4 5|||R:SPELL|||government|||REQUIRED|||-NONE-|||0

S Our teacher always give us too much work .
A 3 4|||R:VERB:SVA|||gives|||REQUIRED|||-NONE-|||0

S I enjoy to read books in my free time .
A 2 4|||R:VERB:FORM|||reading|||REQUIRED|||-NONE-|||0

S The weather is nice today .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S He has went to the bank to get some money .
A 2 3|||R:VERB:FORM|||gone|||REQUIRED|||-NONE-|||0

S Many people thinks that money brings happiness .
A 2 3|||R:VERB:SVA|||think|||REQUIRED|||-NONE-|||0

S I am living here since I was a child .
A 1 2|||R:VERB:TENSE|||have been|||REQUIRED|||-NONE-|||0

S She told that she would be late .
A 1 2|||R:VERB|||said|||REQUIRED|||-NONE-|||0

S We need to buy a new furnitures for the living room .
A 4 5|||U:DET||||||REQUIRED|||-NONE-|||0
A 6 7|||R:NOUN:INFL|||furniture|||REQUIRED|||-NONE-|||0

S The restaurant was full of peoples .
A 5 6|||R:NOUN:NUM|||people|||REQUIRED|||-NONE-|||0

S I recommend you to visit the old town .
A 2 2|||M:PREP|||that|||REQUIRED|||-NONE-|||0
A 3 4|||U:VERB:FORM||||||REQUIRED|||-NONE-|||0

S He is good in mathematics but bad in history .
A 3 4|||R:PREP|||at|||REQUIRED|||-NONE-|||0
A 7 8|||R:PREP|||at|||REQUIRED|||-NONE-|||0

S My mother cooked a delicious dinner for us .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S When I was young , I use to play football every day .
A 6 7|||R:VERB:TENSE|||used|||REQUIRED|||-NONE-|||0

S This is the best book I have never read .
A 7 8|||R:ADV|||ever|||REQUIRED|||-NONE-|||0

S The bus were late again this morning .
A 2 3|||R:VERB:SVA|||was|||REQUIRED|||-NONE-|||0

S I would like to apply for the job wich was advertised .
A 8 9|||R:SPELL|||which|||REQUIRED|||-NONE-|||0

S She has two childs and a dog .
A 3 4|||R:NOUN:INFL|||children|||REQUIRED|||-NONE-|||0

