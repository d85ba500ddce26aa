"""HTML templates to PDF with WeasyPrint, fenced in.

``render_pdf`` runs in worker processes (see ``RenderPool``): WeasyPrint is
CPU-bound and would stall the eventlet hub of the service. Everything it
loads passes ``_local_fetcher``: the service's own templates and assets and
``data:`` URLs (the QR code), nothing from the network or elsewhere on disk.
"""
import os
import re
from datetime import date, datetime
from urllib import request

import jinja2

from services.common import czech, qr

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

_environment = None


def environment():
    global _environment
    if _environment is None:
        _environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        _environment.filters.update(
            date_time=lambda v: czech.date_time(_moment(v)),
            date=lambda v: czech.date(_moment(v)),
            time=lambda v: czech.time(_moment(v)),
            weekday_date_time=lambda v: czech.weekday_date_time(_moment(v)),
            price=czech.price,
            event_kind=czech.event_kind,
            teaching_hours=lambda n: czech.plural(n, "vyučovací hodina", "vyučovací hodiny", "vyučovacích hodin"),
            birth_date=lambda v: _birth_date(v),
            money=czech.money,
            day=czech.day,
            days=czech.days,
            sessions=czech.sessions,
            schedule=czech.schedule,
            session=czech.session,
        )
    return _environment


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _birth_date(value):
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day}. {day.month}. {day.year}"


class ForbiddenResource(Exception):
    pass


def _local_fetcher():
    """WeasyPrint's fetcher, refusing all but ``data:`` and files of our templates folder."""
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = os.path.realpath(request.url2pathname(url[len("file://"):].split("?")[0].split("#")[0]))
                if not path.startswith(TEMPLATES + os.sep):
                    raise ForbiddenResource(f"refused to read {path[:200]!r}")
            elif not url.startswith("data:"):
                raise ForbiddenResource(f"refused to fetch {url[:200]!r}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols={"data", "file"}, allow_redirects=False)


def qr_data_uri(text: str) -> str:
    """An SVG QR code of ``text``; error correction M, a quiet zone of four modules."""
    return qr.svg_data_uri(text)


def render_html(template: str, context: dict) -> str:
    return environment().get_template(template).render(**context)


# A template names its stylesheets with <link> so that a designer can open it in a
# browser; here they are parsed once per worker process instead of on every PDF.
_STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="([\w.-]+\.css)">')
_stylesheets = {}
_font_config = None


def _fonts():
    global _font_config
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def _stylesheet(name):
    from weasyprint import CSS

    if name not in _stylesheets:
        _stylesheets[name] = CSS(filename=os.path.join(TEMPLATES, name), font_config=_fonts(),
                                 url_fetcher=_local_fetcher())
    return _stylesheets[name]


def render_pdf(template: str, context: dict, seal_key=None) -> bytes:
    """The PDF of ``template`` filled with ``context`` (plain data, picklable); sealed with
    ``seal_key`` (a ``seal.SealKey``) when one is given."""
    from weasyprint import HTML

    html = render_html(template, context)
    stylesheets = [_stylesheet(name) for name in _STYLESHEET_LINK.findall(html)]
    html = _STYLESHEET_LINK.sub("", html)
    document = HTML(string=html, base_url="file://" + TEMPLATES + "/", url_fetcher=_local_fetcher())
    data = document.write_pdf(stylesheets=stylesheets, font_config=_fonts())
    if seal_key is not None:
        from .seal import seal_pdf

        data = seal_pdf(data, seal_key)
    return data


_extra_stylesheets = {}


def render_base(template: str, context: dict, css: str, appendix: str):
    """WeasyPrint's document of ``template`` (its layout, ``document.pages``) and its PDF, with the
    stylesheet ``css`` added and the HTML ``appendix`` (ours, not a person's) at the end of the
    body: a base page for ``stamp``."""
    from weasyprint import CSS, HTML

    html = render_html(template, context)
    stylesheets = [_stylesheet(name) for name in _STYLESHEET_LINK.findall(html)]
    if css not in _extra_stylesheets:
        _extra_stylesheets[css] = CSS(string=css, font_config=_fonts())
    html = _STYLESHEET_LINK.sub("", html)
    if html.count("</body>") != 1:
        raise ValueError(f"{template}: no single </body>")
    html = html.replace("</body>", appendix + "</body>")
    document = HTML(string=html, base_url="file://" + TEMPLATES + "/", url_fetcher=_local_fetcher()).render(
        stylesheets=[*stylesheets, _extra_stylesheets[css]], font_config=_fonts())
    return document, document.write_pdf()


def warm_up():
    """Prepare a worker process: lower its CPU priority, so that a burst of PDFs never
    starves the services answering people, and load WeasyPrint and fonts once."""
    from weasyprint import HTML

    os.nice(10)
    HTML(string="<p>Příliš žluťoučký kůň</p>").write_pdf()
