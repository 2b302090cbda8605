S Nowadays , the technology have changed our life .
A 2 3|||ArtOrDet||||||REQUIRED|||-NONE-|||0
A 4 5|||SVA|||has|||REQUIRED|||-NONE-|||0
A 7 8|||Nn|||lives|||REQUIRED|||-NONE-|||0
A 4 5|||SVA|||has|||REQUIRED|||-NONE-|||1

S Many people suffers from genetic disease .
A 2 3|||SVA|||suffer|||REQUIRED|||-NONE-|||0
A 5 6|||Nn|||diseases|||REQUIRED|||-NONE-|||0
A 2 3|||SVA|||suffer|||REQUIRED|||-NONE-|||1
A 4 4|||ArtOrDet|||a|||REQUIRED|||-NONE-|||1

S The elderly needs more care from the society .
A 2 3|||SVA|||need|||REQUIRED|||-NONE-|||0
A 6 7|||ArtOrDet||||||REQUIRED|||-NONE-|||0
A 2 3|||SVA|||need|||REQUIRED|||-NONE-|||1

S It is important for patient to know their risk .
A 4 5|||Nn|||patients|||REQUIRED|||-NONE-|||0
A 4 5|||Nn|||patients|||REQUIRED|||-NONE-|||1
A 8 9|||Nn|||risks|||REQUIRED|||-NONE-|||1

S Surveillance technology can be used to protect the public .

S However , there are some privacy issue with it .
A 6 7|||Nn|||issues|||REQUIRED|||-NONE-|||0
A 6 7|||Nn|||issues|||REQUIRED|||-NONE-|||1

S Social media make people more closer to each other .
A 4 5|||Wci||||||REQUIRED|||-NONE-|||0
A 2 3|||SVA|||makes|||REQUIRED|||-NONE-|||1
A 4 5|||Wci||||||REQUIRED|||-NONE-|||1

S He should told his relatives about the disease .
A 2 3|||Vform|||tell|||REQUIRED|||-NONE-|||0
A 2 2|||Vt|||have|||REQUIRED|||-NONE-|||1

