"""The Czech way of writing the days and sessions of a multi-day event or a series."""
from datetime import UTC, datetime

import pytest

from services.common import czech


def sessions(*days, year=2027, month=3):
    return [{"starts_at": f"{year}-{month:02d}-{day:02d}T13:00:00+01:00",
             "ends_at": f"{year}-{month:02d}-{day:02d}T16:30:00+01:00"} for day in days]


def test_a_range_of_days_names_the_year_once():
    assert czech.days(sessions(3, 10, 17)) == "3. 3. – 17. 3. 2027"
    assert czech.days(sessions(3)) == "3. 3. 2027"


def test_a_range_across_the_new_year_names_both_years():
    span = [sessions(30, year=2026, month=12)[0], sessions(2, year=2027, month=1)[0]]
    assert czech.days(span) == "30. 12. 2026 – 2. 1. 2027"


def test_days_are_the_days_in_prague_whatever_the_offset_given():
    late = [{"starts_at": datetime(2027, 3, 2, 23, 30, tzinfo=UTC), "ends_at": datetime(2027, 3, 3, 3, 0, tzinfo=UTC)},
            {"starts_at": datetime(2027, 3, 4, 8, 0, tzinfo=UTC), "ends_at": datetime(2027, 3, 4, 15, 0, tzinfo=UTC)}]
    assert czech.days(late) == "3. 3. – 4. 3. 2027"  # 00:30 on the 3rd in Prague
    with pytest.raises(ValueError):
        czech.days([])


def test_each_session_is_written_as_an_event_time_is():
    assert czech.session("2027-03-03T13:00:00+01:00", "2027-03-03T16:30:00+01:00") == "st 3. 3. 2027 v 13:00 – 16:30"
    assert (czech.session(datetime(2026, 12, 4, 17, 0, tzinfo=UTC), datetime(2026, 12, 5, 11, 0, tzinfo=UTC))
            == "pá 4. 12. 2026 v 18:00 – so 5. 12. 2026 v 12:00")


def test_the_programme_names_a_session_s_own_title_and_venue_only():
    event = {"venue": "Plzeň", "starts_at": "2027-03-03T13:00:00+01:00", "ends_at": "2027-03-17T16:30:00+01:00",
             "sessions": [dict(sessions(3)[0], title="Úvod", venue=None),
                          dict(sessions(10)[0], title=None, venue="Plzeň"),
                          dict(sessions(17)[0], title="Praxe", venue="Rokycany, sál")]}
    assert czech.sessions(event) == ["st 3. 3. 2027 v 13:00 – 16:30 · Úvod", "st 10. 3. 2027 v 13:00 – 16:30",
                                     "st 17. 3. 2027 v 13:00 – 16:30 · Praxe · Rokycany, sál"]


def test_an_event_without_sessions_is_one_session():
    event = {"venue": "Plzeň", "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T15:00:00+01:00"}
    assert czech.sessions(dict(event, sessions=None)) == ["út 8. 12. 2026 v 9:00 – 15:00"]
    assert czech.schedule(event) == [{"starts_at": event["starts_at"], "ends_at": event["ends_at"], "title": None,
                                      "venue": "Plzeň"}]
