"""The console's forms read: each function takes what the browser sent (the request's form or
query, a werkzeug ``MultiDict``) and returns the values as typed (to show the form again) and
clean values, or raises ``ValidationError`` with Czech messages by field. No I/O here: the pages
call the other services with what these return.
"""
import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from services.common.czech import MONTH_FORMAT, PRAGUE, local, month_of
from services.common.errors import ValidationError
from services.common.ico import ico_error
from services.common.vocabulary import DeliveryChannel, EventKind, QuestionType

from . import domain
from .schemas import account_in, event_form_in

# Logging in

@dataclass
class Login:
    """The login form: where to go after it (a path of the console only), the email and password typed."""
    target: str
    email: str | None
    password: str | None


def login(form) -> Login:
    return Login(domain.local_path(form.get("dal", "/")), form.get("email"), form.get("password"))


# The event form

CHECKBOXES = ("waitlist_enabled", "collects_birth_date")
QUESTION_PARTS = ("id", "label", "type", "options", "required")
MAX_QUESTION_ROWS = 100
QUESTION_ROW = re.compile(r"q([0-9]{1,3})_label")
BLANK_QUESTION = {"id": "", "label": "", "type": QuestionType.TEXT, "options": "", "required": "ne"}
EVENT_VALUES = ("title", "kind", "topic", "lecturer", "venue", "capacity", "price_member", "price_non_member",
                "description", "max_per_organisation", "accreditation_number", "hours",
                "certificate_share",
                "release_unpaid_after_days", "format", "webinar_url")


@dataclass
class EventPost:
    """The event form as sent: ``values`` and question ``rows`` as typed; ``changed_rows`` the
    rows after its "Přidat otázku" or "Odebrat" button (None when the form is saved)."""
    values: dict
    rows: list
    changed_rows: list | None


def new_event_values() -> dict:
    """What the form for a new event shows at first."""
    return {"kind": EventKind.SEMINAR, "capacity": "30", "waitlist_enabled": "ano", "collects_birth_date": "ne",
            "certificate_share": "100",
            "questions": question_rows([])}


def event_post(form) -> EventPost:
    return EventPost(_event_input(form), _question_input(form), _question_rows_changed(form))


def event_data(post: EventPost) -> dict:
    """The form's values as the registrations service takes them (times in Prague with their
    offset, the questions with their keys); ``ValidationError`` with the form's Czech messages."""
    loaded = event_form_in.load_or_raise({k: v for k, v in post.values.items() if v.strip()})
    return dict(_event_data(loaded), questions=_questions(post.rows))


def event_errors(error) -> dict:
    """The registrations service's field names mapped back onto the form's."""
    renamed = {"starts_at": "starts", "ends_at": "ends"}
    return {renamed.get(name, name): message for name, message in error.fields.items()}


def event_refusal(post: EventPost, error, event=None) -> tuple[dict, dict, int]:
    """The event form shown again after the registrations service refused it: ``(values,
    errors, status)``. A refusal the form does not show (a ``Conflict`` other than an answered
    question removed or a chosen option taken away) is raised again, for the refusal page."""
    if isinstance(error, ValidationError):
        return shown_again(post), event_errors(error), 422
    if error.code == "question_answered":  # the answered questions come back (their keys are hidden)
        return shown_again(post, with_answered_questions(post.rows, event)), {"questions": error.message}, 409
    if error.code == "option_chosen":
        return shown_again(post), {"questions": error.message}, 409
    raise error


def shown_again(post: EventPost, rows=None) -> dict:
    """The values to show the form again with: as typed, with ``rows`` (else those typed)."""
    return dict(post.values, questions=question_rows(post.rows if rows is None else rows))


def with_answered_questions(rows, event) -> list:
    """``rows`` with the event's questions that were answered and removed in the form put back
    (their keys are hidden fields): the registrations service refused to drop them."""
    posted = {row["id"] for row in rows}
    return rows + [row for row in event_values(event)["questions"] if row["id"] and row["id"] not in posted]


