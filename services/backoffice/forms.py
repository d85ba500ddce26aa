"""The console's forms read: each function takes what the browser sent (the request's form or
query, a werkzeug ``MultiDict``) and returns the values as typed (to show the form again) and
clean values, or raises ``ValidationError`` with Czech messages by field. No I/O here: the pages
call the other services with what these return.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from services.common.czech import PRAGUE, local
from services.common.vocabulary import EventKind, QuestionType

from . import domain
from .schemas import account_in, event_form_in

# The event form

CHECKBOXES = ("waitlist_enabled", "collects_birth_date")
QUESTION_PARTS = ("id", "label", "type", "options", "required")
MAX_QUESTION_ROWS = 100
QUESTION_ROW = re.compile(r"q([0-9]{1,3})_label")
BLANK_QUESTION = {"id": "", "label": "", "type": QuestionType.TEXT, "options": "", "required": "ne"}
EVENT_VALUES = ("title", "kind", "topic", "lecturer", "venue", "capacity", "price_member", "price_non_member",
                "description", "max_per_organisation", "accreditation_number", "hours",
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
class AnnouncementPost:
    """The announcement form: ``values`` as shown again (the text without a typed greeting),
    the ``greeting`` left out, the ``audience`` (``members`` or a district) and the ``errors``."""
    values: dict
    greeting: str | None
    audience: str
    errors: dict


def announcement(form, districts) -> AnnouncementPost:
    values = {name: form.get(name, "") for name in ("subject", "text", "audience")}
    values["text"], greeting = domain.without_greeting(values["text"])
    audience = values["audience"] if values["audience"] in districts else "members"
    missing = {name: "Toto pole je povinné." for name in ("subject", "text") if not values[name].strip()}
    return AnnouncementPost(values, greeting, audience, missing)


def message_filters(args):
    """The list of emails' filter: ``(status, kind, to)``, each None when not chosen (an unknown kind too)."""
    status = args.get("stav") or None
    kind = args.get("druh") if args.get("druh") in domain.EMAIL_KINDS else None
    to = (args.get("komu") or "").strip() or None
    return status, kind, to


def registration_filters(args):
    """An event's list of registrations filtered: ``(status, query)``, the query folded to lower case."""
    return args.get("stav") or None, (args.get("hledat") or "").strip().casefold()


# Accounts

ACCOUNT_FIELDS = ("email", "name", "role")


def account_values(form) -> dict:
    """A new account's form as typed."""
    return {name: form.get(name, "") for name in ACCOUNT_FIELDS}


def account(values) -> dict:
    """A new account's form read: email, name and role; ``ValidationError`` with Czech messages."""
    return account_in.load_or_raise(values)
