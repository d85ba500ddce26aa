"""HTTP entrypoints of the registrations service: the JSON API.

Each handler parses the request, calls one use case and returns a dict; the
``api`` decorator turns the dict or a ``ServiceError`` into a JSON answer.
"""
import base64
import functools
import hashlib
import hmac
import json
import logging

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from services.common import metrics
from services.common.errors import NotFound, ServiceError, ServiceUnavailable, ValidationError, outage
from services.common.health import Health
from services.common.ico import ico_error
from services.common.vocabulary import LookupStatus, RegistrationStatus

from . import openapi, pages, records, usecases
from .schemas import colleagues_in, event_out, events_out, registration_in, registration_out, substitute_in
from .web import http, page_route

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
LOOKUP_UNAVAILABLE = "Údaje o organizaci teď nemůžeme dohledat. Vyplňte prosím název sami."
INTERNAL_ERROR = {"error": "internal_error",
                  "message": "Omlouváme se, nastala chyba na naší straně. Zkuste to prosím znovu."}


def json_response(status, body, headers=None):
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json; charset=utf-8")


def error_json(error):
    """A refusal as JSON; an outage or a limit says when to try again."""
    retry_after = getattr(error, "retry_after", None)
    return json_response(error.status, error.as_dict(), {"Retry-After": str(retry_after)} if retry_after else None)


def api(method, url):
    """An HTTP entrypoint whose handler returns ``(status, body)`` or raises ``ServiceError``."""
    def decorator(handler):
        @functools.wraps(handler)
        def entrypoint(self, request, **kwargs):
            try:
                result = handler(self, request, **kwargs)
            except ServiceError as error:
                return error_json(error)
            except Exception as error:
                unavailable = outage(error)
                if unavailable is None:
                    log.exception("%s %s failed", request.method, request.path)
                    return json_response(500, INTERNAL_ERROR)
                log.warning("%s %s: %s unavailable (%s)", request.method, request.path, unavailable.part, error)
                return error_json(unavailable)
            if isinstance(result, Response):
                return result
            status, body = result
            return json_response(status, body)
        return http(method, url)(entrypoint)
    return decorator


