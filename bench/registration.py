"""Registrations per second over HTTP on PostgreSQL, next to the same service's no-op endpoint.

wrk (a C load generator that costs little CPU) keeps 32 connections busy for
each round; the two scenarios alternate, three rounds each, and the medians
are reported with their ratio.
"""
import json
import os
import secrets
import signal
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def wrk(url, script, connections=32, seconds=10, threads=2):
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", script, url,
                           "--", secrets.token_hex(4)],
                          capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["per_second"] = result["requests"] / result["seconds"]
    return result


def pause_email_pipeline(system):
    """Stop the services that work in the background (SIGSTOP: notifications, documents, and
    payments, which asks non-members to pay) so that the registration path is measured alone;
    their queues keep the events, and ``resume`` lets them catch up."""
    groups = [os.getpgid(pid) for service in ("notifications", "documents", "payments")
              for pid in system.service_pids()[service]]
    for group in groups:
        os.killpg(group, signal.SIGSTOP)

    def resume():
        for group in groups:
            os.killpg(group, signal.SIGCONT)
    return resume


def measure(system, rounds=3, seconds=10, connections=32, progress=print):
    event_id = system.new_event()
    register_url = f"{system.base}/api/events/{event_id}/registrations"
    wrk(register_url, os.path.join(HERE, "register.lua"), connections, 2)  # warm up
    noop, register = [], []
    for n in range(rounds):
        progress(f"  round {n + 1}/{rounds}: no-op endpoint…")
        noop.append(wrk(f"{system.base}/health/live", os.path.join(HERE, "noop.lua"), connections, seconds))
        progress(f"  round {n + 1}/{rounds}: registrations…")
        register.append(wrk(register_url, os.path.join(HERE, "register.lua"), connections, seconds))

    def median(rows, key):
        return statistics.median(row[key] for row in rows)

    summary = {
        "connections": connections, "rounds": rounds, "seconds_each": seconds,
        "registrations_per_second": median(register, "per_second"),
        "registration_p50_ms": median(register, "p50_ms"), "registration_p95_ms": median(register, "p95_ms"),
        "registration_p99_ms": median(register, "p99_ms"),
        "registration_errors": sum(r["non_2xx"] + r["socket_errors"] for r in register),
        "noop_per_second": median(noop, "per_second"), "noop_p99_ms": median(noop, "p99_ms"),
        "rounds_detail": {"noop": noop, "register": register},
    }
    summary["ratio_to_noop"] = summary["registrations_per_second"] / summary["noop_per_second"]
    return summary
