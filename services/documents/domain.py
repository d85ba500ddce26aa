"""The documents service's rules about certificates, free of I/O: what the register keeps of a
certificate, what its public verification page tells a stranger, and how a typed name is compared.

The verification page is public and certificate numbers run in sequence, so it tells only what a
certificate itself shows its reader, with the holder reduced to initials; the full name is only
confirmed (or not) to someone who types it.
"""
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.common import czech

# What the register keeps of each certificate besides its number and dates (``register_entry``).
ENTRY_FIELDS = ("holder_first_name", "holder_last_name", "programme", "accreditation_number", "held_on", "hours")


def certificate_number(year: int, number: int) -> str:
    """A certificate's number as printed: ``2026/0001``."""
    return f"{year}/{number:04d}"


def held_on(event: Mapping[str, Any]) -> str:
    """The certificate's "Datum konání": the day, or for an event of several sessions their range
    of days with each day named (``3. 3. – 17. 3. 2027 (3. 3. 2027, 17. 3. 2027)``)."""
    sessions = event.get("sessions")
    if sessions:
        return f"{czech.days(sessions)} ({', '.join(czech.day(s['starts_at']) for s in sessions)})"
    starts = event["starts_at"]
    return czech.date(datetime.fromisoformat(starts) if isinstance(starts, str) else starts)


def certificate_hours(registration: Mapping[str, Any], event: Mapping[str, Any]) -> int:
    """The hours a certificate states: those registrations gives as the person's (``attended_hours``,
    the hours of the sessions attended); the programme's hours where it gives none."""
    hours = registration.get("attended_hours")
    return int(event["hours"] if hours is None else hours)


def days_attended(registration: Mapping[str, Any], event: Mapping[str, Any]) -> str | None:
    """The days a person attended of an event of several sessions, when not all of them
    (``3. 3. 2027, 17. 3. 2027``); None when they attended every session or it has none."""
    sessions, attended = event.get("sessions") or [], registration.get("sessions_attended")
    if not sessions or attended is None or len(set(attended)) >= len(sessions):
        return None
    return ", ".join(czech.day(sessions[index]["starts_at"]) for index in sorted(set(attended))
                     if 0 <= index < len(sessions))


def register_entry(registration: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """What the register keeps of a certificate, as the certificate states it when first issued:
    the holder's name, the programme, its accreditation, date and hours. Kept apart from the
    registration, which loses the person after REGISTRATIONS_KEEP_YEARS."""
    return {"holder_first_name": registration["first_name"], "holder_last_name": registration["last_name"],
            "programme": event["title"], "accreditation_number": event.get("accreditation_number"),
            "held_on": held_on(event), "hours": certificate_hours(registration, event)}


def normalised_name(text: str) -> str:
    """A name as typed, for comparing: Unicode NFC, case folded, runs of white space as one space.
    Diacritics count: ``Šťastný`` is not ``Stastny``."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.split())


def holder_matches(entry: Mapping[str, Any], typed: str) -> bool:
    """Whether ``typed`` is the holder's name, first name first or surname first."""
    first, last = entry.get("holder_first_name"), entry.get("holder_last_name")
    given = normalised_name(typed or "")
    if not first or not last or not given:
        return False
    return given in {normalised_name(f"{first} {last}"), normalised_name(f"{last} {first}")}


def initials(first_name: str, last_name: str) -> str:
    """``J. N.`` for Jana Nováková; ``J. M. N.-S.`` for Jana Marie Nováková-Svobodová."""
    words = f"{first_name} {last_name}".split()
    return " ".join("-".join(f"{part[0].upper()}." for part in word.split("-") if part) for word in words)


def holders_kept_since(now: datetime, keep_years: int) -> datetime:
    """Certificates issued before this moment no longer keep their holder and programme."""
    return now - timedelta(days=365 * keep_years)


def public_view(certificate: Mapping[str, Any], typed_name: str | None = None) -> dict[str, Any]:
    """What the public verification page and API tell of ``certificate`` (a register row): that it
    was issued and is valid (an issued certificate is never withdrawn), its programme, date and
    hours, the holder's initials; with ``typed_name``, whether it is the holder's name. A row whose
    holder the register no longer keeps (past CERTIFICATES_KEEP_YEARS, or erased at the person's
    request) says so, and no name matches it."""
    holder_known = bool(certificate.get("holder_first_name") and certificate.get("holder_last_name"))
    duplicate: datetime | None = certificate.get("duplicate_issued_at")
    return {
        "number": certificate_number(certificate["year"], certificate["number"]),
        "valid": True,
        "issued_on": czech.local(certificate["issued_at"]).date().isoformat(),
        "duplicate_issued_on": czech.local(duplicate).date().isoformat() if duplicate else None,
        "programme": certificate.get("programme"),
        "accreditation_number": certificate.get("accreditation_number"),
        "held_on": certificate.get("held_on"),
        "hours": certificate.get("hours"),
        "holder_known": holder_known,
        "holder_initials": initials(certificate["holder_first_name"], certificate["holder_last_name"])
        if holder_known else None,
        "name_checked": typed_name is not None,
        "name_matches": holder_matches(certificate, typed_name) if typed_name is not None else None,
    }


_NUMBER = re.compile(r"^([0-9]{4})/([0-9]{1,8})$")


def parse_number(text: str) -> tuple[int, int] | None:
    """``2026/0001`` as ``(2026, 1)``; None for anything else."""
    found = _NUMBER.match((text or "").strip())
    return (int(found.group(1)), int(found.group(2))) if found else None
