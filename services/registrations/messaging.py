"""Emails to the people of one event after staff ask for them: a message, the materials, the
feedback questionnaire.

Registrations knows who is registered, so it publishes ``attendees_messaged`` through its outbox
with the recipients in the payload (each with a personal link where one is needed);
notifications queues one email per recipient at the pace of announcements and delivers it as
it delivers every email. Nobody calls back: the event carries all the handler needs, and the
outbox keeps it until the broker has it, so a 200 from here means every email will go.

Personal links are signed (``signed_token``): a registration number and an HMAC with a key made
for that purpose alone, so a link of the materials does not open the questionnaire, a manage
link opens neither, and no link can be made up. They are checked against the database when
used, so a cancelled registration's link stops working, and they expire: a materials link some
days after the event's end (``MATERIALS_LINK_DAYS``), a feedback link when the questionnaire
closes (``FEEDBACK_LINK_DAYS``); the defaults are ``LINK_DAYS``. An expired link answers
``Gone`` (410 ``link_expired``) with whom to ask.
"""
import base64
import hashlib
import hmac
import re
import uuid
from datetime import timedelta

from services.common.errors import NotFound, ServiceError, ValidationError
from services.common.settings import file_defaults, setting
from services.common.signing import derived_key
from services.common.vocabulary import LIVE, MessagePurpose, RegistrationStatus

from . import domain, store
from .schemas import event_out

# Who staff may write to: everyone registered, only those with a seat, or only those waiting.
AUDIENCES = {"all": LIVE, "confirmed": (RegistrationStatus.CONFIRMED,),
             "waitlisted": (RegistrationStatus.WAITLISTED,)}
_TOKEN = re.compile(r"^([1-9][0-9]{0,11})-([a-z2-7]{26})$")
FORGED = "Tento odkaz není platný. Zkontrolujte, že jste ho zkopírovali celý, nebo nám napište."
NOT_FOR_YOU = "Tato stránka je jen pro ty, kdo se akce zúčastnili."
# How many days after the event's end a personal link works, by purpose: the settings, and their
# defaults as deploy/config.yaml gives them.
LINK_DAYS_SETTINGS = {MessagePurpose.MATERIALS: "MATERIALS_LINK_DAYS", MessagePurpose.FEEDBACK: "FEEDBACK_LINK_DAYS"}
LINK_DAYS = {purpose: int(file_defaults()[key]) for purpose, key in LINK_DAYS_SETTINGS.items()}
EXPIRED = {
    MessagePurpose.MATERIALS: "Odkaz už vypršel: podklady k akci byly k dispozici {days} dní po jejím skončení. "
                 "Potřebujete-li je, napište prosím pořadateli akce{contact}.",
    MessagePurpose.FEEDBACK: "Odkaz už vypršel: dotazník k akci se uzavřel {days} dní po jejím skončení. "
                "Chcete-li nám přesto něco sdělit, napište prosím pořadateli akce{contact}.",
}


class Gone(ServiceError):
    """A genuine link that has expired (``link_expired``)."""

    status = 410


def link_days(config, purpose) -> int:
    """How many days after the event's end the link of ``purpose`` works (its setting, else the default)."""
    return int(setting(config, LINK_DAYS_SETTINGS[purpose], blank_is_default=True))


def expiry_message(purpose, days, contact="") -> str:
    return EXPIRED[purpose].format(days=days, contact=f" ({contact})" if contact else "")


class Forbidden(ServiceError):
    """A genuine link of someone who may not have what it leads to (did not come, cancelled)."""

    status = 403


def _mac(key, purpose, registration_id):
    digest = hmac.new(derived_key(key, f"after:{purpose}"), str(registration_id).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:16]).decode().rstrip("=").lower()


def signed_token(key, purpose, registration_id) -> str:
    """The token of the personal link of ``purpose`` ("materials", "feedback") for a registration."""
    return f"{registration_id}-{_mac(key, purpose, registration_id)}"


def registration_of(conn, key, purpose, token, now=None, days=None, contact=""):
    """The registration of a genuine token and its event; ``NotFound`` for a forged one,
    ``Gone`` once ``days`` after the event's end have passed (at ``now``), ``Forbidden`` for one
    whose person did not come or cancelled."""
    match = _TOKEN.match(token or "")
    if not match or not hmac.compare_digest(match.group(2), _mac(key, purpose, int(match.group(1)))):
        raise NotFound("link_invalid", FORGED)
    registration = store.get_registration(conn, registration_id=int(match.group(1)))
    if registration is None:
        raise NotFound("link_invalid", FORGED)
    event = store.get_event(conn, registration["event_id"])
    if now is not None and now > event["ends_at"] + timedelta(days=LINK_DAYS[purpose] if days is None else days):
        raise Gone("link_expired", expiry_message(purpose, LINK_DAYS[purpose] if days is None else days, contact))
    if not domain.came_in(registration):
        raise Forbidden("not_an_attendee", NOT_FOR_YOU)
    return registration, event


def follow_up_due(conn, event_id, purpose) -> list:
    """Who pressing the button for ``purpose`` (materials, feedback) would write to now: those
    who came in (``domain.came_in``) and have not had it. Changes nothing: the send claims each
    person itself."""
    sent = store.followed_up(conn, event_id, purpose)
    return [r for r in store.list_registrations(conn, event_id) if domain.came_in(r) and r["id"] not in sent]


def message_attendees(uow, event_id, subject, text, audience, event_view):
    """Write to the people of an event: ``audience`` is "all" (confirmed and waitlisted),
    "confirmed" or "waitlisted". How many will get it."""
    if audience not in AUDIENCES:
        raise ValidationError({"audience": "Vyberte, komu zprávu poslat: všem přihlášeným, jen potvrzeným, "
                                           "nebo jen čekací listině."})
    people = [r for r in store.live_registrations(uow.conn, event_id) if r["status"] in AUDIENCES[audience]]
    tell(uow, MessagePurpose.MESSAGE, event_view, people, subject=subject, text=text)
    return len(people)


def tell(uow, purpose, event_view, people, link=None, **extra):
    """Publish ``attendees_messaged``: one email of ``purpose`` to each of ``people``, each with
    their ``link(registration)`` when one is given."""
    if not people:
        return
    uow.announce("attendees_messaged", dict(
        extra, batch_id=str(uuid.uuid4()), purpose=purpose, event=event_out.dump(event_view),
        registration_ids=[person["id"] for person in people],  # for a person's erasure (``delete_rows_about``)
        recipients=[{"id": person["id"], "first_name": person["first_name"], "last_name": person["last_name"],
                     "email": person["email"], "link": link(person) if link else None} for person in people]))
