"""Registers numbered without gaps: certificates, invoices, credit notes.

Guarantee: each number of a register is given once and the numbers follow each other without a
gap, however many transactions take one at the same moment. A register is a row of a counter
table; taking a number is one ``UPDATE … RETURNING`` that holds the row's lock until the
caller's transaction ends, so a second taker waits, and a transaction that rolls back gives its
number back with everything else it did.
"""
from sqlalchemy import Connection, Table, update
from sqlalchemy.exc import IntegrityError


def next_number(conn: Connection, counters: Table, key_column: str, key: str) -> int:
    """The next number of the register ``key`` in table ``counters`` (``key_column``, ``last_number``)."""
    try:
        with conn.begin_nested():
            conn.execute(counters.insert().values({key_column: key, "last_number": 0}))
    except IntegrityError:
        pass  # the register exists
    number: int = conn.execute(
        update(counters).where(counters.c[key_column] == key).values(last_number=counters.c.last_number + 1)
        .returning(counters.c.last_number)
    ).scalar_one()
    return number
