"""The registrations service's use cases: one transaction each.

Rules come from ``domain``; rows from ``store``. A use case that changes
something takes the call's unit of work (``services.common.unit_of_work``):
its connection, its moment ``now``, the base URL of links and the ticket
signing key; each state change records its event with ``uow.announce`` in
the same transaction. A use case that only reads takes the connection.
"""
import secrets
from datetime import date, timedelta

from services.common import czech
from services.common.answers import answer_text
from services.common.czech import local
from services.common.errors import Conflict, ServiceError, ValidationError
from services.common.orgname import organisation_key
from services.common.payment import paid_column
from services.common.signing import ticket_code, verify_ticket_code
from services.common.spreadsheet import csv_text
from services.common.vocabulary import CertificateState, EventStatus, InvoiceKind, RegistrationStatus

from . import domain, records, store
from .schemas import event_out, registration_only_out, registration_out

ALREADY_REGISTERED = domain.ALREADY_REGISTERED


def event_view(event, now):
    """An event as callers see it: with seats left, open or not, times in Prague."""
    view = dict(event)
    for field in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        if view[field] is not None:
            view[field] = local(view[field])
    if view.get("sessions"):
        view["sessions"] = [dict(item, starts_at=local(item["starts_at"]), ends_at=local(item["ends_at"]))
                            for item in view["sessions"]]
    view["seats_left"] = domain.seats_left(event)
    view["session_hours"] = domain.session_hours(event)
    view["certificate_share"] = domain.certificate_share(event)
    view["registration_open"] = domain.registration_open(event, now)
    view["questions"] = event["questions"] or []
    return view


def registration_view(registration, event, now, base_url, conn=None, marks=None):
    """A registration as callers see it (with its event, unless ``event`` is None). With its
    event and its session marks (``marks``, or read through ``conn``): the sessions it was let in
    to and marked at, the hours of those (``attended_hours``: what its certificate states) and why
    the marks do not make the event attended (``attendance_short``, Czech, or None)."""
    view = dict(registration)
    if event is not None and (marks is not None or conn is not None):
        if marks is None:
            marks = store.session_marks(conn, [registration["id"]]).get(registration["id"], {})
        attended = _sessions_attended(marks)
        view.update(sessions_checked_in=_sessions_checked_in(marks), sessions_attended=attended,
                    attended_hours=domain.attended_hours(event, attended),
                    attendance_short=domain.short_of_share(event, attended))
    if registration["status"] == RegistrationStatus.WAITLISTED and conn is not None:
        view["waitlist_position"] = store.waitlist_rank(conn, registration["event_id"],
                                                        registration["waitlist_position"])
    elif registration["status"] != RegistrationStatus.WAITLISTED:
        view["waitlist_position"] = None
    view["manage_url"] = f"{base_url}/r/{registration['token']}"
    view["ticket_url"] = (f"{base_url}/api/registrations/{registration['token']}/ticket.pdf"
                          if registration["status"] == RegistrationStatus.CONFIRMED else None)
    for field in ("created_at", "cancelled_at", "checked_in_at", "paid_at", "substituted_at", "certificate_sent_at",
                  "certificate_released_at"):
        if view.get(field) is not None:
            view[field] = local(view[field])
    view["answers"] = registration["answers"] or {}
    # Where the certificate stands; an event without accreditation has none (known when the event is).
    view["certificate"] = (domain.certificate_state(registration)
                           if event is None or event["accreditation_number"] else None)
    if event is not None:
        view["event"] = event_view(event, now)
        view["webinar_url"] = domain.webinar_link(registration, event)
    return view


def create_event(uow, values):
    values = domain.with_sessions(values)
    if values.get("registration_closes_at") is None:
        values = dict(values, registration_closes_at=values["starts_at"])
    domain.check_event_times(values)
    domain.check_event_format(values)
    values = dict(values, status=EventStatus.DRAFT, seats_taken=0, waitlist_taken=0, waitlist_length=0, version=1,
                  created_at=uow.now, updated_at=uow.now)
    event_id = store.insert_event(uow.conn, values)
    return event_view(store.get_event(uow.conn, event_id), uow.now)


def publish_event(uow, event_id):
    """Publish a draft: it takes registrations and is announced once (``event_published``, the
    event's public facts, for the webhooks). The row is locked, so two staff publishing at once
    announce it once; publishing a published event again changes and announces nothing new.
    Failing halfway (the database, the outbox), the transaction is rolled back whole: the event
    stays a draft and nothing is announced."""
    event = store.lock_event(uow.conn, event_id)
    if event is None:
        raise domain.EVENT_NOT_FOUND()
    if event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Zrušenou akci nelze zveřejnit.")
    store.update_event(uow.conn, event_id, {"status": EventStatus.PUBLISHED, "updated_at": uow.now,
                                            "published_at": event["published_at"] or uow.now})
    published = store.get_event(uow.conn, event_id)
    if event["status"] == EventStatus.DRAFT:
        uow.announce("event_published", {"event": public_facts(published, uow.base_url)})
    return event_view(published, uow.now)


def public_facts(event, base_url):
    """What anyone may know of a published event (``event_published``): no registrations, no
    internal fields; times as ISO texts in Prague, prices in whole CZK, its public page."""
    return {"id": event["id"], "title": event["title"], "starts_at": _told(event["starts_at"]),
            "ends_at": _told(event["ends_at"]), "venue": event["venue"], "topic": event["topic"],
            "kind": event["kind"], "format": event["format"], "price_member": event["price_member"],
            "price_non_member": event["price_non_member"], "capacity": event["capacity"],
            "url": f"{base_url}/events/{event['id']}"}


def get_event(conn, event_id, public_only=True):
    event = store.get_event(conn, event_id)
    if event is None or (public_only and not domain.is_public(event)):
        raise domain.EVENT_NOT_FOUND()
    return event


def upcoming_events(conn, now):
    """Published events that have not ended, soonest first."""
    return [event_view(e, now) for e in store.list_events(conn, statuses=(EventStatus.PUBLISHED,), ending_after=now)]


def feed_events(conn, now, topic=None, past_days=30):
    """The events of the public feeds (calendar, Atom, the embeddable list): published ones, and
    those cancelled after they were published, that end after ``now`` less ``past_days`` days,
    soonest first; of ``topic`` only, when given."""
    found = store.list_feed_events(conn, ending_after=now - timedelta(days=past_days))
    return [event_view(e, now) for e in found if topic is None or e["topic"] == topic]


def all_events(conn, now):
    return [event_view(e, now) for e in store.list_events(conn, statuses=tuple(EventStatus))]


def enrol(uow, event_id, requests):
    """Register a group of people for one event in one transaction, in the order given: a seat
    while one is left, then the waitlist, else a refusal (``domain.plan_enrolment`` decides; a
    refusal is one person's alone, writes nothing, and the others go on). A request may be
    several colleagues of one organisation (``attendees``), registered all or none and told
    together to whoever registered them (``colleagues_registered``).

    The event's row is locked first and held to the commit, so that groups (of this process or
    of another replica) take turns: seats and places in line go in the order of the commits, and
    within a group in the order of the requests. Everyone with a lower queue number committed
    before, so the place in line told is the number waiting now, and it never gets worse.

    The organisation limit counts the live registrations with the same IČO or the same name's
    key (``orgname.organisation_key``); a name typed without an IČO takes the IČO of the one
    organisation of the register with that key. Failing halfway (the database, the outbox), the
    transaction is rolled back whole: nobody is registered and nothing is announced.

    Returns, for each request in order, ``(registration, event)`` for ``answer`` (the event as
    it was after that person's seat), or for colleagues a list of them, or the refusal, an
    exception not raised.
    """
    event = store.lock_event(uow.conn, event_id)
    found, organisations = _register_entries(uow.conn, requests)
    people = [_with_organisation(request, found, organisations) for request in requests]
    everyone = [person for request in people for person in domain.people_of(request)]
    taken = store.live_email_keys(uow.conn, event_id, {domain.email_key(person["email"]) for person in everyone})
    counts = _organisation_counts(uow.conn, event, everyone, organisations)
    plan = domain.plan_enrolment(event, people, counts, taken, uow.now)
    if not plan.placed:
        return list(plan.outcomes)

    rows = [_row(event, placed, organisations, uow.now) for placed in plan.placed]
    ids = store.insert_registrations(uow.conn, rows)
    codes = {registration_id: ticket_code(uow.signing_key, registration_id)
             for registration_id, row in zip(ids, rows, strict=True) if row["status"] == RegistrationStatus.CONFIRMED}
    store.set_ticket_codes(uow.conn, codes)
    store.count_in(uow.conn, event_id, plan.event["seats_taken"] - event["seats_taken"],
                   plan.event["waitlist_taken"] - event["waitlist_taken"])
    registered = [_announced_registration(event, row, number, codes.get(number), placed.place, uow.now, uow.base_url)
                  for number, row, placed in zip(ids, rows, plan.placed, strict=True)]
    outcomes, announced = _announcements(people, plan, registered, event_out.dump(event_view(plan.event, uow.now)))
    uow.announce_many(announced)
    return outcomes


