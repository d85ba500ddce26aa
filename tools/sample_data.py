"""Sample data for trying the system out: the member register and two seminars.

The names and districts are real towns and municipalities of the Plzeň region;
apart from the City of Plzeň, the IČOs, addresses, contacts and emails are
invented (with valid check digits). It is sample data, not the association's
register.
"""
from datetime import date, datetime, time, timedelta

from services.common.czech import PRAGUE
from services.common.ico import ico_check_digit
from services.members.domain import fold
from tools.sample_places import PLACES

PREFIX = {"město": "Město", "městys": "Městys", "obec": "Obec"}
# Bodies that take part without being members.
NON_MEMBER_BODIES = [
    ("MAS Český les", "MAS", "Domažlice"),
    ("Svazek obcí Úhlava", "dobrovolný svazek obcí", "Klatovy"),
    ("Vodárna Plzeň a.s.", "jiný", "Plzeň-město"),
]
FIRST_NAMES = ("Jana", "Petr", "Marie", "Jiří", "Eva", "Tomáš", "Lenka", "Pavel", "Hana", "Martin", "Věra",
               "Zdeněk", "Alena", "Miroslav", "Ivana", "Václav")
LAST_NAMES = {"Jana": "Nováková", "Petr": "Svoboda", "Marie": "Dvořáková", "Jiří": "Černý", "Eva": "Procházková",
              "Tomáš": "Kučera", "Lenka": "Veselá", "Pavel": "Horák", "Hana": "Němcová", "Martin": "Marek",
              "Věra": "Pospíšilová", "Zdeněk": "Hájek", "Alena": "Jelínková", "Miroslav": "Růžička",
              "Ivana": "Benešová", "Václav": "Fiala"}
ROLES = ("starosta", "místostarosta", "tajemník", "účetní", "kontakt pro školení")


def invented_ico(number: int) -> str:
    first_seven = f"{number:07d}"
    return first_seven + str(ico_check_digit(first_seven))


def organisations():
    """The sample register: Plzeň and the places of ``sample_places``, about 190 of them members
    since 2005 (every thirteenth place is not a member), and a few bodies that are not members."""
    rows = [{"ico": "00075370", "name": "Statutární město Plzeň", "kind": "statutární město",
             "district": "Plzeň-město", "place": "Plzeň", "member_since": "2005-01-01"}]
    index = 0
    for district, places in PLACES.items():
        for place, kind in places:
            index += 1
            rows.append({"ico": invented_ico(2_570_000 + index * 37), "name": f"{PREFIX[kind]} {place}",
                         "kind": kind, "district": district, "place": place,
                         "member_since": None if index % 13 == 0 else "2005-01-01"})
    for name, kind, district in NON_MEMBER_BODIES:
        index += 1
        rows.append({"ico": invented_ico(2_570_000 + index * 37), "name": name, "kind": kind,
                     "district": district, "place": name, "member_since": None})
    for row in rows:
        place = row.pop("place")
        slug = fold(place).replace(" ", "-").replace(".", "")
        row.update(address=f"Náměstí 1, {place}", email=f"podatelna@{slug}.example")
    return rows


def register_csv():
    """The sample register as the CSV an association's office would import (Czech column names)."""
    columns = ("ico", "name", "kind", "district", "address", "email", "member_since")
    header = ("IČO", "název", "druh", "okres", "adresa", "e-mail", "členem od")
    lines = [";".join(header)]
    for row in organisations():
        lines.append(";".join(row[column] or "" for column in columns))
    return "\n".join(lines) + "\n"


def contacts():
    """``(ico, contact)`` pairs: a mayor and someone for trainings at each member, invented."""
    pairs = []
    for index, row in enumerate(organisations()):
        if not row["member_since"]:
            continue
        for offset, role in ((0, "starosta"), (7, "kontakt pro školení")):
            first = FIRST_NAMES[(index + offset) % len(FIRST_NAMES)]
            last = LAST_NAMES[first]
            pairs.append((row["ico"], {
                "first_name": first, "last_name": last, "role": role,
                "email": f"{fold(first)}.{fold(last)}@{row['email'].split('@')[1]}",
                "wants_announcements": True,
            }))
    return pairs


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour, 0), tzinfo=PRAGUE).isoformat()


def events(today: date):
    """Two upcoming seminars as ``create_event`` payloads."""
    first, second = today + timedelta(days=14), today + timedelta(days=30)
    return [
        {
            "title": "Veřejné zakázky malého rozsahu v praxi obcí",
            "kind": "seminar", "topic": "veřejné zakázky",
            "description": "Jak zadat zakázku malého rozsahu transparentně a bez zbytečné byrokracie: "
                           "vnitřní směrnice, výzva, hodnocení nabídek a uveřejnění smlouvy.",
            "lecturer": "Mgr. Petra Nováková", "venue": "Plzeň, Škroupova 18, zasedací sál",
            "starts_at": _at(first, 9), "ends_at": _at(first, 13),
            "registration_closes_at": _at(first - timedelta(days=1), 12),
            "capacity": 40, "price_member": 0, "price_non_member": 900, "waitlist_enabled": True,
            "max_per_organisation": 3, "hours": 4,
        },
        {
            "title": "GDPR na obecním úřadě: co se změnilo",
            "kind": "training", "topic": "GDPR",
            "description": "Akreditované školení pro úředníky obcí: zpracování osobních údajů v agendách obce, "
                           "práva subjektů údajů a role pověrence.",
            "lecturer": "JUDr. Tomáš Černý", "venue": "Rokycany, Masarykovo nám. 1, velký sál",
            "starts_at": _at(second, 9), "ends_at": _at(second, 15),
            "registration_closes_at": _at(second - timedelta(days=2), 12),
            "capacity": 25, "price_member": 500, "price_non_member": 1500, "waitlist_enabled": True,
            "accreditation_number": "AK/PV-412/2026", "hours": 6, "collects_birth_date": True,
        },
    ]
