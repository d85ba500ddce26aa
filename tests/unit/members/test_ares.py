"""Organisation lookup in ARES: the parsing of its JSON, the cache, and every way it can fail,
against the local stand-in that answers as ARES does."""
import time
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.testing.services import worker_factory

from services.common.errors import ValidationError
from services.members import store
from services.members.ares import AresClient, AresUnavailable, one_line_address, parse_subject
from services.members.service import MembersService
from tests.ares_standin import CHVALENICE, PRAHA, AresStandIn
from tests.conftest import RecordingOutbox

PRAHA_ADDRESS = "Mariánské náměstí 2/2, Staré Město, 110 00 Praha 1"


# Parsing

def test_a_subject_becomes_our_fields_with_a_czech_one_line_address():
    assert parse_subject(PRAHA) == {"ico": "00064581", "name": "Hlavní město Praha", "address": PRAHA_ADDRESS,
                                    "dic": "CZ00064581", "district": None, "kind": "obec"}
    assert parse_subject(CHVALENICE) == {"ico": "12345679", "name": "Obec Chválenice",
                                         "address": "Chválenice 55, 332 05 Chválenice", "dic": "CZ12345679",
                                         "district": "Plzeň-město", "kind": "obec"}


@pytest.mark.parametrize("sidlo, address", [
    ({"nazevObce": "Plzeň", "nazevUlice": "náměstí Republiky", "cisloDomovni": 1, "cisloOrientacni": 1,
      "nazevCastiObce": "Vnitřní Město", "psc": 30100}, "náměstí Republiky 1/1, Vnitřní Město, 301 00 Plzeň"),
    ({"nazevObce": "Dobřany", "nazevUlice": "náměstí T. G. Masaryka", "cisloDomovni": 1,
      "nazevCastiObce": "Dobřany", "psc": "33441"}, "náměstí T. G. Masaryka 1, 334 41 Dobřany"),
    ({"nazevObce": "Klatovy", "nazevUlice": "Vídeňská", "cisloDomovni": 52, "cisloOrientacni": 12,
      "cisloOrientacniPismeno": "a", "nazevCastiObce": "Klatovy III", "psc": 33901},
     "Vídeňská 52/12a, Klatovy III, 339 01 Klatovy"),
    ({"nazevObce": "Nečtiny", "nazevCastiObce": "Březín", "cisloDomovni": 7, "typCisloDomu": 2, "psc": 33163},
     "Březín č. ev. 7, 331 63 Nečtiny"),
    ({"nazevObce": "Kozolupy", "psc": 33032}, "Kozolupy, 330 32 Kozolupy"),
    ({"kodStatu": "SK", "nazevObce": "Bratislava", "textovaAdresa": "Hlavná 1, 81101 Bratislava"},
     "Hlavná 1, 81101 Bratislava"),
    ({"textovaAdresa": "Plzeň, náměstí Republiky 1"}, "Plzeň, náměstí Republiky 1"),
    ({}, None),
    (None, None),
])
def test_address_formatting(sidlo, address):
    assert one_line_address(sidlo) == address


@pytest.mark.parametrize("document", [[], "x", {"kod": "NENALEZENO"}, {"obchodniJmeno": None}])
def test_json_of_another_shape_is_refused(document):
    with pytest.raises(ValueError):
        parse_subject(document)


def test_a_subject_without_seat_or_dic_still_has_a_name():
    assert parse_subject({"ico": "12345679", "obchodniJmeno": "  Spolek   Náves  ", "dic": ""}) == {
        "ico": "12345679", "name": "Spolek Náves", "address": None, "dic": None, "district": None, "kind": "jiný"}


# The client against the stand-in

@pytest.fixture
def ares():
    with AresStandIn(PRAHA, CHVALENICE) as stand_in:
        yield stand_in


def test_the_client_reads_a_subject_and_not_found(ares):
    client = AresClient(ares.url)
    assert client.fetch("00064581")["address"] == PRAHA_ADDRESS
    assert client.fetch("00075370") is None
    assert ares.requests == ["/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/00064581",
                             "/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/00075370"]


@pytest.mark.parametrize("status, body, message", [
    (500, None, "Registr ARES hlásí chybu na své straně; zkuste to prosím později."),
    (503, None, "Registr ARES hlásí chybu na své straně; zkuste to prosím později."),
    (429, None, "Registr ARES teď odmítá další dotazy; zkuste to prosím za chvíli."),
    (200, b"<html>maintenance</html>", "Registr ARES poslal odpověď, které nerozumíme."),
    (200, b'{"kod": "OK"}', "Registr ARES poslal odpověď, které nerozumíme."),
])
def test_errors_are_unavailable_with_a_czech_reason(ares, status, body, message):
    ares.fail_next(status, body)
    with pytest.raises(AresUnavailable) as unavailable:
        AresClient(ares.url).fetch("00064581")
    assert str(unavailable.value) == message


def test_input_ares_refuses_is_unavailable(ares):
    with pytest.raises(AresUnavailable, match="neplatný"):
        AresClient(ares.url).fetch("123")


def test_a_slow_answer_gives_up_at_the_time_out(ares):
    ares.slow_next(5)
    started = time.monotonic()
    with pytest.raises(AresUnavailable, match="neodpověděl včas"):
        AresClient(ares.url, timeout=0.5).fetch("00064581")
    assert time.monotonic() - started < 1.2


def test_no_server_is_unavailable():
    ares = AresStandIn()
    url = ares.url
    ares.stop()
    with pytest.raises(AresUnavailable, match="Nepodařilo se spojit"):
        AresClient(url).fetch("00064581")