def _register_entries(conn, requests):
    """``(name key -> the IČO of the one organisation of the register with it, IČO -> the
    register's organisation)`` for the organisations the requests name or give the IČO of."""
    people = [person for request in requests for person in domain.people_of(request)]
    typed = {(person.get("organisation_ico") or "").strip() or None for person in people} - {None}
    names = {organisation_key(person.get("organisation_name")) for person in people
             if not (person.get("organisation_ico") or "").strip()} - {None}
    named = store.organisations_named(conn, names) if names else {}
    found = {key: icos[0] for key, icos in named.items() if len(icos) == 1}  # two of one name: neither
    return found, store.get_organisations(conn, typed | set(found.values()))


def _with_organisation(request, found, organisations):
    """The request with its organisation resolved: its IČO (typed, or found by the name), its
    name (typed, or the register's) and its name's key."""
    ico = (request.get("organisation_ico") or "").strip() or None
    name = (request.get("organisation_name") or "").strip() or None
    ico = ico or found.get(organisation_key(name))
    name = name or (organisations.get(ico) or {}).get("name")
    return dict(request, organisation_ico=ico, organisation_name=name, organisation_key=organisation_key(name))


def _organisation_counts(conn, event, people, organisations):
    """(IČO, name key) -> live registrations, for the organisations of ``people`` (by IČO, by
    the keys of their names and of the register's names); nothing when the event has no limit."""
    if event is None or event["max_per_organisation"] is None:
        return {}
    icos = {person["organisation_ico"] for person in people} - {None}
    keys = ({person["organisation_key"] for person in people}
            | {organisation_key(organisation["name"]) for organisation in organisations.values()})
    return store.live_registrations_of_organisations(conn, event["id"], icos, keys)


def _row(event, placed, organisations, now):
    """The row of one person the plan placed."""
    person = placed.person
    member = domain.is_member(organisations.get(person["organisation_ico"]), local(now).date())
    return dict(
        event_id=event["id"], token=secrets.token_urlsafe(24), status=placed.status,
        waitlist_position=placed.waitlist_position,
        first_name=person["first_name"].strip(), last_name=person["last_name"].strip(),
        email=person["email"].strip(), email_key=domain.email_key(person["email"]), phone=person.get("phone"),
        position=person.get("position"), note=person.get("note"), birth_date=person.get("birth_date"),
        organisation_ico=person["organisation_ico"], organisation_name=person["organisation_name"],
        organisation_key=person["organisation_key"], is_member=member, price=domain.price(event, member),
        created_at=now, answers=placed.answers,
    )


def _announced_registration(event, row, registration_id, code, place, now, base_url):
    """A new registration as its announcement carries it (``registration_only_out``)."""
    registration = dict(row, id=registration_id, ticket_code=code, waitlist_position=place, cancelled_at=None,
                        checked_in_at=None, attended_at=None, reminded_at=None, payment=None, paid_at=None,
                        substitute_for=None, substituted_by=None, substituted_at=None, certificate_sent_at=None,
                        certificate_released_at=None, certificate_released_by=None)
    registration["webinar_url"] = domain.webinar_link(registration, event)
    return registration_only_out.dump(registration_view(registration, None, now, base_url))


# What a person placed by ``enrol`` is announced as, by the status the plan gave them.
PLACED_EVENT = {RegistrationStatus.CONFIRMED: "registration_confirmed",
                RegistrationStatus.WAITLISTED: "registration_waitlisted"}


def _announcements(requests, plan, registered, told):
    """``(outcomes, events to announce)``: each request's outcome (``enrol``'s answer) and a
    ``registration_confirmed`` or ``_waitlisted`` for each person placed, then for colleagues
    ``colleagues_registered``; ``registered``: the dumped registrations in the plan's order,
    ``told``: the event as the group left it, which every payload carries."""
    outcomes, announced, dumped = [], [], iter(registered)
    for request, outcome in zip(requests, plan.outcomes, strict=True):
        if isinstance(outcome, ServiceError):
            outcomes.append(outcome)
            continue
        group = outcome if isinstance(outcome, tuple) else (outcome,)
        given = [(next(dumped), placed.event) for placed in group]
        for (registration, _), placed in zip(given, group, strict=True):
            announced.append((PLACED_EVENT[placed.status], {"event": told, "registration": registration}))
        if isinstance(outcome, tuple):
            announced.append(("colleagues_registered", {"event": told, "registrant": request["registrant"],
                                                        "registrations": [registration for registration, _ in given]}))
        outcomes.append(given if isinstance(outcome, tuple) else given[0])
    return outcomes, announced


def enrol_group(uow, event_id, entries):
    """``enrol`` for ``(request, idempotency key or None, request hash)`` entries, keeping the
    answer of each keyed one: for a keyed entry the outcome is that answer (a dict), not
    ``(registration, event)``. An entry whose key has an answer kept already, or came earlier in
    the group, is ``ALONE``: its caller goes on alone afterwards, and is given the kept answer."""
    keyed = [key for _request, key, _hash in entries if key]
    if keyed:  # the event first, as everywhere: a twin's group in another process has committed by then
        store.lock_event(uow.conn, event_id)
    kept = store.idempotency_keys_kept(uow.conn, keyed) if keyed else set()
    outcomes, group = [], []
    for request, key, request_hash in entries:
        if key and key in kept:
            outcomes.append(ALONE)
            continue
        kept.add(key)
        outcomes.append(None)
        group.append((len(outcomes) - 1, request, key, request_hash))
    results = enrol(uow, event_id, [request for _, request, _, _ in group])
    answers = []
    for (index, _request, key, request_hash), result in zip(group, results, strict=True):
        if key and not isinstance(result, ServiceError):
            result = answer_of(result, uow.now)  # kept, and given to this caller as it is kept
            answers.append({"key": key, "request_hash": request_hash, "status": 201, "body": result,
                            "created_at": uow.now})
        outcomes[index] = result
    store.save_idempotent_answers(uow.conn, answers)
    return outcomes


# Told to a request that must go alone (see ``enrol_group``).
ALONE = "alone"


def answer(registration, event, now):
    """The API's answer to a registration: the registration with its event as it is now."""
    return dict(registration, event=event_out.dump(event_view(event, now)))


def group_answer(registered, now):
    """The API's answer to colleagues registered: each registration, and the event as it is now."""
    return {"registrations": [registration for registration, _ in registered],
            "event": event_out.dump(event_view(registered[-1][1], now))}


def answer_of(outcome, now):
    """``answer`` for one person, ``group_answer`` for colleagues."""
    return group_answer(outcome, now) if isinstance(outcome, list) else answer(*outcome, now)


def event_payload(view):
    """What an event about a registration carries: the registration and its event."""
    dumped = registration_out.dump(view)
    return {"event": dumped.pop("event"), "registration": dumped}


def get_registration(conn, now, base_url, registration_id=None, token=None):
    registration = store.get_registration(conn, registration_id=registration_id, token=token)
    if registration is None:
        raise domain.REGISTRATION_NOT_FOUND()
    return registration_view(registration, store.get_event(conn, registration["event_id"]), now, base_url, conn)


