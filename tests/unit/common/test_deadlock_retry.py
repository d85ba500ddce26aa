"""A unit of work that PostgreSQL rolled back to break a deadlock runs again (``retried_on_deadlock``):
two real transactions lock two rows in opposite orders; both end committed, one of them after a
second run."""
import eventlet
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, update

from services.common.unit_of_work import retried_on_deadlock
from tests.conftest import DATABASE

metadata = MetaData()
rows = Table("deadlock_rows", metadata, Column("id", Integer, primary_key=True), Column("n", Integer, nullable=False))


@pytest.mark.skipif(DATABASE != "postgresql", reason="SQLite has no row locks: its writers queue on the file")
def test_a_transaction_rolled_back_to_break_a_deadlock_runs_again_and_both_commit(make_database):
    db = make_database("registrations", metadata)
    with db.transaction() as tx:
        tx.execute(rows.insert(), [{"id": 1, "n": 0}, {"id": 2, "n": 0}])
    runs = []

    def locking(first, second):
        def work():
            with db.transaction() as tx:
                runs.append(first)
                tx.execute(select(rows).where(rows.c.id == first).with_for_update())
                eventlet.sleep(0.3)  # both hold their first row now
                tx.execute(select(rows).where(rows.c.id == second).with_for_update())
                tx.execute(update(rows).where(rows.c.id == first).values(n=rows.c.n + 1))
        return work
    one = eventlet.spawn(retried_on_deadlock, locking(1, 2))
    other = eventlet.spawn(retried_on_deadlock, locking(2, 1))
    one.wait()
    other.wait()
    assert sorted(runs) in ([1, 1, 2], [1, 2, 2])  # one of the two ran twice
    with db.transaction() as tx:
        assert dict(tx.execute(select(rows.c.id, rows.c.n)).all()) == {1: 1, 2: 1}  # each committed once


def test_other_errors_are_not_run_again():
    runs = []

    def failing():
        runs.append(1)
        raise ValueError("not a deadlock")
    with pytest.raises(ValueError):
        retried_on_deadlock(failing)
    assert runs == [1]
