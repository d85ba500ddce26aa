"""The Czech web pages: the list of events, an event with its form, a registration.

Server-rendered, usable without JavaScript. Form posts carry a CSRF token
(the double-submit pattern with a signed value: the same token in a cookie
and in the form). The token is made once per browser session and kept, so
two tabs, or Back and another registration, all post with it; it is signed
with a key derived from the signing key for this purpose alone.
"""
import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from urllib.parse import urlencode

from nameko.extensions import DependencyProvider
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from services.common import calendar
from services.common.errors import Conflict, NotFound, ValidationError, outage
from services.common.payment import awaits_payment_details
from services.common.settings import setting, text
from services.common.signing import derived_key
from services.common.vocabulary import LIVE, QuestionType

from . import domain, feeds, pages, records, usecases
from .accessibility import shown_day
from .ratelimit import TooManyRequests
from .schemas import MAX_COLLEAGUES, colleagues_in, registration_in, substitute_in
from .web import page_route

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
CSRF_COOKIE = "csrf"
MAX_FORM_BYTES = 64 * 1024
STALE_FORM = "Formulář vypršel nebo nepochází z našeho webu. Načtěte stránku a zkuste to znovu."
TRY_AGAIN = ("Přihlášku se teď nepodařilo uložit, systém je na chvíli nedostupný. Vaše údaje zůstaly ve formuláři, "
             "odešlete ho prosím za okamžik znovu.")
# The thank-you page waits this long for payments to make the payment request (usually a few
# hundred milliseconds away), so that most people see how to pay on first view; failing that, it
# says the details follow by email and reloads itself every few seconds while they may still come.
PAYMENT_DETAILS_WAIT_SECONDS = 2.0
PAYMENT_DETAILS_POLL_SECONDS = 0.1
PAYMENT_DETAILS_RELOAD_SECONDS = 5
PAYMENT_DETAILS_RELOAD_FOR = timedelta(minutes=10)
SUBSTITUTE_FIELDS = ("first_name", "last_name", "email", "phone", "position", "birth_date")
FORM_FIELDS = ("first_name", "last_name", "email", "phone", "position", "organisation_name", "organisation_ico",
               "note", "birth_date")


def _csrf_mac(key, nonce):
    return hmac.new(derived_key(key, "csrf"), nonce.encode(), hashlib.sha256).hexdigest()[:32]


def _csrf_new(key):
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_csrf_mac(key, nonce)}"


def _csrf_genuine(key, token):
    nonce, _, mac = (token or "").partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _csrf_mac(key, nonce))


def _csrf_valid(key, form_token, cookie_token):
    if not form_token or not cookie_token or not hmac.compare_digest(form_token, cookie_token):
        return False
    return _csrf_genuine(key, form_token)


PREVIEW_VALID_SECONDS = 24 * 3600


