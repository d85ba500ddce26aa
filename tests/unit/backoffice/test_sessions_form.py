"""The console's field for the sessions of a multi-day event: read as staff type it, shown so."""
from datetime import datetime

import pytest

from services.backoffice.domain import parse_sessions, sessions_text
from services.common.errors import ValidationError


def test_lines_are_read_with_their_optional_title_and_venue():
    typed = "3. 3. 2027 13:00–16:30 | Úvod\n\n 10.3.2027 9:00 - 12:15 \n17. 3. 2027 9:00–12:00 | | Rokycany, sál\n"
    assert parse_sessions(typed) == [
        {"starts_at": datetime(2027, 3, 3, 13, 0), "ends_at": datetime(2027, 3, 3, 16, 30), "title": "Úvod",
         "venue": None},
        {"starts_at": datetime(2027, 3, 10, 9, 0), "ends_at": datetime(2027, 3, 10, 12, 15), "title": None,
         "venue": None},
        {"starts_at": datetime(2027, 3, 17, 9, 0), "ends_at": datetime(2027, 3, 17, 12, 0), "title": None,
         "venue": "Rokycany, sál"}]
    assert parse_sessions("  \n") == []


@pytest.mark.parametrize("typed, message", [
    ("3. 3. 2027 13:00", "1. termín čteme jako"),
    ("3. 3. 2027 13:00–16:30\n31. 2. 2027 13:00–16:30", "2. termín nemá platné datum nebo čas."),
    ("3. 3. 2027 13:00–16:30 | a | b | c", "1. termín čteme jako"),
    ("3. 3. 2027 25:00–26:00", "1. termín nemá platné datum nebo čas."),
])
def test_a_line_that_cannot_be_read_is_named(typed, message):
    with pytest.raises(ValidationError) as refused:
        parse_sessions(typed)
    assert refused.value.fields["sessions"].startswith(message)


def test_the_form_shows_the_sessions_as_they_are_typed():
    sessions = [{"starts_at": "2027-03-03T13:00:00+01:00", "ends_at": "2027-03-03T16:30:00+01:00", "title": "Úvod",
                 "venue": None},
                {"starts_at": "2027-03-31T07:00:00+00:00", "ends_at": "2027-03-31T10:00:00+00:00", "title": None,
                 "venue": "Rokycany, sál"},
                {"starts_at": "2027-04-07T09:00:00+02:00", "ends_at": "2027-04-07T12:00:00+02:00", "title": None,
                 "venue": "Plzeň"}]
    shown = sessions_text(sessions, "Plzeň")
    assert shown.splitlines() == ["3. 3. 2027 13:00–16:30 | Úvod", "31. 3. 2027 9:00–12:00 | | Rokycany, sál",
                                  "7. 4. 2027 9:00–12:00"]
    assert [(s["starts_at"].hour, s["title"], s["venue"]) for s in parse_sessions(shown)] == [
        (13, "Úvod", None), (9, None, "Rokycany, sál"), (9, None, None)]
    assert sessions_text(None, "Plzeň") == ""
