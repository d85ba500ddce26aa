"""Where a registration's cost goes, across the whole system, from counters that do not guess.

1,000 registrations at 32 connections, then the wait until every email they cause has reached
the sink; on a free event (the core path: the registration, its confirmation with the PDF
ticket), then on the bench's usual event, where non-members pay (also the payment request, the
invoice with its PDF and ISDOC, and a second email). Measured around each:

- CPU seconds of each process (the kernel's own accounting, /proc/<pid>/stat), per
  registration: each service with its render workers, PostgreSQL, RabbitMQ;
- statements the registrations service ran (its own counter) and transactions committed in
  each service's database (pg_stat_database), per registration;
- messages RabbitMQ took in and handed out in the bench's vhost (its management API), per
  registration.
"""
import os
import secrets
import time

import requests

from bench.rush import run_wrk
from bench.system import RABBIT_API, RABBIT_AUTH

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            found += [int(child) for child in children.read().split()]
    return found


def _named(name):
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() == name:
                    pids.append(int(pid))
        except FileNotFoundError:
            continue
    return pids


def cpu_by_process(system):
    """Process label -> CPU seconds used so far (services, render workers, PostgreSQL, RabbitMQ)."""
    seconds = {}
    for service, pids in system.service_pids().items():
        for pid in pids:
            seconds[service] = seconds.get(service, 0.0) + _cpu_seconds(pid)
            workers = _children(pid)
            if workers:
                seconds[f"{service} render workers"] = sum(_cpu_seconds(child) for child in workers)
    seconds["postgresql"] = sum(_cpu_seconds(pid) for pid in _named("postgres"))
    seconds["rabbitmq"] = sum(_cpu_seconds(pid) for pid in _named("beam.smp"))
    return seconds


def commits_by_database(database_urls):
    import psycopg2

    names = {url.rsplit("/", 1)[1]: service for service, url in database_urls.items()}
    server = database_urls["registrations"].rsplit("/", 1)[0]
    with psycopg2.connect(f"{server}/postgres") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT datname, xact_commit FROM pg_stat_database WHERE datname = ANY(%s)", (list(names),))
        return {names[name]: commits for name, commits in cursor.fetchall()}


def rabbit_messages(vhost):
    """Messages published into the vhost and delivered out of it, so far (RabbitMQ refreshes
    these every 5 s: read them 6 s after the work)."""
    stats = requests.get(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).json().get("message_stats", {})
    return {"published": stats.get("publish", 0), "delivered": stats.get("deliver_get", 0)}


def statements(system):
    with system.rpc() as cluster:
        return next(sample[4] for sample in cluster.registrations.metrics()
                    if sample[0] == "smopk_db_statements_total")


def measure(system, total=1000, connections=32, quiet_seconds=10, timeout=900, organisation=None, **event):
    event_id = system.new_event(**event)
    prefix = secrets.token_hex(4)
    time.sleep(6)
    cpu, commits = cpu_by_process(system), commits_by_database(system.database_urls)
    messages, ran = rabbit_messages(system.vhost), statements(system)
    started = time.perf_counter()
    _seconds, _result, stats = run_wrk(system, event_id, total, connections, prefix=prefix, organisation=organisation)
    registered = stats["confirmed"] + stats["waitlisted"]
    emails, settled_at = -1, time.monotonic()
    while time.monotonic() - settled_at < quiet_seconds and time.perf_counter() - started < timeout:
        now = system.mails_to(f"rush-{prefix}-")
        if now != emails:
            emails, settled_at = now, time.monotonic()
        time.sleep(0.5)
    time.sleep(6)
    cpu_after, commits_after = cpu_by_process(system), commits_by_database(system.database_urls)
    messages_after, ran_after = rabbit_messages(system.vhost), statements(system)
    cpu_ms = {name: round((cpu_after[name] - cpu.get(name, 0.0)) * 1000 / registered, 2) for name in cpu_after}
    commits_made = {name: commits_after[name] - commits.get(name, 0) for name in commits_after}
    return {
        "registrations": registered, "emails": emails,
        "cpu_ms_per_registration_in_all": round(sum(cpu_ms.values()), 1),
        "notifications_commits_per_email": round(commits_made["notifications"] / max(emails, 1), 2),
        "seconds_until_the_last_email": round(time.perf_counter() - started - quiet_seconds - 0.5, 1),
        "cpu_ms_per_registration": cpu_ms,
        "registrations_statements_per_registration": round((ran_after - ran) / registered, 2),
        "commits_per_registration": {name: round(made / registered, 2) for name, made in commits_made.items()},
        "messages_per_registration": {kind: round((messages_after[kind] - messages[kind]) / registered, 2)
                                      for kind in messages},
    }
