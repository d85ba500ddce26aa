"""The registrations service's use cases: one transaction each.

Rules come from ``domain``; rows from ``store``. Each state change records
its event in the outbox within the same transaction.
"""
import secrets

from sqlalchemy.exc import IntegrityError

from services.common.czech import local
from services.common.errors import Conflict
from services.common.signing import ticket_code

from . import domain, store
from .schemas import RegistrationOut

ALREADY_REGISTERED = Conflict("already_registered", "S tímto e-mailem už jste na tuto akci přihlášeni.")


def event_view(event, now):
    """An event as callers see it: with seats left, open or not, times in Prague."""
    view = dict(event)
    for field in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        if view[field] is not None:
            view[field] = local(view[field])
    view["seats_left"] = domain.seats_left(event)
    view["registration_open"] = domain.registration_open(event, now)
    return view


def registration_view(registration, event, now, base_url):
    view = dict(registration)
    view["manage_url"] = f"{base_url}/r/{registration['token']}"
    view["ticket_url"] = (f"{base_url}/api/registrations/{registration['token']}/ticket.pdf"
                          if registration["status"] == "confirmed" else None)
    for field in ("created_at", "cancelled_at", "checked_in_at"):
        if view[field] is not None:
            view[field] = local(view[field])
    view["event"] = event_view(event, now)
    return view


def create_event(session, values, now):
    if values.get("registration_closes_at") is None:
        values = dict(values, registration_closes_at=values["starts_at"])
    domain.check_event_times(values)
    values = dict(values, status="draft", seats_taken=0, waitlist_taken=0, version=1,
                  created_at=now, updated_at=now)
    event_id = store.insert_event(session, values)
    return event_view(store.get_event(session, event_id), now)


def publish_event(session, event_id, now):
    event = get_event(session, event_id, public_only=False)
    if event["status"] == "cancelled":
        raise Conflict("event_cancelled", "Zrušenou akci nelze zveřejnit.")
    store.update_event(session, event_id, {"status": "published", "updated_at": now})
    return event_view(store.get_event(session, event_id), now)


def get_event(session, event_id, public_only=True):
    event = store.get_event(session, event_id)
    if event is None or (public_only and not domain.is_public(event)):
        raise domain.EVENT_NOT_FOUND
    return event


def upcoming_events(session, now):
    """Published events that have not ended, soonest first."""
    return [event_view(e, now) for e in store.list_events(session, statuses=("published",), ending_after=now)]


def all_events(session, now):
    return [event_view(e, now) for e in store.list_events(session, statuses=("draft", "published", "cancelled"))]


def enrol(session, outbox, signing_key, event_id, request, now, base_url):
    """Register one person: a seat if one is left, else the waitlist, else a refusal."""
    event = store.get_event(session, event_id)
    domain.check_can_register(event, request, now)
    key = domain.email_key(request["email"])
    if store.live_registration_exists(session, event_id, key):
        raise ALREADY_REGISTERED
    ico = (request.get("organisation_ico") or "").strip() or None
    if ico and event["max_per_organisation"] is not None:
        domain.check_organisation_limit(event, store.live_registrations_of_organisation(session, event_id, ico))
    organisation = store.get_organisation(session, ico) if ico else None
    member = domain.is_member(organisation, local(now).date())

    if store.take_seat(session, event_id):
        status, position = "confirmed", None
    elif event["waitlist_enabled"]:
        status, position = "waitlisted", store.take_waitlist_place(session, event_id)
    else:
        raise Conflict("event_full", "Akce je plně obsazena.")

    values = dict(
        event_id=event_id, token=secrets.token_urlsafe(24), status=status, waitlist_position=position,
        first_name=request["first_name"].strip(), last_name=request["last_name"].strip(),
        email=request["email"].strip(), email_key=key, phone=request.get("phone"),
        position=request.get("position"), note=request.get("note"), birth_date=request.get("birth_date"),
        organisation_ico=ico,
        organisation_name=(request.get("organisation_name") or "").strip() or (organisation or {}).get("name"),
        is_member=member, price=domain.price(event, member), created_at=now,
    )
    try:
        registration_id = store.insert_registration(session, values)
    except IntegrityError:
        raise ALREADY_REGISTERED from None
    if status == "confirmed":
        store.set_ticket_code(session, registration_id, ticket_code(signing_key, registration_id))
    view = registration_view(store.get_registration(session, registration_id), store.get_event(session, event_id),
                             now, base_url)
    outbox.add(session, f"registration_{status}", event_payload(view))
    return view


def event_payload(view):
    """What an event about a registration carries: the registration and its event."""
    dumped = RegistrationOut().dump(view)
    return {"event": dumped.pop("event"), "registration": dumped}


def get_registration(session, now, base_url, registration_id=None, token=None):
    registration = store.get_registration(session, registration_id=registration_id, token=token)
    if registration is None:
        raise domain.REGISTRATION_NOT_FOUND
    return registration_view(registration, store.get_event(session, registration["event_id"]), now, base_url)


def list_registrations(session, event_id, now, base_url, status=None):
    event = get_event(session, event_id, public_only=False)
    return [registration_view(r, event, now, base_url) for r in store.list_registrations(session, event_id, status)]


def remember_organisation(session, organisation, as_of):
    """Update the local copy of the member register from the members service."""
    return store.save_organisation(session, organisation["ico"], organisation["name"], organisation.get("kind"),
                                   organisation["periods"], as_of)
