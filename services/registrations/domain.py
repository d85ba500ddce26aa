"""Registration rules: no nameko, no SQL; plain values in, decisions out."""
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any, TypeGuard

from marshmallow import ValidationError as MarshmallowError

from services.common import czech
from services.common.czech import local, plural
from services.common.errors import Conflict, NotFound, ServiceError, ValidationError
from services.common.membership import is_member_on
from services.common.schemas import Text
from services.common.vocabulary import (
    LIVE,
    CertificateState,
    DoorResult,
    EventFormat,
    EventStatus,
    InvoiceKind,
    QuestionType,
    RegistrationStatus,
)

# Refusals are made fresh at each raise: an exception object raised again keeps every earlier
# traceback, and the frames' locals with it.
EVENT_NOT_FOUND = partial(NotFound, "event_not_found", "Akce nebyla nalezena.")
REGISTRATION_NOT_FOUND = partial(NotFound, "registration_not_found", "Přihláška nebyla nalezena.")
ALREADY_REGISTERED = partial(Conflict, "already_registered", "S tímto e-mailem už jste na tuto akci přihlášeni.")

# An event, a registration, a question or a payment as the store or a request gives it: a row
# whose fields the schemas and the store define.
Row = Mapping[str, Any]
# Live registrations of organisations: (IČO, name key) -> how many.
Counts = Mapping[tuple[str | None, str | None], int]


def email_key(email: str) -> str:
    """The form of an address by which two registrations are the same person."""
    return email.strip().casefold()


def attended(registration: Row) -> bool:
    """Attendance, the evidence: a confirmed registration whose attendance staff marked (by
    check-in or by hand). A check-in alone is not attendance until it is marked; a waitlisted or
    cancelled registration never counts. The training records, the certificates and the annual
    report count this, because it is what the association vouches for (zákon č. 312/2002 Sb.).
    For who may have the materials and the questionnaire, see ``came_in``."""
    return registration["status"] == RegistrationStatus.CONFIRMED and registration["attended_at"] is not None


def came_in(registration: Row) -> bool:
    """Came in: a confirmed registration checked in at the door, or whose attendance is marked.
    Wider than ``attended`` on purpose: it decides who gets the materials and the feedback
    questionnaire (and whose personal link to them works), and someone let in at the door came,
    whether or not staff have marked attendance yet, or ever do (marking is needed only for
    certificates and records, so at a seminar it is often never done). Pressing the button again
    after attendance is marked reaches only those it adds."""
    return registration["status"] == RegistrationStatus.CONFIRMED and (
        registration["attended_at"] is not None or registration["checked_in_at"] is not None)


def is_public(event: Row | None) -> TypeGuard[Row]:
    return event is not None and event["status"] == EventStatus.PUBLISHED


def registration_open(event: Row | None, now: datetime) -> bool:
    """Is the event taking registrations at ``now``?"""
    if not is_public(event):
        return False
    if event["registration_opens_at"] is not None and now < event["registration_opens_at"]:
        return False
    return bool(now < event["registration_closes_at"] and now < event["starts_at"])


def check_can_register(event: Row | None, request: Row, now: datetime) -> dict[str, Any]:
    """Refuse a registration that the event cannot take, whatever the seats."""
    if event is not None and event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Tato akce byla zrušena.")
    if not is_public(event):
        raise EVENT_NOT_FOUND()
    if not registration_open(event, now):
        raise Conflict("registration_closed", "Přihlašování na tuto akci není otevřené.")
    if event["collects_birth_date"] and request.get("birth_date") is None:
        raise ValidationError({"birth_date": "Pro vydání osvědčení u této akce potřebujeme datum narození."})
    return check_answers(event["questions"] or [], request.get("answers") or {})


ANSWER_TEXT = Text(multiline=True)
MAX_ANSWER_LENGTH = 2000


def answer_field(question_id: object) -> str:
    """The name under which a refused answer is told (``fields`` of a 422, the form's errors)."""
    return f"answers.{question_id}"


