"""Delivery rules: what makes messages the same, and when to try again; how an email greets."""
import re
from datetime import timedelta

from vokativ import sex, vokativ

DEFAULT_RETRY_DELAYS = (10, 30, 120, 600, 3600)
# With the default delays, about two days of retrying at the last pace.
MAX_ATTEMPTS = 50


def dedup_key(kind: str, payload: dict) -> str:
    """One message per kind, registration and event version; one per announcement and contact."""
    if kind == "announcement":
        return f"announcement:{payload['announcement_id']}:{payload['contact']['id']}"
    if kind == "attendee_message":  # one per staff message and registration
        return f"attendee_message:{payload['batch_id']}:{payload['registration']['id']}"
    if kind in ATTENDEE_FOLLOW_UPS.values():  # once per registration, whatever the batch
        return f"{kind}:{payload['registration']['id']}"
    if kind == "invoice_issued":
        return f"invoice_issued:{payload['invoice']['number']}:{payload['recipient']}"
    if kind == "colleagues_registered":  # one summary per group: its first registration names it
        return f"colleagues_registered:{payload['registrations'][0]['id']}"
    return f"{kind}:{payload['registration']['id']}:{payload['event']['version']}"


# What registrations' ``attendees_messaged`` asks for: the kind of email for each ``purpose``.
ATTENDEE_FOLLOW_UPS = {"message": "attendee_message", "materials": "materials_available",
                       "feedback": "feedback_request"}


# A message about a registration is out of date, and is not sent, once one of these is known
# about the same registration (each of them comes later in a registration's life).
OVERTAKEN_BY = {
    "registration_confirmed": {"registration_cancelled", "event_cancelled", "registration_substituted"},
    "registration_promoted": {"registration_cancelled", "event_cancelled", "registration_substituted"},
    "registration_waitlisted": {"registration_promoted", "registration_cancelled", "event_cancelled"},
    "registration_restored": {"registration_promoted", "registration_cancelled", "event_cancelled",
                              "registration_substituted"},
    "reminder_due": {"registration_cancelled", "event_cancelled", "registration_substituted"},
    "event_updated": {"registration_cancelled", "event_cancelled", "registration_substituted"},
    "payment_overdue": {"payment_received", "registration_cancelled", "event_cancelled", "registration_substituted"},
    "payment_release_warning": {"payment_received", "registration_cancelled", "event_cancelled",
                                "registration_substituted"},
    "substitute_confirmed": {"registration_cancelled", "event_cancelled", "registration_substituted"},
}
# These tell the event's time and place, so a later version of the event makes them out of date.
TELLS_THE_SCHEDULE = {"event_updated", "reminder_due"}


def overtaken_by(kind: str, event_version, facts) -> str | None:
    """What makes a ``kind`` message about an event at ``event_version`` out of date, given the
    ``(kind, event_version)`` of the other messages about the same registration; None if nothing."""
    for other_kind, other_version in facts:
        if other_kind in OVERTAKEN_BY.get(kind, ()):
            return other_kind
        if (kind in TELLS_THE_SCHEDULE and other_kind == "event_updated" and other_version is not None
                and event_version is not None and other_version > event_version):
            return f"event_updated to version {other_version}"
    return None


def announcement_schedule(count, now, per_second):
    """When each of ``count`` announcement emails may go: a steady pace, so they never crowd out
    the emails people are waiting for."""
    per_second = max(float(per_second), 0.01)
    return [now + timedelta(seconds=index / per_second) for index in range(count)]


def next_attempt_at(attempts: int, now, delays=DEFAULT_RETRY_DELAYS):
    """When to try again after ``attempts`` failed tries: growing delays, then the last one."""
    delays = list(delays) or list(DEFAULT_RETRY_DELAYS)
    return now + timedelta(seconds=delays[min(attempts, len(delays)) - 1])


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


# Greetings. Czech letters address a person in the vocative: "pane Svobodo", "paní Svobodová" (a
# woman's surname keeps its form). vokativ (1.2.1) declines Czech names by their endings and guesses
# the sex from them; it declines any word it is given ("Smith" → "Smithe"), so names it cannot know
# get the neutral greeting rather than a guess that would read wrong.
NEUTRAL_GREETING = "Dobrý den,"
_CZECH_WORD = re.compile(r"[a-záčďéěíňóřšťúůýž]+(-[a-záčďéěíňóřšťúůýž]+)*")
# Spellings of other languages (Czech writes them otherwise: v, ks, s/š, f, k, ...): "Alex Smith",
# "Kim Nguyen", "Sasha Wagner" are greeted neutrally.
_FOREIGN_SPELLING = re.compile(r"[qwx]|th|sh|ph|ck|gh|ee|oo|uy|^ng")


def greeting(first_name, last_name="") -> str:
    """The opening line of an email to a person: "Dobrý den, pane Svobodo," for a man,
    "Dobrý den, paní Svobodová," for a woman, "Dobrý den," when the name does not tell.

    The name tells when the first name and the surname are each one Czech word (a hyphenated
    surname too) and vokativ reads the same sex from both; a name in one field ("Petr Svoboda")
    is split at its last space. Anything else (one word, a foreign name, letters Czech does not
    have, a title or a digit, a woman's first name with a man's surname) greets neutrally."""
    first, last = " ".join(str(first_name or "").split()), " ".join(str(last_name or "").split())
    if not last and " " in first:
        first, last = first.rsplit(" ", 1)
    first = first.split(" ")[0]  # "Jan Pavel": the first of the given names tells the sex
    if not (_czech(first) and _czech(last)):
        return NEUTRAL_GREETING
    first_sex, surname_sexes = sex(first.lower()), {sex(part.lower()) for part in last.split("-")}
    if surname_sexes != {first_sex}:
        return NEUTRAL_GREETING
    if first_sex == "w":
        return f"Dobrý den, paní {_as_written(last.lower(), last)},"
    if "-" in last:  # which part a man's double surname declines is not for a rule to guess
        return NEUTRAL_GREETING
    return f"Dobrý den, pane {_as_written(vokativ(last.lower(), woman=False, last_name=True), last)},"


def _czech(word: str) -> bool:
    lowered = word.lower()
    return bool(_CZECH_WORD.fullmatch(lowered)) and not _FOREIGN_SPELLING.search(lowered)


def _as_written(declined: str, written: str) -> str:
    """``declined`` (vokativ answers in lower case) in the capitals of ``written``; a name typed
    all in small or all in capital letters is written with a capital initial."""
    if written.islower() or written.isupper():
        return "-".join(part.capitalize() for part in declined.split("-"))
    return "".join(char.upper() if index < len(written) and written[index].isupper() else char
                   for index, char in enumerate(declined))
