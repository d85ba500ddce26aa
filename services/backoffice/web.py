"""The console's HTTP: its own address, and every page behind a check of session, right and CSRF.

``page(method, url, right)`` is the one way to make a page: ``right`` is what
the account's role must allow (``domain.RIGHTS``), or None for the login pages.
Every page is listed by ``routes(service)`` (from its entrypoints: nothing is registered
at import), which the role-matrix test walks, so a new page cannot forget its check.

Request bodies are limited before anything parses them (``ConsoleApp.admit``): a form
takes at most ``FORM_MAX_BYTES``; only a page made with ``upload=`` takes more (its file),
and only from someone who carries a session cookie; a file part sent to a page that
takes no file is refused, never spooled to disk. Over the limit: a Czech 413 page.
"""
import base64
import functools
import hmac
import logging
import os
import secrets
from datetime import datetime
from urllib.parse import quote, unquote

import jinja2
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.common import czech
from services.common.answers import answer_text
from services.common.errors import ServiceError, outage
from services.common.payment import payment_state
from services.common.unit_of_work import unit_of_work
from services.common.web import PagesApp

from . import domain, usecases
from .settings import load as load_settings

log = logging.getLogger(__name__)

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
SESSION_COOKIE = "konzole"
LOGIN_CSRF_COOKIE = "konzole_prihlaseni"
# What the last action did, said once on the next page (set by ``Pages._done``, read by ``Pages._page``).
NOTICE_COOKIE = "konzole_hotovo"
# The most a request body may be: an ordinary form (and anything anonymous), and the upload
# pages' own limits (``page(..., upload=)``: the file's bytes), plus what multipart adds around a file.
FORM_MAX_BYTES = 64 * 1024
MULTIPART_SLACK = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "media-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                 undefined=jinja2.StrictUndefined)
environment.filters.update(date_time=lambda moment: czech.date_time(
    datetime.fromisoformat(moment) if isinstance(moment, str) else moment), date_time_seconds=lambda moment: (
    czech.date_time_seconds(datetime.fromisoformat(moment))), price=czech.price,
    event_kind=czech.event_kind, money=czech.money, day=czech.day, days=czech.days, sessions=czech.sessions,
    answer=answer_text, event_format=czech.event_format, payment_state=payment_state, email_kind=domain.email_kind,
    text_name=domain.text_name, email_state=domain.email_state, role_name=domain.role_name, file_size=czech.file_size)


def render(template, status=200, **context):
    html = environment.get_template(template).render(**context)
    return Response(html, status=status, content_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


def error_page(status, message, account=None):
    return render("error.html", status=status, message=message, account=account, csrf=None)


def refusal_page(error, account):
    """A ``ServiceError`` as a page; an outage or a throttle says when to try again."""
    return with_retry_after(error_page(error.status, error.message, account), error)


def with_retry_after(response, error):
    """``response``, saying when to try again where ``error`` (an outage, a throttle) knows it."""
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _size(limit) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} kB"


class BodyTooLarge(RequestEntityTooLarge):
    """A body over the page's limit, or a file sent to a page that takes none (``description`` in Czech)."""

    def __init__(self, limit=None, message=None):
        super().__init__(message or f"Požadavek je příliš velký: tato stránka přijme nejvýše {_size(limit)}.")


def too_large_page(error, account=None):
    description = error.description if isinstance(error, BodyTooLarge) else "Požadavek je příliš velký."
    return error_page(413, description, account)


class ConsoleRequest(Request):
    """A request whose file parts are refused unless its page takes a file (``takes_files``)."""

    takes_files = False

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if not self.takes_files:
            raise BodyTooLarge(message="Tato stránka nepřijímá soubory.")
        return super()._get_file_stream(total_content_length, content_type, filename, content_length)