def event_values(event) -> dict:
    """An event as the form shows it: times in Prague as ``datetime-local`` wants them."""
    values = {name: event.get(name) for name in EVENT_VALUES}
    for flag in CHECKBOXES:
        values[flag] = "ano" if event.get(flag) else "ne"
    for field, source in (("starts", "starts_at"), ("ends", "ends_at")):
        values[field] = local(datetime.fromisoformat(event[source])).strftime("%Y-%m-%dT%H:%M")
    values["sessions"] = domain.sessions_text(event.get("sessions"), event["venue"])
    values = {name: "" if value is None else str(value) for name, value in values.items()}
    values["questions"] = question_rows([
        {"id": question["id"], "label": question["label"], "type": question["type"],
         "options": "\n".join(question["options"]), "required": "ano" if question["required"] else "ne"}
        for question in event.get("questions") or []])
    return values


def question_rows(rows) -> list:
    """The question rows the form shows: those given, or one blank row for a first question."""
    return list(rows) or [dict(BLANK_QUESTION)]


def _event_input(form) -> dict:
    """The event form's fields as typed; an unticked box is "ne"."""
    values = {name: form.get(name, "") for name in event_form_in.fields}
    for flag in CHECKBOXES:
        values[flag] = "ano" if form.get(flag) == "ano" else "ne"
    return values


def _question_input(form, keep_blank=False, without=None) -> list:
    """The rows of the form's questions as typed, in the order of their numbers (a row removed
    in the browser leaves a gap); blank ones left out unless ``keep_blank`` (the form shown again),
    and row number ``without`` left out (its "Odebrat" button was pressed)."""
    numbers = sorted(int(found.group(1)) for found in map(QUESTION_ROW.fullmatch, form) if found)
    rows = []
    for number in numbers[:MAX_QUESTION_ROWS]:
        if number == without:
            continue
        row = {part: form.get(f"q{number}_{part}", "") for part in QUESTION_PARTS}
        row["required"] = "ano" if row["required"] == "ano" else "ne"
        if keep_blank or any(row[part].strip() for part in ("label", "options")):
            rows.append(row)
    return rows


def _question_rows_changed(form):
    """The form's rows after its "Přidat otázku" or "Odebrat" button (without JavaScript, the
    form comes back with one more blank row, or without the one removed); None for a save."""
    if form.get("pridat_otazku") is not None:
        return _question_input(form, keep_blank=True) + [dict(BLANK_QUESTION)]
    removed = form.get("odebrat_otazku", type=int)
    if removed is not None:
        return _question_input(form, keep_blank=True, without=removed)
    return None


def _questions(rows) -> list:
    """The form's question rows as the registrations service takes them: a question keeps its key
    (a hidden field); a new one gets a key made from its text, unlike any other of the event."""
    keys = domain.question_keys([row["id"].strip() for row in rows], [row["label"] for row in rows])
    return [{"id": key, "label": row["label"], "type": row["type"],
             "options": [line.strip() for line in row["options"].splitlines() if line.strip()],
             "required": row["required"] == "ano"} for key, row in zip(keys, rows, strict=True)]


def _event_data(values) -> dict:
    """The loaded values as the registrations service takes them: times in Prague, with their offset."""
    data = dict(values)
    data["sessions"] = [dict(session, starts_at=session["starts_at"].replace(tzinfo=PRAGUE).isoformat(),
                             ends_at=session["ends_at"].replace(tzinfo=PRAGUE).isoformat())
                        for session in domain.parse_sessions(data.get("sessions") or "")]
    for field, target in (("starts", "starts_at"), ("ends", "ends_at")):
        moment = data.pop(field, None)
        if moment is not None and not data["sessions"]:  # with sessions, the times are theirs
            data[target] = moment.replace(tzinfo=PRAGUE).isoformat()
    return {name: value for name, value in data.items() if value not in ("", None)}


# A registration's forms

# What the substitute form sends on (the registrations service reads and checks it).
SUBSTITUTE_FIELDS = ("first_name", "last_name", "email", "phone", "position", "birth_date")