def list_registrations(conn, event_id, now, base_url, status=None):
    event = get_event(conn, event_id, public_only=False)
    registrations = store.list_registrations(conn, event_id, status)
    marks = store.session_marks(conn, [r["id"] for r in registrations])
    return [registration_view(r, event, now, base_url, conn, marks=marks.get(r["id"], {})) for r in registrations]


def record_payment(uow, registration_id, payment, paid_at=None, unpaid=False, issue_held=False):
    """What payments asked this registration to pay (``payment_requested``), or that it was paid
    (``payment_received``), or that the bank took the payment back (``payment_reversed``:
    ``unpaid``, the paid flag goes back): the manage page shows it without asking payments. Told
    twice, the same values are written twice. The row is locked: ``invoice_issued``, heard on
    another queue at the same moment, changes the same column. ``issue_held``: a certificate held
    for this payment goes out now (``payment_received``)."""
    kept = store.lock_registration(uow.conn, registration_id)
    if kept is None:
        return
    invoice = (kept["payment"] or {}).get("invoice_number")  # told before, by invoice_issued
    values = {"payment": dict(payment, invoice_number=payment.get("invoice_number", invoice))}
    if paid_at is not None:
        values["paid_at"] = paid_at
    elif unpaid:
        values["paid_at"] = None
    store.set_registration(uow.conn, registration_id, values)
    # told late: what is owed went with the seat
    if kept["status"] == RegistrationStatus.SUBSTITUTED and kept["substituted_by"]:
        record_payment(uow, kept["substituted_by"], payment, paid_at, unpaid, issue_held)
    elif paid_at is not None and issue_held:  # the certificate held for this payment goes out now
        _issue_if_due_now(uow, registration_id)


def record_invoice(conn, registration_ids, invoice, restored=None, owed_on=None):
    """An invoice covers these registrations, or a credit note took them back. One invoice for
    several people has a symbol of its own: from then on each person's page, ticket and emails
    show paying that invoice (the organisation pays once), not their own share. A credit note
    that cancelled the invoice gives back, in ``restored`` (by registration id), what each
    person pays again: their own symbol and QR Platba, not the dead invoice's. ``owed_on`` is
    what payments says is still owed on the invoice (the one issued, or the one the credit note
    corrects) for each registration still on it, by ``services.payments.domain.owed``: its amount
    less its credit notes, so a colleague's cancellation lowers what the others are asked for."""
    restored = restored or {}
    owed = (owed_on or {}).get("payment") or {}
    for registration_id in sorted(set(registration_ids) | {int(r) for r in owed}):  # one order: no deadlock
        registration = store.lock_registration(conn, registration_id)  # payment_requested changes it too
        if registration is None:
            continue
        payment = dict(registration["payment"] or {}, **restored.get(str(registration_id), {}))
        if str(registration_id) in owed:  # still on the invoice: what is owed on it now
            payment.update(owed[str(registration_id)], invoice_number=owed_on["number"])
        else:
            payment["invoice_number"] = invoice["number"] if invoice["kind"] == InvoiceKind.INVOICE else None
        # (told before payment_requested, which comes on another queue: only the number is kept)
        if (not owed and invoice["kind"] == InvoiceKind.INVOICE
                and payment.get("variable_symbol") not in (None, invoice["variable_symbol"])):
            payment.update(group_invoice=invoice["number"], variable_symbol=invoice["variable_symbol"],
                           spd=invoice["spd"], due_on=invoice["due_on"],
                           outstanding_halere=invoice["total_halere"], account=invoice["supplier"]["account"],
                           iban=invoice["supplier"]["iban"])
        store.set_registration(conn, registration_id, {"payment": payment})


def remember_organisation(conn, organisation, as_of):
    """Update the local copy of the member register from the members service."""
    return store.save_organisation(conn, organisation["ico"], organisation["name"], organisation.get("kind"),
                                   organisation["periods"], as_of, organisation.get("district"))


def _announce(uow, event_type, registration_id, **extra):
    """Record ``event_type`` about a registration, carrying it and its event as they are now."""
    registration = store.get_registration(uow.conn, registration_id=registration_id)
    view = registration_view(registration, store.get_event(uow.conn, registration["event_id"]), uow.now,
                             uow.base_url, uow.conn)
    uow.announce(event_type, dict(event_payload(view), **extra))
    return view


def promote_waitlisted(uow, event_id):
    """Give every free seat to the first in line, each told by ``registration_promoted``."""
    promoted = []
    while store.take_seat(uow.conn, event_id) is not None:
        first = store.first_waitlisted(uow.conn, event_id)
        if first is None:
            store.free_seat(uow.conn, event_id)  # nobody waits: give the seat back
            break
        store.set_registration(uow.conn, first["id"], {
            "status": RegistrationStatus.CONFIRMED, "waitlist_position": None,
            "ticket_code": ticket_code(uow.signing_key, first["id"]),
        }, status=RegistrationStatus.WAITLISTED)
        store.leave_waitlist(uow.conn, event_id)
        promoted.append(_announce(uow, "registration_promoted", first["id"]))
    return promoted


def promote_by_hand(uow, registration_id):
    """Staff give one waitlisted person a seat of their own: the capacity grows by that seat, so
    nobody else's seat or place in line is taken; the person is told as any promoted one."""
    found = store.get_registration(uow.conn, registration_id=registration_id)
    if found is None:
        raise domain.REGISTRATION_NOT_FOUND()
    event = store.lock_event(uow.conn, found["event_id"])  # the event first, as everywhere
    registration = store.lock_registration(uow.conn, registration_id)
    if registration["status"] != RegistrationStatus.WAITLISTED:
        raise Conflict("not_waitlisted", "Přihláška není na čekací listině.")
    store.update_event(uow.conn, event["id"], {"capacity": event["capacity"] + 1,
                                               "seats_taken": event["seats_taken"] + 1, "updated_at": uow.now})
    store.set_registration(uow.conn, registration_id, {
        "status": RegistrationStatus.CONFIRMED, "waitlist_position": None,
        "ticket_code": ticket_code(uow.signing_key, registration_id),
    }, status=RegistrationStatus.WAITLISTED)
    store.leave_waitlist(uow.conn, event["id"])
    return _announce(uow, "registration_promoted", registration_id)


def cancel_registration(uow, registration_id=None, token=None, tell=True, **why):
    """Cancel a registration; a freed seat goes to the first in line. Cancelling twice changes nothing.
    ``tell=False`` sends the person nothing (their data is being erased at their request); ``why``
    travels with ``registration_cancelled`` (``released_unpaid=True``: the seat was not paid for)."""
    found = store.get_registration(uow.conn, registration_id=registration_id, token=token)
    if found is None:
        raise domain.REGISTRATION_NOT_FOUND()
    # The event first, then the registration: the order cancel_event locks them in, so the two
    # never wait for each other.
    event = store.lock_event(uow.conn, found["event_id"])
    registration = store.lock_registration(uow.conn, found["id"])
    if registration["status"] == RegistrationStatus.CANCELLED:
        return registration_view(registration, event, uow.now, uow.base_url, uow.conn)
    if registration["status"] == RegistrationStatus.SUBSTITUTED:
        raise Conflict("already_substituted", "Místo už bylo předáno náhradníkovi; zrušit ho může jen náhradník.")
    domain.check_can_cancel(event, uow.now)
    store.set_registration(uow.conn, registration["id"],
                           {"status": RegistrationStatus.CANCELLED, "cancelled_at": uow.now},
                           status=registration["status"])
    view = (_announce(uow, "registration_cancelled", registration["id"], **why) if tell
            else registration_view(dict(registration, status=RegistrationStatus.CANCELLED, cancelled_at=uow.now),
                                   event, uow.now, uow.base_url))
    if registration["status"] == RegistrationStatus.CONFIRMED:
        store.free_seat(uow.conn, event["id"])
        promote_waitlisted(uow, event["id"])
    elif registration["status"] == RegistrationStatus.WAITLISTED:
        store.leave_waitlist(uow.conn, event["id"])
    return view


