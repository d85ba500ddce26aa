"""Dates and amounts the way Czech readers write them, in Europe/Prague."""
from datetime import UTC, datetime
from datetime import date as calendar_date
from zoneinfo import ZoneInfo

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


def date(moment: datetime) -> str:
    """``27. 11. 2026``."""
    m = local(moment)
    return f"{m.day}. {m.month}. {m.year}"


def day(value) -> str:
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


EVENT_KINDS = {"seminar": "seminář", "training": "školení", "good_practice": "setkání dobré praxe"}


def event_kind(kind: str) -> str:
    """The Czech name of an event kind: ``seminář``."""
    return EVENT_KINDS.get(kind, kind)


EVENT_FORMATS = {"in_person": "prezenčně", "online": "online (webinář)", "hybrid": "hybridně (na místě i online)"}


def event_format(event_format: str) -> str:
    """How an event is attended, in Czech: ``online (webinář)``."""
    return EVENT_FORMATS.get(event_format, event_format)