class ConsoleApp(PagesApp):
    """The console's WSGI app: every body limited before its page runs (see the module's docstring)."""

    request_class = ConsoleRequest

    def admit(self, request, provider):
        upload = provider.upload
        if upload and SESSION_COOKIE in request.cookies:  # checked by the page; anonymous gets the small limit
            limit = upload + MULTIPART_SLACK
            request.takes_files, request.max_form_memory_size = True, limit
        else:
            limit = FORM_MAX_BYTES
        request.max_content_length = limit  # a body without Content-Length stops there while read
        if request.content_length is not None and request.content_length > limit:
            return too_large_page(BodyTooLarge(limit))
        return None


class ConsoleServer(WebServer):
    """The console's own server, on ``BACKOFFICE_ADDRESS``: never on the public address."""

    headers = SECURITY_HEADERS

    @property
    def bind_addr(self):
        return parse_address(load_settings(self.container.config).address)

    def get_wsgi_app(self):
        return ConsoleApp(self)

    def error_response(self, request, exc, environ):
        if request.path.startswith("/api/staff/"):  # the staff API answers JSON, as its operations do
            return Response('{"error": "not_found", "message": "Taková operace API neexistuje."}'
                            if exc.code == 404 else '{"error": "bad_request", "message": "Požadavek nelze zpracovat."}',
                            status=exc.code, content_type="application/json; charset=utf-8")
        return error_page(exc.code, "Tato stránka neexistuje." if exc.code == 404 else "Požadavek nelze zpracovat.")


class ConsoleRequestHandler(HttpRequestHandler):
    """A console page's entrypoint: its method and URL, the ``right`` it needs (None: reachable
    without a session) and ``upload``, the bytes of the file it takes (None: a form only)."""

    server = ConsoleServer()

    def __init__(self, method, url, right=None, upload=None, **kwargs):
        super().__init__(method, url, **kwargs)
        self.right, self.upload = right, upload


http = ConsoleRequestHandler.decorator


def page(method, url, right, upload=None):
    """A console page needing ``right`` (None: reachable without a session); ``upload``: the
    bytes of the file it takes (else its body is an ordinary form's, ``FORM_MAX_BYTES``)."""
    def decorator(handler):
        @functools.wraps(handler)
        def entrypoint(self, request, **kwargs):
            request.account = request.login = None
            try:
                if right is not None:
                    refusal = self._admit(request, url, right)
                    if refusal is not None:
                        return refusal
                return handler(self, request, **kwargs)
            except RequestEntityTooLarge as error:  # read past the limit (no Content-Length), or a file
                return too_large_page(error, request.account)
            except ServiceError as error:
                return refusal_page(error, request.account)
            except Exception as error:
                unavailable = outage(error)
                if unavailable is None:
                    log.exception("%s %s failed", request.method, request.path)
                    return error_page(500, "Omlouváme se, nastala chyba. Zkuste to prosím znovu.", request.account)
                return refusal_page(unavailable, request.account)
        return http(method, url, right=right, upload=upload)(entrypoint)
    return decorator


def routes(service_cls) -> tuple[tuple[str, str, str | None], ...]:
    """Every page of ``service_cls`` as ``(method, url, right)``, in the order they are defined."""
    members: dict = {}
    for cls in reversed(service_cls.__mro__):
        members.update(vars(cls))
    return tuple((entrypoint.method, entrypoint.url, entrypoint.right) for member in members.values()
                 for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())
                 if isinstance(entrypoint, ConsoleRequestHandler))


def document_response(document, disposition="inline"):
    """A document as it travels over RPC (``filename``, ``content_type``, ``data`` in base64)."""
    return Response(base64.b64decode(document["data"]), content_type=document["content_type"],
                    headers={"Content-Disposition": f'{disposition}; filename="{document["filename"]}"'})


# The field that the confirmation page (``Pages._confirm``) adds to the form it posts again.
CONFIRMED_FIELD = "confirmed"


