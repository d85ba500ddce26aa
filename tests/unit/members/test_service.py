from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory

from services.common.errors import NotFound, ValidationError
from services.members import store
from services.members.service import MembersService
from tests.conftest import RecordingOutbox

PLZEN = {"ico": "00075370", "name": "Statutární město Plzeň", "kind": "statutární město",
         "district": "Plzeň-město", "email": "podatelna@plzen.example"}


@pytest.fixture
def members(make_database):
    database = make_database("members", store.metadata)
    outbox = RecordingOutbox(store.outbox)
    service = worker_factory(MembersService, db=database, outbox=outbox,
                             clock=lambda: datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    service.recorded = lambda: outbox.events(database)
    return service


def test_joining_makes_a_member_and_announces_it(members):
    organisation = members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    assert organisation["is_member"] is True
    assert organisation["periods"] == [{"from": "2005-01-01", "to": None}]
    assert members.is_member("00075370") is True
    assert members.is_member("00075370", "2004-12-31") is False
    [(event_type, payload)] = members.recorded()
    assert event_type == "organisation_joined"
    assert payload["organisation"]["ico"] == "00075370"
    assert payload["organisation"]["periods"] == [{"from": "2005-01-01", "to": None}]
    assert payload["message_id"]


def test_ending_membership_keeps_history(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.end_membership("00075370", "2025-12-31")
    assert members.is_member("00075370", "2025-06-01") is True
    assert members.is_member("00075370", "2026-01-01") is False
    assert [event for event, _ in members.recorded()] == ["organisation_joined", "organisation_left"]
    assert members.list_members("2026-01-01") == []


def test_search_finds_by_name_without_diacritics_and_by_ico(members):
    members.upsert_organisation(PLZEN)
    members.upsert_organisation({"ico": "00257231", "name": "Město Dobřany", "district": "Plzeň-jih"})
    assert [o["name"] for o in members.find_organisations("plzen")] == ["Statutární město Plzeň"]
    assert [o["name"] for o in members.find_organisations("dobr")] == ["Město Dobřany"]
    assert [o["ico"] for o in members.find_organisations("00075370")] == ["00075370"]


@pytest.mark.parametrize("change, field", [
    ({"ico": "00075371"}, "ico"),
    ({"ico": "1234"}, "ico"),
    ({"district": "Praha"}, "district"),
    ({"email": "není-email"}, "email"),
    ({"name": "  "}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_refused_field_by_field_and_writes_nothing(members, change, field):
    with pytest.raises(ValidationError) as refused:
        members.upsert_organisation(dict(PLZEN, **change))
    assert field in refused.value.fields
    assert members.membership_register() == []
    assert members.recorded() == []


def test_a_membership_cannot_end_before_it_began(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    with pytest.raises(ValidationError) as refused:
        members.end_membership("00075370", "2004-01-01")
    assert refused.value.fields == {"on_date": "Konec členství nemůže být dřív než jeho začátek."}
    assert members.is_member("00075370") is True


def test_the_same_data_again_writes_nothing_and_announces_nothing(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    assert [event for event, _ in members.recorded()] == ["organisation_joined"]
    members.update_organisation("00075370", {"phone": "+420 378 031 111"})
    assert members.get_organisation("00075370")["phone"] == "+420 378 031 111"
    assert [event for event, _ in members.recorded()] == ["organisation_joined", "organisation_updated"]


REGISTER = """IČO;název;druh;okres;adresa;e-mail;členem od
00075370;Statutární město Plzeň;statutární město;Plzeň-město;nám. Republiky 1;podatelna@plzen.example;2005-01-01
257231;Město Dobřany;město;Plzeň-jih;;;2005-01-01
00075371;Chybná obec;obec;Plzeň-jih;;;
25700375;Obec Kdesi;obec;Praha-západ;;;
25700740;;obec;Plzeň-město;;;

25701126;MAS Český les;MAS;Domažlice;;mas@example.cz;
00075370;Plzeň podruhé;město;Plzeň-město;;;
"""


def test_import_upserts_good_rows_reports_bad_ones_and_is_idempotent(members):
    first = members.import_organisations_csv("\ufeff" + REGISTER)
    assert (first["created"], first["updated"], first["unchanged"], first["failed"]) == (3, 0, 0, 4)
    assert [error["line"] for error in first["errors"]] == [4, 5, 6, 9]
    assert first["errors"][0]["reason"] == "IČO: IČO nemá platnou kontrolní číslici."
    assert first["errors"][1]["reason"] == "okres: Neznámý okres Plzeňského kraje."
    assert first["errors"][2]["reason"] == "název: Toto pole je povinné."
    assert "řádku 2" in first["errors"][3]["reason"]
    assert members.get_organisation("00257231")["name"] == "Město Dobřany"  # Excel's lost zeros restored
    assert [o["ico"] for o in members.list_members()] == ["00257231", "00075370"]
    events = len(members.recorded())

    again = members.import_organisations_csv(REGISTER)
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 3, 4)
    assert len(members.recorded()) == events


def test_import_reads_commas_and_english_column_names(members):
    text = "ico,name,district,member_since\n00075370,Statutární město Plzeň,Plzeň-město,2010-05-01\n"
    assert members.import_organisations_csv(text)["created"] == 1
    assert members.is_member("00075370", "2010-05-01") is True


def test_contacts_announcements_and_data_protection(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.upsert_organisation({"ico": "25701126", "name": "MAS Český les", "kind": "MAS", "district": "Domažlice"})
    mayor = members.add_contact("00075370", {"first_name": "Jana", "last_name": "Nováková", "role": "starosta",
                                             "email": "Jana.Novakova@plzen.example"})
    members.add_contact("00075370", {"first_name": "Petr", "last_name": "Svoboda", "role": "účetní",
                                     "email": "petr@plzen.example", "wants_announcements": False})
    members.add_contact("25701126", {"first_name": "Eva", "last_name": "Malá", "email": "eva@mas.example"})
    assert [c["last_name"] for c in members.list_contacts("00075370")] == ["Nováková", "Svoboda"]
    assert [c["email"] for c in members.announcement_recipients()] == ["Jana.Novakova@plzen.example"]
    assert members.announcement_recipients("Tachov") == []
    members.unsubscribe(mayor["unsubscribe_token"])
    assert members.announcement_recipients() == []

    found = members.export_person("jana.novakova@PLZEN.example")
    assert [(c["organisation_name"], c["role"]) for c in found["contacts"]] == [("Statutární město Plzeň", "starosta")]
    assert members.erase_person("jana.novakova@plzen.example") == {"email": "jana.novakova@plzen.example",
                                                                   "erased_contacts": 1}
    assert members.export_person("jana.novakova@plzen.example")["contacts"] == []
    assert [c["last_name"] for c in members.list_contacts("00075370")] == ["Svoboda"]

    members.remove_contact(members.list_contacts("00075370")[0]["id"])
    assert members.list_contacts("00075370") == []
    with pytest.raises(NotFound):
        members.remove_contact(12345)
    with pytest.raises(ValidationError) as refused:
        members.add_contact("00075370", {"first_name": "", "last_name": "X", "email": "no"})
    assert set(refused.value.fields) == {"first_name", "email"}


def test_search_limits_and_odd_input(members):
    members.upsert_organisation(PLZEN)
    assert members.find_organisations("") == []
    assert members.find_organisations("%") == []
    assert members.find_organisations("_") == []
    assert [o["ico"] for o in members.find_organisations("statutarni pl")] == ["00075370"]
    assert members.find_organisations("plzen", limit=0)[0]["ico"] == "00075370"


def _organisation(ico, name, district, since=None):
    return {"ico": ico, "name": name, "district": district, "member_since": since}


# Valid IČOs of organisations in the region (the checksum holds).
DOBRANY, CHOTESOV, MAS = "00257231", "00256901", "25701126"


def test_the_register_is_browsed_by_district_and_membership_a_page_at_a_time(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.upsert_organisation(_organisation(DOBRANY, "Město Dobřany", "Plzeň-jih", "2005-01-01"))
    members.upsert_organisation(_organisation(CHOTESOV, "Obec Chotěšov", "Plzeň-jih", "2010-01-01"))
    members.end_membership(CHOTESOV, "2020-12-31")
    members.upsert_organisation({"ico": MAS, "name": "MAS Český les", "kind": "MAS", "district": "Domažlice"})

    everything = members.list_organisations()
    assert [o["name"] for o in everything["organisations"]] == [
        "MAS Český les", "Město Dobřany", "Obec Chotěšov", "Statutární město Plzeň"]
    assert (everything["total"], everything["page"], everything["pages"]) == (4, 1, 1)
    assert [o["ico"] for o in members.list_organisations(district="Plzeň-jih")["organisations"]] == [
        DOBRANY, CHOTESOV]
    assert [o["ico"] for o in members.list_organisations(membership="member")["organisations"]] == [
        DOBRANY, "00075370"]
    assert [o["ico"] for o in members.list_organisations(membership="former")["organisations"]] == [CHOTESOV]
    assert [o["ico"] for o in members.list_organisations(membership="non_member")["organisations"]] == [MAS]
    assert [o["ico"] for o in members.list_organisations(district="Plzeň-jih", membership="member",
                                                         query="dobr")["organisations"]] == [DOBRANY]

    second = members.list_organisations(page=2, per_page=3)
    assert ([o["ico"] for o in second["organisations"]], second["page"], second["pages"], second["total"]) == (
        ["00075370"], 2, 2, 4)
    assert members.list_organisations(page=9, per_page=3)["page"] == 2  # past the end: the last page
    with pytest.raises(ValidationError) as refused:
        members.list_organisations(district="Praha", membership="kdosi")
    assert set(refused.value.fields) == {"district", "membership"}


def test_an_organisation_is_edited_with_its_membership_through_the_membership_rules(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.recorded()
    edited = members.edit_organisation("00075370", {
        "name": "Statutární město Plzeň, magistrát", "district": "Plzeň-město", "dic": "CZ00075370",
        "billing_email": "faktury@plzen.example", "member_since": "2005-01-01", "member_until": None})
    assert edited["changed"] == ["název", "DIČ", "e-mail pro faktury"]
    assert edited["organisation"]["dic"] == "CZ00075370" and edited["organisation"]["is_member"] is True
    assert members.recorded()[-1][0] == "organisation_updated"
    assert members.find_organisations("magistrat")[0]["ico"] == "00075370"

    ended = members.edit_organisation("00075370", {"member_until": "2025-12-31"})
    assert ended["changed"] == ["členem do"] and ended["organisation"]["is_member"] is False
    assert members.recorded()[-1][0] == "organisation_left"
    rejoined = members.edit_organisation("00075370", {"member_since": "2026-06-01", "member_until": None})
    assert rejoined["organisation"]["periods"] == [{"from": "2005-01-01", "to": "2025-12-31"},
                                                   {"from": "2026-06-01", "to": None}]
    assert members.recorded()[-1][0] == "organisation_joined"
    events = len(members.recorded())
    assert members.edit_organisation("00075370", {"name": "Statutární město Plzeň, magistrát"})["changed"] == []
    assert len(members.recorded()) == events  # nothing changed, nothing announced

    for changes, field in (({"member_since": "2025-06-01"}, "member_since"),  # overlaps the first membership
                           ({"member_until": "2026-01-01"}, "member_until"),  # before its start
                           ({"member_since": None}, "member_since"),  # history is not erased
                           ({"member_since": "1. 1. 2005"}, "member_since"),
                           ({"dic": "12345"}, "dic"), ({"billing_email": "ne"}, "billing_email"),
                           ({"kind": "hrad"}, "kind"), ({"name": " "}, "name")):
        with pytest.raises(ValidationError) as refused:
            members.edit_organisation("00075370", changes)
        assert field in refused.value.fields, changes
    assert members.get_organisation("00075370")["periods"][-1] == {"from": "2026-06-01", "to": None}
    assert len(members.recorded()) == events
    with pytest.raises(NotFound):
        members.edit_organisation(DOBRANY, {"name": "Nikde"})


def test_a_contact_is_edited_and_removed_only_at_its_own_organisation(members):
    members.upsert_organisation(PLZEN)
    members.upsert_organisation(_organisation(DOBRANY, "Město Dobřany", "Plzeň-jih"))
    jana = members.add_contact("00075370", {"first_name": "Jana", "last_name": "Nováková",
                                            "email": "jana@plzen.example"})
    other = members.add_contact(DOBRANY, {"first_name": "Petr", "last_name": "Malý"})
    answer = members.update_contact("00075370", jana["id"], {
        "first_name": "Jana", "last_name": "Dvořáková", "role": "tajemnice", "email": "Jana.Dvorakova@plzen.example",
        "phone": "+420 378 000 000", "wants_announcements": False})
    assert answer["changed"] == ["last_name", "role", "email", "phone", "wants_announcements"]
    assert answer["contact"]["organisation_name"] == "Statutární město Plzeň"
    assert members.export_person("jana.dvorakova@plzen.example")["contacts"][0]["role"] == "tajemnice"
    assert members.export_person("jana@plzen.example")["contacts"] == []
    with pytest.raises(ValidationError) as refused:
        members.update_contact("00075370", jana["id"], {"first_name": "", "last_name": "X", "email": "ne"})
    assert set(refused.value.fields) == {"first_name", "email"}
    with pytest.raises(NotFound):
        members.update_contact("00075370", other["id"], {"first_name": "A", "last_name": "B"})
    with pytest.raises(NotFound):
        members.remove_contact(other["id"], "00075370")
    removed = members.remove_contact(jana["id"], "00075370")
    assert (removed["last_name"], removed["organisation_name"]) == ("Dvořáková", "Statutární město Plzeň")
    assert members.list_contacts("00075370") == [] and len(members.list_contacts(DOBRANY)) == 1


def test_an_import_is_counted_before_it_is_stored_and_garbled_text_is_refused_whole(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    text = ("IČO;název;okres;členem od\n00075370;Statutární město Plzeň;Plzeň-jih;2005-01-01\n"
            f"{DOBRANY};Město Dobřany;Plzeň-jih;2005-01-01\n{CHOTESOV};Obec Chotěšov;Tachov;\n00075371;Chybná;;\n")
    plan = members.import_organisations_csv(text, dry_run=True)
    assert (plan["created"], plan["updated"], plan["unchanged"], plan["failed"], plan["dry_run"]) == (2, 1, 0, 1, True)
    assert members.get_organisation("00075370")["district"] == "Plzeň-město"  # nothing written
    assert len(members.membership_register()) == 1
    done = members.import_organisations_csv(text)
    assert (done["created"], done["updated"], done["failed"]) == (2, 1, 1)

    for garbled, line in (("IČO;název\n00075370;Plze\ufffd\n", 2), ("IČO;název\n00075370;Plzeň\n0025\x8a231;X\n", 3)):
        with pytest.raises(ValidationError) as refused:
            members.import_organisations_csv(garbled)
        assert f"na řádku {line}" in refused.value.message
    assert members.get_organisation("00075370")["name"] == "Statutární město Plzeň"


def test_a_membership_that_would_overlap_is_a_bad_row_not_a_failed_import(members):
    members.upsert_organisation(dict(PLZEN, member_since="2005-01-01"))
    members.end_membership("00075370", "2025-12-31")
    text = f"IČO;název;členem od\n00075370;Statutární město Plzeň;2020-01-01\n{DOBRANY};Město Dobřany;2005-01-01\n"
    for dry_run in (True, False):
        report = members.import_organisations_csv(text, dry_run=dry_run)
        assert (report["created"], report["failed"]) == (1, 1)
        assert report["errors"] == [{"line": 2, "reason": "členem od: Členství nemůže začít dříve, než skončilo "
                                                          "předchozí."}]


def test_the_import_takes_days_as_czech_excel_writes_them(members):
    text = f"IČO;název;členem od\n00075370;Statutární město Plzeň;1.1.2005\n{DOBRANY};Město Dobřany;01. 02. 2010\n"
    assert members.import_organisations_csv(text)["created"] == 2
    assert members.get_organisation(DOBRANY)["periods"] == [{"from": "2010-02-01", "to": None}]
    bad = members.import_organisations_csv(f"IČO;název;členem od\n{CHOTESOV};Obec Chotěšov;31.2.2010\n")
    assert bad["errors"] == [{"line": 2, "reason": "členem od: Zadejte datum ve tvaru RRRR-MM-DD."}]
