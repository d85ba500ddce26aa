"""Towns and municipalities of the Plzeň region by district, for the sample register.

Public facts (names, districts, whether a place is a town); the IČOs,
addresses and contacts that go with them in the sample are invented.
"""

# district -> [(place, kind)]; kind: "město", "městys" or "obec"
PLACES = {
    "Plzeň-město": [
        ("Starý Plzenec", "město"), ("Šťáhlavy", "obec"), ("Dýšina", "obec"), ("Chrást", "obec"),
        ("Kyšice", "obec"), ("Letkov", "obec"), ("Losiná", "obec"), ("Mokrouše", "obec"),
        ("Nezbavětice", "obec"), ("Tymákov", "obec"), ("Lhůta", "obec"),
    ],
    "Plzeň-jih": [
        ("Dobřany", "město"), ("Přeštice", "město"), ("Nepomuk", "město"), ("Blovice", "město"),
        ("Stod", "město"), ("Spálené Poříčí", "město"), ("Kasejovice", "město"), ("Chotěšov", "obec"),
        ("Merklín", "obec"), ("Štěnovice", "obec"), ("Nezvěstice", "obec"), ("Žinkovy", "městys"),
        ("Dnešice", "obec"), ("Chlumčany", "obec"), ("Lužany", "obec"), ("Ptenín", "obec"),
        ("Roupov", "obec"), ("Vlčice", "obec"), ("Žákava", "obec"), ("Předenice", "obec"),
        ("Letiny", "obec"), ("Řenče", "obec"), ("Vstiš", "obec"), ("Chválenice", "obec"),
        ("Nebílovy", "obec"), ("Mladý Smolivec", "obec"), ("Čížkov", "obec"), ("Zdemyslice", "obec"),
        ("Útušice", "obec"), ("Lisov", "obec"), ("Horšice", "obec"),
        ("Oplot", "obec"), ("Prádlo", "obec"), ("Kbel", "obec"), ("Mohelnice", "obec"),
        ("Milínov", "obec"), ("Ždírec", "obec"), ("Nekvasovy", "obec"), ("Tojice", "obec"),
    ],
    "Plzeň-sever": [
        ("Nýřany", "město"), ("Třemošná", "město"), ("Kralovice", "město"), ("Plasy", "město"),
        ("Manětín", "město"), ("Město Touškov", "město"), ("Kaznějov", "město"), ("Horní Bříza", "město"),
        ("Úterý", "město"), ("Kožlany", "město"), ("Dolní Bělá", "obec"), ("Všeruby", "obec"),
        ("Líně", "obec"), ("Zbůch", "obec"), ("Tlučná", "obec"), ("Vejprnice", "obec"),
        ("Chotíkov", "obec"), ("Ledce", "obec"), ("Kozolupy", "obec"), ("Heřmanova Huť", "obec"),
        ("Úherce", "obec"), ("Pňovany", "obec"), ("Nekmíř", "obec"), ("Krašovice", "obec"),
        ("Líšťany", "obec"), ("Zruč-Senec", "obec"), ("Nevřeň", "obec"), ("Bdeněves", "obec"),
        ("Druztová", "obec"), ("Blatnice", "obec"), ("Pernarec", "obec"), ("Hromnice", "obec"),
        ("Dolany", "obec"), ("Mrtník", "obec"), ("Žihle", "obec"), ("Trnová", "obec"),
    ],
    "Rokycany": [
        ("Rokycany", "město"), ("Hrádek", "město"), ("Radnice", "město"), ("Zbiroh", "město"),
        ("Mýto", "město"), ("Mirošov", "město"), ("Strašice", "obec"), ("Holoubkov", "obec"),
        ("Kařez", "obec"), ("Volduchy", "obec"), ("Březina", "obec"), ("Osek", "obec"),
        ("Dobřív", "obec"), ("Terešov", "obec"), ("Cekov", "obec"), ("Hůrky", "obec"),
        ("Kamenný Újezd", "obec"), ("Litohlavy", "obec"), ("Ostrovec-Lhotka", "obec"), ("Sirá", "obec"),
        ("Těškov", "obec"), ("Trokavec", "obec"), ("Mešno", "obec"), ("Příkosice", "obec"),
        ("Mlečice", "obec"), ("Bujesily", "obec"), ("Kladruby", "obec"), ("Svojkovice", "obec"),
    ],
    "Klatovy": [
        ("Klatovy", "město"), ("Sušice", "město"), ("Horažďovice", "město"), ("Nýrsko", "město"),
        ("Plánice", "město"), ("Železná Ruda", "město"), ("Janovice nad Úhlavou", "město"),
        ("Kašperské Hory", "město"), ("Měčín", "město"), ("Švihov", "město"), ("Hartmanice", "město"),
        ("Strážov", "město"), ("Nalžovské Hory", "město"), ("Rabí", "město"), ("Velhartice", "obec"),
        ("Chudenice", "městys"), ("Kolinec", "městys"), ("Dlažov", "obec"), ("Bezděkov", "obec"),
        ("Běšiny", "obec"), ("Dešenice", "obec"), ("Chanovice", "obec"), ("Malý Bor", "obec"),
        ("Mochtín", "obec"), ("Obytce", "obec"), ("Petrovice u Sušice", "obec"), ("Předslav", "obec"),
        ("Srní", "obec"), ("Strašín", "obec"), ("Velký Bor", "obec"), ("Žihobce", "obec"),
        ("Čachrov", "obec"), ("Hamry", "obec"), ("Dolany", "obec"),
    ],
    "Domažlice": [
        ("Domažlice", "město"), ("Holýšov", "město"), ("Horšovský Týn", "město"), ("Kdyně", "město"),
        ("Poběžovice", "město"),
        ("Bělá nad Radbuzou", "město"), ("Hostouň", "město"), ("Staňkov", "město"), ("Koloveč", "město"),
        ("Klenčí pod Čerchovem", "městys"), ("Všeruby", "městys"), ("Mutěnín", "obec"), ("Trhanov", "obec"),
        ("Chodov", "obec"), ("Postřekov", "obec"), ("Meclov", "obec"), ("Blížejov", "obec"),
        ("Kout na Šumavě", "obec"), ("Česká Kubice", "obec"), ("Babylon", "obec"), ("Draženov", "obec"),
        ("Luženičky", "obec"), ("Milavče", "obec"), ("Mrákov", "obec"), ("Stráž", "obec"),
        ("Hlohová", "obec"), ("Pocinovice", "obec"), ("Chodská Lhota", "obec"), ("Újezd", "obec"),
    ],
    "Tachov": [
        ("Tachov", "město"), ("Stříbro", "město"), ("Planá", "město"), ("Bor", "město"),
        ("Přimda", "město"), ("Kladruby", "město"), ("Černošín", "město"), ("Bezdružice", "město"),
        ("Konstantinovy Lázně", "obec"), ("Chodová Planá", "městys"), ("Rozvadov", "obec"),
        ("Lesná", "obec"), ("Halže", "obec"), ("Hošťka", "obec"), ("Kokašice", "obec"), ("Obora", "obec"),
        ("Staré Sedliště", "obec"), ("Tisová", "obec"), ("Třemešné", "obec"), ("Zadní Chodov", "obec"),
        ("Lom u Tachova", "obec"), ("Ctiboř", "obec"), ("Čelivo", "obec"), ("Erpužice", "obec"),
        ("Kšice", "obec"), ("Olbramov", "obec"), ("Sulislav", "obec"), ("Záchlumí", "obec"),
    ],
}
