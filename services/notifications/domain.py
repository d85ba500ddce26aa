"""Delivery rules: what makes messages the same, and when to try again."""
from datetime import timedelta

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
