"""Sample data for trying the system out: member organisations and two seminars.

The names and districts are real towns and municipalities of the Plzeň region;
apart from the City of Plzeň, the IČOs, addresses and emails are invented
(with valid check digits). It is sample data, not the association's register.
"""
from datetime import date, datetime, time, timedelta

from services.common.czech import PRAGUE
from services.members.domain import fold, ico_check_digit

# name, kind, district
ORGANISATIONS = [
    ("Statutární město Plzeň", "statutární město", "Plzeň-město"),
    ("Město Dobřany", "město", "Plzeň-jih"),
    ("Město Přeštice", "město", "Plzeň-jih"),
    ("Město Nepomuk", "město", "Plzeň-jih"),
    ("Město Blovice", "město", "Plzeň-jih"),
    ("Město Stod", "město", "Plzeň-jih"),
    ("Obec Chotěšov", "obec", "Plzeň-jih"),
    ("Město Starý Plzenec", "město", "Plzeň-město"),
    ("Obec Šťáhlavy", "obec", "Plzeň-město"),
    ("Město Nýřany", "město", "Plzeň-sever"),
    ("Město Třemošná", "město", "Plzeň-sever"),
    ("Město Kralovice", "město", "Plzeň-sever"),
    ("Město Rokycany", "město", "Rokycany"),
    ("Město Klatovy", "město", "Klatovy"),
    ("Město Sušice", "město", "Klatovy"),
    ("Město Domažlice", "město", "Domažlice"),
    ("Město Horšovský Týn", "město", "Domažlice"),
    ("Město Tachov", "město", "Tachov"),
    ("Město Stříbro", "město", "Tachov"),
]
# Bodies that take part without being members.
NON_MEMBERS = [
    ("MAS Český les", "MAS", "Domažlice"),
    ("Svazek obcí Úhlava", "dobrovolný svazek obcí", "Klatovy"),
]
KNOWN_ICOS = {"Statutární město Plzeň": "00075370"}


def invented_ico(number: int) -> str:
    first_seven = f"{number:07d}"
    return first_seven + str(ico_check_digit(first_seven))


def organisations():
    """The sample register as ``upsert_organisation`` payloads; members since 2005."""
    rows = []
    for index, (name, kind, district) in enumerate(ORGANISATIONS + NON_MEMBERS):
        place = name.split(" ", 1)[1] if name.startswith(("Město ", "Obec ")) else name
        rows.append({
            "ico": KNOWN_ICOS.get(name) or invented_ico(2_570_000 + index * 37),
            "name": name, "kind": kind, "district": district,
            "address": f"Náměstí 1, {place}",
            "email": f"podatelna@{fold(place).replace(' ', '-')}.example",
            "member_since": "2005-01-01" if index < len(ORGANISATIONS) else None,
        })
    return rows


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
