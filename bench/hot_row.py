"""How long one event's row is held, by group size: the cap on one event's rate.

Every registration for an event goes through a transaction that locks the event's row to
its commit; while it is held, the next group for the event waits. So one event takes at most
``group size / time the row is held`` registrations a second, however many processes and
cores there are. Measured here without the HTTP layer and without concurrency, on
PostgreSQL: the use case (``usecases.enrol``) for groups of 1, 10, 30 and 100 people, each
group timed from the lock to the commit (median of rounds), one transaction at a time.

    .venv/bin/python -m bench.hot_row
"""
import statistics
import time
from datetime import UTC, datetime, timedelta

from services.common.db import Database
from services.common.outbox import Outbox
from services.common.unit_of_work import unit_of_work
from services.registrations import store, usecases
from tools.scratch_databases import scratch_databases

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SIZES = (1, 10, 30, 100)


def _event(database, outbox):
    start = NOW + timedelta(days=20)
    with unit_of_work(database, lambda: NOW, outbox) as uow:  # publishing announces the event
        event = usecases.create_event(uow, {
            "title": "Nával", "kind": "seminar", "topic": "zátěž", "description": "", "lecturer": "",
            "venue": "Plzeň", "starts_at": start, "ends_at": start + timedelta(hours=4), "capacity": 100,
            "registration_opens_at": None, "registration_closes_at": None, "price_member": 0,
            "price_non_member": 0, "waitlist_enabled": True, "max_per_organisation": None,
            "accreditation_number": None, "hours": 0, "collects_birth_date": False,
            "release_unpaid_after_days": None})
        usecases.publish_event(uow, event["id"])
    return event["id"]


def measure(url, rounds=15):
    database = Database(url, store.metadata)
    database.create_schema("registrations")
    outbox = Outbox(store.outbox, wake=lambda: None)
    event_id = _event(database, outbox)
    serial, result = 0, {}
    for size in SIZES:
        held = []
        for _ in range(rounds):
            people = []
            for _ in range(size):
                serial += 1
                people.append({"first_name": "Jana", "last_name": f"Nováková {serial}",
                               "email": f"jana{serial}@obec.example", "organisation_name": "Obec Chotěšov"})
            with unit_of_work(database, lambda: NOW, outbox, "https://akce.example", b"bench-key") as uow:
                started = time.perf_counter()
                usecases.enrol(uow, event_id, people)
            held.append(time.perf_counter() - started)  # from the lock (the first statement) to the commit
        median = statistics.median(held)
        result[size] = {"row_held_ms": round(median * 1000, 2), "cap_per_second": round(size / median)}
    database.dispose()
    return result


if __name__ == "__main__":
    with scratch_databases("benchrow") as urls:
        for size, figures in measure(urls["registrations"]).items():
            print(f"group of {size:>3}: the row held {figures['row_held_ms']:.2f} ms, "
                  f"at most {figures['cap_per_second']:,} registrations a second for one event")
