"""The certificate's text the office edits: which part is editable, which variables it gets, what
a saved text may contain, and its making in Jinja2's sandbox.

What is editable: the wording around the certificate's facts, as plain text (a paragraph per
block of lines; staff write no HTML). What stays fixed, from data, in ``certificate.html``: the
organiser, the heading "OSVĚDČENÍ" and "o absolvování akreditovaného vzdělávacího programu" (what
the document is, § 39 of zákon č. 312/2002 Sb.), and three fixed blocks the text places with
``{% include %}``, each exactly once: ``_holder`` (the name and date of birth), ``_programme`` (its
title) and ``_facts`` (accreditation number, dates, days attended, hours, venue, lecturer, number,
date of issue); then the signatures, the QR code and address of the verification page and the
seal's line. So the wording can change, but no certificate can leave out or misstate whom it is
for, what programme, under which accreditation, how many hours, or how to verify it: those are
what the register keeps (``domain.register_entry``) and the verification page confirms.

Until a text is saved, or after it is taken back to the default, certificates use
``templates/certificate_text.txt`` (the wording they had before it could be edited).
"""
import functools
import os
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from services.common import czech
from services.common.texts import TextRefused, check_template

from .render import TEMPLATES

KEY = "certificate"
MAX_LENGTH = 3_000  # the certificate is one A4 page
# The fixed blocks: the text places each exactly once; certificate.html makes them from data.
BLOCKS = ("_holder", "_programme", "_facts")
_MARK = re.compile("\ue000(holder|programme|facts)\ue001")

# What each variable holds, shown beside the text in the console (Czech).
LABELS = {
    "registration": "přihláška: first_name, last_name, organisation_name, position, birth_date…",
    "event": "akce: title, kind, topic, venue, lecturer, starts_at, ends_at, accreditation_number, hours…",
    "number": "číslo osvědčení (2026/0001)",
    "issued_at": "kdy bylo osvědčení vydáno: {{ issued_at | date }}",
    "held_on": "datum konání (u vícedenní akce rozsah dnů)",
    "hours": "počet hodin, které osvědčení uvádí: {{ hours | teaching_hours }}",
    "days_attended": "dny účasti, když člověk nebyl na všech (jinak prázdné)",
    "organiser": "název pořadatele (z nastavení)",
}
VARIABLES = tuple(sorted(LABELS))


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


FILTERS = {
    "date": lambda v: czech.date(_moment(v)), "day": czech.day, "days": czech.days,
    "weekday_date_time": lambda v: czech.weekday_date_time(_moment(v)), "time": lambda v: czech.time(_moment(v)),
    "event_kind": czech.event_kind,
    "teaching_hours": lambda n: czech.plural(n, "vyučovací hodina", "vyučovací hodiny", "vyučovacích hodin"),
}


def _block(name):
    """A fixed block is a mark in the made text, replaced by certificate.html's markup: nothing
    else can be included, and no file is read."""
    if name not in BLOCKS:
        return None
    return f"\ue000{name[1:]}\ue001", None, lambda: True


# Text, not HTML: no autoescape; ``segments`` escapes what the text made.
sandbox = SandboxedEnvironment(loader=jinja2.FunctionLoader(_block), autoescape=False,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
sandbox.filters.update(FILTERS)


def keys() -> list[str]:
    return [KEY]


@functools.cache
def default_body(key: str = KEY) -> str:
    with open(os.path.join(TEMPLATES, "certificate_text.txt"), encoding="utf-8") as file:
        return file.read()


def labelled(key: str = KEY) -> list[dict[str, str]]:
    return [{"name": name, "label": LABELS[name]} for name in VARIABLES]


def check(key: str, body: str) -> None:
    """Refuse a text a certificate could not be made with (``TextRefused``): what every text is
    refused for (``services.common.texts``), and a fixed block left out or placed twice."""
    if key != KEY:
        raise TextRefused("Takový text neznáme.")
    if _MARK.search(body) or "\ue000" in body or "\ue001" in body:
        raise TextRefused("Text obsahuje nepovolené znaky.")
    tree = check_template(sandbox, body, VARIABLES, BLOCKS, MAX_LENGTH, "Osvědčení")
    placed = [node.template.value for node in tree.find_all(nodes.Include)]
    for block in BLOCKS:
        if placed.count(block) != 1:
            raise TextRefused(f"Text musí obsahovat {{% include \"{block}\" %}} právě jednou "
                              f"(pevné údaje osvědčení: {_BLOCK_NAMES[block]}); teď {placed.count(block)}×.")
    top = {id(node) for node in tree.body}
    for node in tree.find_all(nodes.Include):
        if id(node) not in top:  # under an if or a for: it could be left out, or come twice
            raise TextRefused(f"Na řádku {node.lineno}: pevné údaje nemohou být uvnitř {{% if %}}, {{% for %}} "
                              "ani jiného příkazu; osvědčení je má vždy.")


_BLOCK_NAMES = {"_holder": "jméno a datum narození", "_programme": "název programu",
                "_facts": "číslo akreditace, datum, rozsah, místo, lektor, číslo a datum vydání"}


@functools.lru_cache(maxsize=64)
def _compiled(body: str) -> jinja2.Template:
    """A saved version never changes: its text compiles once per process."""
    return sandbox.from_string(body)


def segments(body: str, context: Mapping[str, Any]) -> list[dict[str, str]]:
    """The text ``body`` made with the certificate's data, in the sandbox, as certificate.html
    places it: ``{"html": …}`` (the text's paragraphs, escaped, a line break per line) and
    ``{"block": "holder" | "programme" | "facts"}`` where a fixed block goes. Plain strings, so
    they travel to the render pool. Raises Jinja2's errors (``SecurityError``, ``UndefinedError``)."""
    made = _compiled(body).render(**context)
    found: list[dict[str, str]] = []
    paragraph: list[str] = []

    def flush():
        if paragraph:
            found.append({"html": "<p>" + "<br>".join(str(escape(line)) for line in paragraph) + "</p>"})
            paragraph.clear()

    for line in made.split("\n"):
        if not line.strip():
            flush()
            continue
        parts = _MARK.split(line)
        for index, part in enumerate(parts):
            if index % 2:
                flush()
                found.append({"block": part})
            elif part.strip():
                paragraph.append(part.strip())
    flush()
    return found