def _preview_mac(key, event_id, expires):
    return hmac.new(derived_key(key, "preview"), f"{event_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def preview_token(key, event_id, now):
    """What lets an event's public page show it before it is published (staff's preview):
    signed for this event alone, valid ``PREVIEW_VALID_SECONDS``."""
    expires = int(now.timestamp()) + PREVIEW_VALID_SECONDS
    return f"{expires}.{_preview_mac(key, event_id, expires)}"


def preview_allowed(key, event_id, token, now) -> bool:
    expires, _, mac = (token or "").partition(".")
    if not expires.isdigit() or int(expires) < now.timestamp():
        return False
    return hmac.compare_digest(mac, _preview_mac(key, event_id, int(expires)))


ATTENDEE_FIELDS = ("first_name", "last_name", "email", "birth_date")
COLLEAGUE_ROWS = 5
POSTED_ROW = re.compile(r"a([0-9]{1,2})_")  # an attendee row's field: a0_email, a12_q_strava


def colleague_rows(form, args):
    """How many attendee rows the colleagues' form shows: 5, more when asked (``?osob=``) or posted."""
    posted = max((int(found.group(1)) + 1 for found in map(POSTED_ROW.match, form) if found), default=0)
    try:
        asked = int(args.get("osob", COLLEAGUE_ROWS))
    except ValueError:
        asked = COLLEAGUE_ROWS
    return max(1, min(max(asked, posted), MAX_COLLEAGUES))


def colleagues_form_to_request(form, event, rows):
    """The colleagues' form as the API's request, and which form row each attendee came from:
    rows left empty are left out."""
    fields = ATTENDEE_FIELDS if event["collects_birth_date"] else ATTENDEE_FIELDS[:3]
    attendees, origin = [], []
    for row in range(rows):
        attendee = {name: form.get(f"a{row}_{name}", "").strip() for name in fields}
        if any(attendee.values()):
            attendee = {name: value for name, value in attendee.items() if value or name != "birth_date"}
            answers = form_answers(form, event, f"a{row}_")
            attendees.append(dict(attendee, answers=answers) if answers else attendee)
            origin.append(row)
    data = {name: form.get(name, "").strip() for name in ("organisation_name", "organisation_ico")
            if form.get(name, "").strip()}
    data.update(registrant={name: form.get(name, "").strip() for name in ("first_name", "last_name", "email")},
                attendees=attendees, gdpr_consent=form.get("gdpr_consent") == "ano",
                waitlist_rest=form.get("waitlist_rest") == "ano")
    return data, origin


def colleagues_form_errors(fields, origin):
    """The API's field names (``registrant.email``, ``attendees.2.email``) as the form's."""
    errors = {}
    for name, message in fields.items():
        parts = name.split(".")
        if parts[0] == "registrant" and len(parts) == 2:
            name = parts[1]
        elif parts[0] == "attendees" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(origin):
            name = f"a{origin[int(parts[1])]}_{'.'.join(parts[2:])}"  # a2_email, a2_answers.strava
        elif parts[0] == "attendees" and len(parts) == 1:
            name = "a0_first_name" if not origin else "attendees"
            message = "Vyplňte alespoň jednoho účastníka." if not origin else message
        errors[name] = message
    return errors


def form_to_request(form, event):
    """The web form as the API's request: empty fields left out, the checkbox as a boolean."""
    data = {name: form.get(name, "").strip() for name in FORM_FIELDS if form.get(name, "").strip()}
    data["gdpr_consent"] = form.get("gdpr_consent") == "ano"
    if not event["collects_birth_date"]:
        data.pop("birth_date", None)
    answers = form_answers(form, event)
    if answers:
        data["answers"] = answers
    return data


def form_answers(form, event, prefix=""):
    """The answers of the form (of one attendee's row: ``prefix``) as the API takes them."""
    answers = {}
    for question in event["questions"] or []:
        given = [value for value in form.getlist(question_input(question, prefix)) if value.strip()]
        if not given:
            continue
        if question["type"] == QuestionType.CHOICES:
            answers[question["id"]] = given
        elif question["type"] == QuestionType.YES_NO:
            answers[question["id"]] = {"ano": True, "ne": False}.get(given[0], given[0])
        else:
            answers[question["id"]] = given[0]
    return answers


def answer_errors(event, data):
    """What is wrong with the answers of the form: field -> Czech message."""
    try:
        domain.check_answers(event["questions"] or [], data.get("answers") or {})
    except ValidationError as error:
        return error.fields
    return {}


def question_input(question, prefix=""):
    """The form's name for the answer to ``question`` (in one attendee's row: ``prefix``)."""
    return f"{prefix}q_{question['id']}"


def typed_answers(form, event, prefix=""):
    """What the person chose or typed for each question, to show the form again with it."""
    return {question["id"]: form.getlist(question_input(question, prefix)) for question in event["questions"] or []}


class RecentEvents(DependencyProvider):
    """The events whose forms this process showed lately: while the database is away, a form
    that could not be saved is shown again from them, with what the person typed."""

    SIZE = 200

    def setup(self):
        self.events = OrderedDict()

    def get_dependency(self, worker_ctx):
        return self

    def keep(self, event):
        self.events[event["id"]] = event
        self.events.move_to_end(event["id"])
        while len(self.events) > self.SIZE:
            self.events.popitem(last=False)

    def get(self, event_id):
        return self.events.get(event_id)


class WebPages:
    """Mixed into ``RegistrationsService``, whose dependencies it uses."""

    recent_events = RecentEvents()

    @page_route("GET", "/")
    def page_events(self, request):
        now = self.clock()
        with self.db.transaction() as tx:
            events = usecases.upcoming_events(tx, now)
        topics = sorted({event["topic"] for event in events})
        topic = request.args.get("tema") or None
        shown = [event for event in events if topic is None or event["topic"] == topic]
        return pages.page("events.html", events=shown, topics=topics, topic=topic, feed_query=feeds.query(topic))

    @page_route("GET", "/events/<int(max=2147483647):event_id>")
    def page_event(self, request, event_id):
        token = request.args.get("nahled")
        if token is not None and preview_allowed(self.signing_key, event_id, token, self.clock()):
            return self._preview(event_id)
        return self._event_form(request, event_id, values={}, errors={})

    def _preview(self, event_id):
        """The event's page as it will look once published (a draft too), for staff who hold a
        signed link: registering is off, and search engines are told to keep out."""
        now = self.clock()
        with self.db.transaction() as tx:
            event = usecases.event_view(usecases.get_event(tx, event_id, public_only=False), now)
        response = pages.page("event.html", event=event, values={}, errors={}, problem=None, csrf="", preview=True)
        response.headers.update({"X-Robots-Tag": "noindex", "Cache-Control": "no-store"})
        return response

    @page_route("POST", "/events/<int(max=2147483647):event_id>")
    def page_register(self, request, event_id):
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return pages.page("error.html", status=413, message="Formulář je příliš velký.")
        form = request.form
        if not _csrf_valid(self.signing_key, form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        now = self.clock()
        try:
            with self.db.transaction() as tx:
                event = usecases.get_event(tx, event_id)
        except Exception as error:  # the database away: the form comes back from the event shown last
            event = self.recent_events.get(event_id)
            if outage(error) is None or event is None:
                raise
        data = form_to_request(form, event)
        values = {name: form.get(name, "") for name in FORM_FIELDS}
        values["gdpr_consent"] = data["gdpr_consent"]
        values["answers"] = typed_answers(form, event)
        try:
            request_data = registration_in.load_or_raise(data)
            self.rate_limits.registering(request, request_data["email"])
            registration = self._register(event_id, request_data)[1]
        except TooManyRequests as error:
            response = self._event_form(request, event_id, values=values, errors={}, problem=error.message,
                                        status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except ValidationError as error:  # with the answers' errors too, all told at once
            errors = dict(answer_errors(event, data), **error.fields)
            return self._event_form(request, event_id, values=values, errors=errors, status=422)
        except Conflict as error:
            return self._event_form(request, event_id, values=values, errors={}, problem=error.message, status=409)
        except Exception as error:
            unavailable = outage(error)
            if unavailable is None:
                raise
            # The form again as it was typed, from the event read above: the database may be away.
            response = self._with_csrf(request, "event.html", status=503, event=usecases.event_view(event, now),
                                       values=values, errors={}, problem=TRY_AGAIN)
            response.headers["Retry-After"] = str(unavailable.retry_after)
            return response
        return redirect(f"/r/{registration['token']}?{urlencode({'nova': '1'})}", code=303)

    @page_route("GET", "/events/<int(max=2147483647):event_id>/kolegove")
    def page_colleagues(self, request, event_id):
        """The form, with the organisation filled in when the address names it (the municipality's page links so)."""
        values = {name: request.args[name][:200] for name in ("organisation_ico", "organisation_name")
                  if request.args.get(name)}
        return self._colleagues_form(request, event_id, values, {}, colleague_rows({}, request.args))

    @page_route("POST", "/events/<int(max=2147483647):event_id>/kolegove")
    def page_register_colleagues(self, request, event_id):
        """Several colleagues at once (``domain._plan_colleagues``); the page then lists each one with
        their manage link, as the summary email does."""
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return pages.page("error.html", status=413, message="Formulář je příliš velký.")
        form = request.form
        if not _csrf_valid(self.signing_key, form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        with self.db.transaction() as tx:
            event = usecases.get_event(tx, event_id)
        rows = colleague_rows(form, request.args)
        data, origin = colleagues_form_to_request(form, event, rows)
        values = {name: value for name, value in form.items() if name != "csrf"}
        values.update({f"a{row}_answers": typed_answers(form, event, f"a{row}_") for row in range(rows)})
        try:
            request_data = colleagues_in.load_or_raise(data)
            self.rate_limits.registering(request, request_data["registrant"]["email"])
            answer = self._register(event_id, request_data)[1]
        except TooManyRequests as error:
            response = self._colleagues_form(request, event_id, values, {}, rows, problem=error.message, status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except ValidationError as error:
            return self._colleagues_form(request, event_id, values, colleagues_form_errors(error.fields, origin),
                                         rows, status=422)
        except Conflict as error:
            return self._colleagues_form(request, event_id, values, colleagues_form_errors(error.fields, origin),
                                         rows, problem=error.message, status=409)
        return pages.page("colleagues_done.html", event=usecases.event_view(event, self.clock()),
                          registrations=answer["registrations"],
                          registrant=request_data["registrant"])

    def _colleagues_form(self, request, event_id, values, errors, rows, problem=None, status=200):
        with self.db.transaction() as tx:
            event = usecases.event_view(usecases.get_event(tx, event_id), self.clock())
        return self._with_csrf(request, "colleagues.html", status=status, event=event, values=values, errors=errors,
                               problem=problem, rows=rows, more=min(rows + 5, MAX_COLLEAGUES))

    @page_route("GET", "/r/<token>")
    def page_registration(self, request, token):
        """The manage page (``?nova=1``: the thank-you page after registering). A paid-for
        registration whose payment details have not come from payments yet: the thank-you page
        waits for them briefly (``PAYMENT_DETAILS_WAIT_SECONDS``); still missing, the page says
        they follow by email and reloads itself until they are there (for a few minutes)."""
        new = request.args.get("nova") == "1"
        registration = self._registration(token)
        deadline = time.monotonic() + PAYMENT_DETAILS_WAIT_SECONDS
        while new and awaits_payment_details(registration) and time.monotonic() < deadline:
            time.sleep(PAYMENT_DETAILS_POLL_SECONDS)  # green: the process serves others meanwhile
            registration = self._registration(token)
        pending = awaits_payment_details(registration)
        created = registration["created_at"]
        created = datetime.fromisoformat(created) if isinstance(created, str) else created
        young = self.clock() - created < PAYMENT_DETAILS_RELOAD_FOR
        return self._with_csrf(request, "registration.html", registration=registration, new=new,
                               offers=domain.manage_offers(registration, registration["event"], self.clock()),
                               payment_pending=pending,
                               reload_seconds=PAYMENT_DETAILS_RELOAD_SECONDS if pending and young else None)

    def _registration(self, token):
        with self.db.transaction() as tx:
            return usecases.get_registration(tx, self.clock(), self.base_url, token=token)

    @page_route("GET", "/r/<token>/kalendar.ics")
    def page_calendar(self, request, token):
        """The registration's calendar entry to download ("Přidat do kalendáře"): the seat as it is now, with
        the UIDs of the entry the emails attach, so importing both keeps one entry. Read-only:
        failing halfway leaves nothing behind."""
        now = self.clock()
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, now, self.base_url, token=token)
        domain.check_can_add_to_calendar(registration, registration["event"], now)
        entry = calendar.ics({"event": registration["event"], "registration": registration}, revision=calendar.CURRENT,
                             sender=self.settings.mail_from, organiser=self.settings.organiser_name,
                             now=now)
        kind = f"text/calendar; method={calendar.METHOD}; charset=utf-8"
        return Response(entry, status=200, content_type=kind, headers={
            **pages.SECURITY_HEADERS, "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="akce-{registration["event"]["id"]}.ics"'})

    @page_route("GET", "/r/<token>/zrusit")
    def page_cancel_confirm(self, request, token):
        now = self.clock()
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, now, self.base_url, token=token)
        if registration["status"] in LIVE:
            domain.check_can_cancel(registration["event"], now)  # after the start: said now, not after the click
        return self._with_csrf(request, "cancel.html", registration=registration)

    @page_route("POST", "/r/<token>/zrusit")
    def page_cancel(self, request, token):
        if not _csrf_valid(self.signing_key, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        self.rate_limits.cancelling(request)
        try:
            registration = self._cancel(token=token)
        except Conflict as error:
            return pages.page("error.html", status=409, message=error.message)
        self.rate_limits.cancelled(registration["email"])
        return redirect(f"/r/{token}", code=303)

    @page_route("GET", "/r/<token>/nahradnik")
    def page_substitute_form(self, request, token):
        now = self.clock()
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, now, self.base_url, token=token)
        domain.check_can_substitute(registration, registration["event"], now)  # the form only if it can succeed
        return self._with_csrf(request, "substitute.html", registration=registration, values={}, errors={},
                               problem=None)

    @page_route("POST", "/r/<token>/nahradnik")
    def page_substitute(self, request, token):
        """Hand the seat to a colleague; the form comes back with Czech messages when refused."""
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return pages.page("error.html", status=413, message="Formulář je příliš velký.")
        form = request.form
        if not _csrf_valid(self.signing_key, form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url, token=token)
        data = {name: form.get(name, "").strip() for name in SUBSTITUTE_FIELDS if form.get(name, "").strip()}
        data["gdpr_consent"] = form.get("gdpr_consent") == "ano"
        if not registration["event"]["collects_birth_date"]:
            data.pop("birth_date", None)
        values = dict({name: form.get(name, "") for name in SUBSTITUTE_FIELDS}, gdpr_consent=data["gdpr_consent"])
        try:
            request_data = substitute_in.load_or_raise(data)
            self.rate_limits.registering(request, request_data["email"])
            with self._uow() as uow:
                usecases.substitute(uow, request_data, token=token)
        except TooManyRequests as error:
            response = self._with_csrf(request, "substitute.html", status=429, registration=registration,
                                       values=values, errors={}, problem=error.message)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except ValidationError as error:
            return self._with_csrf(request, "substitute.html", status=422, registration=registration, values=values,
                                   errors=error.fields, problem=None)
        except Conflict as error:
            return self._with_csrf(request, "substitute.html", status=409, registration=registration, values=values,
                                   errors={}, problem=error.message)
        return redirect(f"/r/{token}", code=303)

    @page_route("POST", "/r/<token>/faktura")
    def page_invoice(self, request, token):
        """"Chci fakturu na organizaci": payments issues it (for all of the organisation's unpaid
        registrations for the event) and emails it; the page then names its number."""
        if not _csrf_valid(self.signing_key, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        try:
            self._request_invoice(token)
        except (Conflict, NotFound) as error:
            if error.code == "registration_not_found":
                raise
            return pages.page("error.html", status=409, message=error.message)
        return redirect(f"/r/{token}", code=303)

    @page_route("GET", "/r/<token>/vzdelavani")
    def page_training_record(self, request, token):
        """The person's own training record: of the address of this registration only, whatever
        else the request asks for (the token is the person's key, and opens nobody else's)."""
        registration = self._registration_of(token)
        return pages.page("training_record.html", registration=registration,
                          record=self._training_record(registration["email"]))

    @page_route("GET", "/r/<token>/vzdelavani.pdf")
    def page_training_record_pdf(self, request, token):
        pdf = self.documents.render_training_record(self._training_record(self._registration_of(token)["email"]))
        return Response(base64.b64decode(pdf["data"]), status=200, content_type=pdf["content_type"],
                        headers={"Content-Disposition": f'inline; filename="{pdf["filename"]}"',
                                 **pages.SECURITY_HEADERS})

    def _registration_of(self, token):
        """The registration behind a manage link, whose training record it may open."""
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url, token=token)
        records.check_own_record(registration)
        return registration

    @page_route("GET", "/ochrana-osobnich-udaju")
    def page_privacy(self, request):
        """What is kept and how long, from the same settings the retention timers use."""
        settings = self.settings
        return pages.page("privacy.html", organiser=settings.organiser_name, contact=settings.organiser_contact,
                          keep_years=settings.registrations_keep_years, email_days=settings.sent_email_keep_days,
                          outbox_days=settings.outbox_keep_days,
                          certificate_years=int(setting(self.config, "CERTIFICATES_KEEP_YEARS")))

    @page_route("GET", "/pristupnost")
    def page_accessibility(self, request):
        """The accessibility statement that zákon č. 99/2019 Sb. asks of a municipality's association
        (in the structure of vyhláška č. 515/2020 Sb.): its days and contact from the settings, so the
        office reviews it without a developer; a day it cannot read is shown as written."""
        settings = self.settings
        return pages.page("accessibility.html", organiser=settings.organiser_name,
                          contact=settings.organiser_contact, site=settings.public_base_url,
                          address=text(setting(self.config, "ORGANISER_ADDRESS")),
                          prepared_on=shown_day(setting(self.config, "ACCESSIBILITY_STATEMENT_PREPARED_ON")),
                          reviewed_on=shown_day(setting(self.config, "ACCESSIBILITY_STATEMENT_REVIEWED_ON")),
                          reload_seconds=PAYMENT_DETAILS_RELOAD_SECONDS,
                          reload_minutes=int(PAYMENT_DETAILS_RELOAD_FOR.total_seconds() // 60))

    @page_route("GET", "/overeni/<int(max=9999):year>/<int(max=99999999):number>")
    def page_verify_certificate(self, request, year, number):
        """A certificate's public verification page, where its QR code leads: whether it was issued,
        its programme, date and hours, the holder's initials (documents' register answers)."""
        return self._certificate_check(request, year, number, typed=None)

    @page_route("POST", "/overeni/<int(max=9999):year>/<int(max=99999999):number>")
    def page_verify_holder(self, request, year, number):
        """The same page, answering whether the name typed is the holder's. It changes nothing, so it
        needs no CSRF token; it is posted so that the name stays out of addresses and logs."""
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return pages.page("error.html", status=413, message="Formulář je příliš velký.")
        return self._certificate_check(request, year, number, typed=request.form.get("jmeno", "").strip() or None)

    def _certificate_check(self, request, year, number, typed):
        self.rate_limits.verifying(request)
        certificate = self.documents.verify_certificate(f"{year}/{number:04d}", typed)
        return pages.page("certificate_check.html", certificate=certificate, typed=typed)

    @page_route("GET", "/favicon.ico")
    def favicon(self, request):
        """The icon browsers ask for by this name (an SVG; the pages link it as ``/static/favicon.svg``)."""
        return self.static_file(request, name="favicon.svg")

    @page_route("GET", "/static/<name>")
    def static_file(self, request, name):
        extension = os.path.splitext(name)[1]
        path = os.path.join(STATIC, name)
        inside = os.path.dirname(os.path.realpath(path)) == STATIC
        if extension not in STATIC_TYPES or not inside or not os.path.isfile(path):
            raise NotFound("not_found", "Soubor neexistuje.")
        with open(path, "rb") as static:
            return Response(static.read(), content_type=STATIC_TYPES[extension],
                            headers={"Cache-Control": "public, max-age=3600"})

    def _event_form(self, request, event_id, values, errors, problem=None, status=200):
        now = self.clock()
        with self.db.transaction() as tx:
            found = usecases.get_event(tx, event_id)
        self.recent_events.keep(found)
        event = usecases.event_view(found, now)
        return self._with_csrf(request, "event.html", status=status, event=event, values=values, errors=errors,
                               problem=problem)

    def _with_csrf(self, request, template, status=200, **context):
        """The page with the browser session's CSRF token: the one it has, or a new one."""
        kept = request.cookies.get(CSRF_COOKIE)
        token = kept if _csrf_genuine(self.signing_key, kept) else _csrf_new(self.signing_key)
        response = pages.page(template, status=status, csrf=token, **context)
        if token != kept:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict",
                                secure=self.base_url.startswith("https://"))
        return response
