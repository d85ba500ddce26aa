import pytest
from nameko.testing.services import worker_factory

from services.common.errors import ValidationError
from services.members import store
from services.members.service import MembersService
from tests.conftest import RecordingOutbox

PLZEN = {"ico": "00075370", "name": "Statutární město Plzeň", "kind": "statutární město",
         "district": "Plzeň-město", "email": "podatelna@plzen.example"}


@pytest.fixture
def members(make_database):
    database = make_database("members", store.metadata)
    outbox = RecordingOutbox(store.outbox)
    service = worker_factory(MembersService, db=database, outbox=outbox)
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
