"""The certificate register: numbers like 2026/0001, sequential per year, never reused."""
from sqlalchemy.exc import IntegrityError

from services.common.czech import local
from services.common.errors import Conflict, NotFound
from services.common.unit_of_work import unit_of_work
from services.common.vocabulary import RegistrationStatus

from . import domain, store, usecases


def certificate_number(certificate) -> str:
    return domain.certificate_number(certificate["year"], certificate["number"])


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


def issue(database, clock, registration_id, entry=None):
    """The certificate of a registration in the register: a new number the first time, the same
    certificate every time after (what the email carried is what staff open), with the version of
    the office's text active when it was first issued. ``entry``
    (``domain.register_entry``) is what the register keeps of it: written with the number, or
    later for a certificate issued before the register kept it. Returns ``(certificate, existed)``.

    It opens its own units of work (the moment read from ``clock``), not one given by the caller:
    a number taken at this very moment by another worker aborts the first, and the certificate is
    read in a second."""
    try:
        with unit_of_work(database, clock) as uow:
            conn = uow.conn
            existing = store.get_certificate(conn, registration_id)
            if existing:
                if entry and existing["programme"] is None:
                    existing = store.keep_entry(conn, registration_id, entry)
                return existing, True
            year = local(uow.now).year
            # The office's text active now stays this certificate's, whatever is saved later.
            return store.add_certificate(conn, registration_id, year, store.next_number(conn, year), uow.now,
                                         entry, text_version=usecases.active_version(conn)), False
    except IntegrityError:
        # issued at this very moment by another worker: the same certificate
        with database.transaction() as conn:
            return store.get_certificate(conn, registration_id), True


def issue_duplicate(uow, registration_id):
    """Staff issue a duplicate (the person lost the certificate): recorded in the register with
    its date; same number. Refused when the certificate itself was never issued."""
    if store.get_certificate(uow.conn, registration_id) is None:
        raise Conflict("certificate_not_issued", "Osvědčení této osobě zatím nebylo vydáno: duplikát nelze "
                                                 "vystavit.")
    return store.count_copy(uow.conn, registration_id, uow.now)


def find(conn, number_text):
    """The register's row of certificate ``2026/0001``; NotFound (a Czech sentence saying that no
    such certificate was issued) for a number not in the register or not a number at all."""
    parsed = domain.parse_number(number_text)
    found = None if parsed is None else store.get_by_number(conn, *parsed)
    if found is None:
        raise NotFound("certificate_not_found", f"Osvědčení s číslem {str(number_text)[:20]} jsme nevydali: v našem "
                                                "registru vydaných osvědčení není.")
    return found


def erase_holders(uow, registration_ids=None, issued_before=None):
    """Empty the register of these holders' names (see ``store.erase_holders``)."""
    return store.erase_holders(uow.conn, uow.now, registration_ids=registration_ids, issued_before=issued_before)