def csv_response(text, filename):
    """A CSV download (its text as the other services make it for Czech Excel)."""
    return Response(text, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def confirmed(request):
    """Whether the person already said yes on the confirmation page ``Pages._confirm`` showed."""
    return request.form.get(CONFIRMED_FIELD) == "ano"


class Pages:
    """Mixed into the service: the gate every page with a right goes through, and the two steps
    around every action that sends, pays, changes a seat or cannot be undone:

        if not confirmed(request):
            return self._confirm(request, "Zrušit přihlášku Jany Novákové?", ["Dostane e-mail."],
                                 "Ano, zrušit přihlášku", back=f"/akce/{event_id}")
        ...                                   # the action, done once it was confirmed
        return self._done(request, f"/akce/{event_id}", "Přihláška Jany Novákové je zrušena.")

    ``_confirm`` shows the question with its consequences and a form that posts the same fields
    again with ``confirmed=ano``; ``_done`` goes back with a message the next page reads out in
    its status region (``role="status"``).
"""

    def _uow(self):
        """One call's transaction and the moment of the call (the console has no outbox)."""
        return unit_of_work(self.db, self.clock)

    def _admit(self, request, url, right):
        with self._uow() as uow:
            found = usecases.current(uow, request.cookies.get(SESSION_COOKIE))
        if found is None:
            return redirect(f"/prihlaseni?dal={quote(request.full_path.rstrip('?'), safe='/')}", code=303)
        account, login = found
        if login["second_factor_due"]:
            return redirect("/prihlaseni/kod" if account["totp_secret"] else "/prihlaseni/nastavit-kod", code=303)
        if account["must_change_password"] and url != "/heslo":
            return redirect("/heslo", code=303)
        if not domain.may(account["role"], right):
            return error_page(403, "Na tuto stránku nemáte oprávnění.", account)
        if request.method == "POST" and not hmac.compare_digest(request.form.get("csrf", ""), login["csrf"]):
            return error_page(403, "Formulář vypršel. Načtěte stránku a zkuste to znovu.", account)
        request.account, request.login = account, login
        return None

    def _page(self, request, template, status=200, **context):
        """A page for the logged-in account, with its CSRF token in the forms, and what the last
        action did (``_done``), said once."""
        notice = request.cookies.get(NOTICE_COOKIE)
        context.setdefault("notice", unquote(notice)[:500] if notice else None)
        response = render(template, status=status, account=request.account, csrf=request.login["csrf"], **context)
        if notice:
            response.delete_cookie(NOTICE_COOKIE)
        return response

    def _confirm(self, request, question, consequences, button, back, danger=False, status=200, extra=None):
        """Ask before acting: ``question`` with its ``consequences`` (sentences with names and
        counts), a ``button`` that posts the same form again confirmed, and a way ``back``;
        ``extra`` fields (name -> value) go with it, such as what stands for an uploaded file."""
        fields = [(name, value) for name, values in request.form.lists()
                  if name not in ("csrf", CONFIRMED_FIELD) and name not in (extra or {}) for value in values]
        fields += list((extra or {}).items())
        return self._page(request, "confirm.html", status=status, question=question, consequences=consequences,
                          button=button, back=back, danger=danger, action=request.path, fields=fields)

    def _done(self, request, location, message):
        """After an action: back to ``location``, where ``message`` says what was done."""
        response = redirect(location, code=303)
        response.set_cookie(NOTICE_COOKIE, quote(message), httponly=True, samesite="Strict", secure=self._secure())
        return response

    def _login_form(self, request, template, status=200, **context):
        """A login page with a CSRF token of its own (there is no session yet): double-submit."""
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = render(template, status=status, account=None, csrf=token, **context)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=self._secure())
        return response

    def _login_csrf_valid(self, request):
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(request.form.get("csrf", ""), cookie)

    def _with_session(self, response, session_id):
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Strict", secure=self._secure())
        return response

    def _secure(self):
        return self.settings.secure_cookies