def check_answers(questions: Sequence[Row], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to the event's ``questions`` as they are kept: question id -> a text (text),
    an option (choice), a list of options in the questions' order (choices) or a bool (yes_no);
    unanswered questions left out (null, blank text, no option). Every refusal at once, each under
    ``answers.<id>``: a required question unanswered, an unknown question, a value not of its type,
    an option not offered."""
    errors: dict[str, str] = {}
    kept: dict[str, Any] = {}
    by_id = {question["id"]: question for question in questions}
    for question_id in answers:
        if question_id not in by_id:
            errors[answer_field(question_id)] = "Na tuto otázku se akce neptá."
    for question in questions:
        value, name = answers.get(question["id"]), answer_field(question["id"])
        try:
            value = _answer(question, value)
        except ValueError as refusal:
            errors[name] = str(refusal)
            continue
        if value is not None:
            kept[question["id"]] = value
        elif question["required"]:
            errors[name] = "Odpovězte prosím na tuto otázku."
    if errors:
        raise ValidationError(errors)
    return kept


def _answer(question: Row, value: object) -> bool | str | list[str] | None:
    """One answer as kept, None when not given; ValueError with a Czech message when it is wrong."""
    if value is None:
        return None
    kind, options = question["type"], question["options"]
    if kind == QuestionType.YES_NO:
        if not isinstance(value, bool):
            raise ValueError("Odpovězte ano (true), nebo ne (false).")
        return value
    if kind == QuestionType.CHOICES:
        if not isinstance(value, list) or not all(isinstance(option, str) for option in value):
            raise ValueError("Odpověď je seznam vybraných možností.")
        if any(option not in options for option in value):
            raise ValueError("Vyberte jen z nabízených možností.")
        return [option for option in options if option in value] or None
    if not isinstance(value, str):
        raise ValueError("Odpověď má být text.")
    if kind == QuestionType.CHOICE:
        if value == "":
            return None
        if value not in options:
            raise ValueError("Vyberte jednu z nabízených možností.")
        return value
    try:
        text: str = ANSWER_TEXT.deserialize(value).strip()
    except MarshmallowError as error:
        raise ValueError(error.messages[0]) from None
    if len(text) > MAX_ANSWER_LENGTH:
        raise ValueError(f"Nejvýše {MAX_ANSWER_LENGTH} znaků.")
    return text or None


def check_question_changes(questions: Sequence[Row] | None, new_questions: Iterable[Row],
                           given_answers: Sequence[Mapping[str, Any]]) -> None:
    """Staff may relabel, reorder, add questions, make them required or not and add options; an
    answer once given is never lost: a question somebody answered cannot be removed or change
    its type, nor an option somebody chose be removed (``given_answers``: the answers of every
    registration for the event, cancelled ones too)."""
    new = {question["id"]: question for question in new_questions}
    for question in questions or []:
        chosen = _chosen(question, given_answers)
        if chosen is None:
            continue
        changed = new.get(question["id"])
        if changed is None or changed["type"] != question["type"]:
            raise Conflict("question_answered", f"Na otázku „{question['label']}“ už někdo odpověděl: nelze ji "
                                                "odebrat ani změnit její typ (lze ji přejmenovat nebo "
                                                "učinit nepovinnou).")
        removed = [option for option in sorted(chosen) if option not in changed["options"]]
        if removed:
            raise Conflict("option_chosen", f"U otázky „{question['label']}“ už někdo vybral možnost "
                                            f"„{removed[0]}“: nelze ji odebrat.")


def _chosen(question: Row, given_answers: Sequence[Mapping[str, Any]]) -> set[str] | None:
    """The options of ``question`` somebody chose (an empty set for a question without options),
    or None when nobody answered it."""
    answered = [answers[question["id"]] for answers in given_answers if question["id"] in answers]
    if not answered:
        return None
    if question["type"] == QuestionType.CHOICE:
        return set(answered)
    if question["type"] == QuestionType.CHOICES:
        return {option for chosen in answered for option in chosen}
    return set()


def check_organisation_limit(event: Row, already_registered: int) -> None:
    limit = event["max_per_organisation"]
    if limit is not None and already_registered >= limit:
        raise Conflict("organisation_limit_reached", "Z jedné organizace se na tuto akci mohou přihlásit nejvýše "
                       f"{plural(limit, 'osoba', 'osoby', 'osob')}.")


def over_organisation_limit(event: Row, already_registered: int) -> bool:
    limit: int | None = event["max_per_organisation"]
    return limit is not None and already_registered >= limit


def check_group_within_limit(event: Row, already_registered: int, coming: int) -> None:
    """Colleagues registered all or none: refused whole when they would pass the limit."""
    limit = event["max_per_organisation"]
    if limit is not None and already_registered + coming > limit:
        left = max(limit - already_registered, 0)
        rest = f"může přijít už jen {plural(left, 'osoba', 'osoby', 'osob')}" if left else "už nikdo další"
        raise Conflict("organisation_limit_reached", "Z jedné organizace se na tuto akci mohou přihlásit nejvýše "
                       f"{plural(limit, 'osoba', 'osoby', 'osob')}; z vaší organizace {rest}. Přihlaste méně "
                       "kolegů, nebo zvolte, že ostatní půjdou na čekací listinu.")


def check_waitlist(event: Row) -> None:
    if not event["waitlist_enabled"]:
        raise Conflict("organisation_limit_reached", "Limit organizace je vyčerpán a akce nemá čekací listinu, "
                       "na kterou by mohli přijít ostatní.")


def place_for_next(event: Row) -> RegistrationStatus:
    """Where the next person goes: ``confirmed`` while a seat is left, then ``waitlisted``, else
    refused. ``event`` carries the seats taken so far, including the group being registered."""
    if event["seats_taken"] < event["capacity"]:
        return RegistrationStatus.CONFIRMED
    if event["waitlist_enabled"]:
        return RegistrationStatus.WAITLISTED
    raise Conflict("event_full", "Akce je plně obsazena.")


def registered_of_organisation(counts: Counts, ico: str | None, name_key: str | None) -> int:
    """Live registrations of an organisation, from ``counts`` ((IČO, name key) -> how many): with
    its IČO, or with its name's key (``orgname.organisation_key``) unless both IČOs are known and
    differ (two villages called Lhota are two organisations)."""
    return sum(count for (other_ico, other_key), count in counts.items()
               if (ico and other_ico == ico)
               or (name_key and other_key == name_key and not (ico and other_ico and other_ico != ico)))


def people_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The people a request registers: itself, or each colleague (``attendees``) with the organisation."""
    if "attendees" not in request:
        return [request]
    return [dict(attendee, organisation_ico=request.get("organisation_ico"),
                 organisation_name=request.get("organisation_name"),
                 organisation_key=request.get("organisation_key")) for attendee in request["attendees"]]


@dataclass(frozen=True)
class Placed:
    """One person given a seat or a place in line: their request, ``confirmed`` or ``waitlisted``,
    the answers as kept, the event's queue number (``waitlist_position``, None with a seat), the
    place in line told now (``place``, None with a seat), and the event as their seat left it."""

    person: dict[str, Any]
    status: RegistrationStatus
    answers: dict[str, Any] | None
    waitlist_position: int | None
    place: int | None
    event: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """What ``plan_enrolment`` decided. ``outcomes``: for each request in order, a ``Placed``, a
    tuple of them for colleagues, or the refusal (a ``ServiceError``, not raised); ``event``: the
    event as the whole group leaves it (seats, queue numbers and the waitlist counted in);
    ``placed``: everyone placed, in order (the rows to write)."""

    outcomes: tuple[Placed | tuple[Placed, ...] | ServiceError, ...]
    event: dict[str, Any]
    placed: tuple[Placed, ...] = field(init=False)

    def __post_init__(self) -> None:
        placed = [one for outcome in self.outcomes if not isinstance(outcome, ServiceError)
                  for one in (outcome if isinstance(outcome, tuple) else (outcome,))]
        object.__setattr__(self, "placed", tuple(placed))


@dataclass(frozen=True)
class _Tally:
    """What the people planned so far took: the event's counters, addresses, organisations' counts."""

    event: dict[str, Any]
    taken: frozenset[str]
    counts: dict[tuple[str | None, str | None], int]


def plan_enrolment(event: Row | None, people: Iterable[dict[str, Any]], counts: Counts, taken: Iterable[str],
                   now: datetime) -> Plan:
    """Decide, for a group of requests in the order given, who gets a seat while one is left,
    who a place on the waitlist, and who is refused (closed, full, already registered, the
    organisation's limit, a wrong answer). Plain values only: ``event`` as locked (None when
    there is none), ``people`` the requests (one person, or colleagues under ``attendees``) with
    their organisation resolved (``organisation_ico``, ``organisation_name``, ``organisation_key``),
    ``counts`` the live registrations of their organisations ((IČO, name key) -> how many),
    ``taken`` the email keys registered already, ``now`` for the registration window.

    A refusal is one request's alone and leaves nothing behind: the next request is planned as
    if the refused one had never come. Colleagues are all or none (``_plan_colleagues``)."""
    tally = _Tally(dict(event or {}), frozenset(taken), dict(counts))
    outcomes: list[Placed | tuple[Placed, ...] | ServiceError] = []
    for request in people:
        placed: Placed | tuple[Placed, ...] | ServiceError
        try:
            tally, placed = (_plan_colleagues(event, request, tally, now) if "attendees" in request
                             else _plan_person(event, request, tally, now))
        except ServiceError as refusal:
            placed = refusal
        outcomes.append(placed)
    return Plan(tuple(outcomes), dict(tally.event))


def _plan_person(event: Row | None, person: dict[str, Any], tally: _Tally, now: datetime,
                 over_limit_waits: bool = False) -> tuple[_Tally, Placed]:
    """One person: ``(the tally with them, Placed)``, or a refusal raised."""
    key = email_key(person["email"])
    answers = check_can_register(event, person, now)
    assert event is not None  # check_can_register refuses a missing event
    if key in tally.taken:
        raise ALREADY_REGISTERED()
    ico, name_key = person.get("organisation_ico"), person.get("organisation_key")
    if event["max_per_organisation"] is not None and over_organisation_limit(
            event, registered_of_organisation(tally.counts, ico, name_key)):
        if not over_limit_waits:
            check_organisation_limit(event, registered_of_organisation(tally.counts, ico, name_key))
        check_waitlist(event)
        status = RegistrationStatus.WAITLISTED
    else:
        status = place_for_next(tally.event)
    state = dict(tally.event)
    if status == RegistrationStatus.CONFIRMED:
        state["seats_taken"] += 1
    else:
        state["waitlist_taken"] += 1
        state["waitlist_length"] += 1
    counts = dict(tally.counts)
    counts[(ico, name_key)] = counts.get((ico, name_key), 0) + 1
    waiting = status == RegistrationStatus.WAITLISTED
    placed = Placed(person, status, answers or None, state["waitlist_taken"] if waiting else None,
                    state["waitlist_length"] if waiting else None, dict(state))
    return _Tally(state, tally.taken | {key}, counts), placed


def _plan_colleagues(event: Row | None, request: dict[str, Any], tally: _Tally,
                     now: datetime) -> tuple[_Tally, tuple[Placed, ...]]:
    """Colleagues of one organisation, all or none: a refusal of any of them refuses them all
    (named, with the attendee's field, e.g. ``attendees.2.email``).

    The organisation limit: by default the group is refused whole when the organisation's
    registrations and the group together would pass it (the person learns how many may still
    come, and may send fewer). With ``waitlist_rest`` those within the limit get a seat, or a
    place on the waitlist when the seats are gone, as anyone would; the rest go on the waitlist
    even while seats are free. There they wait as anyone waits: a seat freed later (a
    cancellation, more capacity) goes to the first in line, whoever it is, and staff may give
    one by hand (``promote``). An event without a waitlist refuses the group whole then. A
    waitlisted colleague counts towards the limit as every live registration does, so the
    organisation cannot add more people afterwards."""
    people = people_of(request)
    if event is not None and event["max_per_organisation"] is not None and not request.get("waitlist_rest"):
        already = registered_of_organisation(tally.counts, request.get("organisation_ico"),
                                             request.get("organisation_key"))
        check_group_within_limit(event, already, len(people))
    placed: list[Placed] = []
    for index, person in enumerate(people):
        try:
            tally, one = _plan_person(event, person, tally, now, over_limit_waits=bool(request.get("waitlist_rest")))
        except ValidationError as refusal:  # the event asks for what this attendee did not give
            raise ValidationError({f"attendees.{index}.{name}": message
                                   for name, message in refusal.fields.items()}) from None
        except Conflict as refusal:
            if refusal.code != "already_registered":  # about the event, not this attendee
                raise
            raise Conflict(refusal.code, f"{person['first_name']} {person['last_name']} ({person['email']}) už je "
                           "na tuto akci přihlášen/a.",
                           {f"attendees.{index}.email": "S tímto e-mailem už je někdo na tuto akci přihlášen."}
                           ) from None
        placed.append(one)
    return tally, tuple(placed)


def is_member(organisation: Row | None, on_date: date) -> bool:
    """Member or not by the copy of the register; unknown organisations are not."""
    return organisation is not None and is_member_on(organisation["periods"], on_date)


def price(event: Row, member: bool) -> int:
    amount: int = event["price_member"] if member else event["price_non_member"]
    return amount


def seats_left(event: Row) -> int:
    left: int = event["capacity"] - event["seats_taken"]
    return max(left, 0)


def with_sessions(changes: dict[str, Any], event: Row | None = None) -> dict[str, Any]:
    """The one rule of multi-day events and series, for a new event's values (``event`` None)
    or an edit's ``changes`` to ``event``: ``changes`` with the start and end put right.

    Sessions go in order, each ends after it starts and none overlaps the next; the event then
    starts when the first session starts and ends when the last one ends: a given start or end
    must agree (or be left out). While an event has sessions, its times change through them;
    an empty list of sessions makes it a single block again, with the times it had (or new ones).
    Without sessions nothing changes for an event. Refusals are field name -> Czech message."""
    sessions = changes.get("sessions") or None
    if sessions is None:
        if event is not None and event["sessions"] and "sessions" not in changes \
                and {"starts_at", "ends_at"} & changes.keys():
            raise ValidationError({"sessions": "Akce má více termínů: začátek a konec se mění v termínech."})
        missing = {field: "Toto pole je povinné." for field in ("starts_at", "ends_at")
                   if (field in changes or event is None) and changes.get(field) is None}
        if missing:
            raise ValidationError(missing)
        return dict(changes, sessions=None) if "sessions" in changes or event is None else changes
    for number, (before, session) in enumerate(zip([None, *sessions], sessions, strict=False), start=1):
        if session["ends_at"] <= session["starts_at"]:
            raise ValidationError({"sessions": f"{number}. termín musí skončit až po svém začátku."})
        if before is not None and session["starts_at"] < before["ends_at"]:
            raise ValidationError({"sessions": f"{number}. termín musí začít až po konci předchozího "
                                               "(termíny jdou po sobě a nepřekrývají se)."})
    derived = {"starts_at": sessions[0]["starts_at"], "ends_at": sessions[-1]["ends_at"]}
    disagree = {field: "U akce s více termíny je začátek začátkem prvního termínu a konec koncem posledního."
                for field, value in derived.items() if changes.get(field) not in (None, value)}
    if disagree:
        raise ValidationError(disagree)
    return dict(changes, sessions=sessions, **derived)


def check_event_times(values: Row) -> None:
    """The cross-field rules of an event's schedule; field name -> Czech message."""
    errors: dict[str, str] = {}
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = "Konec akce musí být po jejím začátku."
    if values["registration_closes_at"] > values["starts_at"]:
        errors["registration_closes_at"] = "Přihlašování musí skončit nejpozději začátkem akce."
    opens = values.get("registration_opens_at")
    if opens is not None and opens >= values["registration_closes_at"]:
        errors["registration_opens_at"] = "Přihlašování se musí otevřít dřív, než se uzavře."
    if errors:
        raise ValidationError(errors)


def check_can_cancel(event: Row, now: datetime) -> None:
    if now >= event["starts_at"]:
        raise Conflict("too_late", "Akce už začala, přihlášku nelze zrušit.")


def check_can_restore(registration: Row, event: Row, now: datetime, taken_by_email: object) -> None:
    """A cancelled registration may come back while its event is published and has not begun
    and nobody else holds the seat under that email. A fee is no obstacle: the restored
    registration is a new one, and payments asks for its fee afresh (its own request, variable
    symbol and invoice) once it has a seat; what was paid for the cancelled one stays with it
    (its refund, if any, as it is)."""
    if registration["status"] != RegistrationStatus.CANCELLED:
        raise Conflict("not_cancelled", "Přihláška není zrušená, není co obnovit.")
    if event["status"] != EventStatus.PUBLISHED:
        raise Conflict("event_not_open", "Akce není zveřejněná, přihlášku na ni nelze obnovit.")
    if now >= event["starts_at"]:
        raise Conflict("too_late", "Akce už začala, přihlášku nelze obnovit.")
    if taken_by_email:
        raise Conflict("already_registered", "Na tento e-mail už je na akci jiná platná přihláška.")


def check_capacity(new_capacity: int, seats_taken: int) -> None:
    """Nobody loses a seat by an edit."""
    if new_capacity < seats_taken:
        raise Conflict("capacity_below_confirmed",
                       f"Kapacitu nelze snížit pod počet potvrzených účastníků ({seats_taken}).")


SCHEDULE_FIELDS = ("starts_at", "ends_at", "venue", "sessions")


def schedule_changes(event: Row, values: Row) -> dict[str, tuple[Any, Any]]:
    """Field -> (before, after) for the changes attendees must be told about."""
    return {field: (event[field], values[field]) for field in SCHEDULE_FIELDS
            if field in values and values[field] != event[field]}


def check_ticket(registration: Row | None, ticket_event: Row, event_id: int, now: datetime,
                 any_day: bool = False, session_checked_in_at: datetime | None = None) -> None:
    """Refuse a ticket that does not admit anybody to event ``event_id`` now; ``ticket_event``
    is the event the ticket was issued for. A genuine ticket on a day the event does not take
    place on is refused last (``not_today``), unless ``any_day``: staff were asked and said yes."""
    if registration is None:
        raise INVALID_TICKET()
    if registration["event_id"] != event_id:
        raise Conflict("wrong_event", f"Vstupenka je na jinou akci: {ticket_event['title']} "
                                      f"({czech.date_time(ticket_event['starts_at'])}).")
    check_admissible(registration, ticket_event, now, any_day, session_checked_in_at=session_checked_in_at)


def check_person_at_door(registration: Row | None, event: Row, now: datetime, any_day: bool = False,
                         session_checked_in_at: datetime | None = None) -> None:
    """Refuse to admit ``registration`` to ``event`` without a ticket (staff found the person by
    name) for the reasons a ticket would be refused."""
    if registration is None or registration["event_id"] != event["id"]:
        raise REGISTRATION_NOT_FOUND()
    check_admissible(registration, event, now, any_day, ticket=False, session_checked_in_at=session_checked_in_at)


def check_admissible(registration: Row, event: Row, now: datetime, any_day: bool = False,
                     ticket: bool = True, session_checked_in_at: datetime | None = None) -> None:
    """The refusals a ticket and a name share: cancelled, handed on, waitlisted, already in for
    the door's session (``session_checked_in_at``: when this person was let in to the session
    ``door_session`` picks; a check-in at another session, yesterday's day of a course, does not
    count), and, unless ``any_day``, a day ``event`` does not take place on. The one rule of the
    door: a ticket, a name and a queued check-in of the offline door all come here."""
    if registration["status"] == RegistrationStatus.CANCELLED:
        raise Conflict("ticket_cancelled", "Tato přihláška byla zrušena" + (", vstupenka neplatí." if ticket else "."))
    if registration["status"] == RegistrationStatus.SUBSTITUTED:
        raise Conflict("ticket_substituted", "Místo bylo předáno náhradníkovi, tato vstupenka už neplatí. "
                                             "Náhradník má vlastní vstupenku." if ticket else
                                             "Místo bylo předáno náhradníkovi, který má vlastní přihlášku.")
    if registration["status"] != RegistrationStatus.CONFIRMED:
        raise Conflict("ticket_not_confirmed", "Přihláška není potvrzená (je na čekací listině).")
    if session_checked_in_at is not None:
        when = czech.date_time(session_checked_in_at)
        raise Conflict("already_checked_in", f"Vstupenka už byla odbavena ({when})." if ticket else
                       f"{registration['first_name']} {registration['last_name']} už byl(a) odbaven(a) ({when}).")
    if not any_day:
        check_door_day(event, now)


def event_days(event: Row) -> list[date]:
    """The calendar days in Prague on which ``event`` takes place: its sessions' days, or every
    day from its start to its end; in order, each once."""
    found: set[date] = set()
    for item in czech.schedule(event):
        first, last = (local(item[field]).date() for field in ("starts_at", "ends_at"))
        found.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return sorted(found)


def check_door_day(event: Row, now: datetime) -> None:
    """Refuse (``not_today``) a check-in on a day the event does not take place on; the message
    names the day that counts, for the door to ask whether to admit the person all the same."""
    today, days = local(now).date(), event_days(event)
    if today in days:
        return
    if today < days[0]:
        raise Conflict("not_today", f"Akce je až {czech.day(days[0])}.")
    if today > days[-1]:
        raise Conflict("not_today", f"Akce už proběhla ({czech.day(days[-1])}).")
    coming = min(day for day in days if day > today)
    raise Conflict("not_today", f"Dnes akce neprobíhá, další termín je {czech.day(coming)}.")


def check_can_delete(event: Row) -> None:
    """Only a draft is deleted; a published event is cancelled (people are told)."""
    if event["status"] != EventStatus.DRAFT:
        raise Conflict("not_a_draft", "Smazat lze jen koncept. Zveřejněnou akci lze jen zrušit.")


def check_event_format(values: Row) -> None:
    """A webinar link belongs to an online or hybrid event only."""
    if values.get("webinar_url") and values.get("format", EventFormat.IN_PERSON) == EventFormat.IN_PERSON:
        raise ValidationError({"webinar_url": "Odkaz na webinář patří jen k online nebo hybridní akci."})


def webinar_link(registration: Row, event: Row | None) -> str | None:
    """The event's webinar link for this registration: only while it is confirmed."""
    if event is None or registration["status"] != RegistrationStatus.CONFIRMED \
            or event.get("format", EventFormat.IN_PERSON) == EventFormat.IN_PERSON:
        return None
    link: str | None = event.get("webinar_url") or None
    return link


def check_can_substitute(registration: Row, event: Row, now: datetime) -> None:
    """Refuse handing this seat to a substitute: only a confirmed seat, not yet used, before the start."""
    if registration["status"] == RegistrationStatus.SUBSTITUTED:
        raise Conflict("already_substituted", "Toto místo už bylo předáno náhradníkovi.")
    if registration["status"] == RegistrationStatus.CANCELLED:
        raise Conflict("registration_cancelled", "Zrušenou přihlášku nelze předat náhradníkovi.")
    if registration["status"] != RegistrationStatus.CONFIRMED:
        raise Conflict("not_confirmed", "Náhradníkovi lze předat jen potvrzené místo, ne místo na čekací listině.")
    if event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Tato akce byla zrušena.")
    if registration["checked_in_at"] is not None:
        raise Conflict("already_checked_in", "Účastník už byl u vstupu odbaven, místo nelze předat náhradníkovi.")
    if now >= event["starts_at"]:
        raise Conflict("too_late", "Akce už začala, místo nelze předat náhradníkovi.")


def check_can_add_to_calendar(registration: Row, event: Row, now: datetime) -> None:
    """The manage page's calendar entry: of a confirmed seat, for an event still to come or running."""
    if registration["status"] != RegistrationStatus.CONFIRMED:
        raise Conflict("not_confirmed", "Do kalendáře lze přidat jen potvrzenou přihlášku.")
    if event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Tato akce byla zrušena.")
    if now >= event["ends_at"]:
        raise Conflict("event_over", "Akce už skončila.")


def manage_offers(registration: Row, event: Row, now: datetime) -> frozenset[str]:
    """What the manage page offers (``substitute``, ``cancel``, ``calendar``): exactly what the
    checks above would let through now, so the page never offers what the server refuses (after
    the start, so after attendance is marked, neither handing over nor cancelling)."""
    def cancel() -> None:
        if registration["status"] not in LIVE:
            raise Conflict("not_live", "")
        check_can_cancel(event, now)

    checks: dict[str, Callable[[], None]] = {
        "substitute": lambda: check_can_substitute(registration, event, now), "cancel": cancel,
        "calendar": lambda: check_can_add_to_calendar(registration, event, now)}
    offers: set[str] = set()
    for name, check in checks.items():
        try:
            check()
        except Conflict:
            continue
        offers.add(name)
    return frozenset(offers)


INVALID_TICKET = partial(NotFound, "invalid_ticket", "Neplatná vstupenka: kód není náš, nebo je poškozený.")


class ReleaseStep(StrEnum):
    """What an unpaid seat of an event that releases them is due (``release_step``)."""

    WARN = "warn"  # tell the person that the seat goes unless paid
    RELEASE = "release"  # cancel the registration, released unpaid


def release_step(payment: Row, warned_at: datetime | None, days: int, now: datetime) -> ReleaseStep | None:
    """What an unpaid seat of an event that releases them is due now: ``WARN`` on the day
    before ``days`` after the payment was asked for, ``RELEASE`` from that day on (and never
    sooner than a day after the warning went out), else None."""
    requested_on = date.fromisoformat(payment.get("requested_on") or local(now).date().isoformat())
    release_on = requested_on + timedelta(days=days)
    today = local(now).date()
    if warned_at is None:
        return ReleaseStep.WARN if today >= release_on - timedelta(days=1) else None
    return ReleaseStep.RELEASE if today >= max(release_on, local(warned_at).date() + timedelta(days=1)) else None


# Attendance and certificates

def attendance_opens_at(event: Row) -> datetime:
    """From when attendance can be marked: the event's start (for an event with sessions, the
    first session's start, which is the event's start)."""
    starts_at: datetime = event["starts_at"]
    return starts_at


def check_can_mark_attendance(event: Row, now: datetime) -> None:
    """Attendance is a fact about an event that has begun: nobody is marked before the start."""
    if event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Tato akce byla zrušena.")
    if now < attendance_opens_at(event):
        raise Conflict("not_started", "Akce ještě nezačala: účast lze potvrdit až od jejího začátku "
                                      f"({czech.date_time(attendance_opens_at(event))}).")


def check_can_unmark_attendance(registration: Row) -> None:
    """Attendance can be taken back until the certificate that rests on it is issued."""
    if registration["certificate_sent_at"] is not None:
        raise Conflict("certificate_issued", f"{registration['first_name']} {registration['last_name']} už má "
                                             "vydané osvědčení: účast nelze zrušit.")


def certificates_due(event: Row, now: datetime) -> bool:
    """Certificates go out only for an accredited event that has ended."""
    return bool(event["accreditation_number"]) and event["status"] != EventStatus.CANCELLED \
        and now >= event["ends_at"]


def check_certificates_due(event: Row, now: datetime) -> None:
    if not event["accreditation_number"]:
        raise Conflict("not_accredited", "Osvědčení se vydává jen u akreditovaných vzdělávacích programů.")
    if event["status"] == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", "Tato akce byla zrušena.")
    if now < event["ends_at"]:
        raise Conflict("not_ended", "Akce ještě neskončila: osvědčení lze vydat až po jejím konci "
                                    f"({czech.date_time(event['ends_at'])}).")


def certificate_state(registration: Row) -> CertificateState | None:
    """Where a registration's certificate stands: ``issued``; ``waiting_payment`` (attended, a fee
    not paid and not released by staff); ``due`` (may be issued now); None (no attendance)."""
    if registration["certificate_sent_at"] is not None:
        return CertificateState.ISSUED
    if not attended(registration):
        return None
    unpaid = registration["price"] > 0 and registration["paid_at"] is None
    if unpaid and registration["certificate_released_at"] is None:
        return CertificateState.WAITING_PAYMENT
    return CertificateState.DUE


def check_can_release_certificate(registration: Row) -> None:
    """Staff may let a certificate go without the payment: only for an attended, unpaid fee."""
    state = certificate_state(registration)
    if state is None:
        raise Conflict("not_attended", "Účast této osoby na akci nebyla potvrzena.")
    if state == CertificateState.ISSUED:
        raise Conflict("certificate_issued", "Osvědčení už bylo vydáno.")
    if registration["price"] == 0 or registration["paid_at"] is not None:
        raise Conflict("nothing_to_release", "Přihláška nic nedluží: osvědčení na platbu nečeká.")


# The door without a signal: check-ins a phone decided offline, sent later in a batch

@dataclass(frozen=True)
class DoorAdmission:
    """The outcome of one offline check-in: its ``result``, the check-in time the registration
    keeps afterwards, and ``other_at``, the time of the ticket's other admission when there were
    two (both phones let the person in: staff are told)."""

    result: DoorResult
    checked_in_at: datetime | None = None
    other_at: datetime | None = None

    @property
    def changes(self) -> bool:
        return self.result == DoorResult.ADMITTED


def door_ticket_hash(code: str) -> str:
    """How the door's offline list names a ticket: SHA-256 of its code as printed (upper case,
    no spaces), in hex. The phone computes the same of what it scans; the list carries no code
    and no key, so a lost phone cannot make or read out a ticket."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def offline_admission(registration: Row | None, event_id: int, scanned_at: datetime,
                      received: Row | None = None) -> DoorAdmission:
    """The rule of the door without a signal: the first admission counts.

    ``registration`` is the ticket's (None for a forged code), ``scanned_at`` when the phone let
    the person in, ``received`` this very admission (same phone, same time) as it was recorded when
    sent before (its ``other_at``), or None: sent again, nothing changes and the answer is the
    same as long as no earlier admission of the ticket came in between. An admission earlier
    than the recorded check-in moves the check-in to it; a later one is "already admitted" at the
    recorded time. Either way, two admissions of one ticket are a conflict (``other_at``)."""
    if registration is None or registration["event_id"] != event_id:
        return DoorAdmission(DoorResult.UNKNOWN)
    if registration["status"] != RegistrationStatus.CONFIRMED:
        return DoorAdmission(DoorResult.CANCELLED)
    kept = registration["checked_in_at"]
    if received is not None:
        if kept == scanned_at:
            return DoorAdmission(DoorResult.ADMITTED, kept, other_at=received["other_at"])
        return DoorAdmission(DoorResult.ALREADY_ADMITTED, kept, other_at=kept)
    if kept is None:
        return DoorAdmission(DoorResult.ADMITTED, scanned_at)
    if scanned_at < kept:
        return DoorAdmission(DoorResult.ADMITTED, scanned_at, other_at=kept)
    return DoorAdmission(DoorResult.ALREADY_ADMITTED, kept, other_at=kept)


def door_message(admission: DoorAdmission, registration: Row) -> str:
    """The door's Czech sentence for one offline check-in once the server has decided."""
    if admission.result == DoorResult.UNKNOWN:
        return "Neznámá vstupenka: kód není náš, je poškozený, nebo je na jinou akci."
    name = f"{registration['first_name']} {registration['last_name']}"
    if admission.result == DoorResult.CANCELLED:
        if registration["status"] == RegistrationStatus.WAITLISTED:
            return f"{name}: přihláška není potvrzená (je na čekací listině)."
        return f"{name}: přihláška byla zrušena nebo předána náhradníkovi, vstupenka neplatí."
    if admission.result == DoorResult.ALREADY_ADMITTED and admission.checked_in_at is not None:
        return f"{name}: už vpuštěn(a) dříve, v {czech.date_time_seconds(admission.checked_in_at)}."
    if admission.other_at is not None:
        return (f"{name}: vpuštěn(a). Stejnou vstupenku vpustil i jiný telefon "
                f"({czech.date_time_seconds(admission.other_at)}); platí dřívější vstup.")
    return f"{name}: vpuštěn(a)."


@dataclass(frozen=True)
class DoorConflict:
    """One ticket let in twice while the phones were offline: who, the admission that counts
    (the first) and the other one, each with who sent it (None: checked in online)."""

    registration_id: int
    name: str
    organisation: str | None
    first_at: datetime
    first_by: str | None
    second_at: datetime
    second_by: str | None


def door_conflicts(admissions: Sequence[Row], registrations: Mapping[int, Row]) -> list[DoorConflict]:
    """The conflicts among an event's offline ``admissions`` (rows with ``registration_id``,
    ``scanned_at``, ``other_at``, ``staff``, ``device``), each pair once, earliest first;
    ``registrations`` maps an id to its registration."""
    def sender(row: Row | None) -> str | None:
        return f"{row['staff']}, telefon {row['device']}" if row is not None else None

    found: dict[tuple[int, datetime, datetime], DoorConflict] = {}
    by_time = {(row["registration_id"], row["scanned_at"]): row for row in admissions}
    for row in admissions:
        if row["other_at"] is None:
            continue
        first, second = sorted((row["scanned_at"], row["other_at"]))
        key = (row["registration_id"], first, second)
        person = registrations[row["registration_id"]]
        found.setdefault(key, DoorConflict(
            row["registration_id"], f"{person['first_name']} {person['last_name']}", person["organisation_name"],
            first, sender(by_time.get((row["registration_id"], first))),
            second, sender(by_time.get((row["registration_id"], second)))))
    return sorted(found.values(), key=lambda conflict: (conflict.first_at, conflict.registration_id))


# Attendance per session: a multi-day course or a series is attended day by day. An event without
# sessions is one session (index 0), so every event goes the same way. A session is named by its
# index in ``czech.schedule(event)``.

DEFAULT_CERTIFICATE_SHARE = 100


def session_count(event: Row) -> int:
    """How many sessions ``event`` has (an event without sessions has one)."""
    return len(czech.schedule(event))


def session_hours(event: Row) -> list[int]:
    """The teaching hours of each session: the event's ``hours`` split over its sessions in
    proportion to their lengths, in whole hours that add up to the event's hours (the largest
    remainders get the hours left over; of equal remainders the earlier session). Sessions carry
    no hours of their own: the event's hours are what its accreditation states."""
    schedule = czech.schedule(event)
    total_hours = int(event["hours"] or 0)
    lengths = [max((_moment(item["ends_at"]) - _moment(item["starts_at"])).total_seconds(), 0.0)
               for item in schedule]
    total_length = sum(lengths)
    if total_length == 0:
        lengths, total_length = [1.0] * len(schedule), float(len(schedule))
    exact = [total_hours * length / total_length for length in lengths]
    whole = [int(share) for share in exact]
    left = total_hours - sum(whole)
    by_remainder = sorted(range(len(exact)), key=lambda index: (-(exact[index] - whole[index]), index))
    for index in by_remainder[:left]:
        whole[index] += 1
    return whole


def _moment(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def attended_hours(event: Row, sessions_attended: Iterable[int]) -> int:
    """The hours of the sessions attended: what a certificate, a training record and the reports
    count for this person at ``event`` (never the event's hours when a day was missed)."""
    hours = session_hours(event)
    return sum(hours[index] for index in set(sessions_attended) if 0 <= index < len(hours))


def certificate_share(event: Row) -> int:
    """The share of sessions (per cent, 1–100) a person must attend for the event's certificate."""
    share = event.get("certificate_share")
    return int(share) if share else DEFAULT_CERTIFICATE_SHARE


def sessions_needed(event: Row) -> int:
    """How many sessions make ``certificate_share``: 2 of 3 at 66 %, all of them at 100 %."""
    count = session_count(event)
    return max(1, -(-count * certificate_share(event) // 100))


def reaches_share(event: Row, sessions_attended: Iterable[int]) -> bool:
    """The one rule of attendance per session: a person attended the event (``attended``: the
    training record, the reports, the certificate) once staff marked at least ``sessions_needed``
    of its sessions. The registration's ``attended_at`` is kept by this rule."""
    count = session_count(event)
    return len({index for index in sessions_attended if 0 <= index < count}) >= sessions_needed(event)


def short_of_share(event: Row, sessions_attended: Iterable[int]) -> str | None:
    """Why attendance marked at some sessions does not make the event attended (Czech, for the
    console), or None when it does or when nothing is marked."""
    attended_count = len(set(sessions_attended))
    if attended_count == 0 or reaches_share(event, sessions_attended):
        return None
    count, needed = session_count(event), sessions_needed(event)
    return (f"Účast na {attended_count} z {count} termínů; osvědčení a započtení účasti vyžaduje "
            f"{needed} z {count} ({certificate_share(event)} % termínů).")


def check_certificate_share(share: object) -> None:
    if not isinstance(share, int) or isinstance(share, bool) or not 1 <= share <= 100:
        raise ValidationError({"certificate_share": "Zadejte podíl termínů v procentech, od 1 do 100."})


def door_session(event: Row, now: datetime) -> int:
    """The session the door checks people in for at ``now``: today's (in Prague); of two on one
    day the one running or the next, after the day's last the last. On a day without a session
    (staff admit the person all the same) the next session, or after the event its last."""
    schedule = czech.schedule(event)
    today = local(now).date()
    todays = [index for index, item in enumerate(schedule)
              if local(_moment(item["starts_at"])).date() <= today <= local(_moment(item["ends_at"])).date()]
    if todays:
        current = [index for index in todays if now < _moment(schedule[index]["ends_at"])]
        return current[0] if current else todays[-1]
    coming = [index for index, item in enumerate(schedule) if _moment(item["starts_at"]) > now]
    return coming[0] if coming else len(schedule) - 1


def sessions_begun(event: Row, now: datetime) -> list[int]:
    """The sessions that have begun by ``now``: those whose attendance can be marked."""
    return [index for index, item in enumerate(czech.schedule(event)) if _moment(item["starts_at"]) <= now]


def check_sessions_to_mark(event: Row, sessions: Iterable[int] | None, now: datetime) -> list[int]:
    """The sessions staff mark attendance at: the ones chosen, each of which must exist and have
    begun (``not_started``), or by default every session begun so far (a one-day seminar: itself,
    from its start)."""
    check_can_mark_attendance(event, now)
    begun = sessions_begun(event, now)
    if sessions is None:
        return begun
    chosen, schedule = session_indices(sessions), czech.schedule(event)
    for index in chosen:
        if not 0 <= index < len(schedule):
            raise ValidationError({"sessions": f"Akce nemá {index + 1}. termín."})
        if index not in begun:
            raise Conflict("not_started", f"{index + 1}. termín ještě nezačal: účast lze potvrdit až od jeho "
                                          f"začátku ({czech.date_time(_moment(schedule[index]['starts_at']))}).")
    return chosen


def check_session_count_kept(event: Row, merged: Row, attendance_recorded: bool) -> None:
    """Attendance is kept by session index: once anyone was let in or marked, the number of
    sessions stays (times and places may still change)."""
    if attendance_recorded and session_count(merged) != session_count(event):
        raise Conflict("attendance_recorded", "Na akci už je zapsaná docházka po termínech: počet termínů "
                                              "nelze změnit (čas a místo termínů ano).")


def session_indices(sessions: object) -> list[int]:
    """Sessions as a caller names them (a list of indices), each once in order; a Czech refusal
    for anything else."""
    if not isinstance(sessions, list | tuple) or not all(
            isinstance(index, int) and not isinstance(index, bool) for index in sessions):
        raise ValidationError({"sessions": "Termíny se zadávají jako seznam jejich pořadí (0 je první)."})
    return sorted(set(sessions))


# The municipality's page (/obec): a one-time link by email, then a session cookie.
# Only a hash of each secret is stored, so a copy of the database opens no one's page.

PORTAL_LINK_VALID = timedelta(minutes=30)  # the page's answer says "Platí 30 minut"
PORTAL_SESSION_VALID = timedelta(hours=8)
# The plan of zákon č. 312/2002 Sb., § 20 odst. 2: at least 18 working days in three years.
TRAINING_PLAN_DAYS = 18
TRAINING_PLAN_YEARS = 3


class PortalForbidden(ServiceError):
    """What the municipality's page refuses: another organisation's document."""
    status = 403


class PortalLinkState(StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def portal_secret_hash(secret: str) -> str:
    """What is stored of a login link's or a session's secret: its SHA-256, hex. The secrets are
    32 random bytes, so no salt or slow hash is needed: nobody can guess one from its hash."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def portal_link_expires(now: datetime) -> datetime:
    return now + PORTAL_LINK_VALID


def portal_link_state(link: Row | None, now: datetime) -> PortalLinkState:
    """Whether a login link may still log in: once, before it expires."""
    if link is None:
        return PortalLinkState.UNKNOWN
    if link["used_at"] is not None:
        return PortalLinkState.USED
    if now >= link["expires_at"]:
        return PortalLinkState.EXPIRED
    return PortalLinkState.VALID


def portal_session_expires(now: datetime) -> datetime:
    return now + PORTAL_SESSION_VALID


def portal_session_valid(session: Row | None, now: datetime) -> bool:
    """A session opens the page until it expires or its holder logs out."""
    return session is not None and session["ended_at"] is None and now < session["expires_at"]


def training_period(start_year: int) -> tuple[int, int]:
    """The three calendar years from ``start_year``: ``(first, last)`` inclusive."""
    return start_year, start_year + TRAINING_PLAN_YEARS - 1


def training_period_choices(now: datetime, first_year: int = 2020) -> list[int]:
    """The first years of the periods the page offers, newest first: up to this year."""
    return list(range(local(now).year, first_year - 1, -1))


def training_days(hours: float, hours_per_day: float) -> float:
    """Hours of accredited training as days of the plan (``PORTAL_HOURS_PER_DAY`` hours a day),
    to one decimal place, rounded down so that the page never shows more than was attended."""
    if hours_per_day <= 0:
        raise ValueError("hours per day must be positive")
    return int(hours * 10 / hours_per_day) / 10


def training_plan(people: Sequence[Row], hours_per_day: float) -> list[dict[str, Any]]:
    """Each official of a training record (``records.training_record``'s ``people``) against the
    plan: hours, days, days still missing to the 18 and whether the plan is met."""
    plan = []
    for person in people:
        days = training_days(person["hours"], hours_per_day)
        plan.append({"first_name": person["first_name"], "last_name": person["last_name"],
                     "email": person["email"], "hours": person["hours"], "days": days,
                     "trainings": len(person["trainings"]),
                     "missing_days": max(0.0, round(TRAINING_PLAN_DAYS - days, 1)),
                     "met": days >= TRAINING_PLAN_DAYS})
    return plan


def portal_registration_timing(registration: Row, now: datetime) -> str:
    """Whether a registration is ``upcoming`` (its event has not ended) or ``past``."""
    return "upcoming" if now < registration["event"]["ends_at"] else "past"


def portal_may_open(registration: Row, ico: str) -> bool:
    """A registration is the organisation's when it was made with its IČO: the page's one rule
    of who sees what."""
    return bool(ico) and registration["organisation_ico"] == ico


def databox_notes(deliveries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The municipality's page: for each invoice (or credit note) delivered to the organisation's
    data box (notifications' ``databox_deliveries``), ``Doručeno do datové schránky 7. 12. 2026
    10:15, doručenka 7. 12. 2026 11:02`` by its number; one not yet delivered has no note."""
    notes = {}
    for delivery in deliveries:
        if delivery.get("document") not in set(InvoiceKind) or not delivery.get("delivered_at"):
            continue
        note = f"Doručeno do datové schránky {czech.date_time(datetime.fromisoformat(delivery['delivered_at']))}"
        if delivery.get("accepted_at"):
            note += f", doručenka {czech.date_time(datetime.fromisoformat(delivery['accepted_at']))}"
        notes[delivery["document_number"]] = note
    return notes
