from datetime import date

import pytest

from services.common.errors import Conflict, ValidationError
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


def test_the_form_sets_a_membership_by_its_first_and_last_day():
    d = date
    assert domain.set_membership([], None, None) == []
    assert domain.set_membership([], d(2005, 1, 1), None) == [{"from": d(2005, 1, 1), "to": None}]
    opened = [{"from": d(2005, 1, 1), "to": None}]
    ended = domain.set_membership(opened, d(2005, 1, 1), d(2025, 12, 31))
    assert ended == [{"from": d(2005, 1, 1), "to": d(2025, 12, 31)}]
    assert domain.membership_event(opened, ended) == "organisation_left"
    again = domain.set_membership(ended, d(2026, 6, 1), None)
    assert again == ended + [{"from": d(2026, 6, 1), "to": None}]
    assert domain.membership_event(ended, again) == "organisation_joined"
    corrected = domain.set_membership(again, d(2026, 7, 1), None)  # a typo in the start corrected
    assert corrected[-1] == {"from": d(2026, 7, 1), "to": None}
    assert domain.membership_event(again, corrected) == "organisation_updated"
    assert domain.membership_event(corrected, corrected) is None
    for since, until, field in ((d(2025, 1, 1), None, "member_since"),  # overlaps the one before
                                (d(2026, 7, 1), d(2026, 6, 30), "member_until"),
                                (None, None, "member_since"), (None, d(2026, 1, 1), "member_since")):
        with pytest.raises(ValidationError) as refused:
            domain.set_membership(again, since, until)
        assert field in refused.value.fields


def test_membership_status_and_pages():
    periods = [{"from": date(2005, 1, 1), "to": date(2020, 12, 31)}]
    assert domain.membership_status(periods, date(2026, 1, 1)) == "former"
    assert domain.membership_status(periods, date(2010, 1, 1)) == "member"
    assert domain.membership_status([{"from": date(2027, 1, 1), "to": None}], date(2026, 1, 1)) == "non_member"
    assert domain.membership_status([], date(2026, 1, 1)) == "non_member"
    page = domain.page_of(list(range(120)), 3, 50)
    assert (page["items"], page["page"], page["pages"], page["total"]) == (list(range(100, 120)), 3, 3, 120)
    assert domain.page_of([], 5, 50) == {"items": [], "page": 1, "pages": 1, "per_page": 50, "total": 0}
