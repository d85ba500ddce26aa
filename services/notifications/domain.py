"""Delivery rules: what makes messages the same, and when to try again."""
from datetime import timedelta

DEFAULT_RETRY_DELAYS = (10, 30, 120, 600, 3600)
# With the default delays, about two days of retrying at the last pace.
MAX_ATTEMPTS = 50


def dedup_key(kind: str, payload: dict) -> str:
    """One message per kind, registration and event version; one per announcement and contact."""
    if kind == "announcement":
        return f"announcement:{payload['announcement_id']}:{payload['contact']['id']}"
    return f"{kind}:{payload['registration']['id']}:{payload['event']['version']}"


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