def restore_registration(uow, registration_id):
    """Take back a cancellation made by mistake. The person comes back as a new registration of
    the same details and answers (its own token and ticket code, so that nothing said about the
    cancelled one, such as its cancellation email, overtakes what is said now): confirmed when a
    seat is free, otherwise at the end of the waitlist (refused when the event has none), told by
    ``registration_restored``. A fee is asked for afresh: payments hears ``registration_restored``
    and makes the new registration's own request (a new variable symbol) when it has a seat, as
    for a confirmed one; in line, it pays once promoted. Nothing of the cancelled one's payment
    is carried over (its refund, if it was paid, stays on staff's list). One transaction with its
    outbox row: a failure halfway leaves the cancellation as it was and nobody told. Returns the
    new registration."""
    found = store.get_registration(uow.conn, registration_id=registration_id)
    if found is None:
        raise domain.REGISTRATION_NOT_FOUND()
    event = store.lock_event(uow.conn, found["event_id"])  # the event first, as everywhere
    old = store.lock_registration(uow.conn, registration_id)
    taken = store.live_email_keys(uow.conn, event["id"], [old["email_key"]])
    domain.check_can_restore(old, event, uow.now, bool(taken))
    seated = store.take_seat(uow.conn, event["id"]) is not None
    if not seated and not event["waitlist_enabled"]:
        raise Conflict("event_full", "Akce je plná a nemá čekací listinu; přihlášku nelze obnovit.")
    if not seated:
        store.count_in(uow.conn, event["id"], 0, 1)
    copied = ("first_name", "last_name", "email", "email_key", "phone", "position", "note", "birth_date",
              "organisation_ico", "organisation_name", "organisation_key", "is_member", "price", "answers")
    [new_id] = store.insert_registrations(uow.conn, [dict(
        {name: old[name] for name in copied}, event_id=event["id"], token=secrets.token_urlsafe(24),
        status=RegistrationStatus.CONFIRMED if seated else RegistrationStatus.WAITLISTED,
        waitlist_position=None if seated else event["waitlist_taken"] + 1, created_at=uow.now)])
    if seated:
        store.set_ticket_codes(uow.conn, {new_id: ticket_code(uow.signing_key, new_id)})
    return _announce(uow, "registration_restored", new_id, restored_from=old["id"])


def reinstate_paid(uow, registration_id, payment, paid_at):
    """A seat released as unpaid was paid in time after all (``payment_received_after_release``:
    the bank booked it by the due date, its statement came after the release). The registration
    itself comes back, confirmed, with its token, ticket code and payment (payments keeps its
    request and its variable symbol: hearing ``registration_restored`` of the same registration,
    it finds that request, one per registration, and asks nothing again), told by ``registration_restored``
    (its ticket again), when the event is published and has not begun, a seat is free and its
    email holds no other registration; otherwise it stays cancelled and payments is told to
    refund (``late_payment_refused``). Returns ``"reinstated"``, ``"refused"`` or None when told
    before (the registration is not cancelled any more, or was refused: payments refunds once).
    One transaction with its outbox row: a failure halfway changes nothing and is tried again."""
    found = store.get_registration(uow.conn, registration_id=registration_id)
    if found is None:
        return None
    event = store.lock_event(uow.conn, found["event_id"])  # the event first, as everywhere
    registration = store.lock_registration(uow.conn, registration_id)
    if registration["status"] != RegistrationStatus.CANCELLED:
        record_payment(uow, registration_id, payment, paid_at)
        return None
    if (registration["payment"] or {}).get("late_refused"):
        return None  # refused before: payments refunds it, a seat freed since must not bring it back
    taken = store.live_email_keys(uow.conn, event["id"], [registration["email_key"]])
    if (event["status"] == EventStatus.PUBLISHED and uow.now < event["starts_at"] and not taken
            and store.take_seat(uow.conn, event["id"]) is not None):
        store.set_registration(uow.conn, registration_id,
                               {"status": RegistrationStatus.CONFIRMED, "cancelled_at": None},
                               status=RegistrationStatus.CANCELLED)
        record_payment(uow, registration_id, payment, paid_at)
        _announce(uow, "registration_restored", registration_id,
                  restored_from=registration_id, paid_in_time=True)
        return "reinstated"
    store.set_registration(uow.conn, registration_id, {"payment": dict(registration["payment"] or {},
                                                                       late_refused=True)})
    _announce(uow, "late_payment_refused", registration_id)
    return "refused"


def update_event(uow, event_id, changes):
    """Edit an event. Raising capacity promotes; a new time or venue is told to everyone registered."""
    event = store.lock_event(uow.conn, event_id)
    if event is None:
        raise domain.EVENT_NOT_FOUND()
    if event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Zrušenou akci nelze upravit.")
    changes = domain.with_sessions(changes, event)
    merged = dict(event, **changes)
    domain.check_event_times(merged)
    domain.check_event_format(merged)
    domain.check_capacity(merged["capacity"], event["seats_taken"])
    if "questions" in changes:
        domain.check_question_changes(event["questions"], changes["questions"], store.given_answers(uow.conn, event_id))
    domain.check_session_count_kept(event, merged, store.attendance_recorded(uow.conn, event_id))
    changed = domain.schedule_changes(event, changes)
    values = dict(changes, updated_at=uow.now)
    if changed:
        values["version"] = event["version"] + 1
    store.update_event(uow.conn, event_id, values)
    if changed and event["status"] == EventStatus.PUBLISHED:
        for registration in store.live_registrations(uow.conn, event_id):
            _announce(uow, "event_updated", registration["id"], changes={
                field: [_told(before), _told(after)] for field, (before, after) in changed.items()})
    if merged["capacity"] > event["capacity"]:
        promote_waitlisted(uow, event_id)
    if domain.certificate_share(merged) != domain.certificate_share(event):
        settle_event_attendance(uow, store.get_event(uow.conn, event_id))
    return event_view(store.get_event(uow.conn, event_id), uow.now)


def preview_update(conn, event_id, changes, now):
    """What ``update_event`` would tell attendees, without changing anything: the changed time
    or place (``field -> [before, after]``), how many registrations would be told, who on the
    waitlist a raised capacity would give a seat (``promoted``: ``[{id, name}]``, in line), and
    the event as it would then be."""
    event = get_event(conn, event_id, public_only=False)
    changes = domain.with_sessions(changes, event)
    merged = dict(event, **changes)
    domain.check_event_times(merged)
    domain.check_capacity(merged["capacity"], event["seats_taken"])
    if "questions" in changes:
        domain.check_question_changes(event["questions"], changes["questions"], store.given_answers(conn, event_id))
    changed = domain.schedule_changes(event, changes)
    told = len(store.live_registrations(conn, event_id)) if changed and event["status"] == EventStatus.PUBLISHED else 0
    seats = merged["capacity"] - event["seats_taken"] if merged["capacity"] > event["capacity"] else 0
    promoted = store.waitlisted_in_line(conn, event_id, seats) if seats > 0 else []
    return {"changes": {field: [_told(before), _told(after)] for field, (before, after) in changed.items()},
            "told": told, "promoted": [_person(registration) for registration in promoted],
            "event": event_out.dump(event_view(dict(merged, version=event["version"] + 1), now))}


def _told(value):
    """A changed value as an event or a preview carries it: times as ISO texts in Prague."""
    if isinstance(value, list):  # sessions
        return [dict(item, starts_at=_told(item["starts_at"]), ends_at=_told(item["ends_at"])) for item in value]
    return local(value).isoformat() if hasattr(value, "isoformat") else value


