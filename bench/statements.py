"""Reading bank statements: a camt.053 and a GPC statement of 10,000 lines each, parsed in-process.

Prints the median of 5 parses of each, in seconds. The statements are made by the tests' builders,
so they look like the banks' files: every line a payment with a variable symbol, a message and a
counter-account, a tenth of them without a bank id (fingerprinted instead).

    .venv/bin/python -m bench.statements
"""
import statistics
import time

from services.payments.statements import parse_statement
from tests.statements import camt053, gpc

LINES = 10_000
ROUNDS = 5


def lines(count):
    return [{
        "amount_halere": 120000 if n % 7 else -30050, "variable_symbol": f"{2026000 + n % 5000}",
        "bank_id": None if n % 10 == 0 else f"{2600000000000 + n}", "booked_on": f"2026-11-{1 + n % 28:02d}",
        "counter_account": f"19-{123457 + n}/0100", "counter_name": f"Obec Zkušební {n}",
        "message": f"Seminář účetnictví, účastník č. {n}", "specific_symbol": "77" if n % 3 else None,
    } for n in range(count)]


def median_parse_seconds(data, count, rounds=ROUNDS):
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        statement = parse_statement(data)
        seconds.append(time.perf_counter() - started)
        assert len(statement["transactions"]) == count, len(statement["transactions"])
    return statistics.median(seconds)


def measure(count=LINES, rounds=ROUNDS):
    made = lines(count)
    camt, text = camt053(made), gpc(made)
    return {
        "lines": count,
        "camt053_mb": len(camt) / 1e6, "camt053_parse_seconds": median_parse_seconds(camt, count, rounds),
        "gpc_mb": len(text) / 1e6, "gpc_parse_seconds": median_parse_seconds(text, count, rounds),
    }


def main():
    results = measure()
    print(f"{results['lines']:,} lines, median of {ROUNDS} parses")
    print(f"camt.053  {results['camt053_mb']:5.1f} MB  {results['camt053_parse_seconds']:.3f} s")
    print(f"GPC       {results['gpc_mb']:5.1f} MB  {results['gpc_parse_seconds']:.3f} s")


if __name__ == "__main__":
    main()
