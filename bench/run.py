"""`make bench`: the benchmarks, each on a system of its own, and a table of medians.

Results also go to bench/results/<date>.json. The figures are medians of
repeated rounds, each next to a baseline measured in the same run.
"""
import datetime
import json
import os
import subprocess
import sys
import time

from bench import hot_row, members, payments, profile, quorum, registration, rush, time_to_inbox
from bench.system import System
from tools.scratch_databases import scratch_databases

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")


def save(results):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{datetime.date.today().isoformat()}.json")
    with open(path, "w") as out:
        json.dump(results, out, indent=2)
    return path


def in_own_process(module):
    """``bench.<module>.measure()`` run in a fresh Python process; its result."""
    done = subprocess.run([sys.executable, "-c", f"import json; from bench import {module}; "
                           f"print('RESULT ' + json.dumps({module}.measure()))"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main():
    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cores": os.cpu_count()}

    def progress(text):
        save(results)  # what is measured so far survives a scenario that fails
        print(text, flush=True)

    progress("registration over HTTP on PostgreSQL, 32 connections: starting the system…")
    with scratch_databases("bench") as urls, System(database_urls=urls) as system:
        time.sleep(5)  # let start-up settle before reading the idle memory
        results["memory_idle_mb"] = rush.memory(system)
        # The registration path alone first: after the whole-system rounds, thousands of
        # emails are still being made, and pausing that backlog measured much lower.
        resume = registration.pause_email_pipeline(system)
        try:
            progress("registrations with the email pipeline paused (the registration path alone)…")
            results["registration_path_alone"] = registration.measure(system, progress=progress)
        finally:
            resume()
        progress("registrations with the whole system running…")
        results["registration"] = registration.measure(system, progress=progress)
        progress("rush: 2,000 registrations at 64 connections into 100 seats…")
        results["rush"] = rush.rush(system)
        results["memory_after_rush_mb"] = rush.memory(system)

    # The rush above meets tens of thousands of emails still being made; these two meet none:
    # in groups, and one at a time (REGISTRATION_GROUP_LIMIT=1), the baseline.
    progress("the rush on a fresh system, in groups…")
    with scratch_databases("bench") as urls, System(database_urls=urls) as system:
        results["rush_fresh"] = rush.rush(system)
    progress("the rush on a fresh system, registrations one at a time (REGISTRATION_GROUP_LIMIT=1)…")
    with scratch_databases("bench") as urls, System(database_urls=urls,
                                                    extra_env={"REGISTRATION_GROUP_LIMIT": "1"}) as system:
        results["rush_one_at_a_time"] = rush.rush(system)

    # On a system of its own: after the rounds above, tens of thousands of emails wait in line,
    # and the burst's own would come after them.
    progress("burst: 1,000 confirmations of a free event, until the last email is in the sink…")
    with scratch_databases("bench") as urls, System(database_urls=urls) as system:
        results["burst"] = rush.burst(system, **rush.FREE)
    progress("burst: 1,000 non-members who pay, until the last invoice is in the sink…")
    with scratch_databases("bench") as urls, System(database_urls=urls) as system:
        results["burst_paid"] = rush.burst(system, emails_each=2, organisation=rush.NON_MEMBER,
                                           price_member=0, price_non_member=900)
    progress("time to inbox during a rush: 2,000 people into 100 seats…")
    with scratch_databases("bench") as urls, System(database_urls=urls) as system:
        results["rush_to_inbox"] = rush.rush_to_inbox(system)

    progress("one event's row: how long each group size holds it…")
    with scratch_databases("benchrow") as urls:
        results["hot_row"] = hot_row.measure(urls["registrations"])

    progress("profile: 1,000 registrations and their emails, costs per registration (free, then paid)…")
    with scratch_databases("bench") as urls, System(database_urls=urls) as system:
        results["profile"] = profile.measure(system, price_member=0, price_non_member=0)
        results["profile_paid"] = profile.measure(system, organisation=rush.NON_MEMBER)

    progress("time to inbox: starting the system…")
    with System() as system:
        results["time_to_inbox"] = time_to_inbox.measure(system)
        progress("member register: import and search…")
        results["members"] = members.measure(system)

    # Each in a process of its own: a process pool started after the scenarios above, in this
    # process, waited forever for its first results (eventlet's patching of the run so far).
    progress("PDF rendering: tickets and a 300-person attendance sheet…")
    results["documents"] = in_own_process("documents")
    progress("emails: composed and written for sending, against the standard library's way…")
    results["emails"] = in_own_process("emails")
    progress("QR codes: the mask chosen by bit operations, against segno choosing it…")
    results["qr"] = in_own_process("qr")
    progress("payments: a 10,000-line camt.053 statement imported twice, invoices rendered…")
    results["payments"] = in_own_process("payments")
    with scratch_databases("benchpay") as urls:
        results["payments"]["statement_postgresql"] = payments.statement_import(urls["payments"])

    progress("the broker's part of a registration: quorum queues against classic ones…")
    results["quorum_queues"] = quorum.measure()

    path = save(results)
    print_table(results)
    print(f"\nsaved {os.path.relpath(path)}")
    return 0


def row(scenario, figure, baseline):
    print(f"{scenario:<44}{figure:>26}   {baseline}")


def print_table(results):
    print()
    row("scenario", "figure (medians)", "baseline, same run")
    q = results["quorum_queues"]
    row("broker's part of a registration, quorum", f"{q['ms_per_registration']['quorum']:.1f} ms",
        f"classic {q['ms_per_registration']['classic']:.1f} ms, ratio {q['quorum_over_classic']:.2f}")
    for key, label in (("registration", "registrations, whole system"),
                       ("registration_path_alone", "registrations, emails paused")):
        r = results[key]
        row(label, f"{r['registrations_per_second']:.0f}/s, {r['registration_errors']} errors",
            f"no-op {r['noop_per_second']:.0f}/s, ratio {r['ratio_to_noop']:.2f}")
        row("", f"p50/p95/p99 {r['registration_p50_ms']:.0f}/{r['registration_p95_ms']:.0f}/"
                f"{r['registration_p99_ms']:.0f} ms", f"no-op p99 {r['noop_p99_ms']:.0f} ms")
    one = results["rush_one_at_a_time"]
    for key, label in (("rush_fresh", "rush"), ("rush", "rush behind the email backlog")):
        r = results[key]
        row(f"{label}: {r['registrations']} at {r['connections']} conn., {r['seats']} seats",
            f"{r['seconds']:.2f} s, {r['errors']} errors", f"one at a time (fresh) {one['seconds']:.2f} s, "
            f"ratio {one['seconds'] / r['seconds']:.1f}")
        row("", f"confirmed {r['confirmed']}, waitlisted {r['waitlisted']}",
            f"places 1..{r['waitlisted']}: {'exact' if r['places_exact'] else 'NOT EXACT'}")
    for key, label in (("burst", "free"), ("burst_paid", "paid, with invoices")):
        b = results[key]
        row(f"burst, {label}: {b['confirmations']} people", f"{b['seconds_to_last_email']:.1f} s to the last email",
            f"all accepted in {b['seconds_to_accept_all']:.1f} s, ratio {b['ratio_to_accept']:.1f}; "
            f"{b['emails']}/{b['emails_expected']} emails, {b['errors']} errors")
    r = results["rush_to_inbox"]
    row(f"rush to inbox: {r['confirmed']} seated of {r['registrations']}",
        f"p50 {r['to_inbox_p50_s']:.2f} s, p95 {r['to_inbox_p95_s']:.2f} s",
        f"rush took {r['seconds']:.2f} s, its answers p50 {r['rush_p50_ms']:.0f} ms, p99 {r['rush_p99_ms']:.0f} ms; "
        f"{r['emailed']}/{r['confirmed']} emailed")
    for size, figures in results["hot_row"].items():
        row(f"one event's row, group of {size}", f"held {figures['row_held_ms']:.1f} ms",
            f"at most {figures['cap_per_second']:,}/s for one event")
    for key, label in (("profile", "free event"), ("profile_paid", "non-members pay")):
        p = results[key]
        row(f"profile, {label}: {p['registrations']} registrations", f"{p['emails']} emails, the last after "
            f"{p['seconds_until_the_last_email']:.0f} s",
            f"{p['registrations_statements_per_registration']:.2f} statements per registration (registrations)")
        print(f"    CPU ms per registration in all: {p['cpu_ms_per_registration_in_all']:.1f}; notifications' "
              f"commits per email sent: {p['notifications_commits_per_email']:.2f}")
        print("    CPU ms per registration: " + ", ".join(
            f"{name} {ms:.2f}" for name, ms in p["cpu_ms_per_registration"].items() if ms >= 0.01))
        print("    commits per registration: " + ", ".join(
            f"{name} {n:.2f}" for name, n in p["commits_per_registration"].items() if n)
            + f"; RabbitMQ messages in {p['messages_per_registration']['published']:.2f}, "
            f"out {p['messages_per_registration']['delivered']:.2f}")
    for service, idle in results["memory_idle_mb"].items():
        after = results["memory_after_rush_mb"].get(service)
        row(f"memory: {service}", f"{after} MB after the rush", f"idle {idle} MB")
    inbox = results["time_to_inbox"]
    row("time to inbox (201 -> .eml with PDF)",
        f"p50 {inbox['time_to_inbox_ms']['p50']:.0f} ms, p95 {inbox['time_to_inbox_ms']['p95']:.0f} ms",
        f"HTTP round trip p50 {inbox['http_round_trip_ms']['p50']:.1f} ms")
    m = results["members"]
    row(f"import {m['rows']} organisations (new / again)", f"{m['import_seconds']:.2f} s / "
        f"{m['import_again_seconds']:.2f} s", f"RPC round trip p50 {m['rpc_round_trip_ms_p50']:.1f} ms")
    row(f"autocomplete search, {m['register_size']} organisations", f"p50 {m['search_ms_p50']:.1f} ms, "
        f"p95 {m['search_ms_p95']:.1f} ms", "the same RPC round trip")
    d = results["documents"]
    row(f"tickets rendered, pool of {d['processes']}", f"{d['tickets_per_second_pool']:.1f} PDFs/s",
        f"plain WeasyPrint {d['plain_weasyprint_per_second']:.1f}/s ({d['plain_weasyprint_ms']:.0f} ms each)")
    for kind, label in (("tickets", "tickets"), ("unpaid_tickets", "tickets with the payment box"),
                        ("invoices", "invoices")):
        row(f"{label} through the pool, stamped", f"{d[f'{kind}_per_second_stamped']:.0f}/s",
            f"rendered in full {d[f'{kind}_per_second_full']:.0f}/s, ratio {d[f'{kind}_ratio']:.1f}")
    row("a ticket of a new event (its base, then stamped)", f"{d['ticket_first_of_event_ms']:.0f} ms",
        f"one ticket stamped {d['ticket_ms_stamped']:.1f} ms, in full {d['ticket_ms_full']:.0f} ms")
    row("attendance sheet, 300 people", f"{d['attendance_sheet_300_seconds']:.2f} s", "")
    e = results["emails"]
    row(f"an email composed and written ({e['pdf_kb']} kB PDF)", f"{e['ms_per_email']:.2f} ms CPU",
        f"the standard library's way {e['baseline_ms_per_email']:.2f} ms, ratio {e['baseline_over_current']:.1f}")
    for kind, label in (("qr_platba", "QR Platba"), ("ticket", "ticket code"), ("totp", "TOTP setup")):
        q = results["qr"][kind]
        row(f"QR code made, {label} (version {q['version']})", f"{q['ms_per_code']:.2f} ms CPU",
            f"segno choosing the mask {q['segno_ms_per_code']:.2f} ms, ratio {q['ratio']:.1f}")
    s, r = results["payments"]["statement"], results["payments"]["rendering"]
    for label, imported in (("SQLite", s), ("PostgreSQL", results["payments"]["statement_postgresql"])):
        row(f"camt.053 of {imported['lines']:,} lines imported ({label})", f"{imported['import_seconds']:.1f} s, "
            f"again {imported['import_again_seconds']:.1f} s", f"parsing alone {imported['parse_seconds']:.2f} s")
    row("invoices rendered, one process", f"{r['invoices_per_second']:.1f}/s ({r['invoice_ms']:.0f} ms each)",
        f"ticket {r['ticket_ms']:.0f} ms, ratio {r['ratio_to_ticket']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