def cancel_event(uow, event_id, reason):
    """Cancel an event and every registration on it; each person is told once, with the reason."""
    event = store.lock_event(uow.conn, event_id)
    if event is None:
        raise domain.EVENT_NOT_FOUND()
    if event["status"] == EventStatus.CANCELLED:
        return event_view(event, uow.now)
    store.update_event(uow.conn, event_id, {"status": EventStatus.CANCELLED, "cancel_reason": reason,
                                            "updated_at": uow.now, "version": event["version"] + 1,
                                            "waitlist_length": 0})
    for registration in store.live_registrations(uow.conn, event_id):
        store.set_registration(uow.conn, registration["id"],
                               {"status": RegistrationStatus.CANCELLED, "cancelled_at": uow.now})
        if event["status"] == EventStatus.PUBLISHED:
            _announce(uow, "event_cancelled", registration["id"], reason=reason)
    return event_view(store.get_event(uow.conn, event_id), uow.now)


def substitute(uow, data, registration_id=None, token=None):
    """Hand a confirmed seat to a substitute (``data``: ``substitute_in``): the seat stays taken and
    nobody on the waitlist moves. The old registration becomes ``substituted`` (its ticket is refused
    at the door from now on) and names the new one; the new one, with its own token and ticket
    code, keeps the organisation, price and payment, and names the one it replaced. One
    ``registration_substituted`` carries both: notifications mails each person, payments moves
    the payment request to the new registration. Returns the new registration."""
    found = store.get_registration(uow.conn, registration_id=registration_id, token=token)
    if found is None:
        raise domain.REGISTRATION_NOT_FOUND()
    event = store.lock_event(uow.conn, found["event_id"])  # the event first, as everywhere
    old = store.lock_registration(uow.conn, found["id"])
    domain.check_can_substitute(old, event, uow.now)
    if event["collects_birth_date"] and data.get("birth_date") is None:
        raise ValidationError({"birth_date": "Pro vydání osvědčení u této akce potřebujeme datum narození."})
    key = domain.email_key(data["email"])
    if store.live_email_keys(uow.conn, event["id"], {key}):
        raise ALREADY_REGISTERED()
    [new_id] = store.insert_registrations(uow.conn, [dict(
        event_id=event["id"], token=secrets.token_urlsafe(24), status=RegistrationStatus.CONFIRMED,
        waitlist_position=None,
        first_name=data["first_name"].strip(), last_name=data["last_name"].strip(), email=data["email"].strip(),
        email_key=key, phone=data.get("phone"), position=data.get("position"), note=data.get("note"),
        birth_date=data.get("birth_date"), organisation_ico=old["organisation_ico"],
        organisation_name=old["organisation_name"], organisation_key=old["organisation_key"],
        is_member=old["is_member"], price=old["price"], created_at=uow.now,
        payment=old["payment"], paid_at=old["paid_at"], release_warned_at=old["release_warned_at"],
        substitute_for=old["id"], answers=old["answers"],  # the seat's answers (a module chosen) go with it
    )])
    store.set_ticket_codes(uow.conn, {new_id: ticket_code(uow.signing_key, new_id)})
    store.set_registration(uow.conn, old["id"], {"status": RegistrationStatus.SUBSTITUTED, "substituted_by": new_id,
                                                 "substituted_at": uow.now}, status=RegistrationStatus.CONFIRMED)
    new_view = registration_view(store.get_registration(uow.conn, registration_id=new_id), event, uow.now,
                                 uow.base_url)
    old_view = registration_view(store.get_registration(uow.conn, registration_id=old["id"]), None, uow.now,
                                 uow.base_url)
    uow.announce("registration_substituted",
                 dict(event_payload(new_view), replaced=registration_only_out.dump(old_view)))
    return new_view


def check_in(uow, event_id, code, any_day=False):
    """Admit the holder of a genuine ticket for the event at the door (``event_id``), once a
    session (a person in yesterday is let in again today); on a day the event does not take place
    on only with ``any_day`` (staff asked and said yes)."""
    number = verify_ticket_code(uow.signing_key, code)
    registration = store.lock_registration(uow.conn, number) if number is not None else None
    ticket_event = store.get_event(uow.conn, registration["event_id"]) if registration is not None else None
    session, checked_in_at = _door_session(uow, registration, ticket_event)
    domain.check_ticket(registration, ticket_event, event_id, uow.now, any_day, session_checked_in_at=checked_in_at)
    store.check_in_session(uow.conn, registration["id"], session, uow.now)
    return get_registration(uow.conn, uow.now, uow.base_url, registration_id=registration["id"])


def check_in_by_id(uow, event_id, registration_id, any_day=False):
    """Admit a person staff found by name (the ticket forgotten), with a ticket's refusals."""
    event = get_event(uow.conn, event_id, public_only=False)
    registration = store.lock_registration(uow.conn, registration_id)
    session, checked_in_at = _door_session(uow, registration, event)
    domain.check_person_at_door(registration, event, uow.now, any_day, session_checked_in_at=checked_in_at)
    store.check_in_session(uow.conn, registration["id"], session, uow.now)
    return get_registration(uow.conn, uow.now, uow.base_url, registration_id=registration["id"])


def _door_session(uow, registration, event):
    """``(index, checked in at)``: the session the door admits to now (``domain.door_session``)
    and when this person was let in to it (None: not yet); ``(0, None)`` without a registration."""
    if registration is None or event is None:
        return 0, None
    session = domain.door_session(event, uow.now)
    marks = store.session_marks(uow.conn, [registration["id"]]).get(registration["id"], {})
    return session, marks.get(session, {}).get("checked_in_at")


def delete_draft(uow, event_id):
    """Delete an event never published (nobody could register, nobody is told); the event as it was."""
    event = store.lock_event(uow.conn, event_id)
    if event is None:
        raise domain.EVENT_NOT_FOUND()
    domain.check_can_delete(event)
    store.delete_draft(uow.conn, event_id)
    return event_view(event, uow.now)


def mark_attendance(uow, event_id, registration_ids=None, sessions=None):
    """Mark who attended which sessions: ``sessions`` (indices; default every session begun so
    far, for a one-day seminar itself), for the given registrations or by default for everyone
    checked in at that session; only from a session's start (``not_started`` before). A person
    has attended the event once the marks reach its certificate share (``domain.reaches_share``).
    Marking sends nothing: certificates go out by ``issue_certificates`` after the event has
    ended. ``registration_ids`` in the answer: the registrations given a new mark."""
    event = get_event(uow.conn, event_id, public_only=False)
    chosen_sessions = domain.check_sessions_to_mark(event, sessions, uow.now)
    chosen = _chosen(uow.conn, event_id, registration_ids, lambda r: True)
    marks = store.session_marks(uow.conn, [r["id"] for r in chosen])
    marked = []
    for registration in chosen:
        mine = marks.get(registration["id"], {})
        wanted = [index for index in chosen_sessions if registration_ids is not None
                  or mine.get(index, {}).get("checked_in_at") is not None]
        if [index for index in wanted if store.mark_session(uow.conn, registration["id"], index, uow.now)]:
            marked.append(registration["id"])
            _settle_attendance(uow, event, registration)
    return {"marked": len(marked), "registration_ids": marked}


def _settle_attendance(uow, event, registration):
    """Keep the registration's ``attended_at`` by the one rule (``domain.reaches_share``): set when
    the session marks reach the event's share (at this moment), cleared when they no longer do."""
    attended = _sessions_attended(store.session_marks(uow.conn, [registration["id"]]).get(registration["id"], {}))
    if domain.reaches_share(event, attended):
        store.set_registration(uow.conn, registration["id"], {"attended_at": uow.now}, attended_at=None)
    elif registration["certificate_sent_at"] is None:
        store.set_registration(uow.conn, registration["id"], {"attended_at": None}, certificate_sent_at=None)


def _sessions_attended(marks):
    return sorted(index for index, mark in marks.items() if mark["attended_at"] is not None)


def _sessions_checked_in(marks):
    return sorted(index for index, mark in marks.items() if mark["checked_in_at"] is not None)


def _chosen(conn, event_id, registration_ids, default):
    """The confirmed registrations of the event with these ids (``default`` picks them when None);
    an id that is not a confirmed registration of this event refuses them all."""
    confirmed = [r for r in store.live_registrations(conn, event_id) if r["status"] == RegistrationStatus.CONFIRMED]
    if registration_ids is None:
        return [r for r in confirmed if default(r)]
    wanted = {int(i) for i in registration_ids}
    chosen = [r for r in confirmed if r["id"] in wanted]
    unknown = wanted - {r["id"] for r in chosen}
    if unknown:
        raise Conflict("not_confirmed_here", "Tyto přihlášky nejsou potvrzené na této akci: "
                       + ", ".join(str(i) for i in sorted(unknown)) + ".")
    return chosen


