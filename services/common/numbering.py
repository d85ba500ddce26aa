"""Registers numbered without gaps: certificates, invoices, credit notes.

Guarantee: each number of a register is given once and the numbers follow each other without a
gap, however many transactions take one at the same moment. A register is a row of a counter
table; taking a number is one ``UPDATE … RETURNING`` that holds the row's lock until the
caller's transaction ends, so a second taker waits, and a transaction that rolls back gives its
number back with everything else it did. The exception is a restore from a backup, after which
every register goes on past a gap (``skip``), so that what was given after the backup and lost
with it is never given again to something else.
"""
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, update
from sqlalchemy.exc import IntegrityError


def next_number(conn: Connection, counters: Table, key_column: str, key: str) -> int:
    """The next number of the register ``key`` in table ``counters`` (``key_column``, ``last_number``).
    The register's row is made at its first number (by whichever transaction gets there first)."""
    taking = _taking(counters, key_column)
    number: int | None = conn.execute(taking, {"register": key}).scalar_one_or_none()
    if number is None:  # the register's first number: no row yet
        try:
            with conn.begin_nested():
                conn.execute(counters.insert().values({key_column: key, "last_number": 0}))
        except IntegrityError:
            pass  # another transaction made it meanwhile (and committed: its insert held ours)
        number = int(conn.execute(taking, {"register": key}).scalar_one())
    return number


@cache
def _taking(counters: Table, key_column: str) -> Update:
    """The statement that takes a number of a register (``register``: its key), made once: its
    cache key is then computed once too, not at every number."""
    return (update(counters).where(counters.c[key_column] == bindparam("register"))
            .values(last_number=counters.c.last_number + 1).returning(counters.c.last_number))


def skip(conn: Connection, counters: Table, key_column: str, keys: Iterable[Any], gap: int) -> dict[Any, int]:
    """After a restore (tools/backup.py): each register of ``keys`` (made when missing) goes on
    ``gap`` past its last number, so that no number given after the backup, lost with it, is
    given again. Returns ``{key: the next number}``. The one place the series has a gap, on
    purpose: the restore writes down where each register goes on."""
    following = {}
    for key in keys:
        try:
            with conn.begin_nested():
                conn.execute(counters.insert().values({key_column: key, "last_number": 0}))
        except IntegrityError:
            pass  # the register exists
        following[key] = conn.execute(
            update(counters).where(counters.c[key_column] == key).values(last_number=counters.c.last_number + gap)
            .returning(counters.c.last_number)
        ).scalar_one() + 1
    return following
