"""Time from a registration's 201 to its email, with the PDF ticket, in the SMTP sink.

Registrations are sent one at a time at about 10 a second; for each, the time
until the sink holds one more .eml is measured. The baseline, measured in the
same run, is the registration's own HTTP round trip: the ratio says how much
the asynchronous part (outbox, broker, PDF, SMTP) adds to what the user waits.
"""
import statistics
import time

import requests


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)]


def milliseconds(seconds):
    return {"p50": 1000 * statistics.median(seconds), "p95": 1000 * percentile(seconds, .95)}


def measure(system, count=40, pace=0.1):
    event_id = system.new_event()
    session = requests.Session()
    round_trips, to_inbox = [], []
    for n in range(count):
        before = system.mail_count()
        started = time.perf_counter()
        answer = session.post(f"{system.base}/api/events/{event_id}/registrations", json={
            "first_name": "Jana", "last_name": f"Měřená {n}", "email": f"bench{n}@obec.example",
            "organisation_ico": "00075370", "gdpr_consent": True})  # a member
        created = time.perf_counter()
        if answer.status_code != 201:
            raise RuntimeError(f"registration {n} answered {answer.status_code}: {answer.text}")
        while system.mail_count() <= before:
            if time.perf_counter() - created > 30:
                raise RuntimeError(f"no email for registration {n} after 30 s")
            time.sleep(0.002)
        to_inbox.append(time.perf_counter() - created)
        round_trips.append(created - started)
        time.sleep(max(pace - (time.perf_counter() - started), 0))
    return {
        "registrations": count,
        "http_round_trip_ms": milliseconds(round_trips),
        "time_to_inbox_ms": milliseconds(to_inbox),
        "ratio_p50": statistics.median(to_inbox) / statistics.median(round_trips),
    }