def unmark_attendance(uow, event_id, registration_ids, sessions=None):
    """Take attendance back (marked by mistake) for these registrations, at ``sessions`` (default:
    every session); refused for anyone whose certificate was issued (``certificate_issued``), and
    then nobody's is taken back. ``registration_ids`` in the answer: those a mark was taken from."""
    event = get_event(uow.conn, event_id, public_only=False)
    chosen = _chosen(uow.conn, event_id, registration_ids, lambda r: False)
    for registration in chosen:
        domain.check_can_unmark_attendance(registration)
    indices = range(domain.session_count(event)) if sessions is None else domain.session_indices(sessions)
    unmarked = []
    for registration in chosen:
        if [index for index in indices if store.unmark_session(uow.conn, registration["id"], index)]:
            unmarked.append(registration["id"])
            _settle_attendance(uow, event, store.get_registration(uow.conn, registration_id=registration["id"]))
    return {"unmarked": len(unmarked), "registration_ids": unmarked}


def settle_event_attendance(uow, event):
    """The event's certificate share changed: every registration's ``attended_at`` by the new share
    (an issued certificate stays as it is)."""
    registrations = [r for r in store.live_registrations(uow.conn, event["id"])
                     if r["status"] == RegistrationStatus.CONFIRMED]
    for registration in registrations:
        _settle_attendance(uow, event, registration)


def _person(registration):
    return {"id": registration["id"], "name": f"{registration['first_name']} {registration['last_name']}"}


def certificate_plan(conn, event_id, now):
    """Who would get a certificate by ``issue_certificates`` now, who waits for the payment of a
    fee, who has one already; changes nothing. ``due`` says whether the event allows issuing now
    (accredited and ended); ``refusal`` says why not (Czech) when it does not; ``started``, whether
    staff issued the event's certificates already (a held one then goes out on its payment)."""
    event = get_event(conn, event_id, public_only=False)
    plan = {"event_id": event_id, "accredited": bool(event["accreditation_number"]),
            "due": domain.certificates_due(event, now), "refusal": None,
            "started": event["certificates_issued_at"] is not None,
            "issue": [], "waiting_payment": [], "issued": []}
    try:
        domain.check_certificates_due(event, now)
    except Conflict as refusal:
        plan["refusal"] = refusal.message
    groups = {CertificateState.DUE: "issue", CertificateState.WAITING_PAYMENT: "waiting_payment",
              CertificateState.ISSUED: "issued"}
    for registration in store.live_registrations(conn, event_id):
        state = domain.certificate_state(registration)
        if state in groups:
            plan[groups[state]].append(_person(registration))
    return plan


def issue_certificates(uow, event_id):
    """Issue the certificates of an accredited event that has ended: one ``attendance_confirmed``
    (notifications mails the certificate, documents numbers it) per attendee whose fee is paid,
    waived or released. The conditional update on ``certificate_sent_at`` makes each once, also
    with replicas or a retry. Returns the counts: ``issued`` now, ``waiting_payment`` (with
    names), ``already_issued``."""
    event = get_event(uow.conn, event_id, public_only=False)
    domain.check_certificates_due(event, uow.now)
    if event["certificates_issued_at"] is None:
        store.update_event(uow.conn, event_id, {"certificates_issued_at": uow.now})
    issued, waiting, before = [], [], 0
    for registration in store.live_registrations(uow.conn, event_id):
        state = domain.certificate_state(registration)
        if state == CertificateState.ISSUED:
            before += 1
        elif state == CertificateState.WAITING_PAYMENT:
            waiting.append(_person(registration))
        elif state == CertificateState.DUE and _issue_certificate(uow, registration["id"]):
            issued.append(_person(registration))
    return {"issued": len(issued), "issued_to": issued, "waiting_payment": len(waiting),
            "waiting": waiting, "already_issued": before}


def _issue_certificate(uow, registration_id) -> bool:
    if not store.set_registration(uow.conn, registration_id, {"certificate_sent_at": uow.now}, certificate_sent_at=None,
                                  status=RegistrationStatus.CONFIRMED):
        return False
    _announce(uow, "attendance_confirmed", registration_id)
    return True


def _issue_if_due_now(uow, registration_id):
    """A payment arrived or staff released the certificate: once staff issued the event's
    certificates (``certificates_issued_at``) and the event allows it, this one's goes out too."""
    registration = store.get_registration(uow.conn, registration_id=registration_id)
    if registration is None or domain.certificate_state(registration) != CertificateState.DUE:
        return False
    event = store.get_event(uow.conn, registration["event_id"])
    if event["certificates_issued_at"] is None or not domain.certificates_due(event, uow.now):
        return False
    return _issue_certificate(uow, registration_id)


def release_certificate(uow, registration_id, by):
    """Staff let an unpaid attendee's certificate go without the payment (one recorded action:
    who and when). If the event's certificates were issued already, it goes out at once;
    otherwise with the others by ``issue_certificates``."""
    registration = store.lock_registration(uow.conn, registration_id)
    if registration is None:
        raise domain.REGISTRATION_NOT_FOUND()
    domain.check_can_release_certificate(registration)
    store.set_registration(uow.conn, registration_id, {"certificate_released_at": uow.now,
                                                       "certificate_released_by": str(by)[:200]})
    sent = _issue_if_due_now(uow, registration_id)
    return dict(get_registration(uow.conn, uow.now, uow.base_url, registration_id=registration_id),
                certificate_issued_now=sent)


def send_due_reminders(uow, days_before):
    """Emit ``reminder_due`` once per confirmed registration ``days_before`` the start.
    The conditional update makes it once also with several replicas at it."""
    sent = 0
    for registration_id, _event_id in store.due_reminders(uow.conn, uow.now + timedelta(days=days_before), uow.now):
        if store.set_registration(uow.conn, registration_id, {"reminded_at": uow.now}, reminded_at=None,
                                  status=RegistrationStatus.CONFIRMED):
            _announce(uow, "reminder_due", registration_id, days_before=days_before)
            sent += 1
    return sent


def release_unpaid(uow):
    """For events that release unpaid seats: warn once the day before (``payment_release_warning``),
    then cancel the registration (``registration_cancelled`` with ``released_unpaid``), which gives
    the seat to the first in line. Conditional updates keep each step once, also with replicas.
    Returns ``(warned, released)``."""
    warned = released = 0
    for registration_id, payment, warned_at, days in store.unpaid_on_releasing_events(uow.conn, uow.now):
        step = domain.release_step(payment, warned_at, days, uow.now)
        if step == domain.ReleaseStep.WARN and store.set_registration(
                uow.conn, registration_id, {"release_warned_at": uow.now}, release_warned_at=None,
                status=RegistrationStatus.CONFIRMED):
            requested_on = local(uow.now).date() if not payment.get("requested_on") else payment["requested_on"]
            release_on = (date.fromisoformat(str(requested_on)) + timedelta(days=days)).isoformat()
            _announce(uow, "payment_release_warning", registration_id,
                      release_on=release_on)
            warned += 1
        elif step == domain.ReleaseStep.RELEASE:
            cancel_registration(uow, registration_id=registration_id,
                                released_unpaid=True)
            released += 1
    return warned, released


def export_person(conn, email, now, base_url):
    """Every registration made with ``email``, with its event, as the person may ask to see it."""
    found = []
    for registration in store.registrations_of(conn, domain.email_key(email)):
        view = registration_view(registration, store.get_event(conn, registration["event_id"]), now, base_url)
        view.pop("token"), view.pop("manage_url")  # credentials, not data about the person
        found.append(registration_out.dump(view))
    return found