def substitute(form, collects_birth_date: bool):
    """The substitute form: ``(values, data)``, the values as typed and what is sent on (blank
    fields left out, the birth date only where the event collects it, the consent a boolean)."""
    values = {name: form.get(name, "") for name in SUBSTITUTE_FIELDS}
    data = {name: value.strip() for name, value in values.items() if value.strip()}
    if not collects_birth_date:
        data.pop("birth_date", None)
    values["gdpr_consent"] = data["gdpr_consent"] = form.get("gdpr_consent") == "ano"
    return values, data


def reason(form) -> str:
    """A typed reason (for cancelling an event) on one line, its spaces single."""
    return " ".join(form.get("reason", "").split())


# Announcements and messages

@dataclass
class MessagePost:
    """A message to people as typed: ``values`` as shown again (the text without a typed
    greeting), the ``greeting`` left out, its ``audience`` and the ``errors``."""
    values: dict
    greeting: str | None
    audience: str
    errors: dict


def announcement(form, districts) -> MessagePost:
    """An announcement to members' contacts: its ``audience`` is ``members`` or one of ``districts``."""
    values = {name: form.get(name, "") for name in ("subject", "text", "audience")}
    return _message(values, values["audience"] if values["audience"] in districts else "members")


def attendee_message(form) -> MessagePost:
    """A message to an event's people: its ``audience`` one of ``domain.AUDIENCES`` (else everyone)."""
    values = {name: form.get(name, "") for name in ("subject", "text", "audience")}
    if values["audience"] not in domain.AUDIENCE_STATUSES:
        values["audience"] = "all"
    return _message(values, values["audience"])


def _message(values, audience) -> MessagePost:
    values["text"], greeting = domain.without_greeting(values["text"])
    missing = {name: "Toto pole je povinné." for name in ("subject", "text") if not values[name].strip()}
    return MessagePost(values, greeting, audience, missing)


def message_filters(args):
    """The list of emails' filter: ``(status, kind, to)``, each None when not chosen (an unknown kind too)."""
    status = args.get("stav") or None
    kind = args.get("druh") if args.get("druh") in domain.EMAIL_KINDS else None
    to = (args.get("komu") or "").strip() or None
    return status, kind, to


def registration_filters(args):
    """An event's list of registrations filtered: ``(status, query)``, the query folded to lower case."""
    return args.get("stav") or None, (args.get("hledat") or "").strip().casefold()


# The member register

ORGANISATION_FORM = ("name", "kind", "district", "address", "email", "phone", "dic", "billing_email",
                     "member_since", "member_until")
CONTACT_FORM = ("first_name", "last_name", "role", "email", "phone")


def ico(form) -> str:
    """The IČO typed to add an organisation from ARES."""
    typed = (form.get("ico") or "").strip()
    if ico_error(typed):
        raise ValidationError({"ico": ico_error(typed)})
    return typed


def organisation_values(organisation) -> dict:
    """The organisation as its form shows it; the membership is its last period's days (ISO)."""
    values = {name: organisation.get(name) or "" for name in ORGANISATION_FORM[:-2]}
    last = organisation["periods"][-1] if organisation["periods"] else {"from": None, "to": None}
    values.update(member_since=last["from"] or "", member_until=last["to"] or "",
                  delivery_channel=organisation.get("delivery_channel") or DeliveryChannel.EMAIL)
    return values


def organisation(form):
    """The organisation's form: ``(values, changes)``, as typed and as the members service takes
    them (blank is none; the membership's days ISO, see ``domain.form_day``)."""
    values = {name: form.get(name, "") for name in ORGANISATION_FORM}
    changes = {name: value.strip() or None for name, value in values.items()}
    changes.update(name=values["name"], member_since=domain.form_day(values["member_since"]),
                   member_until=domain.form_day(values["member_until"]))
    # The delivery of documents: as chosen; not sent (an older form), as it is now.
    channel = form.get("delivery_channel", "").strip()
    values["delivery_channel"] = channel
    if channel:
        changes["delivery_channel"] = channel
    return values, changes


def contact_values(contact) -> dict:
    """A contact as its form shows it."""
    values = {name: contact[name] or "" for name in CONTACT_FORM}
    values["wants_announcements"] = "ano" if contact["wants_announcements"] else "ne"
    return values


