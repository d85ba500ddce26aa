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
