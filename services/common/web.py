"""nameko's web server answering in our own words, for the public site and the staff console."""
from collections.abc import Callable, Iterable
from typing import Any

from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response


class PagesApp(WsgiApp):
    """An unknown path or a wrong method gets the server's ``error_response(request, exc, environ)``
    instead of werkzeug's English HTML; every response gets the server's ``headers`` where it
    has not set them itself, nor left out on purpose (the names in the response's ``omit_headers``:
    the embeddable page has no ``X-Frame-Options``). ``admit(request, provider)`` may answer a
    request before its entrypoint runs (before anything reads its body): the console refuses a
    body too large there."""

    request_class = Request

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = self.request_class(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values  # type: ignore[attr-defined]  # nameko reads it
            response = self.admit(request, provider)
            if response is None:
                response = provider.handle_request(request)
        except HTTPException as exc:
            response = self.server.error_response(request, exc, environ)
        omitted = getattr(response, "omit_headers", ())
        for name, value in self.server.headers.items():
            if name not in omitted:
                response.headers.setdefault(name, value)
        return response(environ, start_response)

    def admit(self, request: Request, provider: Any) -> Response | None:
        """A response refusing ``request`` for the entrypoint ``provider`` before it runs; None to go on."""
        return None