def contact(form):
    """The contact form: ``(values, data)``, as typed and as the members service takes it (blank is none)."""
    values = {name: form.get(name, "") for name in CONTACT_FORM}
    values["wants_announcements"] = "ano" if form.get("wants_announcements") == "ano" else "ne"
    data = {name: values[name].strip() or None for name in CONTACT_FORM}
    data.update(first_name=values["first_name"], last_name=values["last_name"],
                wants_announcements=values["wants_announcements"] == "ano")
    return values, data


@dataclass
class RegisterFilter:
    """The register's list as filtered: the search ``query``, a ``district`` (None: all),
    ``membership`` (a key of ``domain.MEMBERSHIP_FILTERS``, "" for all) and the ``page``."""
    query: str
    district: str | None
    membership: str
    page: int


def register_filter(args, districts, query=None) -> RegisterFilter:
    """The register's filter from its query (``hledat``, ``okres``, ``clenstvi``, ``strana``);
    ``query``, when given, instead of the one typed."""
    return RegisterFilter((args.get("hledat") or "").strip() if query is None else query,
                          args.get("okres") if args.get("okres") in districts else None,
                          args.get("clenstvi") if args.get("clenstvi") in domain.MEMBERSHIP_FILTERS else "",
                          _page_number(args.get("strana")))


