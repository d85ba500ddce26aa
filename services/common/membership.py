"""Membership periods: the one rule of who is a member on a given day.

Both the members service (the register) and the registrations service (its
copy, fed by events) answer with this function, so they cannot disagree.
"""
from collections.abc import Iterable, Mapping
from datetime import date


def is_member_on(periods: Iterable[Mapping[str, date | str | None]], on_date: date) -> bool:
    """True when ``on_date`` falls within a period; ``to`` is the last member day."""
    for period in periods:
        start = _day(period["from"])
        end = _as_date(period.get("to"))
        if start <= on_date and (end is None or on_date <= end):
            return True
    return False


def _day(value: date | str | None) -> date:
    """A period's first day, which every period has."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)  # type: ignore[arg-type]  # None raises, as it always did


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
