"""`make dead-letters`: list dead-lettered events, and replay chosen ones
(``services/common/deadletters.py`` says how they get there and where a replay goes).

    python -m tools.dead_letters                 # list
    python -m tools.dead_letters --replay 1 3    # replay events 1 and 3 of the list
"""
import argparse
import json
import os
import sys

from services.common.deadletters import walk


def run(amqp_uri, replay=(), out=sys.stdout):
    """List the dead letters (numbered from 1); replay the numbers in ``replay``. Returns the list."""
    listed = walk(amqp_uri, replay=lambda entry: entry["number"] in replay)
    for entry in listed:
        tries = f", {entry['attempts']} tries" if entry["attempts"] else ""
        print(f"{entry['number']:>3}  from {entry['queue']} ({entry['reason']}{tries})  {entry['preview']}", file=out)
        if entry["replayed"]:
            print(f"     replayed into {entry['queue']}", file=out)
    if not listed:
        print("No dead letters.", file=out)
    return listed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--replay", type=int, nargs="*", default=[], help="numbers from the list to replay")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    listed = run(args.amqp_uri, set(args.replay))
    if args.json:
        print(json.dumps(listed, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
