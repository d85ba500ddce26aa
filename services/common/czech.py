"""Dates and amounts the way Czech readers write them, in Europe/Prague."""
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from datetime import date as calendar_date
from typing import Any
from zoneinfo import ZoneInfo

from services.common.vocabulary import EventFormat, EventKind

PRAGUE = ZoneInfo("Europe/Prague")
WEEKDAYS = ("po", "út", "st", "čt", "pá", "so", "ne")


def local(moment: datetime) -> datetime:
    """The moment in Prague time; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PRAGUE)


def date_time(moment: datetime) -> str:
    """``27. 11. 2026 9:00``."""
    m = local(moment)
    return f"{m.day}. {m.month}. {m.year} {m.hour}:{m.minute:02d}"


def date_time_seconds(moment: datetime) -> str:
    """``27. 11. 2026 9:00:05``: where two moments a few seconds apart must be told apart (the door)."""
    m = local(moment)
    return f"{date_time(m)}:{m.second:02d}"


def date(moment: datetime) -> str:
    """``27. 11. 2026``."""
    m = local(moment)
    return f"{m.day}. {m.month}. {m.year}"


def day(value: calendar_date | datetime | str) -> str:
    """A calendar day, ``8. 12. 2026``, from a date or its ISO text."""
    d = calendar_date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{d.day}. {d.month}. {d.year}"


def time(moment: datetime) -> str:
    """``9:00``."""
    m = local(moment)
    return f"{m.hour}:{m.minute:02d}"


def weekday_date_time(moment: datetime) -> str:
    """``út 8. 12. 2026 v 9:00``."""
    m = local(moment)
    return f"{WEEKDAYS[m.weekday()]} {m.day}. {m.month}. {m.year} v {m.hour}:{m.minute:02d}"


def plural(count: int, one: str, few: str, many: str) -> str:
    """``1 osoba``, ``3 osoby``, ``5 osob``."""
    if count == 1:
        return f"{count} {one}"
    if 2 <= count <= 4:
        return f"{count} {few}"
    return f"{count} {many}"


def price(amount: int) -> str:
    """``1 200 Kč``, or ``zdarma`` for nothing."""
    if not amount:
        return "zdarma"
    return f"{amount:,}".replace(",", "\u00a0") + "\u00a0Kč"


def money(halere: int) -> str:
    """An exact amount in haléře as written on invoices: ``1 234,50 Kč``, ``−900,00 Kč``."""
    sign = "−" if halere < 0 else ""
    crowns, cents = divmod(abs(int(halere)), 100)
    return f"{sign}{crowns:,}".replace(",", "\u00a0") + f",{cents:02d}\u00a0Kč"


def money_typed(halere: int) -> str:
    """An amount as a person types it into a bank's payment form: ``1500``, ``1234,50``
    (no spaces, no currency: pasted into the amount field, it goes through)."""
    crowns, cents = divmod(int(halere), 100)
    return f"{crowns}" if not cents else f"{crowns},{cents:02d}"


FILE_SIZE_UNITS = ("kB", "MB", "GB")


def file_size(size: int) -> str:
    """A file's size as Czech readers write it: ``512 B``, ``12 kB``, ``1,4 MB``. Steps of 1024,
    as the upload limit (``10 MB``) is counted, so a file at the limit reads ``10 MB``; one
    decimal below ten, none above."""
    if size < 1024:
        return f"{size}\u00a0B"
    value, units = size / 1024, list(FILE_SIZE_UNITS)
    while round(value, 1) >= 1024 and len(units) > 1:  # 1 048 575 B is 1 MB, not 1024 kB
        value, units = value / 1024, units[1:]
    shown = f"{value:.1f}" if round(value, 1) < 10 else f"{value:.0f}"
    return shown.replace(".", ",").removesuffix(",0") + "\u00a0" + units[0]


MONTHS = ("leden", "únor", "březen", "duben", "květen", "červen", "červenec", "srpen", "září", "říjen",
          "listopad", "prosinec")
# What a month is typed as: ``2028-04`` (as a month field sends it), ``4/2028``, ``4. 2028``, ``04 2028``.
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})|(?P<month2>\d{1,2})\s*[./ ]\s*(?P<year2>\d{4})")
MONTH_YEARS = (2000, 2099)
MONTH_FORMAT = "Měsíc zadejte jako rok a měsíc, například 2028-04 (roky 2000 až 2099)."


def month_of(text: str | None) -> tuple[int, int] | None:
    """The month typed as ``2028-04`` (or ``4/2028``, ``4. 2028``) as ``(2028, 4)``; None when it
    is no month of the years 2000 to 2099."""
    found = _MONTH.fullmatch((text or "").strip())
    if found is None:
        return None
    year = int(found.group("year") or found.group("year2"))
    month = int(found.group("month") or found.group("month2"))
    if not 1 <= month <= 12 or not MONTH_YEARS[0] <= year <= MONTH_YEARS[1]:
        return None
    return year, month


def month_name(year: int, month: int) -> str:
    """``duben 2028``."""
    return f"{MONTHS[month - 1]} {year}"


def month_days(year: int, month: int) -> tuple[calendar_date, calendar_date]:
    """The first and the last day of the month."""
    first = calendar_date(year, month, 1)
    following = calendar_date(year + month // 12, month % 12 + 1, 1)
    return first, calendar_date.fromordinal(following.toordinal() - 1)


def month_moments(year: int, month: int) -> tuple[datetime, datetime]:
    """The month in Prague time as UTC moments: from its first midnight, up to (not including)
    the next month's."""
    first, last = month_days(year, month)
    following = calendar_date.fromordinal(last.toordinal() + 1)
    return (datetime(first.year, first.month, 1, tzinfo=PRAGUE).astimezone(UTC),
            datetime(following.year, following.month, 1, tzinfo=PRAGUE).astimezone(UTC))