def _page_number(text) -> int:
    """The page asked for (``?strana=``); anything else is the first."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 100000 else 1


def carried(text: str) -> str:
    """A file read before a confirmation, as the confirmation's form carries it back (base64)."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def carried_back(form, name: str):
    """The file a confirmation carried back (``carried``); None when it is not one."""
    try:
        return base64.b64decode(form.get(name, ""), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


# Training records

@dataclass
class RecordSearch:
    """The search for a training record as typed: the ``year``, an organisation's name (``named``),
    a person's name or email, and the IČO typed or chosen ("" when none)."""
    year: str
    named: str
    person: str
    ico: str


def record_search(args) -> RecordSearch:
    named = (args.get("organizace") or "").strip()
    return RecordSearch((args.get("rok") or "").strip(), named, (args.get("osoba") or "").strip(),
                        (args.get("ico") or "").strip() or domain.chosen_ico(named) or "")


def year(args):
    """The year asked for (``?rok=``) as typed, or None; registrations says when it is no year."""
    return (args.get("rok") or "").strip() or None


def accreditation(args) -> str:
    """The accreditation number chosen (``?akreditace=``), "" when none; registrations checks it."""
    return (args.get("akreditace") or "").strip()


def trainee_email(args) -> str:
    """The email whose training record is asked for (``?email=``), "" when none."""
    return (args.get("email") or "").strip()


# Payments

def variable_symbol(form) -> str:
    """The variable symbol typed to pair a bank line by hand: 1 to 10 digits."""
    symbol = (form.get("vs") or "").strip()
    if not (symbol.isdigit() and len(symbol) <= 10):
        raise ValidationError({"variable_symbol": "Variabilní symbol má 1 až 10 číslic."})
    return symbol


def resolution_note(form) -> str:
    """How a bank line to check was resolved, on one line; it must be said."""
    note = _one_line(form.get("poznamka"))
    if not note:
        raise ValidationError({"note": "Napište, jak byla platba vyřízena."})
    return note


def refund_note(form) -> str:
    """The note a settled refund leaves the list with."""
    return form.get("poznamka") or "Vráceno převodem"


def accounting_month(args, today) -> str:
    """The month of the accountant's export (``?mesic=2028-04``, as a month field sends it, or
    ``4/2028``) as ``2028-04``; without one, the month before ``today`` (the one the accountant
    closes). A month that is none is refused in Czech, before anything is asked or audited."""
    typed = (args.get("mesic") or "").strip()
    if not typed:
        return domain.previous_month(today)
    found = month_of(typed)
    if found is None:
        raise ValidationError({"mesic": MONTH_FORMAT}, MONTH_FORMAT)
    return f"{found[0]}-{found[1]:02d}"


def storno_reason(form) -> str:
    """Why an invoice is cancelled, on one line; it must be said."""
    reason = _one_line(form.get("duvod"))
    if not reason:
        raise ValidationError({"reason": "Napište důvod storna."})
    return reason


def received_filter(args):
    """The list of payments received filtered: ``(since, until, page)``, the days ISO (None when
    not typed or unreadable), the page at least the first."""
    since, until = (_day(args.get(name)) for name in ("od", "do"))
    return (since.isoformat() if since else None, until.isoformat() if until else None,
            max(args.get("strana", 1, type=int) or 1, 1))


def _day(value):
    """A day typed in the filter (``5. 1. 2027`` or as a date input sends it); None when empty or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    parts = [part for part in value.replace(" ", "").split(".") if part]
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day)
    except ValueError:
        return None


def _one_line(text) -> str:
    return " ".join((text or "").split())


# What many forms send: a chosen id, ticked ids, an uploaded file

def chosen_id(form, name):
    """The id chosen in the form's field ``name``; None when none (or no number) was sent."""
    value = form.get(name, "")
    return int(value) if value.isdigit() else None


SESSION_TICK = re.compile(r"attended_([0-9]{1,3})")


def attendance_ticks(form) -> dict:
    """The attendance sheet as ticked: session index -> ids (boxes ``attended_<index>``, a column
    per session), and under None the ids of ``attended`` (an event in one block: the sessions
    begun); sessions nobody was ticked at are left out."""
    ticks = {None: ids(form, "attended")}
    for name in form:
        found = SESSION_TICK.fullmatch(name)
        if found:
            ticks[int(found.group(1))] = ids(form, name)
    return {index: chosen for index, chosen in ticks.items() if chosen}


def ids(form, name) -> list[int]:
    """The ids ticked in the form's boxes ``name``, in their order (anything else left out)."""
    return [int(value) for value in form.getlist(name) if value.isdigit()]


@dataclass
class Upload:
    """A file sent by an upload form: its name ("" without one), its bytes read up to the page's
    limit and one more, and whether it is larger than the limit."""
    filename: str
    data: bytes
    too_large: bool


def upload(files, limit: int, name: str = "soubor") -> Upload:
    sent = files.get(name)
    data = sent.read(limit + 1) if sent else b""
    return Upload((sent.filename or "") if sent else "", data, len(data) > limit)


# Accounts

ACCOUNT_FIELDS = ("email", "name", "role")


def account_values(form) -> dict:
    """A new account's form as typed."""
    return {name: form.get(name, "") for name in ACCOUNT_FIELDS}


def account(values) -> dict:
    """A new account's form read: email, name and role; ``ValidationError`` with Czech messages."""
    return account_in.load_or_raise(values)


def account_errors(error) -> dict:
    """A refused new account's messages by field (an email taken: at the email)."""
    return error.fields if isinstance(error, ValidationError) else {"email": error.message}


def door_batch(form, staff) -> dict:
    """The check-ins a door phone queued offline, as its page posts them: ``device`` and ``items``
    (JSON: ``[{"code", "scanned_at"}]``); the registrations service checks each item."""
    try:
        items = json.loads(form.get("items", ""))
    except ValueError:
        raise ValidationError({"items": "Odbavení nelze přečíst (očekáváme seznam ve formátu JSON)."}) from None
    return {"device": form.get("device", ""), "staff": staff, "items": items}


def email_text(form) -> tuple[str, str, int | None, str | None]:
    """The text edit form: the text (line ends as typed in a browser, CRLF, made LF), what was
    pressed (``nahled`` or ``ulozit``), the registration to preview with, and a Czech problem with
    that number (None when it is a number or left empty)."""
    body = (form.get("body") or "").replace("\r\n", "\n")
    action = "ulozit" if form.get("action") == "ulozit" else "nahled"
    raw = (form.get("registration_id") or "").strip()
    if not raw:
        return body, action, None, None
    if not raw.isdigit() or len(raw) > 9:
        return body, action, None, "Číslo přihlášky je celé kladné číslo (najdete ho v adrese přihlášky v konzoli)."
    return body, action, int(raw), None
