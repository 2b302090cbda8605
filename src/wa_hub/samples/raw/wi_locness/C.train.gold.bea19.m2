S We stayed in a hotel near to the beach .
A 6 7|||U:PREP||||||REQUIRED|||-NONE-|||0

S I ca n't stand people who is rude .
A 6 7|||R:VERB:SVA|||are|||REQUIRED|||-NONE-|||0

S Please tell me what time does the train leave .
A 5 6|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0
A 8 9|||R:MORPH|||leaves|||REQUIRED|||-NONE-|||0

S He works as a engineer in a big company .
A 3 4|||R:DET|||an|||REQUIRED|||-NONE-|||0

S The city is famous because its beautiful buildings .
A 5 5|||M:PREP|||of|||REQUIRED|||-NONE-|||0

S I have finished my project last week .
A 1 2|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0

S Smoking are bad for your health .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0

S My favourite sport is swimming .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S They did n't went to school because they were ill .
A 3 4|||R:VERB:FORM|||go|||REQUIRED|||-NONE-|||0

S The price of the tickets were too high .
A 5 6|||R:VERB:SVA|||was|||REQUIRED|||-NONE-|||0

S I was very exciting about the trip .
A 3 4|||R:MORPH|||excited|||REQUIRED|||-NONE-|||0

S In my opinion , students should wear uniform .
A 7 8|||R:NOUN:NUM|||uniforms|||REQUIRED|||-NONE-|||0

S She is afraid from dogs .
A 3 4|||R:PREP|||of|||REQUIRED|||-NONE-|||0

S We have much friends in our neighbourhood .
A 2 3|||R:ADJ|||many|||REQUIRED|||-NONE-|||0

S It was the first time I see the sea .
A 6 7|||R:VERB:TENSE|||had seen|||REQUIRED|||-NONE-|||0

S He asked me where do I live .
A 4 5|||U:VERB:TENSE||||||REQUIRED|||-NONE-|||0

S I hope you will enjoy your holiday .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S The shop sells cloths and shoes .
A 3 4|||R:MORPH|||clothes|||REQUIRED|||-NONE-|||0

S Mary and John is going to get married next year .
A 3 4|||R:VERB:SVA|||are|||REQUIRED|||-NONE-|||0

S I prefer tea than coffee .
A 3 4|||R:PREP|||to|||REQUIRED|||-NONE-|||0

S You should to study harder for the exam .
A 2 3|||U:VERB:FORM||||||REQUIRED|||-NONE-|||0

S Although it was raining , but we went out .
A 5 6|||U:CONJ||||||REQUIRED|||-NONE-|||0

S Dear Sir , I am writing to complain about the service .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

