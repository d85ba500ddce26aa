"""Registration rules: no nameko, no SQL; plain values in, decisions out."""
from datetime import date, timedelta
from functools import partial

from services.common import czech
from services.common.czech import local, plural
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.membership import is_member_on

# Refusals are made fresh at each raise: an exception object raised again keeps every earlier
# traceback, and the frames' locals with it.
EVENT_NOT_FOUND = partial(NotFound, "event_not_found", "Akce nebyla nalezena.")
REGISTRATION_NOT_FOUND = partial(NotFound, "registration_not_found", "Přihláška nebyla nalezena.")


def email_key(email: str) -> str:
    """The form of an address by which two registrations are the same person."""
    return email.strip().casefold()


def is_public(event) -> bool:
    return event is not None and event["status"] == "published"


def registration_open(event, now) -> bool:
    """Is the event taking registrations at ``now``?"""
    if not is_public(event):
        return False
    if event["registration_opens_at"] is not None and now < event["registration_opens_at"]:
        return False
    return now < event["registration_closes_at"] and now < event["starts_at"]


def check_can_register(event, request, now):
    """Refuse a registration that the event cannot take, whatever the seats."""
    if event is not None and event["status"] == "cancelled":
        raise Conflict("event_cancelled", "Tato akce byla zrušena.")
    if not is_public(event):
        raise EVENT_NOT_FOUND()
    if not registration_open(event, now):
        raise Conflict("registration_closed", "Přihlašování na tuto akci není otevřené.")
    if event["collects_birth_date"] and request.get("birth_date") is None:
        raise ValidationError({"birth_date": "Pro vydání osvědčení u této akce potřebujeme datum narození."})


def check_organisation_limit(event, already_registered: int):
    limit = event["max_per_organisation"]
    if limit is not None and already_registered >= limit:
        raise Conflict("organisation_limit_reached", "Z jedné organizace se na tuto akci mohou přihlásit nejvýše "
                       f"{plural(limit, 'osoba', 'osoby', 'osob')}.")


def over_organisation_limit(event, already_registered: int) -> bool:
    limit = event["max_per_organisation"]
    return limit is not None and already_registered >= limit


def check_group_within_limit(event, already_registered: int, coming: int):
    """Colleagues registered all or none: refused whole when they would pass the limit."""
    limit = event["max_per_organisation"]
    if limit is not None and already_registered + coming > limit:
        left = max(limit - already_registered, 0)
        rest = f"může přijít už jen {plural(left, 'osoba', 'osoby', 'osob')}" if left else "už nikdo další"
        raise Conflict("organisation_limit_reached", "Z jedné organizace se na tuto akci mohou přihlásit nejvýše "
                       f"{plural(limit, 'osoba', 'osoby', 'osob')}; z vaší organizace {rest}. Přihlaste méně "
                       "kolegů, nebo zvolte, že ostatní půjdou na čekací listinu.")


def check_waitlist(event):
    if not event["waitlist_enabled"]:
        raise Conflict("organisation_limit_reached", "Limit organizace je vyčerpán a akce nemá čekací listinu, "
                       "na kterou by mohli přijít ostatní.")


def place_for_next(event) -> str:
    """Where the next person goes: ``confirmed`` while a seat is left, then ``waitlisted``, else
    refused. ``event`` carries the seats taken so far, including the group being registered."""
    if event["seats_taken"] < event["capacity"]:
        return "confirmed"
    if event["waitlist_enabled"]:
        return "waitlisted"
    raise Conflict("event_full", "Akce je plně obsazena.")


def is_member(organisation, on_date: date) -> bool:
    """Member or not by the copy of the register; unknown organisations are not."""
    return organisation is not None and is_member_on(organisation["periods"], on_date)


def price(event, member: bool) -> int:
    return event["price_member"] if member else event["price_non_member"]


def seats_left(event) -> int:
    return max(event["capacity"] - event["seats_taken"], 0)


def check_event_times(values):
    """The cross-field rules of an event's schedule; field name -> Czech message."""
    errors = {}
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = "Konec akce musí být po jejím začátku."
    if values["registration_closes_at"] > values["starts_at"]:
        errors["registration_closes_at"] = "Přihlašování musí skončit nejpozději začátkem akce."
    opens = values.get("registration_opens_at")
    if opens is not None and opens >= values["registration_closes_at"]:
        errors["registration_opens_at"] = "Přihlašování se musí otevřít dřív, než se uzavře."
    if errors:
        raise ValidationError(errors)


def check_can_cancel(event, now):
    if now >= event["starts_at"]:
        raise Conflict("too_late", "Akce už začala, přihlášku nelze zrušit.")


def check_capacity(new_capacity, seats_taken):
    """Nobody loses a seat by an edit."""
    if new_capacity < seats_taken:
        raise Conflict("capacity_below_confirmed",
                       f"Kapacitu nelze snížit pod počet potvrzených účastníků ({seats_taken}).")


SCHEDULE_FIELDS = ("starts_at", "ends_at", "venue")


def schedule_changes(event, values) -> dict:
    """Field -> (before, after) for the changes attendees must be told about."""
    return {field: (event[field], values[field]) for field in SCHEDULE_FIELDS
            if field in values and values[field] != event[field]}


def check_ticket(registration, ticket_event, event_id, now):
    """Refuse a ticket that does not admit anybody to event ``event_id`` now; ``ticket_event``
    is the event the ticket was issued for."""
    if registration is None:
        raise INVALID_TICKET()
    if registration["event_id"] != event_id:
        raise Conflict("wrong_event", f"Vstupenka je na jinou akci: {ticket_event['title']} "
                                      f"({czech.date_time(ticket_event['starts_at'])}).")
    if registration["status"] == "cancelled":
        raise Conflict("ticket_cancelled", "Tato přihláška byla zrušena, vstupenka neplatí.")
    if registration["status"] != "confirmed":
        raise Conflict("ticket_not_confirmed", "Přihláška není potvrzená (je na čekací listině).")
    if registration["checked_in_at"] is not None:
        raise Conflict("already_checked_in",
                       f"Vstupenka už byla odbavena ({czech.date_time(registration['checked_in_at'])}).")


INVALID_TICKET = partial(NotFound, "invalid_ticket", "Neplatná vstupenka: kód není náš, nebo je poškozený.")


def release_step(payment: dict, warned_at, days: int, now) -> str | None:
    """What an unpaid seat of an event that releases them is due now: ``"warn"`` on the day
    before ``days`` after the payment was asked for, ``"release"`` from that day on (and never
    sooner than a day after the warning went out), else None."""
    requested_on = date.fromisoformat(payment.get("requested_on") or local(now).date().isoformat())
    release_on = requested_on + timedelta(days=days)
    today = local(now).date()
    if warned_at is None:
        return "warn" if today >= release_on - timedelta(days=1) else None
    return "release" if today >= max(release_on, local(warned_at).date() + timedelta(days=1)) else None
