"""The rush, the burst and memory.

- rush: 2,000 registrations at 64 connections into a 100-seat event (with a
  waitlist): how long, how many errors, how many confirmed (exactly 100).
- burst: 1,000 confirmations at once: the time until the last email, with its
  PDF ticket, is in the SMTP sink (a free event; and one where non-members pay, with
  their invoices).
- time to inbox during a rush: for each person given a seat, from the registration's
  commit to the confirmation in the sink, while the rest of the rush goes on.
- memory: the resident size of each service process, idle and after the rush.
"""
import json
import os
import secrets
import signal
import subprocess
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))


NON_MEMBER = "Spolek přátel Mže"  # not in the register: pays the non-members' price, gets an invoice


def run_wrk(system, event_id, total, connections, threads=2, timeout=180, prefix=None, organisation=None):
    """Send registrations with wrk until ``total`` are stored, then stop it (the few still in flight
    may add a handful more). Every address contains ``rush-<prefix>-``; every person is of
    ``organisation`` (by default a member of the register). Returns (seconds, wrk summary,
    registrations stored)."""
    url = f"{system.base}/api/events/{event_id}/registrations"
    started = time.perf_counter()
    load = subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{timeout}s", "--timeout", "30s",
                             "-s", os.path.join(HERE, "rush.lua"), url, "--", prefix or secrets.token_hex(4),
                             str(10 * total)] + ([organisation] if organisation else []),
                            stdout=subprocess.PIPE, text=True)
    with system.rpc() as cluster:
        while load.poll() is None:
            stats = cluster.registrations.event_stats(event_id)
            if stats["confirmed"] + stats["waitlisted"] >= total:
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        load.send_signal(signal.SIGINT)
        output, _ = load.communicate(timeout=30)
        time.sleep(1)  # the last in-flight requests commit
        stats = cluster.registrations.event_stats(event_id)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return seconds, json.loads(line[len("RESULT "):]), stats


def resident_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory(system):
    """Service -> resident MB of each of its processes (documents: also its render workers)."""
    sizes = {}
    for service, pids in system.service_pids().items():
        for pid in pids:
            sizes[service] = round(resident_mb(pid), 1)
            children = f"/proc/{pid}/task/{pid}/children"
            with open(children) as found:
                workers = [int(child) for child in found.read().split()]
            if workers:
                sizes[f"{service} render workers"] = [round(resident_mb(child), 1) for child in workers]
    return sizes


def rush(system, total=2000, seats=100, connections=64):
    event_id = system.new_event(capacity=seats, waitlist_enabled=True)
    seconds, result, stats = run_wrk(system, event_id, total, connections)
    with system.rpc() as cluster:
        waiting = cluster.registrations.list_registrations(event_id, "waitlisted")
    places = sorted(registration["waitlist_position"] for registration in waiting)
    return {"registrations": stats["confirmed"] + stats["waitlisted"], "connections": connections, "seats": seats,
            "seconds": round(seconds, 2),
            "errors": result["non_2xx"] + result["socket_errors"],
            "confirmed": stats["confirmed"], "waitlisted": stats["waitlisted"], "p99_ms": result["p99_ms"],
            "places_exact": places == list(range(1, len(places) + 1))}


FREE = {"price_member": 0, "price_non_member": 0}


def burst(system, total=1000, connections=32, timeout=600, emails_each=1, organisation=None, **event):
    """About ``total`` confirmations at once; the seconds until the last of their ``emails_each``
    emails apiece is in the sink (a free event: the confirmation with its ticket; where
    non-members pay: the confirmation with the ticket and payment details, and the invoice).
    Emails are counted by recipient: only those to this burst's own people, not what an earlier
    scenario still sends. The baseline is how long the registrations themselves took."""
    event_id = system.new_event(**dict({"capacity": total * 2}, **event))
    prefix = secrets.token_hex(4)
    started = time.perf_counter()
    accepted, result, stats = run_wrk(system, event_id, total, connections, prefix=prefix,
                                      organisation=organisation)
    total = stats["confirmed"]
    while system.mails_to(f"rush-{prefix}-") < total * emails_each:
        if time.perf_counter() - started > timeout:
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    return {"confirmations": total, "seconds_to_last_email": round(seconds, 1),
            "seconds_to_accept_all": round(accepted, 1), "emails": system.mails_to(f"rush-{prefix}-"),
            "emails_expected": total * emails_each, "ratio_to_accept": round(seconds / accepted, 2),
            "errors": result["non_2xx"] + result["socket_errors"]}


def rush_to_inbox(system, total=2000, seats=100, connections=64, timeout=120):
    """The rush (``total`` people at ``connections`` into ``seats`` free seats) and, for each
    person given a seat, the time from their registration's commit (its ``created_at``, within a
    few milliseconds of the 201) to their confirmation with its PDF ticket in the sink: the
    emails that go out while the rush goes on, the waitlist's emails competing with them. The
    baseline is the rush's own answers (wrk's p50 and p99)."""
    event_id = system.new_event(capacity=seats, waitlist_enabled=True, **FREE)
    prefix = secrets.token_hex(4)
    seconds, result, stats = run_wrk(system, event_id, total, connections, prefix=prefix)
    with system.rpc() as cluster:
        seated = cluster.registrations.list_registrations(event_id, "confirmed")
    created = {r["email"].lower(): datetime.fromisoformat(r["created_at"]).timestamp() for r in seated}
    deadline = time.monotonic() + timeout
    while True:
        arrivals = {address: landed for address, landed in system.mail_arrivals(f"rush-{prefix}-").items()
                    if address in created}
        if len(arrivals) == len(created) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    waits = sorted(arrivals[address] - created[address] for address in arrivals)
    return {"registrations": stats["confirmed"] + stats["waitlisted"], "seconds": round(seconds, 2),
            "confirmed": len(created), "emailed": len(arrivals),
            "to_inbox_p50_s": round(waits[len(waits) // 2], 2) if waits else None,
            "to_inbox_p95_s": round(waits[min(int(0.95 * len(waits)), len(waits) - 1)], 2) if waits else None,
            "to_inbox_max_s": round(waits[-1], 2) if waits else None,
            "rush_p50_ms": result["p50_ms"], "rush_p99_ms": result["p99_ms"],
            "errors": result["non_2xx"] + result["socket_errors"]}
