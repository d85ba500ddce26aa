"""The accessibility statement's days as the office writes them in the settings."""
from datetime import date, datetime

import pytest

from services.registrations.accessibility import shown_day, statement_day


@pytest.mark.parametrize("value, day", [
    (date(2026, 12, 7), date(2026, 12, 7)),  # YAML reads 2026-12-07 as a date
    (datetime(2026, 12, 7, 10, 30), date(2026, 12, 7)),
    ("2026-12-07", date(2026, 12, 7)),
    (" 7. 12. 2026 ", date(2026, 12, 7)),
    ("7.12.2026", date(2026, 12, 7)),
    (None, None),
    ("", None),
    ("  ", None),
])
def test_a_day_is_read_from_a_date_iso_or_czech_text(value, day):
    assert statement_day(value) == day


@pytest.mark.parametrize("value", ["v prosinci", "31. 2. 2026", "2026-13-01", "12/7/2026"])
def test_what_names_no_day_is_refused_and_shown_as_written(value):
    with pytest.raises(ValueError):
        statement_day(value)
    assert shown_day(value) == value


def test_a_day_is_shown_the_czech_way():
    assert shown_day("2027-03-05") == "5. 3. 2027"
    assert shown_day(None) is None
