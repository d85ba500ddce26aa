"""The staff API: the console's main operations as JSON under ``/api/staff/…`` on the console's
own address, for the association's other systems, each call with a token an administrator made
(``tokens.py``, the page ``/api-tokeny``).

Every request: its ``Authorization: Bearer`` token is looked up by its hash (401 ``unauthorized``
unless it exists and is not revoked), counted against the token's pace (429
``too_many_requests`` with ``Retry-After`` past ``STAFF_API_RATE_LIMIT`` in
``STAFF_API_RATE_SECONDS``, counted per process as the public site's limits), recorded as the
token's last use (time, address, count), then checked for the operation's scope (403
``insufficient_scope``). Answers and refusals are JSON as the public API's: ``{"error",
"message", "fields"}``; an outage is 503 with ``Retry-After``, never a 500.

A write (cancel, restore) and a read of personal data (an event's registrations, payments, a
file of the accountant's export) get an audit row before the call (``auditing``), its ``who``
naming the token: a failure halfway leaves the row ``started``, as for staff in the console. A
file answers with its own content type and ``Content-Disposition`` instead of JSON; its refusals
are JSON as any. The use record is its own short transaction before the operation: when it
cannot be written (the database away) the call answers 503 and does nothing.
"""
import functools
import json
import logging

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from services.common.addresses import client_address
from services.common.czech import MONTH_FORMAT, month_of
from services.common.errors import NotFound, ServiceError, ValidationError, outage
from services.common.payment import payment_state
from services.common.ratelimit import Window
from services.common.vocabulary import LIVE, RegistrationStatus

from . import auditing, domain, store
from .tokens import Scope, Unauthorized, bearer, check_scope, token_hash
from .web import ConsoleServer, document_response

log = logging.getLogger(__name__)

PREFIX = "/api/staff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INTERNAL_ERROR = {"error": "internal_error",
                  "message": "Omlouváme se, nastala chyba na naší straně. Zkuste to prosím znovu."}
JSON_HEADERS = {"Cache-Control": "no-store"}


def json_response(status, body, headers=None):
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=dict(JSON_HEADERS, **(headers or {})),
                    content_type="application/json; charset=utf-8")


def error_json(error):
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="smopk-staff"'
    return json_response(error.status, error.as_dict(), headers)


class StaffApiHandler(HttpRequestHandler):
    """An entrypoint of the staff API, served by the console's own server (``ConsoleServer``);
    not a console page (no session, no CSRF: the token is the credential), so ``routes`` skips it."""

    server = ConsoleServer()
    upload = None  # a JSON body at most ``web.FORM_MAX_BYTES`` (ConsoleApp.admit)

    def __init__(self, method, url, scope=None, **kwargs):
        super().__init__(method, url, **kwargs)
        self.scope = scope


class ApiLimits(DependencyProvider):
    """The pace of each token in this process (``services.common.ratelimit.Window``)."""

    def setup(self):
        from .settings import load
        settings = load(self.container.config)
        self.window = Window(settings.api_rate_limit, settings.api_rate_seconds)

    def get_dependency(self, worker_ctx):
        return self.window


def api(method, url, scope):
    """A staff API entrypoint needing ``scope`` (None: any valid token); the handler gets the
    token's row and returns ``(status, body)`` (JSON), a ``Response`` (a file) or raises
    ``ServiceError``."""
    def decorator(handler):
        @functools.wraps(handler)
        def entrypoint(self, request, **kwargs):
            try:
                token = self._api_token(request)
                if scope is not None:
                    check_scope(token["scopes"], scope)
                answer = handler(self, request, token, **kwargs)
            except ServiceError as error:
                return error_json(error)
            except Exception as error:
                unavailable = outage(error)
                if unavailable is None:
                    log.exception("%s %s failed", request.method, request.path)
                    return json_response(500, INTERNAL_ERROR)
                return error_json(unavailable)
            if isinstance(answer, Response):
                answer.headers.update(JSON_HEADERS)  # a file of personal data is not kept by caches either
                return answer
            status, body = answer
            return json_response(status, body)
        return StaffApiHandler.decorator(method, PREFIX + url, scope=scope)(entrypoint)
    return decorator


class EventOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    topic = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "draft, published, cancelled"})
    venue = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"description": "ISO 8601 with offset"})
    ends_at = fields.String(required=True)
    capacity = fields.Integer(required=True)
    seats_left = fields.Integer(required=True)
    registration_open = fields.Boolean(required=True)
    price_member = fields.Integer(required=True, metadata={"description": "whole CZK"})
    price_non_member = fields.Integer(required=True)
    accreditation_number = fields.String(allow_none=True)


class EventList(Schema):
    events = fields.List(fields.Nested(EventOut), required=True)


class RegistrationOut(Schema):
    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "confirmed, waitlisted, cancelled, …"})
    waitlist_position = fields.Integer(allow_none=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(required=True)
    organisation_ico = fields.String(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    is_member = fields.Boolean(required=True)
    price = fields.Integer(required=True, metadata={"description": "whole CZK"})
    created_at = fields.String(required=True)
    cancelled_at = fields.String(allow_none=True)
    checked_in_at = fields.String(allow_none=True)
    paid_at = fields.String(allow_none=True)
    variable_symbol = fields.String(allow_none=True)
    payment_state = fields.String(required=True, metadata={
        "description": "as the console says it, in Czech: zaplaceno 900 Kč (3. 12. 2026), nezaplaceno …, zdarma"})


class RegistrationList(Schema):
    registrations = fields.List(fields.Nested(RegistrationOut), required=True)


class PaymentOut(Schema):
    registration_id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    payer_name = fields.String(required=True)
    email = fields.String(required=True)
    organisation_name = fields.String(allow_none=True)
    variable_symbol = fields.String(required=True)
    amount_halere = fields.Integer(required=True)
    paid_halere = fields.Integer(required=True)
    owed_halere = fields.Integer(required=True)
    due_on = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open, paid, cancelled"})
    paid_at = fields.String(allow_none=True)


class PaymentList(Schema):
    payments = fields.List(fields.Nested(PaymentOut), required=True)


class AccountingCounts(Schema):
    invoices = fields.Integer(required=True)
    credit_notes = fields.Integer(required=True)
    bank = fields.Integer(required=True)
    other = fields.Integer(required=True)
    unpaid = fields.Integer(required=True)
    refunds = fields.Integer(required=True)


class AccountingTotals(Schema):
    documents = fields.Integer(required=True, metadata={"description": "haléře: invoices less credit notes"})
    invoices = fields.Integer(required=True, metadata={"description": "haléře"})
    credit_notes = fields.Integer(required=True, metadata={"description": "haléře, negative"})
    bank = fields.Integer(required=True, metadata={"description": "haléře: matched bank lines, less reversals"})
    other = fields.Integer(required=True, metadata={"description": "haléře: cash and payments recorded by hand"})
    unpaid = fields.Integer(required=True, metadata={"description": "haléře: invoices of the month still owed today"})
    refunds = fields.Integer(required=True, metadata={"description": "haléře"})
    counts = fields.Nested(AccountingCounts, required=True)


class AccountingFiles(Schema):
    pohoda = fields.String(allow_none=True, required=True, metadata={
        "description": "the POHODA data pack's path; null when the month has nothing to import"})
    xlsx = fields.String(required=True)
    isdoc = fields.String(required=True)


class AccountingOut(Schema):
    month = fields.String(required=True, metadata={"description": "2028-04"})
    name = fields.String(required=True, metadata={"description": "in Czech: duben 2028"})
    totals = fields.Nested(AccountingTotals, required=True)
    pohoda = fields.Boolean(required=True, metadata={"description": "whether the month has a POHODA data pack"})
    files = fields.Nested(AccountingFiles, required=True)


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "stable code, e.g. unauthorized"})
    message = fields.String(required=True, metadata={"description": "a Czech sentence for people"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String())


event_out, events_out, registration_out = EventOut(), EventList(), RegistrationOut()
registrations_out, payments_out, accounting_out = RegistrationList(), PaymentList(), AccountingOut()
STATUSES = tuple(RegistrationStatus)
# The accountant's files: the format ``accounting_export`` makes, by the name in the path.
ACCOUNTING_FILES = {"pohoda.xml": "pohoda", "podklady.xlsx": "xlsx", "isdoc.zip": "isdoc"}
MONTH_PATTERN = "^[0-9]{4}-[0-9]{2}$"


def accounting_month(typed: str) -> str:
    """The month of a path (``2028-04``) as payments takes it; one that is none is refused in
    Czech (422), before anything is asked or audited."""
    found = month_of(typed) if len(typed) <= 20 else None
    if found is None:
        raise ValidationError({"month": MONTH_FORMAT}, MONTH_FORMAT)
    return f"{found[0]}-{found[1]:02d}"


def accounting_view(overview):
    """The month's overview (``accounting_overview``) with the paths of its files."""
    base = f"{PREFIX}/accounting/{overview['month']}/"
    files = {kind: base + name for name, kind in ACCOUNTING_FILES.items()}
    files["pohoda"] = files["pohoda"] if overview["pohoda"] else None
    return accounting_out.dump(dict(overview, files=files))


def registration_view(registration):
    """A registration as the API tells it: its own fields, with the payment state in Czech."""
    payment = registration.get("payment") or {}
    view = dict(registration, event_id=registration.get("event_id") or (registration.get("event") or {}).get("id"),
                variable_symbol=payment.get("variable_symbol"), payment_state=payment_state(registration))
    return registration_out.dump(view)


class StaffApi:
    """The staff API's entrypoints; mixed into ``BackofficeService``, whose dependencies it uses."""

    def _api_token(self, request):
        """The token of the request (see the module's docstring), its use recorded."""
        raw = bearer(request.headers.get("Authorization"))
        with self.db.transaction() as tx:
            token = store.token_by_hash(tx, token_hash(raw))
            if token is None or token["revoked_at"] is not None:
                raise Unauthorized("invalid_token", "Přístupový token neplatí (neexistuje, nebo byl zrušen).")
        self.api_limits.hit(token["id"])
        with self.db.transaction() as tx:
            store.token_used(tx, token["id"], self.clock(), client_address(request,
                                                                            self.settings.client_address_header))
        return token

    def _api_audited(self, token, action, details):
        who = {"email": f"API token {token['prefix']}… ({token['name']})"[:254]}
        return auditing.audited(self.db, self.clock, who, action, dict(details, api_token_id=token["id"]))

    @api("GET", "/openapi.json", None)
    def staff_openapi(self, request, token):
        return 200, build_openapi(self.settings.base_url)

    @api("GET", "/events", Scope.READ_EVENTS)
    def staff_events(self, request, token):
        """Events that have not ended (``?all=1``: also past ones), as the console's list."""
        include_past = request.args.get("all") in ("1", "true")
        return 200, events_out.dump({"events": self.registrations.list_events(include_past)})

    @api("GET", "/events/<int:event_id>", Scope.READ_EVENTS)
    def staff_event(self, request, token, event_id):
        return 200, event_out.dump(self.registrations.get_event(event_id))

    @api("GET", "/events/<int:event_id>/registrations", Scope.READ_REGISTRATIONS)
    def staff_registrations(self, request, token, event_id):
        """An event's registrations with their payment state; ``?status=`` one status only."""
        status = request.args.get("status") or None
        if status is not None and status not in STATUSES:
            raise ValidationError({"status": "Neznámý stav přihlášky; možné: " + ", ".join(STATUSES) + "."})
        self.registrations.get_event(event_id)  # 404 before anything is recorded as read
        with self._api_audited(token, "api_registrations_read", {"event_id": event_id}) as entry:
            found = self.registrations.list_registrations(event_id, status)
            entry.details["rows"] = len(found)
        return 200, {"registrations": [registration_view(r) for r in found]}

    @api("POST", "/registrations/<int:registration_id>/cancel", Scope.MANAGE_REGISTRATIONS)
    def staff_cancel(self, request, token, registration_id):
        """Cancel a registration, as staff in the console (the person is told by email; a
        waitlisted person may get the seat). Cancelling twice is not an error."""
        registration = self._api_registration(registration_id)
        if registration["status"] not in LIVE:
            return 200, registration_view(registration)
        with self._api_audited(token, "registration_cancelled", {"registration_id": registration_id,
                                                                 "event_id": registration["event"]["id"]}):
            cancelled = self.registrations.cancel_registration(registration_id)
        return 200, registration_view(cancelled)

    @api("POST", "/registrations/<int:registration_id>/restore", Scope.MANAGE_REGISTRATIONS)
    def staff_restore(self, request, token, registration_id):
        """Take back a cancellation: a new registration, confirmed when a seat is free, else
        waitlisted (answered 201). Refused (409) as in the console."""
        registration = self._api_registration(registration_id)
        with self._api_audited(token, "registration_restored", {"registration_id": registration_id,
                                                                "event_id": registration["event"]["id"]}) as entry:
            restored = self.registrations.restore_registration(registration_id)
            entry.details["status"] = restored["status"]
        return 201, registration_view(restored)

    @api("GET", "/events/<int:event_id>/payments", Scope.READ_PAYMENTS)
    def staff_payments(self, request, token, event_id):
        """Every payment request of an event: open, paid and cancelled."""
        self.registrations.get_event(event_id)
        with self._api_audited(token, "api_payments_read", {"event_id": event_id}) as entry:
            found = self.payments.list_payments(event_id)
            entry.details["rows"] = len(found)
        return 200, payments_out.dump({"payments": found})

    @api("GET", "/accounting/<month>", Scope.READ_ACCOUNTING)
    def staff_accounting(self, request, token, month):
        """The accountant's export of a month as the console's page shows it: counts and totals
        in haléře, and the paths of its files. It names nobody, so it is not audited."""
        return 200, accounting_view(self.payments.accounting_overview(accounting_month(month)))

    @api("GET", "/accounting/<month>/pohoda.xml", Scope.READ_ACCOUNTING)
    def staff_accounting_pohoda(self, request, token, month):
        return self._api_accounting_file(token, month, "pohoda")

    @api("GET", "/accounting/<month>/podklady.xlsx", Scope.READ_ACCOUNTING)
    def staff_accounting_workbook(self, request, token, month):
        return self._api_accounting_file(token, month, "xlsx")

    @api("GET", "/accounting/<month>/isdoc.zip", Scope.READ_ACCOUNTING)
    def staff_accounting_isdocs(self, request, token, month):
        return self._api_accounting_file(token, month, "isdoc")

    def _api_accounting_file(self, token, typed, format):
        """One file of the month's export, as the console's download (``accounting_exported``,
        audited before it is made, the token named): a month that is none is 422 with no audit
        row; a month with nothing for POHODA is payments' 409 ``nothing_to_import``, audited as
        refused; a failure halfway (payments away) leaves the row ``failed`` and answers 503."""
        month = accounting_month(typed)
        with self._api_audited(token, "accounting_exported", {"month": domain.month_label(month),
                                                              "format": domain.ACCOUNTING_FORMATS[format]}):
            document = self.payments.accounting_export(month, format)
        return document_response(document, "attachment")

    def _api_registration(self, registration_id):
        if registration_id > 2**31 - 1:
            raise NotFound("registration_not_found", "Přihláška nebyla nalezena.")
        return self.registrations.get_registration(registration_id)


def _errors(*statuses):
    return {str(status): {"description": "refused", "content": {"application/json": {"schema": "Error"}}}
            for status in statuses}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build_openapi(base_url):
    """The staff API's own OpenAPI 3 document (``/api/staff/openapi.json``, itself behind a token)."""
    spec = APISpec(title="Semináře SMOPK – API pro kancelář", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], servers=[{"url": base_url}])
    for name, schema in (("Error", ErrorOut), ("Event", EventOut), ("EventList", EventList),
                         ("Registration", RegistrationOut), ("RegistrationList", RegistrationList),
                         ("PaymentList", PaymentList), ("AccountingOverview", AccountingOut)):
        spec.components.schema(name, schema=schema)
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer",
                                              "description": "a staff API token (smopk_…) made in the console"})
    integer = {"type": "integer", "minimum": 0, "maximum": 2147483647}
    event_id = {"name": "event_id", "in": "path", "required": True, "schema": integer}
    registration_id = {"name": "registration_id", "in": "path", "required": True, "schema": integer}
    month = {"name": "month", "in": "path", "required": True, "description": "2028-04 (years 2000 to 2099)",
             "schema": {"type": "string", "pattern": MONTH_PATTERN}}
    guarded = _errors(401, 403, 429, 503)

    def operation(scope, summary, responses, parameters=()):
        return {"summary": summary, "description": f"Scope: {scope}." if scope else "Any valid token.",
                "security": [{"token": []}], "parameters": list(parameters), "responses": {**responses, **guarded}}

    spec.path(path=f"{PREFIX}/events", operations={"get": operation(
        Scope.READ_EVENTS, "Events that have not ended (all=1: every event)", {"200": _json("EventList")},
        [{"name": "all", "in": "query", "required": False, "schema": {"type": "string", "enum": ["0", "1"]}}])})
    spec.path(path=f"{PREFIX}/events/{{event_id}}", operations={"get": operation(
        Scope.READ_EVENTS, "One event", {"200": _json("Event"), **_errors(404)}, [event_id])})
    spec.path(path=f"{PREFIX}/events/{{event_id}}/registrations", operations={"get": operation(
        Scope.READ_REGISTRATIONS, "An event's registrations with their payment state",
        {"200": _json("RegistrationList"), **_errors(404, 422)},
        [event_id, {"name": "status", "in": "query", "required": False,
                    "schema": {"type": "string", "enum": list(STATUSES)}}])})
    spec.path(path=f"{PREFIX}/events/{{event_id}}/payments", operations={"get": operation(
        Scope.READ_PAYMENTS, "Every payment request of an event", {"200": _json("PaymentList"), **_errors(404)},
        [event_id])})
    spec.path(path=f"{PREFIX}/registrations/{{registration_id}}/cancel", operations={"post": operation(
        Scope.MANAGE_REGISTRATIONS, "Cancel a registration (twice is not an error); the person is emailed",
        {"200": _json("Registration"), **_errors(404, 409)}, [registration_id])})
    spec.path(path=f"{PREFIX}/registrations/{{registration_id}}/restore", operations={"post": operation(
        Scope.MANAGE_REGISTRATIONS, "Take back a cancellation: a new registration, confirmed or waitlisted",
        {"201": _json("Registration", "the new registration"), **_errors(404, 409)}, [registration_id])})
    spec.path(path=f"{PREFIX}/accounting/{{month}}", operations={"get": operation(
        Scope.READ_ACCOUNTING, "The accountant's export of a month: counts, totals in haléře, its files",
        {"200": _json("AccountingOverview"), **_errors(422)}, [month])})
    files = {"pohoda.xml": ("application/xml", "The month's POHODA XML data pack (Stormware's schema); audited",
                            (409, 422)),
             "podklady.xlsx": (XLSX, "The month's workbook: invoices, payments, unpaid, refunds; audited", (422,)),
             "isdoc.zip": ("application/zip", "A zip of the month's ISDOCs; audited", (422,))}
    for name, (content_type, summary, refusals) in files.items():
        download = {"description": "the file, as an attachment",
                    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                    "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}
        spec.path(path=f"{PREFIX}/accounting/{{month}}/{name}", operations={"get": operation(
            Scope.READ_ACCOUNTING, summary, {"200": download, **_errors(*refusals)}, [month])})
    return spec.to_dict()
