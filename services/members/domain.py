"""The register's rules: search folding, membership periods, the CSV import."""
import csv
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from services.common import spreadsheet
from services.common.errors import Conflict, ValidationError
from services.common.membership import is_member_on
from services.common.vocabulary import DeliveryChannel, LookupSource, LookupStatus

DISTRICTS = ("Plzeň-město", "Plzeň-jih", "Plzeň-sever", "Rokycany", "Klatovy", "Domažlice", "Tachov")
# How an organisation wants its invoices, credit notes and certificates: email stays the default.
DELIVERY_CHANNELS = tuple(DeliveryChannel)
KINDS = ("obec", "městys", "město", "statutární město", "dobrovolný svazek obcí", "MAS", "jiný")

# How long ARES's answer about an IČO is kept. A subject's name or seat changes rarely; a month
# spares ARES and the person's wait. "Not found" is kept a day only: a new subject appears in
# ARES days after it is founded, and an IČO typed wrong is seldom typed the same way again.
ARES_FOUND_KEPT = timedelta(days=30)
ARES_NOT_FOUND_KEPT = timedelta(days=1)
_LOOKUP_FIELDS = ("name", "address", "dic", "district", "kind")

# One membership: its first and last member day (``to`` None while it lasts).
Period = TypedDict("Period", {"from": date, "to": date | None})


def ares_fresh(kept: Mapping[str, Any], now: datetime) -> bool:
    """Is a kept ARES answer (``found``, ``fetched_at``) still good at ``now``?"""
    fetched_at: datetime = kept["fetched_at"]
    return now - fetched_at < (ARES_FOUND_KEPT if kept["found"] else ARES_NOT_FOUND_KEPT)


def lookup_answer(ico: str, status: LookupStatus, source: LookupSource | None = None,
                  found: Mapping[str, Any] | None = None, is_member: bool = False,
                  fetched_at: datetime | None = None, message: str | None = None) -> dict[str, Any]:
    """The answer of a lookup by IČO: ``status`` found, not_found or unavailable; ``source``
    register or ares; the fields of ``found`` (a dict), the rest None."""
    return dict({field: (found or {}).get(field) for field in _LOOKUP_FIELDS}, ico=ico, status=status,
                source=source, is_member=is_member, message=message,
                fetched_at=fetched_at.isoformat() if fetched_at is not None else None)


def ares_lookup_answer(ico: str, kept: Mapping[str, Any]) -> dict[str, Any]:
    """The answer from a kept ARES answer (a row: ``found``, the fields, ``fetched_at``)."""
    if kept["found"]:
        return lookup_answer(ico, LookupStatus.FOUND, LookupSource.ARES, kept, fetched_at=kept["fetched_at"])
    return lookup_answer(ico, LookupStatus.NOT_FOUND, LookupSource.ARES, fetched_at=kept["fetched_at"],
                         message=f"Organizace s IČO {ico} není v evidenci sdružení ani v registru ARES.")
