"""The accessibility statement's days (zákon č. 99/2019 Sb., /pristupnost): the office writes them in
deploy/config.yaml as it likes, and the page shows them the Czech way or says what is wrong, never fails."""
import re
from datetime import date, datetime

_CZECH = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})")


def statement_day(value: object) -> date | None:
    """The day a setting names: a date (YAML reads ``2026-12-07`` as one), ``2026-12-07`` or
    ``7. 12. 2026`` as text; None when it is empty. A ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    typed = str(value).strip()
    czech = _CZECH.fullmatch(typed)
    if czech:
        day, month, year = (int(part) for part in czech.groups())
        return date(year, month, day)
    return date.fromisoformat(typed)


def shown_day(value: object) -> str | None:
    """The day as the page shows it (``7. 12. 2026``); a value that names no day is shown as it was
    written, so that a typo in the settings is seen on the page rather than breaking it."""
    try:
        day = statement_day(value)
    except ValueError:
        return str(value).strip()
    return None if day is None else f"{day.day}. {day.month}. {day.year}"
