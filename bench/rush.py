"""The rush, the burst and memory.

- rush: 2,000 registrations at 64 connections into a 100-seat event (with a
  waitlist): how long, how many errors, how many confirmed (exactly 100).
- burst: 1,000 confirmations at once: the time until the last email, with its
  PDF ticket, is in the SMTP sink.
- memory: the resident size of each service process, idle and after the rush.
"""
import json
import os
import secrets
import signal
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_wrk(system, event_id, total, connections, threads=2, timeout=180, prefix=None):
    """Send registrations with wrk until ``total`` are stored, then stop it (the few still in flight
    may add a handful more). Every address contains ``rush-<prefix>-``. Returns (seconds, wrk
    summary, registrations stored)."""
    url = f"{system.base}/api/events/{event_id}/registrations"
    started = time.perf_counter()
    load = subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{timeout}s", "--timeout", "30s",
                             "-s", os.path.join(HERE, "rush.lua"), url, "--", prefix or secrets.token_hex(4),
                             str(10 * total)], stdout=subprocess.PIPE, text=True)
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


def burst(system, total=1000, connections=32, timeout=300):
    """Emails are counted by recipient: only those to this burst's own people, not the rush's
    late waitlist emails still arriving."""
    event_id = system.new_event(capacity=total * 2)
    prefix = secrets.token_hex(4)
    started = time.perf_counter()
    accepted, result, stats = run_wrk(system, event_id, total, connections, prefix=prefix)
    total = stats["confirmed"]
    while system.mails_to(f"rush-{prefix}-") < total:
        if time.perf_counter() - started > timeout:
            break
        time.sleep(0.2)
    return {"confirmations": total, "seconds_to_last_email": round(time.perf_counter() - started, 1),
            "seconds_to_accept_all": round(accepted, 1), "emails": system.mails_to(f"rush-{prefix}-"),
            "errors": result["non_2xx"] + result["socket_errors"]}