def fold(text: str) -> str:
    """Lower case without diacritics: ``Plzeň`` and ``plzen`` fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_terms(query: object) -> tuple[list[str], str | None]:
    """``(name word prefixes, IČO prefix)`` of what someone typed: digits search IČOs."""
    folded = fold(str(query or "")).strip()
    if folded.isdigit():
        return [], folded[:8]
    return [word for word in re.split(r"[\s\-,.()]+", folded) if word][:5], None


def matches(query: str, ico: str, name: str) -> bool:
    """Does ``query`` find this organisation: every word a prefix of a word of its name, or its IČO?"""
    words, ico_prefix = search_terms(query)
    if ico_prefix is not None:
        return ico.startswith(ico_prefix)
    name_words = re.split(r"[\s\-,.()]+", fold(name))
    return bool(words) and all(any(word.startswith(part) for word in name_words) for part in words)


def email_key(email: str | None) -> str | None:
    return email.strip().casefold() if email else None


# The register's CSV: column names in English or Czech, `;` or `,` between them.
COLUMNS = {
    "ico": ("ico", "ičo"), "name": ("name", "název", "nazev"), "kind": ("kind", "druh"),
    "district": ("district", "okres"), "address": ("address", "adresa"), "email": ("email", "e-mail"),
    "phone": ("phone", "telefon"), "member_since": ("member_since", "členem od", "clenem od"),
    "dic": ("dic", "dič"), "billing_email": ("billing_email", "e-mail pro faktury"),
}
_HEADER = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}
_LABELS = {"ico": "IČO", "name": "název", "kind": "druh", "district": "okres", "address": "adresa",
           "email": "e-mail", "phone": "telefon", "member_since": "členem od", "member_until": "členem do",
           "dic": "DIČ", "billing_email": "e-mail pro faktury",
           "delivery_channel": "doručování dokladů"}


CZECH_DAY = re.compile(r"\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s*")


def iso_day(text: str | None) -> str | None:
    """A day as Czech Excel saves it (``1.1.2005``, ``01. 01. 2005``) in ISO, ``2005-01-01``;
    anything else as it was (checked as a date afterwards)."""
    found = CZECH_DAY.fullmatch(text or "")
    if not found:
        return text
    day, month, year = (int(part) for part in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def column_label(field: str) -> str:
    return _LABELS.get(field, field)


def check_register_text(text: str) -> None:
    """Refuse the whole file, naming its line, when it holds garbled characters: nothing is stored."""
    line = spreadsheet.garbled_line(text)
    if line is not None:
        message = (f"Soubor obsahuje na řádku {line} nečitelné znaky (špatné kódování). Uložte ho prosím "
                   f"z Excelu jako „CSV UTF-8“ nebo „CSV (oddělený středníkem)“; nic nebylo nahráno.")
        raise ValidationError({"file": message}, message, "bad_encoding")


def read_register_csv(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row dict)`` for each data row; empty cells are left out."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines:
        return
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [_HEADER.get(name.strip().casefold(), name.strip()) for name in next(reader)]
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        yield line, {name: cell.strip() for name, cell in zip(header, cells, strict=False) if cell.strip()}


def join(periods: list[Period], on_date: date) -> list[Period]:
    """The periods with a new membership starting ``on_date``; refused while one is open."""
    if any(period["to"] is None for period in periods):
        raise Conflict("already_member", "Organizace už je členem sdružení.")
    if any(period["to"] is not None and on_date <= period["to"] for period in periods):
        raise ValidationError({"member_since": "Členství nemůže začít dříve, než skončilo předchozí."})
    return periods + [{"from": on_date, "to": None}]


def leave(periods: list[Period], on_date: date) -> list[Period]:
    """The periods with the open membership ending on ``on_date`` (its last member day)."""
    open_periods = [period for period in periods if period["to"] is None]
    if not open_periods:
        raise Conflict("not_member", "Organizace není členem sdružení.")
    current = open_periods[0]
    if on_date < current["from"]:
        raise ValidationError({"on_date": "Konec členství nemůže být dřív než jeho začátek."})
    return [period if period is not current else {"from": current["from"], "to": on_date} for period in periods]


# Browsing the register: who is a member on a day, and pages of a list.
MEMBERSHIPS = ("member", "non_member", "former")


def membership_status(periods: Sequence[Mapping[str, date | None]], on_date: date) -> str:
    """``member`` on ``on_date``; ``former`` when a membership ended before it; else ``non_member``
    (never a member, or one that starts later)."""
    if is_member_on(periods, on_date):
        return "member"
    if any(period["to"] is not None and period["to"] < on_date for period in periods):
        return "former"
    return "non_member"


def page_of(items: list[Any], page: int | str, per_page: int | str) -> dict[str, Any]:
    """One page of ``items``: ``items``, ``page`` (1-based, kept within the pages there are),
    ``pages`` (at least 1), ``total``."""
    per_page = max(1, min(int(per_page), 200))
    pages = max(1, -(-len(items) // per_page))
    page = max(1, min(int(page), pages))
    return {"items": items[(page - 1) * per_page:page * per_page], "page": page, "pages": pages,
            "per_page": per_page, "total": len(items)}


def set_membership(periods: list[Period], since: date | None, until: date | None) -> list[Period]:
    """The periods after staff set the membership's start ``since`` and end ``until`` (its last
    member day, None while open) on the organisation's form.

    With no membership yet, or ``since`` after the last one ended, a new membership starts
    (``join``) and ends on ``until`` (``leave``); otherwise the last membership is corrected to
    these days, never overlapping the one before. A start cannot be cleared (that would erase
    history): a membership is ended instead."""
    if since is None:
        if until is not None:
            raise ValidationError({"member_since": "Zadejte, odkdy je organizace členem."})
        if periods:
            raise ValidationError({"member_since": "Začátek členství nelze smazat; chcete-li členství "
                                                   "ukončit, vyplňte „Členem do“."})
        return periods
    if until is not None and until < since:
        raise ValidationError({"member_until": "Konec členství nemůže být dřív než jeho začátek."})
    last = periods[-1] if periods else None
    if last is None or (last["to"] is not None and since > last["to"]):
        joined = join(periods, since)
        return leave(joined, until) if until is not None else joined
    if last["to"] is None and since == last["from"] and until is not None:
        return leave(periods, until)  # the open membership ends
    earlier = periods[:-1]
    if earlier and earlier[-1]["to"] is not None and since <= earlier[-1]["to"]:
        raise ValidationError({"member_since": "Členství nemůže začít dříve, než skončilo předchozí."})
    return earlier + [{"from": since, "to": until}]


def membership_event(before: list[Period], after: list[Period]) -> str | None:
    """The event a change of periods announces: ``organisation_joined`` for a new membership,
    ``organisation_left`` when the open one was ended, ``organisation_updated`` for a correction,
    None when nothing changed."""
    if before == after:
        return None
    if len(after) > len(before):
        return "organisation_joined"
    if before and before[-1]["to"] is None and after[-1]["to"] is not None:
        return "organisation_left"
    return "organisation_updated"


def portal_contact(contacts: Sequence[Mapping[str, Any]],
                   organisation_names: Mapping[str, str]) -> dict[str, Any] | None:
    """Of the contacts with one address whose access to the municipality's page is on (oldest
    first), the one who logs in: the oldest. An address at two organisations logs in to the one
    where it was entered first; staff withdraw the access there to move it. None when none."""
    for contact in contacts:
        if contact["email"] and contact["portal_access"]:
            return {"ico": contact["ico"], "organisation_name": organisation_names[contact["ico"]],
                    "contact_id": contact["id"], "first_name": contact["first_name"],
                    "last_name": contact["last_name"]}
    return None
