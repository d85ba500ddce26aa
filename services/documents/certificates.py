"""The certificate register: numbers like 2026/0001, sequential per year, never reused."""
from sqlalchemy.exc import IntegrityError

from services.common.czech import local
from services.common.errors import Conflict
from services.common.vocabulary import RegistrationStatus

from . import store


def certificate_number(certificate) -> str:
    return f"{certificate['year']}/{certificate['number']:04d}"


def check_certificate_due(registration, event):
    """A certificate exists only once registrations issued it (after the event, to an attendee:
    ``certificate_sent_at``); before that nothing is rendered, not even for staff."""
    if not event.get("accreditation_number"):
        raise Conflict("not_accredited", "Osvědčení se vydává jen u akreditovaných vzdělávacích programů.")
    if registration["status"] != RegistrationStatus.CONFIRMED or not registration.get("attended_at"):
        raise Conflict("not_attended", "Účast této osoby na akci nebyla potvrzena.")
    if not registration.get("certificate_sent_at"):
        raise Conflict("certificate_not_issued", "Osvědčení této osobě zatím nebylo vydáno. Vydává se po skončení "
                                                 "akce tlačítkem „Vydat osvědčení“ (u přihlášky s poplatkem po "
                                                 "zaplacení nebo po uvolnění bez platby).")


def issue(database, registration_id, now):
    """The certificate of a registration in the register: a new number the first time, the same
    certificate every time after (what the email carried is what staff open). Returns
    ``(certificate, existed)``."""
    try:
        with database.transaction() as session:
            existing = store.get_certificate(session, registration_id)
            if existing:
                return existing, True
            year = local(now).year
            return store.add_certificate(session, registration_id, year, store.next_number(session, year), now), False
    except IntegrityError:
        # issued at this very moment by another worker: the same certificate
        with database.transaction() as session:
            return store.get_certificate(session, registration_id), True


def issue_duplicate(database, registration_id, now):
    """Staff issue a duplicate (the person lost the certificate): recorded in the register with
    its date; same number. Refused when the certificate itself was never issued."""
    with database.transaction() as session:
        if store.get_certificate(session, registration_id) is None:
            raise Conflict("certificate_not_issued", "Osvědčení této osobě zatím nebylo vydáno: duplikát nelze "
                                                     "vystavit.")
        return store.count_copy(session, registration_id, now)
