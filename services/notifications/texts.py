"""Email texts the office edits: the rules (which part is editable, which variables each text
gets, what a saved text may contain) and their rendering in Jinja2's sandbox.

What is editable: the plain-text body of each kind of email, i.e. the ``body`` block of
``templates/<kind>.txt``. The same text is both parts of the email: the plain-text part is it
inside ``layout.txt``, the HTML part is it escaped, in paragraphs with its addresses as links,
inside the fixed ``layout.html`` (with the QR Platba picture where the email carries one). One
text keeps the two parts saying the same thing, and staff never write HTML: nothing they type
can break the layout or bring in markup, and autoescape stays on. The subject (a format of the
payload's words, ``domain.Email.subject``) and the attachments stay as the code has them.

Until a text is saved, or after it is taken back to the default, the email is made from the
files as before (its HTML part the hand-made ``<kind>.html``).
"""
import functools
import os
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from services.common import czech
from services.common.greeting import greeting
from services.common.texts import TextRefused, check_template
from services.common.vocabulary import EmailKind

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
# Fixed pieces a text may include: the event's facts and the payment block, as the defaults do.
PARTIALS = ("_facts.txt", "_payment.txt")
MAX_LENGTH = 20_000

# Given to every email, whatever its kind (mailer.compose and the environment's globals).
COMMON = ("organiser", "organiser_contact", "greeting", "field_names", "qr_platba_cid")
# What each variable holds, shown beside the text in the console (Czech).
LABELS = {
    "registration": "přihláška: first_name, last_name, email, organisation_name, price, manage_url, "
                    "ticket_url, waitlist_position, payment, paid_at, webinar_url…",
    "event": "akce: title, kind, topic, venue, lecturer, starts_at, ends_at, sessions, accreditation_number, hours…",
    "organiser": "název pořadatele (z nastavení)",
    "organiser_contact": "kontakt na pořadatele (z nastavení)",
    "greeting": "oslovení: {{ greeting(registration.first_name, registration.last_name) }}",
    "field_names": "české názvy změněných údajů akce",
    "qr_platba_cid": "obrázek QR Platba (jen v HTML části; v textu nepoužívejte)",
    "invoice": "faktura nebo opravný doklad: number, kind, total_halere, due_on…",
    "isdoc": "ISDOC faktury (příloha; v textu nepoužívejte)",
    "recipient": "adresa, na kterou e-mail jde",
    "subject": "předmět, který napsala kancelář",
    "text": "text, který napsala kancelář",
    "contact": "kontakt organizace: first_name, last_name, email…",
    "unsubscribe_url": "odkaz pro odhlášení z oznámení",
    "changes": "změněné údaje akce",
    "previous": "údaje akce před změnou",
    "reason": "důvod zrušení",
    "substitute": "náhradník: first_name, last_name",
    "registrant": "kdo přihlásil kolegy",
    "registrations": "přihlášení kolegové",
    "refund": "vracená platba",
    "link_url": "odkaz na stránku obce",
    "materials": "podklady z akce",
    "feedback_url": "odkaz na dotazník",
}

FILTERS = {
    "weekday_date_time": lambda v: czech.weekday_date_time(_moment(v)),
    "moment": lambda v: czech.weekday_date_time(_moment(v)) if isinstance(v, str) and "T" in v else v,
    "time": lambda v: czech.time(_moment(v)),
    "price": czech.price, "money": czech.money, "day": czech.day, "days": czech.days,
    "sessions": czech.sessions, "event_kind": czech.event_kind, "event_format": czech.event_format,
}


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _partial(name):
    """Only the fixed partials can be included from a stored text: nothing else is read."""
    if name not in PARTIALS:
        return None
    path = os.path.join(TEMPLATES, name)
    with open(path, encoding="utf-8") as file:
        return file.read(), path, lambda: True


# Text, not HTML: no autoescape here; the HTML part escapes the rendered text (html_body).
sandbox = SandboxedEnvironment(loader=jinja2.FunctionLoader(_partial), autoescape=False,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
sandbox.filters.update(FILTERS)
sandbox.globals["greeting"] = greeting

_BODY = re.compile(r"{%-?\s*block body\s*-?%}\n?(.*){%-?\s*endblock\s*-?%}", re.S)


def keys() -> list[str]:
    """Every editable text: one per kind of email."""
    return [kind.value for kind in EmailKind]


def _source(name):
    with open(os.path.join(TEMPLATES, name), encoding="utf-8") as file:
        return file.read()


@functools.cache
def default_body(key: str) -> str:
    """The default text: the ``body`` block of ``<key>.txt``."""
    found = _BODY.search(_source(f"{EmailKind(key).value}.txt"))
    assert found, f"{key}.txt has no body block"
    return found.group(1)


@functools.cache
def variables(key: str) -> tuple[str, ...]:
    """The variables the text of ``key`` gets: those of every email, and those its default files
    (text and HTML, with the partials they include) use from the email's data."""
    names = set(COMMON)
    for name in (f"{key}.txt", f"{key}.html", *PARTIALS):
        if name in PARTIALS and name not in default_body(key):
            continue
        names |= meta.find_undeclared_variables(sandbox.parse(_source(name)))
    return tuple(sorted(names))


def labelled(key: str) -> list[dict[str, str]]:
    return [{"name": name, "label": LABELS.get(name, "")} for name in variables(key)]


def check(key: str, body: str) -> None:
    """Refuse a text that could not be sent (``TextRefused``): a syntax error (with its line), a
    variable the email does not get, reading the internals of a value (``x.__class__``), or
    extending or including anything but the fixed partials (``services.common.texts``)."""
    if key not in keys():
        raise TextRefused("Takový e-mail neznáme.")
    check_template(sandbox, body, variables(key), PARTIALS, MAX_LENGTH, "Tento e-mail")


@functools.lru_cache(maxsize=512)
def _compiled(body: str) -> jinja2.Template:
    """A saved version never changes, so its text compiles once per process (cached by the text,
    which is the version's)."""
    return sandbox.from_string(body)


def render_body(body: str, context: Mapping[str, Any]) -> str:
    """The text ``body`` made with the email's data, in the sandbox (without the fixed footer,
    which ``custom.txt`` and ``custom.html`` put around it)."""
    return _compiled(body).render(**context)


_URL = re.compile(r"https?://[^\s<>\"']+")


def html_body(text: str) -> Markup:
    """The text of an email as HTML: escaped, a paragraph per block, a line break per line and
    every address a link (what the hand-made HTML templates do)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [_linked(str(escape(line))) for line in block.splitlines()]
        paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    return Markup("\n".join(paragraphs))


def _linked(line: str) -> str:
    return _URL.sub(lambda m: f'<a href="{m.group(0)}" style="word-break: break-all;">{m.group(0)}</a>', line)