def erase_person(uow, email):
    """Erase the person with ``email``: a registration for an event to come is cancelled (the seat
    goes to the first in line; the person is not mailed), then every registration keeps only the
    facts (event, organisation, status, price, check-in, attendance: the certificate register
    refers to them) and loses the person; the events and kept answers about them are deleted, and
    so are their login links and sessions of the municipality's page (its login record keeps no
    address)."""
    ids = []
    for registration in store.registrations_of(uow.conn, domain.email_key(email)):
        event = store.get_event(uow.conn, registration["event_id"])
        if registration["status"] not in store.NOT_LIVE and local(event["starts_at"]) > local(uow.now):
            cancel_registration(uow, registration_id=registration["id"],
                                tell=False)
        store.anonymise_registration(uow.conn, registration["id"], secrets.token_urlsafe(24))
        ids.append(registration["id"])
    return {"registration_ids": ids, "events_deleted": store.delete_rows_about(uow.conn, store.outbox, "payload", ids),
            "answers_deleted": store.delete_rows_about(uow.conn, store.idempotency_keys, "body", ids),
            "portal_records_erased": store.erase_portal_person(uow.conn, str(email))}


def anonymise_past(conn, ended_before):
    """Registrations of events that ended before ``ended_before`` keep their facts, not the person."""
    ids = store.registrations_of_events_ended_before(conn, ended_before)
    for registration_id in ids:
        store.anonymise_registration(conn, registration_id, secrets.token_urlsafe(24))
    return len(ids)


STATUS_LABELS = {RegistrationStatus.CONFIRMED: "potvrzeno", RegistrationStatus.WAITLISTED: "čekací listina",
                 RegistrationStatus.CANCELLED: "zrušeno", RegistrationStatus.SUBSTITUTED: "předáno náhradníkovi"}


def export_csv(conn, event_id, now, base_url):
    """The registrations as CSV that Czech Excel opens as it is: UTF-8 with BOM, ``;``, CRLF;
    for an event of several sessions a column per session (attended or not) and the hours
    attended; after the fixed columns one per question of the event, headed by its text."""
    event = get_event(conn, event_id, public_only=False)
    questions = event["questions"] or []
    registrations = list_registrations(conn, event_id, now, base_url)
    schedule = event["sessions"] or []
    per_session = [f"Účast {number}. termín {czech.day(item['starts_at'])}"
                   for number, item in enumerate(schedule, start=1)] + (["Hodiny účasti"] if schedule else [])

    def sessions_of(r):
        if not schedule:
            return []
        return ["ano" if index in r["sessions_attended"] else "" for index in range(len(schedule))] + [
            r["attended_hours"]]
    return csv_text(
        ["Číslo", "Příjmení", "Jméno", "Organizace", "IČO", "E-mail", "Telefon", "Pozice", "Stav",
         "Pořadí na čekací listině", "Cena (Kč)", "Zaplaceno", "Člen", "Přihlášeno", "Odbaven", "Účast"]
        + per_session + [question["label"] for question in questions],
        ([r["id"], r["last_name"], r["first_name"], r["organisation_name"] or "", r["organisation_ico"] or "",
          r["email"], r["phone"] or "", r["position"] or "", STATUS_LABELS.get(r["status"], r["status"]),
          r["waitlist_position"] or "", r["price"], paid_column(r), "ano" if r["is_member"] else "ne",
          czech.date_time(r["created_at"]), czech.date_time(r["checked_in_at"]) if r["checked_in_at"] else "",
          "ano" if r["attended_at"] else ""] + sessions_of(r)
         + [answer_text(question, r["answers"]) for question in questions]
         for r in registrations))


def event_stats(conn, event_id, now):
    event = get_event(conn, event_id, public_only=False)
    counts = store.count_by_status(conn, event_id)
    return {
        "event_id": event_id, "title": event["title"], "status": event["status"], "capacity": event["capacity"],
        "seats_left": domain.seats_left(event), "confirmed": counts.get(RegistrationStatus.CONFIRMED, 0),
        "waitlisted": counts.get(RegistrationStatus.WAITLISTED, 0),
        "cancelled": counts.get(RegistrationStatus.CANCELLED, 0),
        "checked_in": store.count_marked(conn, event_id, "checked_in_at"),
        "attended": store.count_marked(conn, event_id, "attended_at"),
    }


def idempotent_replay(conn, key, request_hash):
    """The answer first given for ``key``, or None; refused when the key came with another request."""
    kept = store.get_idempotent_answer(conn, key)
    if kept is None:
        return None
    if kept["request_hash"] != request_hash:
        raise Conflict("idempotency_key_reused", "Tento klíč Idempotency-Key už byl použit pro jiný požadavek.")
    return kept["status"], kept["body"]


def training_rows(conn, email=None, ico=None, year=None):
    """Attended registrations of one address (any organisation) or of one organisation (IČO),
    with their events; for ``year``, only events starting in it."""
    starts_from, starts_before = records.year_bounds(year) if year is not None else (None, None)
    rows = store.attended_registrations(conn, email_key=domain.email_key(email) if email is not None else None,
                                        ico=ico, starts_from=starts_from, starts_before=starts_before)
    return with_attended_hours(conn, rows, {r["event_id"]: r for r in rows})


def with_attended_hours(conn, rows, events_by_id, key="registration_id"):
    """``rows`` (registrations, their id under ``key``) each with ``attended_hours``: the hours of
    the sessions marked (``domain.attended_hours``) of its event in ``events_by_id``."""
    marks = store.session_marks(conn, [r[key] for r in rows])
    return [dict(r, attended_hours=domain.attended_hours(events_by_id[r["event_id"]],
                                                          _sessions_attended(marks.get(r[key], {}))))
            for r in rows]


def find_trainees(conn, query, limit=20):
    """People with a training record whom ``query`` names (``records.trainees``)."""
    return records.trainees(store.attended_registrations(conn), query, limit)


def organisation_of(conn, ico, rows):
    """The organisation a record is about: from the copy of the register, else as registrations named it."""
    known = store.get_organisation(conn, ico)
    if known is not None:
        return {"ico": ico, "name": known["name"], "district": known["district"]}
    named = [r["organisation_name"] for r in rows if r["organisation_name"]]
    return {"ico": ico, "name": named[-1] if named else records.NO_ORGANISATION, "district": None}


def annual_report(conn, year, now):
    """The figures of ``year`` for the general assembly (rules in ``records.annual_report``)."""
    starts_from, starts_before = records.year_bounds(year)
    events = store.events_starting_between(conn, starts_from, starts_before,
                                           (EventStatus.PUBLISHED, EventStatus.CANCELLED))
    facts = with_attended_hours(conn, store.registration_facts(conn, [e["id"] for e in events]),
                                {e["id"]: e for e in events}, key="id")
    return records.annual_report(int(year), events, facts, store.all_organisations(conn), now)


def ministry_accreditations(conn, year):
    """The accreditation numbers with events starting in ``year``, to choose the Ministry's report by."""
    starts_from, starts_before = records.year_bounds(year)
    return {"year": int(year), "accreditation_numbers": records.accreditation_numbers(
        store.accreditation_numbers_between(conn, starts_from, starts_before))}


def ministry_report(conn, year, accreditation_number, now):
    """One accredited programme's ``year`` for the Ministry (rules in ``records.ministry_report``)."""
    starts_from, starts_before = records.year_bounds(year)
    number = records.checked_accreditation(accreditation_number)
    events = store.events_of_accreditation(conn, number, starts_from, starts_before)
    facts = with_attended_hours(conn, store.certificate_facts(conn, [e["id"] for e in events]),
                                {e["id"]: e for e in events}, key="id")
    return records.ministry_report(int(year), number, events, facts, now)


# The door without a signal

