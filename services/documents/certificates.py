"""The certificate register: numbers like 2026/0001, sequential per year, never reused."""
from sqlalchemy.exc import IntegrityError

from services.common.czech import local
from services.common.errors import Conflict

from . import store


def certificate_number(certificate) -> str:
    return f"{certificate['year']}/{certificate['number']:04d}"


def check_certificate_due(registration, event):
    if not event.get("accreditation_number"):
        raise Conflict("not_accredited", "Osvědčení se vydává jen u akreditovaných vzdělávacích programů.")
    if registration["status"] != "confirmed" or not registration.get("attended_at"):
        raise Conflict("not_attended", "Účast této osoby na akci nebyla potvrzena.")


def issue(database, registration_id, now, count_copy=True):
    """The certificate of a registration: a new number the first time, the same one (as a
    duplicate) every time after. Returns ``(certificate, is_duplicate)``."""
    try:
        with database.transaction() as session:
            existing = store.get_certificate(session, registration_id)
            if existing:
                return (store.count_copy(session, registration_id) if count_copy else existing), True
            year = local(now).year
            return store.add_certificate(session, registration_id, year, store.next_number(session, year), now), False
    except IntegrityError:
        # issued at this very moment by another worker: this one is the duplicate
        with database.transaction() as session:
            return store.count_copy(session, registration_id), True
