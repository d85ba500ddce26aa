"""Invoice and credit-note numbers under concurrency: unique and gapless, also when some of the
transactions that took a number roll back; and one statement imported twice at the same moment
pays nothing twice. Real concurrency on PostgreSQL; on SQLite the same run is serialised."""
import base64

import eventlet

from services.common.unit_of_work import unit_of_work
from services.payments import store, usecases
from tests import statements
from tests.unit.payments.conftest import NOW, payload


class Refused(Exception):
    pass


def test_invoice_numbers_stay_unique_and_gapless_when_issued_at_once(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    for registration_id in range(1, 41):
        payments.on_registration_confirmed(payload(registration_id, ico=None, email=f"p{registration_id}@x.example"))
    settings = payments.settings

    def issue(registration_id):
        try:
            with unit_of_work(payments.database, lambda: NOW, payments.outbox) as uow:
                [request] = store.requests_of(uow.conn, [registration_id], lock=True)
                document = usecases.issue_invoice(uow, settings, [request], usecases.person_customer(request))
                if registration_id % 5 == 0:
                    raise Refused()  # a failure after the number was taken: it is given back
                return document["number"]
        except Refused:
            return None

    numbers = [n for n in eventlet.GreenPool(12).imap(issue, range(1, 41)) if n]
    assert len(numbers) == 32
    assert sorted(numbers) == [f"FV-2026-{n:04d}" for n in range(1, 33)]

    def cancel(number):
        with unit_of_work(payments.database, lambda: NOW, payments.outbox) as uow:
            return usecases.cancel_invoice(uow, settings, number, "Storno")["number"]

    notes = list(eventlet.GreenPool(12).imap(cancel, numbers[:20]))
    assert sorted(notes) == [f"OD-2026-{n:04d}" for n in range(1, 21)]


def test_one_statement_imported_twice_at_once_pays_once(payments):
    for registration_id in range(1, 21):
        payments.on_registration_confirmed(payload(registration_id, is_member=True))
    statement = base64.b64encode(statements.camt053([
        {"bank_id": f"S{n}", "amount_halere": 90000, "variable_symbol": f"1{n:09d}"} for n in range(1, 21)])).decode()
    reports = list(eventlet.GreenPool(2).imap(payments.import_statement, [statement, statement]))
    assert sum(r["matched"] for r in reports) == 20
    assert len(payments.recorded("payment_received")) == 20
    assert payments.unpaid() == []


def test_after_a_restore_every_number_register_goes_on_past_the_gap(payments):
    """tools/backup.py after a restore: invoices, credit notes and group symbols jump by the gap,
    also a year's register the backup did not have yet (numbers may have been given in it after
    the backup); the statement imports' lock is no register and stays."""
    payments.config["INVOICE_MODE"] = "on_request"
    for registration_id in (1, 2, 3, 4):
        payments.on_registration_confirmed(payload(registration_id))  # one town's people
    settings = payments.settings

    def invoice(*registration_ids):
        with unit_of_work(payments.database, lambda: NOW, payments.outbox) as uow:
            requests = store.requests_of(uow.conn, list(registration_ids), lock=True)
            return usecases.issue_invoice(uow, settings, requests, usecases.person_customer(requests[0]))

    first = invoice(1)
    with unit_of_work(payments.database, lambda: NOW, payments.outbox) as uow:
        usecases.cancel_invoice(uow, settings, first["number"], "Storno")
        store.next_number(uow.conn, "statement-imports")
    with payments.database.transaction() as conn:
        following = store.skip_numbers(conn, 1000, [2026, 2027])
    assert following == {"invoice-2026": 1002, "credit_note-2026": 1002, "invoice-2027": 1001,
                         "credit_note-2027": 1001, "group-vs": 1001}
    assert invoice(2)["number"] == "FV-2026-1002"
    group = invoice(3, 4)
    assert (group["number"], group["variable_symbol"]) == ("FV-2026-1003", "2000001001")
    with payments.database.transaction() as conn:
        assert store.next_number(conn, "statement-imports") == 2
