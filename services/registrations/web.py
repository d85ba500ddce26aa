"""The HTTP server of the registrations service, with errors in our own words.

nameko's server answers an unknown path or a wrong method with werkzeug's
English HTML. This one answers in JSON under ``/api/`` and with a Czech page
elsewhere, keeps the ``Allow`` header of a 405, and adds the security headers.
"""
import functools
import json
import logging

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.wrappers import Response

from services.common.errors import ServiceError, outage
from services.common.web import PagesApp

from . import pages

log = logging.getLogger(__name__)

MESSAGES = {
    404: ("not_found", "Tato adresa neexistuje."),
    405: ("method_not_allowed", "Tato adresa tuto metodu nepodporuje."),
    400: ("bad_request", "Požadavek nelze zpracovat."),
}


def error_response(request_path, status, headers=()):
    code, message = MESSAGES.get(status, ("http_error", "Požadavek nelze zpracovat."))
    if request_path.startswith("/api/"):
        response = Response(json.dumps({"error": code, "message": message}, ensure_ascii=False), status=status,
                            content_type="application/json; charset=utf-8")
    else:
        response = pages.page("error.html", status=status, message=message)
    for name, value in headers:
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response


class SiteServer(WebServer):
    headers = pages.SECURITY_HEADERS

    def get_wsgi_app(self):
        return PagesApp(self)

    def error_response(self, request, exc, environ):
        return error_response(request.path, exc.code, exc.get_headers(environ))


class SiteRequestHandler(HttpRequestHandler):
    server = SiteServer()


http = SiteRequestHandler.decorator


def error_page(error):
    """A refusal as a Czech page; an outage or a limit says when to try again."""
    response = pages.page("error.html", status=error.status, message=error.message)
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def page_route(method, url):
    """A page entrypoint: a ``ServiceError`` becomes a Czech error page with its status."""
    def decorator(handler):
        @functools.wraps(handler)
        def entrypoint(self, request, **kwargs):
            try:
                return handler(self, request, **kwargs)
            except ServiceError as error:
                return error_page(error)
            except Exception as error:
                unavailable = outage(error)
                if unavailable is None:
                    log.exception("%s %s failed", request.method, request.path)
                    return pages.page("error.html", status=500,
                                      message="Omlouváme se, nastala chyba na naší straně. Zkuste to prosím znovu.")
                log.warning("%s %s: %s unavailable (%s)", request.method, request.path, unavailable.part, error)
                return error_page(unavailable)
        return http(method, url)(entrypoint)
    return decorator
