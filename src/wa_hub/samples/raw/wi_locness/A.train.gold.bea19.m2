S My friend go to the gym every morning before work .
A 2 3|||R:VERB:SVA|||goes|||REQUIRED|||-NONE-|||0

S I have been living in this city since three years .
A 7 8|||R:PREP|||for|||REQUIRED|||-NONE-|||0

S She do n't like to eat vegetables .
A 1 2|||R:VERB:SVA|||does|||REQUIRED|||-NONE-|||0

S We was very happy when we heard the news .
A 1 2|||R:VERB:SVA|||were|||REQUIRED|||-NONE-|||0

S He is the most tallest boy in our class .
A 3 4|||U:ADV||||||REQUIRED|||-NONE-|||0

S Yesterday I go to the cinema with my sister .
A 2 3|||R:VERB:TENSE|||went|||REQUIRED|||-NONE-|||0

S There is many reasons why people like travelling .
A 1 2|||R:VERB:SVA|||are|||REQUIRED|||-NONE-|||0

S I am agree with the writer of the article .
A 1 2|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0

S She can speaks three languages fluently .
A 2 3|||R:VERB:FORM|||speak|||REQUIRED|||-NONE-|||0

S My parents gave me a advice about my studies .
A 4 5|||R:DET|||some|||REQUIRED|||-NONE-|||0

S I look forward to hear from you soon .
A 4 5|||R:VERB:FORM|||hearing|||REQUIRED|||-NONE-|||0

S The informations in the brochure was wrong .
A 1 2|||R:NOUN:INFL|||information|||REQUIRED|||-NONE-|||0

S He explained me the rules of the game .
A 2 3|||U:PRON||||||REQUIRED|||-NONE-|||0
A 8 8|||M:OTHER|||to me|||REQUIRED|||-NONE-|||0

S I am interesting in learning new things .
A 2 3|||R:MORPH|||interested|||REQUIRED|||-NONE-|||0

S Last summer we have visited our grandparents in Spain .
A 3 4|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0

S Thank you for your letter .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S If I will have time , I will call you tomorrow .
A 2 3|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0

S She is married with a doctor from London .
A 3 4|||R:PREP|||to|||REQUIRED|||-NONE-|||0

S Everybody have their own opinion about this topic .
A 1 2|||R:VERB:SVA|||has|||REQUIRED|||-NONE-|||0

S I did n't knew that the shop was closed on Sundays .
A 3 4|||R:VERB|||know|||REQUIRED|||-NONE-|||0

S Its important to do exercise regularly .
A 0 1|||R:OTHER|||It 's|||REQUIRED|||-NONE-|||0

S The children was playing in the park when it started to rain .
A 2 3|||R:VERB:SVA|||were|||REQUIRED|||-NONE-|||0

S I want to became a teacher in the future .
A 3 4|||R:VERB:FORM|||become|||REQUIRED|||-NONE-|||0

S We discussed about the problem for two hours .
A 2 3|||U:PREP||||||REQUIRED|||-NONE-|||0