def read_json(request):
    """The request's JSON object, or the HTTP error that says what is wrong with it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ServiceErrorWithStatus(413, "payload_too_large", "Požadavek je příliš velký (nejvýše 64 KiB).")
    if request.mimetype != "application/json":
        raise ServiceErrorWithStatus(415, "unsupported_media_type", "Posílejte data jako application/json.")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ServiceErrorWithStatus(413, "payload_too_large", "Požadavek je příliš velký (nejvýše 64 KiB).")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ServiceErrorWithStatus(400, "invalid_json", "Tělo požadavku není platný JSON v UTF-8.") from None


def request_hash(event_id, body):
    """What makes two requests the same for an idempotency key: the event and the JSON body."""
    canonical = json.dumps([event_id, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ServiceErrorWithStatus(ServiceError):
    def __init__(self, status, code, message):
        super().__init__(code, message)
        self.status = status


class HttpApi:
    """The JSON API; mixed into ``RegistrationsService``, whose dependencies it uses."""

    @api("GET", "/health/live")
    def live(self, request):
        """Liveness: the process answers HTTP; touches nothing else."""
        return 200, {"status": Health.OK}

    @api("GET", "/api/openapi.json")
    def http_openapi(self, request):
        return 200, openapi.build(self.base_url)

    @api("GET", "/api/organisations")
    def http_organisations(self, request):
        """The form's autocomplete: public facts only (name, IČO, kind), never contacts."""
        query = request.args.get("q", "")[:100]
        if len(query.strip()) < 2:
            return 200, {"organisations": []}
        try:
            found = self.members.find_organisations(query, 10)
        except (ServiceError, RemoteError):
            log.warning("organisation search unavailable")
            found = []
        return 200, {"organisations": [{"ico": o["ico"], "name": o["name"], "kind": o["kind"]} for o in found]}

    @api("GET", "/api/organisations/<ico>")
    def http_lookup_organisation(self, request, ico):
        """The form's fill by IČO: name, address and DIČ from the register, else from ARES (through
        members, who keep ARES's answers). Members or ARES away or slow is an answer, 200 with
        ``status`` unavailable, within WEB_RPC_TIMEOUT_SECONDS: the form never waits on it."""
        error = ico_error(ico)
        if error:
            raise ValidationError({"ico": error})
        self.rate_limits.looking_up(request)
        try:
            found = self.members.lookup_organisation(ico)
        except (ServiceError, RemoteError) as failure:
            log.warning("organisation lookup unavailable: %s", type(failure).__name__)
            found = {"status": LookupStatus.UNAVAILABLE, "message": LOOKUP_UNAVAILABLE}
        return 200, {"ico": ico, "status": found["status"], "source": found.get("source"), "name": found.get("name"),
                     "address": found.get("address"), "dic": found.get("dic"), "message": found.get("message")}

    @api("GET", "/metrics")
    def http_metrics(self, request):
        """Prometheus, for the operator only: ``Authorization: Bearer <METRICS_TOKEN>``; without a
        configured token it is off. This service's figures and, when they answer in time, the others'."""
        token = self.config.get("METRICS_TOKEN") or ""
        given = request.headers.get("Authorization", "")
        if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ServiceErrorWithStatus(404, "not_found", "Tato adresa neexistuje.")
        samples = self.metrics()
        for service in (self.members, self.notifications_rpc, self.documents, self.payments):
            try:
                samples += service.metrics()
            except (ServiceError, RemoteError):
                log.warning("metrics of a service unavailable")
        return Response(metrics.render(samples), content_type="text/plain; version=0.0.4; charset=utf-8")

    @api("GET", "/health")
    def http_health(self, request):
        """Readiness: 200 when this service's database and the broker answer; else 503 naming what is down."""
        parts = self.parts_health()
        if all(state == Health.OK for state in parts.values()):
            return 200, dict(parts, status=Health.OK)
        return json_response(503, dict(parts, status=Health.UNAVAILABLE, error="service_unavailable",
                                       message=ServiceUnavailable("health").message),
                             {"Retry-After": str(ServiceUnavailable.retry_after)})

    @api("GET", "/api/events")
    def http_list_events(self, request):
        with self.db.transaction() as tx:
            events = usecases.upcoming_events(tx, self.clock())
        return 200, {"events": events_out.dump(events)}

    @api("GET", "/api/events/<int(max=2147483647):event_id>")
    def http_get_event(self, request, event_id):
        now = self.clock()
        with self.db.transaction() as tx:
            event = usecases.event_view(usecases.get_event(tx, event_id), now)
        return 200, event_out.dump(event)

    @api("POST", "/api/events/<int(max=2147483647):event_id>/registrations")
    def http_register(self, request, event_id):
        body = read_json(request)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 200:
            raise ServiceErrorWithStatus(400, "invalid_idempotency_key", "Idempotency-Key má 1 až 200 znaků.")
        data = registration_in.load_or_raise(body)
        self.rate_limits.registering(request, data["email"])
        return self._register(event_id, data, key, request_hash(event_id, body) if key else None)

    @api("POST", "/api/events/<int(max=2147483647):event_id>/group-registrations")
    def http_register_colleagues(self, request, event_id):
        """Several colleagues of one organisation, all or none (see ``domain._plan_colleagues``)."""
        body = read_json(request)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 200:
            raise ServiceErrorWithStatus(400, "invalid_idempotency_key", "Idempotency-Key má 1 až 200 znaků.")
        data = colleagues_in.load_or_raise(body)
        self.rate_limits.registering(request, data["registrant"]["email"])
        return self._register(event_id, data, key, request_hash(event_id, body) if key else None)

    @api("POST", "/api/registrations/<token>/cancel")
    def http_cancel(self, request, token):
        self.rate_limits.cancelling(request)
        registration = self._cancel(token=token)
        self.rate_limits.cancelled(registration["email"])
        return 200, registration_out.dump(registration)

    @api("POST", "/api/registrations/<token>/substitute")
    def http_substitute(self, request, token):
        """Hand the seat to a colleague: 201 with the substitute's new registration (its own token)."""
        data = substitute_in.load_or_raise(read_json(request))
        self.rate_limits.registering(request, data["email"])
        with self._uow() as uow:
            registration = usecases.substitute(uow, data, token=token)
        return 201, registration_out.dump(registration)

    @api("POST", "/api/registrations/<token>/invoice")
    def http_request_invoice(self, request, token):
        """An invoice to the organisation: 200 with the registration, whose payment names it."""
        return 200, registration_out.dump(self._request_invoice(token))

    @api("GET", "/api/registrations/<token>")
    def http_get_registration(self, request, token):
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url, token=token)
        return 200, registration_out.dump(registration)

    @api("GET", "/api/registrations/<token>/ticket.pdf")
    def http_ticket(self, request, token):
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url, token=token)
        if registration["status"] != RegistrationStatus.CONFIRMED:
            raise ServiceErrorWithStatus(404, "ticket_not_available", "Vstupenka je jen pro potvrzenou přihlášku.")
        pdf = self.documents.render_ticket(usecases.event_payload(registration))
        return Response(base64.b64decode(pdf["data"]), status=200, content_type=pdf["content_type"],
                        headers={"Content-Disposition": f'inline; filename="{pdf["filename"]}"'})


    @api("GET", "/api/certificates/<int(max=9999):year>/<int(max=99999999):number>")
    def http_verify_certificate(self, request, year, number):
        """Certificate ``year/number`` as its verification page tells it (the register in
        documents); 404 ``certificate_not_found`` for a number never issued."""
        self.rate_limits.verifying(request)
        return 200, self.documents.verify_certificate(f"{year}/{number:04d}")

    @api("POST", "/api/certificates/<int(max=9999):year>/<int(max=99999999):number>/holder")
    def http_verify_holder(self, request, year, number):
        """Whether ``{"name": "Jana Nováková"}`` is the holder of certificate ``year/number``
        (``name_matches``); the name itself is never told."""
        body = read_json(request)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ValidationError({"name": "Zadejte jméno a příjmení držitele (nejvýše 200 znaků)."})
        self.rate_limits.verifying(request)
        return 200, self.documents.verify_certificate(f"{year}/{number:04d}", name.strip())

    @api("GET", "/api/registrations/<token>/training-record")
    def http_training_record(self, request, token):
        """The person's own training record: of this registration's address, at every event."""
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url, token=token)
        records.check_own_record(registration)
        return 200, self._training_record(registration["email"])


class Announcements:
    """The link in every announcement that turns announcements off. Opening it only asks: mail
    scanners open links, and must not unsubscribe anyone. The button posts; so does a mail
    program's one-click unsubscribe (RFC 8058), to the same address."""

    @page_route("GET", "/announcements/unsubscribe/<token>")
    def unsubscribe_confirm(self, request, token):
        return pages.page("unsubscribe.html", token=token)

    @page_route("POST", "/announcements/unsubscribe/<token>")
    def unsubscribe(self, request, token):
        found = self._unsubscribe(token)
        return pages.page("unsubscribed.html", status=200 if found else 404, found=found)

    def _unsubscribe(self, token):
        try:
            self.members.unsubscribe(token)
            return True
        except NotFound:
            return False
