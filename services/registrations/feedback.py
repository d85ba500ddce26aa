"""Feedback: a short questionnaire after an event (content, lecturer, organisation rated 1 to 5,
and a comment), answered without logging in through a personal signed link
(``/feedback/<signed>``), once per person.

Staff send the requests when the event has ended ("send feedback requests"): each person who
came gets one, once (``store.follow_ups``). One answer per registration is kept by the unique
key of ``store.feedback``, not only by a check before it, so two tabs sending at once still
leave one answer. Results are kept without names: staff see averages, counts and comments.
"""
from services.common import czech
from services.common.errors import Conflict
from services.common.spreadsheet import csv_text
from services.common.vocabulary import MessagePurpose

from . import domain, messaging, store

PURPOSE = MessagePurpose.FEEDBACK
QUESTIONS = (("content_rating", "Obsah"), ("lecturer_rating", "Lektor"), ("organisation_rating", "Organizace"))
ALREADY_ANSWERED = ("Děkujeme, odpověď z tohoto odkazu už máme. Každý účastník může dotazník vyplnit jen jednou; "
                    "chcete-li něco doplnit, napište nám.")


def check_over(event, now):
    """The questionnaire goes only once the event has ended: asking during it would be too early."""
    if now < event["ends_at"]:
        raise Conflict("event_not_over", "Dotazník lze poslat až po skončení akce.")


def send_requests(uow, event, event_view):
    """Email the questionnaire to everyone who came and has not had it; how many. Only once the
    event has ended: asking during it would be too early."""
    check_over(event, uow.now)
    people = [r for r in store.list_registrations(uow.conn, event["id"]) if domain.came_in(r)
              and store.claim_follow_up(uow.conn, r["id"], PURPOSE, uow.now)]
    messaging.tell(uow, PURPOSE, event_view, people, link=lambda person: (
        f"{uow.base_url}/feedback/{messaging.signed_token(uow.signing_key, PURPOSE, person['id'])}"))
    return len(people)


def questionnaire(conn, key, token, expiry=None):
    """``(registration, event, answered)`` for the personal link; refused as ``registration_of``
    (``expiry``: its ``now``, ``days`` and ``contact``; an expired link is ``Gone``)."""
    registration, event = messaging.registration_of(conn, key, PURPOSE, token, **(expiry or {}))
    return registration, event, store.get_feedback(conn, registration["id"]) is not None


def answer(uow, token, values, expiry=None):
    """Keep the answer of the link's person (``token`` signed with ``uow.signing_key``);
    ``Conflict`` when they answered before."""
    registration, event = messaging.registration_of(uow.conn, uow.signing_key, PURPOSE, token, **(expiry or {}))
    if not store.add_feedback(uow.conn, dict(values, registration_id=registration["id"], event_id=event["id"],
                                             lecturer=event["lecturer"] or "", answered_at=uow.now)):
        raise Conflict("feedback_already_given", ALREADY_ANSWERED)


def _averages(rows):
    return {name: round(sum(row[name] for row in rows) / len(rows), 2) if rows else None for name, _ in QUESTIONS}


def results(conn, event):
    """An event's results: how many were asked and answered, the averages, the comments."""
    rows = store.feedback_of_event(conn, event["id"])
    return {"event_id": event["id"], "title": event["title"], "lecturer": event["lecturer"] or "",
            "requested": store.count_follow_ups(conn, event["id"], PURPOSE), "answers": len(rows),
            "averages": _averages(rows),
            "comments": [row["comment"] for row in rows if row["comment"]]}


def results_by_lecturer(conn):
    """Per lecturer (as named on the event when the answers came): events, answers, averages."""
    return [{"lecturer": lecturer, "events": events, "answers": answers,
             "averages": {"content_rating": round(float(content), 2), "lecturer_rating": round(float(lecturer_avg), 2),
                          "organisation_rating": round(float(organisation), 2)}}
            for lecturer, events, answers, content, lecturer_avg, organisation in store.feedback_by_lecturer(conn)]


def export_csv(conn, event_id):
    """The answers of an event, one a row, without names (Czech Excel's CSV)."""
    return csv_text(["Odpověď", "Obsah", "Lektor", "Organizace", "Komentář", "Vyplněno"],
                    ([number, row["content_rating"], row["lecturer_rating"], row["organisation_rating"],
                      row["comment"], czech.date_time(row["answered_at"])]
                     for number, row in enumerate(store.feedback_of_event(conn, event_id), start=1)))


def export_lecturers_csv(conn):
    """The results per lecturer as CSV."""
    return csv_text(["Lektor", "Akcí", "Odpovědí", "Obsah (průměr)", "Lektor (průměr)", "Organizace (průměr)"],
                    ([row["lecturer"], row["events"], row["answers"], *(czech_number(row["averages"][name])
                                                                         for name, _ in QUESTIONS)]
                     for row in results_by_lecturer(conn)))


def czech_number(value):
    """A decimal as Czech Excel reads it: with a comma."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")
