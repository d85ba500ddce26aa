"""CPU per email in the notifications process: a free event's confirmation with its 40 KB PDF
ticket and calendar entry, composed and written out as it goes to the SMTP server (DATA with
its dots doubled, and the envelope), in one process, no server.

- ``ms_per_email``: the project's way (``calendar.ics``, ``mailer.draft``: ``mime.Mail.wire``
  and ``envelope``, ``quote_periods``);
- ``baseline_ms_per_email``: the same email the plain way, as the service made it before
  issue 30: icalendar's ``add_missing_timezones`` and ``to_ical``, the ``EmailMessage`` built
  with ``set_content``/``add_alternative``/``add_attachment`` (``Mail.message``) and flattened
  by smtplib's ``send_message``, the dots doubled by smtplib's ``_quote_periods``.

Both render the same templates. CPU time (``time.process_time``), the median of rounds that
alternate the two; ``baseline_over_current`` is how many times less CPU an email takes.

    .venv/bin/python -m bench.emails
"""
import random
import smtplib
import statistics
import time
from datetime import UTC, datetime, timedelta

from services.common import calendar
from services.notifications.mailer import _hand_over, draft, quote_periods, render

EMAILS_PER_ROUND = 100
ROUNDS = 7
PDF_BYTES = 40_000
SENDER = "SMOPK – semináře <seminare@smopk.example>"
NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
PDF = random.Random(30).randbytes(PDF_BYTES)  # a PDF's bytes, as far as base64 is concerned


def payload(n):
    return {
        "registration": {"id": n, "first_name": "Jiří", "last_name": f"Šťastný-Řeháček {n}", "status": "confirmed",
                         "email": f"jiri.stastny{n}@obec-dobrany.example", "organisation_name": "Město Dobřany",
                         "price": 0, "is_member": True, "ticket_code": f"T{n}-ABCDEFGHIJKLMNOP",
                         "manage_url": f"https://akce.example/r/Zx9-kP2qLm7RtV4wYb8NcD1fGh6JsA0e{n}"},
        "event": {"id": 7, "version": 1, "title": "Účetnictví obcí 2027", "kind": "training", "topic": "ucetnictvi",
                  "venue": "Rokycany, Masarykovo nám. 1", "lecturer": "Ing. Žaneta Čermáková",
                  "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T15:00:00+01:00"},
    }


def arguments(n, entry):
    return {"sender": SENDER, "reply_to": "seminare@smopk.example",
            "organiser": "Sdružení měst a obcí Plzeňského kraje", "contact": "seminare@smopk.example, tel. 377 000 000",
            "recipient": f"jiri.stastny{n}@obec-dobrany.example",
            "message_id": f"<{n:032x}@smopk.example>",
            "attachments": [(f"vstupenka-{n}.pdf", "application/pdf", PDF),
                            ("pozvanka.ics", f"text/calendar; method={calendar.METHOD}; charset=utf-8", entry)]}


class _Unsent(smtplib.SMTP):
    """smtplib with no server: ``sendmail`` keeps what it is given, its DATA as DATA goes out."""

    def __init__(self, quote):
        super().__init__()
        self.quote = quote
        self.sent = None

    def ehlo_or_helo_if_needed(self):
        pass

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.sent = (from_addr, to_addrs, self.quote(msg))


def current(n):
    made = payload(n)
    entry = calendar.ics(made, revision=calendar.ENTRY, sender=SENDER, organiser="SMOPK", now=NOW)
    unsent = _Unsent(quote_periods)
    _hand_over(unsent, draft("registration_confirmed", made, **arguments(n, entry)))
    return unsent.sent


def plain(n):
    made = payload(n)
    entries = calendar.entries(made, revision=calendar.ENTRY, sender=SENDER, organiser="SMOPK", now=NOW)
    starts, ends = calendar._moment(made["event"]["starts_at"]), calendar._moment(made["event"]["ends_at"])
    entries.add_missing_timezones(first_date=(starts - timedelta(days=366)).date(),
                                  last_date=(ends + timedelta(days=366)).date())
    unsent = _Unsent(smtplib._quote_periods)
    unsent.send_message(render("registration_confirmed", made, **arguments(n, entries.to_ical())).message())
    return unsent.sent


def _ms_per_email(way, first):
    started = time.process_time()
    for n in range(first, first + EMAILS_PER_ROUND):
        way(n)
    return 1000 * (time.process_time() - started) / EMAILS_PER_ROUND


def measure(rounds=ROUNDS):
    assert current(1)[:2] == plain(1)[:2]  # the same envelope (the bytes: tests/unit/notifications/test_mime.py)
    for n in range(20):  # templates compiled, caches warm
        current(n), plain(n)
    ours, theirs = [], []
    for number in range(rounds):
        first = 1000 + number * EMAILS_PER_ROUND
        ours.append(_ms_per_email(current, first))
        theirs.append(_ms_per_email(plain, first))
    ms, baseline = statistics.median(ours), statistics.median(theirs)
    return {"emails_per_round": EMAILS_PER_ROUND, "rounds": rounds, "pdf_kb": PDF_BYTES // 1000,
            "ms_per_email": ms, "baseline_ms_per_email": baseline, "baseline_over_current": baseline / ms}


def main():
    results = measure()
    print(f"a confirmation with a {results['pdf_kb']} KB PDF and its calendar entry, CPU per email, "
          f"median of {results['rounds']} rounds of {results['emails_per_round']}")
    print(f"the project's way  {results['ms_per_email']:.2f} ms")
    print(f"the plain way      {results['baseline_ms_per_email']:.2f} ms "
          f"(ratio {results['baseline_over_current']:.1f})")


if __name__ == "__main__":
    main()
