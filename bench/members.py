"""The member register: importing 1,000 rows, and the autocomplete search, over RPC.

Baseline in the same run: the RPC round trip of `is_member`, the cheapest call
of the same service.
"""
import statistics
import time

from tools.sample_data import invented_ico

WORDS = ("plz", "dobr", "stod", "klat", "mesto", "obec zk", "susice", "0007", "tach", "rok")


def register(rows, start):
    lines = ["IČO;název;druh;okres;členem od"]
    for n in range(rows):
        lines.append(f"{invented_ico(start + n)};Obec Zkušební {start + n};obec;Plzeň-jih;2010-01-01")
    return "\n".join(lines) + "\n"


def timed(call, *args):
    started = time.perf_counter()
    result = call(*args)
    return time.perf_counter() - started, result


def measure(system, rounds=3, rows=1000):
    with system.rpc() as cluster:
        members = cluster.members
        creating, repeating = [], []
        for n in range(rounds):
            text = register(rows, 3_000_000 + n * rows)
            seconds, result = timed(members.import_organisations_csv, text)
            assert result["created"] == rows, result
            creating.append(seconds)
            seconds, result = timed(members.import_organisations_csv, text)
            assert result["unchanged"] == rows, result
            repeating.append(seconds)
        searches = [timed(members.find_organisations, word)[0] for _ in range(20) for word in WORDS]
        baseline = [timed(members.is_member, "00075370")[0] for _ in range(200)]
    return {
        "rows": rows, "register_size": rounds * rows + 200,
        "import_seconds": statistics.median(creating), "import_again_seconds": statistics.median(repeating),
        "search_ms_p50": 1000 * statistics.median(searches),
        "search_ms_p95": 1000 * sorted(searches)[int(0.95 * len(searches))],
        "rpc_round_trip_ms_p50": 1000 * statistics.median(baseline),
    }