def door_list(conn, event_id, now):
    """The day's list for the door's phones to decide offline: every confirmed ticket of the
    event as ``domain.door_ticket_hash`` of its code (never the code, never the key), with the
    name to show and when the person was let in to today's session (``domain.door_session``)."""
    event = get_event(conn, event_id, public_only=False)
    session = domain.door_session(event, now)
    people = [r for r in store.list_registrations(conn, event_id, RegistrationStatus.CONFIRMED) if r["ticket_code"]]
    marks = store.session_marks(conn, [r["id"] for r in people])
    tickets = []
    for r in people:
        checked_in_at = marks.get(r["id"], {}).get(session, {}).get("checked_in_at")
        tickets.append({"hash": domain.door_ticket_hash(r["ticket_code"]), "registration_id": r["id"],
                        "name": f"{r['first_name']} {r['last_name']}", "organisation": r["organisation_name"],
                        "checked_in_at": local(checked_in_at).isoformat() if checked_in_at else None})
    return {"event_id": event["id"], "title": event["title"], "generated_at": local(now).isoformat(),
            "days": [day.isoformat() for day in domain.event_days(event)], "tickets": tickets}


def door_batch(uow, event_id, device, staff, items):
    """Take the check-ins a door phone (``device``, used by ``staff``) made offline: each item's
    ticket ``code`` and ``scanned_at``, each for the session of the moment it was scanned
    (``domain.door_session``: a person let in yesterday is let in again today). The first
    admission of a ticket to a session counts
    (``domain.offline_admission``); a second one is kept as a conflict for staff to see. A batch
    sent again changes nothing and gets the answers as they stand. One answer per item, in order."""
    conn, now = uow.conn, uow.now
    event = get_event(conn, event_id, public_only=False)
    answers = []
    for item in items:
        number = verify_ticket_code(uow.signing_key, item["code"])
        registration = store.lock_registration(conn, number) if number is not None else None
        known = store.door_admission(conn, registration["id"], device, item["scanned_at"]) if registration else None
        # a phone's clock ahead of ours does not make a future check-in; sent again, the same moment
        scanned_at = known["scanned_at"] if known is not None else min(item["scanned_at"], now)
        session = domain.door_session(event, scanned_at)
        if registration is not None:  # what counts is the check-in to that session, not to the event
            kept = store.session_marks(conn, [registration["id"]]).get(registration["id"], {}).get(session, {})
            registration = dict(registration, checked_in_at=kept.get("checked_in_at"))
        admission = domain.offline_admission(registration, event_id, scanned_at, received=known)
        if registration is not None and registration["event_id"] == event_id and known is None \
                and admission.result in (domain.DoorResult.ADMITTED, domain.DoorResult.ALREADY_ADMITTED):
            store.add_door_admission(conn, dict(
                event_id=event_id, registration_id=registration["id"], device=device, staff=staff,
                scanned_at=scanned_at, received_at=now, result=admission.result, other_at=admission.other_at))
            if admission.changes:
                store.check_in_session(conn, registration["id"], session, admission.checked_in_at)
        answers.append({
            "code": item["code"], "scanned_at": local(scanned_at).isoformat(), "result": admission.result,
            "registration_id": registration["id"] if admission.result != domain.DoorResult.UNKNOWN else None,
            "checked_in_at": local(admission.checked_in_at).isoformat() if admission.checked_in_at else None,
            "conflict": admission.other_at is not None,
            "message": domain.door_message(admission, registration)})
    return answers


def door_conflicts(conn, event_id):
    """Tickets of the event let in twice by phones offline, as ``domain.door_conflicts`` finds them."""
    admissions = store.door_admissions_of(conn, event_id)
    people = {r["id"]: r for r in store.list_registrations(conn, event_id)}
    return [dict(vars(conflict), first_at=local(conflict.first_at).isoformat(),
                 second_at=local(conflict.second_at).isoformat())
            for conflict in domain.door_conflicts(admissions, people)]


# The municipality's page (/obec): links, sessions and what it shows (rules in ``domain``)

def ask_portal_link(uow, contact, email):
    """A one-time login link for ``contact`` (members' ``portal_contact``): its hash stored, the
    link itself only in the ``portal_link_requested`` event that notifications emails."""
    secret = secrets.token_urlsafe(32)
    expires_at = domain.portal_link_expires(uow.now)
    link_id = store.add_portal_link(uow.conn, {"token_hash": domain.portal_secret_hash(secret), "email": email,
                                               "ico": contact["ico"], "created_at": uow.now, "expires_at": expires_at})
    uow.announce("portal_link_requested", {
        "link_id": link_id, "email": email, "url": f"{uow.base_url}/obec/prihlaseni/{secret}",
        "expires_at": local(expires_at).isoformat(), "organisation_name": contact["organisation_name"],
        "first_name": contact["first_name"], "last_name": contact["last_name"]})
    return link_id


def portal_link_state(conn, secret, now):
    """Whether the link with ``secret`` may still log in (``domain.portal_link_state``)."""
    return domain.portal_link_state(store.get_portal_link(conn, domain.portal_secret_hash(str(secret))), now)


def portal_log_in(uow, secret):
    """Use the link once: mark it used, open a session (its secret returned, its hash kept) and
    record the login. ``(state, session secret or None)``: a link used, expired or unknown opens none."""
    conn, now = uow.conn, uow.now
    link = store.get_portal_link(conn, domain.portal_secret_hash(str(secret)))
    state = domain.portal_link_state(link, now)
    if state != domain.PortalLinkState.VALID:
        return state, None
    if not store.use_portal_link(conn, link["id"], now):  # used meanwhile by a twin request
        return domain.PortalLinkState.USED, None
    session_secret = secrets.token_urlsafe(32)
    store.add_portal_session(conn, {"session_hash": domain.portal_secret_hash(session_secret), "email": link["email"],
                                    "ico": link["ico"], "created_at": now,
                                    "expires_at": domain.portal_session_expires(now)})
    store.add_portal_login(conn, {"logged_in_at": now, "email": link["email"], "ico": link["ico"]})
    return state, session_secret


def portal_session(conn, secret, now):
    """The session behind a cookie's ``secret`` (``ico``, ``email``, ``expires_at``), or None."""
    if not secret:
        return None
    session = store.get_portal_session(conn, domain.portal_secret_hash(str(secret)))
    return session if domain.portal_session_valid(session, now) else None


def portal_log_out(uow, secret):
    if secret:
        store.end_portal_session(uow.conn, domain.portal_secret_hash(str(secret)), uow.now)


def portal_logins(conn, ico, limit=20):
    return [{"logged_in_at": local(row["logged_in_at"]).isoformat(), "email": row["email"]}
            for row in store.list_portal_logins(conn, ico, max(1, min(int(limit), 200)))]


def organisation_registrations(conn, ico, now, base_url):
    """The registrations made with ``ico``, as views with their events: ``{upcoming, past}``,
    the upcoming soonest first, the past latest first."""
    rows = store.registrations_of_organisation(conn, ico)
    events = store.get_events(conn, {row["event_id"] for row in rows})
    found = {"upcoming": [], "past": []}
    for row in rows:
        if not domain.portal_may_open(row, ico):
            continue
        view = registration_view(row, events[row["event_id"]], now, base_url, conn)
        found[domain.portal_registration_timing(view, now)].append(view)
    found["past"].reverse()
    return found


def organisation_registration(conn, ico, registration_id, now, base_url):
    """One registration of the organisation ``ico``; ``PortalForbidden`` for any other."""
    registration = store.get_registration(conn, registration_id=registration_id)
    if registration is None or not domain.portal_may_open(registration, ico):
        raise domain.PortalForbidden("not_your_organisation", "Tato přihláška nepatří vaší organizaci.")
    return registration_view(registration, store.get_event(conn, registration["event_id"]), now, base_url, conn)


def organisation_training(conn, ico, start_year):
    """Attended registrations of ``ico`` in the three years from ``start_year``, each with the
    hours of the sessions attended, as ``training_rows`` gives them to staff."""
    first, last = domain.training_period(start_year)
    starts_from = records.year_bounds(first)[0]
    starts_before = records.year_bounds(last)[1]
    rows = store.attended_registrations(conn, ico=ico, starts_from=starts_from, starts_before=starts_before)
    return with_attended_hours(conn, rows, {r["event_id"]: r for r in rows})


def forget_portal_secrets(uow):
    """Delete login links and sessions expired for a day (hashes that open nothing); the record
    of logins stays."""
    return store.forget_portal_secrets(uow.conn, uow.now - timedelta(days=1))