# The members service's lookup: register first, then ARES, kept in the database

class MovingClock:
    def __init__(self):
        self.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return MovingClock()


@pytest.fixture
def members(make_database, ares, clock):
    database = make_database("members", store.metadata)
    return worker_factory(MembersService, db=database, outbox=RecordingOutbox(store.outbox), clock=clock,
                          ares=AresClient(ares.url, timeout=0.5))


def test_a_register_organisation_is_answered_without_asking_ares(members, ares):
    members.upsert_organisation({"ico": "00075370", "name": "Statutární město Plzeň", "kind": "statutární město",
                                 "district": "Plzeň-město", "address": "náměstí Republiky 1, 301 00 Plzeň",
                                 "dic": "CZ00075370", "member_since": "2005-01-01"})
    assert members.lookup_organisation("00075370") == {
        "ico": "00075370", "status": "found", "source": "register", "name": "Statutární město Plzeň",
        "address": "náměstí Republiky 1, 301 00 Plzeň", "dic": "CZ00075370", "district": "Plzeň-město",
        "kind": "statutární město", "is_member": True, "fetched_at": None, "message": None}
    assert ares.requests == []


def test_an_outsider_is_looked_up_in_ares_once_and_kept(members, ares, clock):
    expected = {"ico": "00064581", "status": "found", "source": "ares", "name": "Hlavní město Praha",
                "address": PRAHA_ADDRESS, "dic": "CZ00064581", "district": None, "kind": "obec",
                "is_member": False, "fetched_at": "2026-11-27T10:00:00+00:00", "message": None}
    assert members.lookup_organisation("00064581") == expected
    clock.now += timedelta(days=29)
    assert members.lookup_organisation("00064581") == expected
    assert len(ares.requests) == 1
    # Nothing of it enters the register: staff add an organisation themselves.
    assert members.membership_register() == []


def test_a_kept_answer_older_than_30_days_is_fetched_again(members, ares, clock):
    members.lookup_organisation("00064581")
    ares.add(dict(PRAHA, obchodniJmeno="Hlavní město Praha (nový název)"))
    clock.now += timedelta(days=30, seconds=1)
    answer = members.lookup_organisation("00064581")
    assert answer["name"] == "Hlavní město Praha (nový název)"
    assert answer["fetched_at"] == "2026-12-27T10:00:01+00:00"
    assert len(ares.requests) == 2


def test_not_found_is_kept_for_a_day_only(members, ares, clock):
    answer = members.lookup_organisation("00075370")
    assert answer["status"] == "not_found"
    assert answer["message"] == "Organizace s IČO 00075370 není v evidenci sdružení ani v registru ARES."
    clock.now += timedelta(hours=23)
    assert members.lookup_organisation("00075370")["status"] == "not_found"
    assert len(ares.requests) == 1
    ares.add({"ico": "00075370", "obchodniJmeno": "Statutární město Plzeň"})
    clock.now += timedelta(hours=2)
    assert members.lookup_organisation("00075370")["name"] == "Statutární město Plzeň"
    assert len(ares.requests) == 2


@pytest.mark.parametrize("failure", ["500", "slow", "garbage"])
def test_ares_away_is_a_quick_answer_and_is_not_kept(members, ares, failure):
    if failure == "slow":
        ares.slow_next(5)
    else:
        ares.fail_next(500) if failure == "500" else ares.fail_next(200, b"{")
    started = time.monotonic()
    answer = members.lookup_organisation("00064581")
    assert time.monotonic() - started < 1.2
    assert answer["status"] == "unavailable"
    assert answer["name"] is None and answer["source"] is None
    assert answer["message"].startswith("Registr ARES ")
    assert answer["message"].endswith(" Vyplňte prosím údaje sami.")
    assert members.lookup_organisation("00064581")["status"] == "found"  # asked again, not kept
    assert len(ares.requests) == 2


def test_when_ares_is_away_an_expired_answer_is_better_than_none(members, ares, clock):
    members.lookup_organisation("00064581")
    clock.now += timedelta(days=45)
    ares.fail_next(503)
    answer = members.lookup_organisation("00064581")
    assert answer["status"] == "found"
    assert answer["fetched_at"] == "2026-11-27T10:00:00+00:00"
    assert len(ares.requests) == 2


def test_a_bad_ico_is_refused_without_asking_ares(members, ares):
    for ico in ("1234", "00064582", None):
        with pytest.raises(ValidationError) as refused:
            members.lookup_organisation(ico)
        assert "ico" in refused.value.fields
    assert ares.requests == []


def test_keeping_the_same_ico_twice_overwrites(make_database, clock):
    database = make_database("members", store.metadata)
    with database.transaction() as tx:
        store.save_ares_lookup(tx, "00064581", None, clock())
    with database.transaction() as tx:
        store.save_ares_lookup(tx, "00064581", parse_subject(PRAHA), clock())
    with database.transaction() as tx:
        kept = store.get_ares_lookup(tx, "00064581")
    assert kept["found"] is True and kept["name"] == "Hlavní město Praha"


def test_two_lookups_of_one_ico_at_once_both_answer(members, ares):
    """Both miss the cache and both ask ARES; the second to keep the answer overwrites the first
    (an upsert), rather than failing on the primary key."""
    ares.slow = 0.3
    lookups = [eventlet.spawn(members.lookup_organisation, "00064581") for _ in range(2)]
    assert [lookup.wait()["status"] for lookup in lookups] == ["found", "found"]
    assert len(ares.requests) == 2