EVENT_KINDS: dict[str, str] = {EventKind.SEMINAR: "seminář", EventKind.TRAINING: "školení",
                               EventKind.GOOD_PRACTICE: "setkání dobré praxe"}


def event_kind(kind: str) -> str:
    """The Czech name of an event kind: ``seminář``."""
    return EVENT_KINDS.get(kind, kind)


def percent(rate: float | None) -> str:
    """A share as Czech write it, ``87,5 %`` (``100 %``), or a dash when there is none (None)."""
    if rate is None:
        return "–"
    text = f"{rate * 100:.1f}".replace(".", ",")
    return (text[:-2] if text.endswith(",0") else text) + "\u00a0%"


def _when(value: datetime | str) -> datetime:
    return local(datetime.fromisoformat(value) if isinstance(value, str) else value)


def schedule(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An event's sessions in order (``starts_at``, ``ends_at``, ``title``, ``venue``); an event
    without sessions is one session from its start to its end. Values stay as given (datetimes
    or ISO texts); a session without a venue takes the event's."""
    sessions = event.get("sessions") or [{"starts_at": event["starts_at"], "ends_at": event["ends_at"]}]
    return [dict(item, title=item.get("title") or None, venue=item.get("venue") or event.get("venue"))
            for item in sessions]


def session(starts: datetime | str, ends: datetime | str) -> str:
    """One session as the event's time is written everywhere: ``st 3. 3. 2027 v 9:00 – 16:00``,
    with both days when it passes midnight (``pá 4. 12. 2026 v 18:00 – so 5. 12. 2026 v 12:00``)."""
    s, e = _when(starts), _when(ends)
    return f"{weekday_date_time(s)} – {time(e) if s.date() == e.date() else weekday_date_time(e)}"


def days(sessions: Sequence[Mapping[str, Any]]) -> str:
    """The days a set of sessions spans, as Czech readers write a range: ``3. 3. 2027`` for one
    day, ``3. 3. – 17. 3. 2027`` within a year, ``30. 12. 2026 – 2. 1. 2027`` across one.
    ``sessions`` are dicts with ``starts_at`` and ``ends_at`` (datetimes or ISO texts)."""
    if not sessions:
        raise ValueError("no sessions")
    first, last = _when(sessions[0]["starts_at"]).date(), _when(sessions[-1]["ends_at"]).date()
    if first == last:
        return day(first)
    if first.year == last.year:
        return f"{first.day}. {first.month}. – {day(last)}"
    return f"{day(first)} – {day(last)}"


def sessions(event: Mapping[str, Any]) -> list[str]:
    """The lines of an event's programme, one a session: ``st 3. 3. 2027 v 9:00 – 16:00``, then its
    title and its venue where it is not the event's (``… · Modul 2 · Rokycany``)."""
    lines: list[str] = []
    for item in schedule(event):
        parts = [session(item["starts_at"], item["ends_at"]), item["title"]]
        parts.append(item["venue"] if item["venue"] != event.get("venue") else None)
        lines.append(" · ".join(part for part in parts if part))
    return lines


EVENT_FORMATS: dict[str, str] = {EventFormat.IN_PERSON: "prezenčně", EventFormat.ONLINE: "online (webinář)",
                                 EventFormat.HYBRID: "hybridně (na místě i online)"}


def event_format(event_format: str) -> str:
    """How an event is attended, in Czech: ``online (webinář)``."""
    return EVENT_FORMATS.get(event_format, event_format)
