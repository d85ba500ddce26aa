from datetime import date

import pytest

from services.common.errors import Conflict
from services.common.ico import ico_check_digit, ico_error
from services.common.membership import is_member_on
from services.members import domain


@pytest.mark.parametrize("ico", ["00075370", "00064581", "25596641", "00023698"])
def test_known_valid_icos(ico):
    assert ico_error(ico) is None


@pytest.mark.parametrize("ico, reason", [
    ("00075371", "IČO nemá platnou kontrolní číslici."),
    ("0007537", "IČO má přesně 8 číslic."),
    ("000753700", "IČO má přesně 8 číslic."),
    ("0007537O", "IČO má přesně 8 číslic."),
    (75370, "IČO má přesně 8 číslic."),
    ("", "IČO má přesně 8 číslic."),
])
def test_invalid_icos(ico, reason):
    assert ico_error(ico) == reason


def test_check_digit_rule_for_remainders_zero_and_one():
    # remainder 0 gives 1, remainder 1 gives 0 (the official rule)
    assert ico_check_digit("0006458") == 1
    assert ico_check_digit("0007537") == 0


def test_search_ignores_case_and_diacritics_and_matches_word_prefixes():
    assert domain.matches("plzen", "00075370", "Statutární město Plzeň")
    assert domain.matches("dobr", "12345678", "Město Dobřany")
    assert domain.matches("MĚSTO dob", "12345678", "Město Dobřany")
    assert domain.matches("0007", "00075370", "Statutární město Plzeň")
    assert not domain.matches("bany", "12345678", "Město Dobřany")
    assert not domain.matches("", "12345678", "Město Dobřany")


def test_membership_on_a_date_follows_the_periods():
    periods = [{"from": "2005-01-01", "to": "2025-12-31"}]
    assert is_member_on(periods, date(2020, 5, 1))
    assert is_member_on(periods, date(2025, 12, 31))
    assert not is_member_on(periods, date(2026, 1, 1))
    assert not is_member_on(periods, date(2004, 12, 31))
    assert is_member_on([{"from": date(2026, 1, 1), "to": None}], date(2030, 1, 1))


def test_joining_twice_is_refused_and_leaving_closes_the_open_period():
    periods = domain.join([], date(2020, 1, 1))
    with pytest.raises(Conflict):
        domain.join(periods, date(2021, 1, 1))
    left = domain.leave(periods, date(2025, 6, 30))
    assert left == [{"from": date(2020, 1, 1), "to": date(2025, 6, 30)}]
    with pytest.raises(Conflict):
        domain.leave(left, date(2025, 7, 1))
