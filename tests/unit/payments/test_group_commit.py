"""The registrations' events of a rush recorded a group at a time: one transaction for the
handlers that came together (all together; should one fail on its own, again each in its
savepoint); an item failing alone gives its invoice number back (no gap), the others commit."""
from unittest import mock

import eventlet
import pytest
import sqlalchemy as sa

from services.common.vocabulary import PaymentStatus
from services.payments import store, usecases
from tests.unit.payments.conftest import payload

FAILING = 111


def test_twenty_confirmations_go_in_one_group_with_consecutive_invoice_numbers_and_one_fails_alone(payments):
    commits = []
    sa.event.listen(payments.database.engine, "commit", lambda connection: commits.append(1))
    tell_invoice = usecases._tell_invoice

    def breaks_one(uow, document, recipients, requests, **options):
        # after the item took its invoice number and wrote its invoice: its savepoint gives them back
        if requests[0]["registration_id"] == FAILING:
            raise ValueError("this registration's invoice cannot be told")
        return tell_invoice(uow, document, recipients, requests, **options)

    ids = list(range(101, 111)) + [FAILING] + list(range(112, 122))
    pool = eventlet.GreenPool(30)
    with mock.patch.object(usecases, "_tell_invoice", breaks_one):
        threads = {n: pool.spawn(payments.on_registration_confirmed, payload(n, ico=None)) for n in ids}
        for n, thread in threads.items():
            if n != FAILING:
                thread.wait()
        with pytest.raises(ValueError, match="cannot be told"):
            threads[FAILING].wait()

    assert len(commits) <= 2, commits  # one group; a second at most, had a handler come late
    requested = payments.recorded("payment_requested")
    issued = payments.recorded("invoice_issued")
    assert sorted(p["registration"]["id"] for p in requested) == sorted(n for n in ids if n != FAILING)
    assert len(issued) == 20
    with payments.database.transaction() as tx:
        requests = tx.execute(sa.select(store.payment_requests)).all()
        invoices = tx.execute(sa.select(store.invoices).order_by(store.invoices.c.sequence)).all()
        [counter] = tx.execute(sa.select(store.counters.c.last_number)
                               .where(store.counters.c.name.like("invoice-%"))).scalars().all()
    assert sorted(r.registration_id for r in requests) == sorted(n for n in ids if n != FAILING)
    assert all(r.invoice_id is not None for r in requests)
    assert [i.sequence for i in invoices] == list(range(1, 21))  # consecutive: the failing one left no gap
    assert counter == 20
    assert len({i.number for i in invoices}) == 20

    # its event comes back: the retry, alone, takes the next number
    payments.on_registration_confirmed(payload(FAILING, ico=None))
    with payments.database.transaction() as tx:
        last = tx.execute(sa.select(store.invoices).order_by(store.invoices.c.sequence.desc())).first()
        mine = tx.execute(sa.select(store.payment_requests)
                          .where(store.payment_requests.c.registration_id == FAILING)).one()
    assert last.sequence == 21 and mine.invoice_id == last.id


def test_a_free_registration_writes_nothing_and_commits_nothing(payments):
    commits = []
    sa.event.listen(payments.database.engine, "commit", lambda connection: commits.append(1))
    payments.on_registration_confirmed(payload(5, price=0))
    payments.on_registration_promoted(payload(6, price=0))
    assert commits == [] and payments.recorded() == []


def test_a_group_where_nothing_fails_takes_no_savepoint_per_registration(payments):
    """All together first: twenty requests with their invoices in one transaction and no
    savepoint of their own (the one savepoint makes the invoice register's row, at its first
    number); the requests read back as they were written."""
    statements, commits = [], []
    sa.event.listen(payments.database.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *args: statements.append(statement.split()[0].upper()))
    sa.event.listen(payments.database.engine, "commit", lambda connection: commits.append(1))
    ids = list(range(201, 221))
    pool = eventlet.GreenPool(30)
    threads = [pool.spawn(payments.on_registration_confirmed, payload(n, ico=None)) for n in ids]
    for thread in threads:
        thread.wait()
    assert len(commits) <= 2, commits  # they went together: one group (a second, had one come late)
    assert statements.count("SAVEPOINT") <= 1, statements
    told = {p["registration"]["id"]: p["payment"] for p in payments.recorded("payment_requested")}
    assert sorted(told) == ids
    with payments.database.transaction() as tx:
        for n in ids:
            request = store.get_request(tx, registration_id=n)
            assert (request["variable_symbol"], request["status"]) == (told[n]["variable_symbol"], PaymentStatus.OPEN)
            assert request["invoice_id"] is not None
