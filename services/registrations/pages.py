"""The Czech web pages: Jinja2 templates with autoescape, and the headers every page carries."""
import os
from datetime import datetime

import jinja2
from werkzeug.wrappers import Response

from services.common import czech, qr
from services.common.answers import answer_text
from services.common.greeting import greeting

from . import error_summary

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
environment.filters.update(
    date_time=czech.date_time,
    weekday_date_time=czech.weekday_date_time,
    time=czech.time,
    price=czech.price,
    event_kind=czech.event_kind,
    event_format=czech.event_format,
    day=czech.day,
    days=czech.days,
    sessions=czech.sessions,
    money=czech.money,
    money_typed=czech.money_typed,
    file_size=czech.file_size,
    qr=qr.svg_data_uri,
    iso_date=lambda value: czech.date(datetime.fromisoformat(value)),
    answer=answer_text,
)
environment.globals["greeting"] = greeting  # "Dobrý den, pane Svobodo," as the emails greet
environment.globals.update(
    wrong_fields=error_summary.summary,
    registration_fields=error_summary.registration_fields,
    colleagues_fields=error_summary.colleagues_fields,
    substitute_fields=error_summary.substitute_fields,
    feedback_fields=error_summary.feedback_fields,
)


def page(template, status=200, **context):
    """A rendered page as an HTTP response with the security headers."""
    html = environment.get_template(template).render(**context)
    return Response(html, status=status, content_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)
