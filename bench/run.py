"""`make bench`: runs each benchmark on a system of its own and prints a table.

Results also go to bench/results/<date>.json.
"""
import datetime
import json
import os
import sys

from bench import time_to_inbox
from bench.system import System

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main():
    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": os.uname().nodename,
               "cores": os.cpu_count()}
    print("time to inbox: starting the system…", flush=True)
    with System() as system:
        results["time_to_inbox"] = time_to_inbox.measure(system)
    inbox = results["time_to_inbox"]
    print()
    print(f"{'scenario':<34}{'p50':>10}{'p95':>10}   baseline (same run)")
    print(f"{'time to inbox (201 -> .eml + PDF)':<34}{inbox['time_to_inbox_ms']['p50']:>8.0f}ms"
          f"{inbox['time_to_inbox_ms']['p95']:>8.0f}ms   registration round trip p50 "
          f"{inbox['http_round_trip_ms']['p50']:.1f} ms, ratio {inbox['ratio_p50']:.0f}x")
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{datetime.date.today().isoformat()}.json")
    with open(path, "w") as out:
        json.dump(results, out, indent=2)
    print(f"\nsaved {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
