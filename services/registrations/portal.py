"""The municipality's page, ``/obec``: a contact of an organisation in the member register logs in
with a one-time link sent to their address, and sees their organisation's registrations, its
officials' training against the plan, and its invoices.

Who may log in is members' ``portal_contact`` (every contact with an email, unless staff withdrew
it). The rules of links and sessions are ``domain.portal_*``: a link works once, for 30 minutes;
a session for 8 hours, or until "Odhlásit se"; only hashes of their secrets are stored. Asking
for a link always answers the same, so the page never tells whether an address is known. Every
page and download below ``/obec`` reads the organisation from the session alone and shows only
what was registered with its IČO (``domain.portal_may_open``); without a session a page sends
the browser to the login form, a download answers 403.
"""
import base64
import logging
from urllib.parse import urlencode

from nameko.timer import timer
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from services.common.errors import EXPECTED, ServiceError, ValidationError, outage
from services.common.rpc import rpc
from services.common.settings import setting
from services.common.vocabulary import CertificateState

from . import domain, pages, records, usecases
from .ratelimit import TooManyRequests
from .site import CSRF_COOKIE, MAX_FORM_BYTES, STALE_FORM, _csrf_valid
from .web import page_route

log = logging.getLogger(__name__)
SESSION_COOKIE = "obec_relace"
LINK_SENT = ("Pokud je adresa vedená jako kontakt obce nebo organizace, poslali jsme na ni odkaz pro přihlášení. "
             "Platí 30 minut.")
LINK_PROBLEMS = {
    domain.PortalLinkState.USED: "Tento odkaz už byl použit. Každý odkaz pro přihlášení platí jen jednou.",
    domain.PortalLinkState.EXPIRED: "Platnost tohoto odkazu vypršela. Odkaz pro přihlášení platí 30 minut.",
    domain.PortalLinkState.UNKNOWN: "Tento odkaz pro přihlášení neznáme. Zkontrolujte, že jste ho zkopírovali celý.",
}
NO_SESSION = "Pro tuto stránku se nejdřív přihlaste na stránce obce."
STATUS_LABELS = {"confirmed": "potvrzeno", "waitlisted": "čekací listina", "cancelled": "zrušeno",
                 "substituted": "předáno náhradníkovi"}


class PortalRefused(ServiceError):
    status = 403


class PortalPages:
    """Mixed into ``RegistrationsService``, whose dependencies it uses (``db``, ``members``,
    ``payments``, ``documents``, ``outbox``, ``rate_limits``, ``clock``, ``config``)."""

    @page_route("GET", "/obec")
    def portal_page(self, request):
        session = self._portal_session(request)
        if session is None:
            return self._portal_login_form(request)
        return self._portal_overview(request, session)

    @page_route("POST", "/obec")
    def portal_ask_for_link(self, request):
        """Send a login link if the address is a contact's with access; the answer is the same
        whether it is or not (and whether the email could be sent: that happens later)."""
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return pages.page("error.html", status=413, message="Formulář je příliš velký.")
        form = request.form
        if not _csrf_valid(self.signing_key, form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        typed = form.get("email", "").strip()
        try:
            email = records.checked_email(typed)
            self.rate_limits.asking_for_portal_link(request, email)
        except ValidationError as error:
            return self._portal_login_form(request, values={"email": typed}, errors=error.fields, status=422)
        except TooManyRequests as error:
            response = self._portal_login_form(request, values={"email": typed}, problem=error.message, status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        contact = self.members.portal_contact(email)
        if contact is not None:
            with self._uow() as uow:
                usecases.ask_portal_link(uow, contact, email)
        return self._with_csrf(request, "portal_login.html", values={}, errors={}, problem=None, sent=LINK_SENT)

    @page_route("GET", "/obec/prihlaseni/<token>")
    def portal_link(self, request, token):
        """The link from the email: a button that logs in. Mail scanners open links to look at
        them; only the button's POST uses the link up."""
        with self.db.transaction() as tx:
            state = usecases.portal_link_state(tx, token, self.clock())
        if state != domain.PortalLinkState.VALID:
            return self._portal_link_refused(request, state)
        response = self._with_csrf(request, "portal_link.html", token=token)
        response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        return response

    @page_route("POST", "/obec/prihlaseni/<token>")
    def portal_log_in(self, request, token):
        if not _csrf_valid(self.signing_key, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        with self._uow() as uow:
            state, secret = usecases.portal_log_in(uow, token)
        if secret is None:
            return self._portal_link_refused(request, state)
        response = redirect("/obec", code=303)
        response.set_cookie(SESSION_COOKIE, secret, max_age=int(domain.PORTAL_SESSION_VALID.total_seconds()),
                            path="/obec", httponly=True, samesite="Lax", secure=self.base_url.startswith("https://"))
        return response

    @page_route("POST", "/obec/odhlasit")
    def portal_log_out(self, request):
        if not _csrf_valid(self.signing_key, request.form.get("csrf"), request.cookies.get(CSRF_COOKIE)):
            return pages.page("error.html", status=403, message=STALE_FORM)
        with self._uow() as uow:
            usecases.portal_log_out(uow, request.cookies.get(SESSION_COOKIE))
        response = self._with_csrf(request, "portal_login.html", values={}, errors={}, problem=None,
                                   sent="Jste odhlášeni.")
        response.delete_cookie(SESSION_COOKIE, path="/obec", httponly=True, samesite="Lax",
                               secure=self.base_url.startswith("https://"))
        return response

    @page_route("GET", "/obec/osvedceni/<int(max=2147483647):registration_id>.pdf")
    def portal_certificate(self, request, registration_id):
        """The certificate of one of the organisation's people, once it was issued."""
        session = self._portal_session_or_refuse(request)
        with self.db.transaction() as tx:
            registration = usecases.organisation_registration(tx, session["ico"], registration_id, self.clock(),
                                                              self.base_url)
        if registration["certificate"] != CertificateState.ISSUED:
            raise PortalRefused("certificate_not_issued", "Osvědčení k této přihlášce zatím nebylo vydáno.")
        return _pdf(self.documents.render_certificate(registration_id))

    @page_route("GET", "/obec/faktury/<number>.pdf")
    def portal_invoice_pdf(self, request, number):
        self._portal_invoice(request, number)
        return _pdf(self.payments.invoice_pdf(number))

    @page_route("GET", "/obec/faktury/<number>.isdoc")
    def portal_invoice_isdoc(self, request, number):
        self._portal_invoice(request, number)
        return _download(self.payments.invoice_isdoc(number), attachment=True)

    @page_route("GET", "/obec/vzdelavani.csv")
    def portal_training_csv(self, request):
        """The officials' training in the chosen three years, a row per event attended, for the
        municipality's files (as staff export it)."""
        session = self._portal_session_or_refuse(request)
        start = self._portal_period(request)
        record = self._portal_record(session["ico"], start)
        first, last = domain.training_period(start)
        return Response(records.training_record_csv(record), status=200, content_type="text/csv; charset=utf-8",
                        headers={**pages.SECURITY_HEADERS, "Cache-Control": "no-store",
                                 "Content-Disposition": f'attachment; filename="vzdelavani-{session["ico"]}-'
                                                        f'{first}-{last}.csv"'})

    @rpc(expected_exceptions=EXPECTED)
    def portal_logins(self, ico, limit=20):
        """The latest logins to the municipality's page of ``ico`` (when, which address), newest
        first, for staff."""
        ico = records.checked_ico(ico)
        with self.db.transaction() as tx:
            return usecases.portal_logins(tx, ico, limit)

    @timer(interval=3600)
    def forget_portal_secrets(self):
        with self._uow() as uow:
            usecases.forget_portal_secrets(uow)

    # Helpers

    def _portal_session(self, request):
        """The session behind the cookie, while the person is still a contact with access of the
        session's organisation: staff withdrawing the access, or the contact deleted or erased,
        ends it at the next page (asked of members each time; members away: the page answers 503
        rather than open without the check)."""
        secret = request.cookies.get(SESSION_COOKIE)
        with self.db.transaction() as tx:
            session = usecases.portal_session(tx, secret, self.clock())
        if session is None:
            return None
        contact = self.members.portal_contact(session["email"])
        if contact is None or contact["ico"] != session["ico"]:
            with self._uow() as uow:
                usecases.portal_log_out(uow, secret)
            return None
        return session

    def _portal_session_or_refuse(self, request):
        session = self._portal_session(request)
        if session is None:
            raise PortalRefused("not_logged_in", NO_SESSION)
        return session

    def _portal_invoice(self, request, number):
        """The invoice ``number`` if it is the session's organisation's; refused otherwise."""
        session = self._portal_session_or_refuse(request)
        if not any(invoice["number"] == number for invoice in self.payments.organisation_invoices(session["ico"])):
            raise PortalRefused("not_your_organisation", "Tento doklad nepatří vaší organizaci.")

    def _portal_period(self, request):
        choices = domain.training_period_choices(self.clock())
        try:
            start = int(request.args.get("od", ""))
        except ValueError:
            start = None
        if start in choices:
            return start
        return max(choices[-1], choices[0] - domain.TRAINING_PLAN_YEARS + 1)  # the last three years

    def _portal_record(self, ico, start):
        with self.db.transaction() as tx:
            rows = usecases.organisation_training(tx, ico, start)
        return records.training_record(rows, self._certificate_numbers(rows))

    def _portal_login_form(self, request, values=None, errors=None, problem=None, status=200):
        return self._with_csrf(request, "portal_login.html", status=status, values=values or {}, errors=errors or {},
                               problem=problem, sent=None)

    def _portal_link_refused(self, request, state):
        status = 404 if state == domain.PortalLinkState.UNKNOWN else 410
        return self._with_csrf(request, "portal_login.html", status=status, values={}, errors={},
                               problem=LINK_PROBLEMS[state], sent=None)

    def _portal_overview(self, request, session):
        now = self.clock()
        ico = session["ico"]
        start = self._portal_period(request)
        hours_per_day = float(setting(self.config, "PORTAL_HOURS_PER_DAY"))
        with self.db.transaction() as tx:
            registrations = usecases.organisation_registrations(tx, ico, now, self.base_url)
            organisation = usecases.organisation_of(tx, ico, [])
            events = usecases.upcoming_events(tx, now)
        record = self._portal_record(ico, start)
        invoices = self.payments.organisation_invoices(ico)
        databox = self._portal_databox(ico) if invoices else {}
        colleagues = {"organisation_ico": ico, "organisation_name": organisation["name"]}
        response = self._with_csrf(
            request, "portal.html", session=session, organisation=organisation, registrations=registrations,
            statuses=STATUS_LABELS, plan=domain.training_plan(record["people"], hours_per_day),
            plan_days=domain.TRAINING_PLAN_DAYS, hours_per_day=_number(hours_per_day),
            period=domain.training_period(start), start=start, choices=domain.training_period_choices(now),
            invoices=invoices, databox=databox,
            events=[e for e in events if e["registration_open"]], colleagues_query=urlencode(colleagues),
            expires_at=session["expires_at"])
        response.headers["Cache-Control"] = "no-store"
        return response

    def _portal_databox(self, ico):
        """Invoice number -> when it reached the organisation's data box and its delivery note
        (``domain.databox_notes``), asked of notifications, which keeps the deliveries; notifications
        away: no notes, the rest of the page still shows."""
        try:
            return domain.databox_notes(self.notifications_rpc.databox_deliveries(ico))
        except Exception as error:
            if outage(error) is None:
                raise
            log.warning("the data box deliveries of %s not shown: notifications did not answer (%s)", ico, error)
            return {}


def _number(value: float) -> str:
    """8.0 as "8", 7.5 as "7,5": as a Czech page writes it."""
    return f"{value:g}".replace(".", ",")


def _pdf(document):
    return _download(document, attachment=False)


def _download(document, attachment):
    disposition = "attachment" if attachment else "inline"
    return Response(base64.b64decode(document["data"]), status=200, content_type=document["content_type"],
                    headers={**pages.SECURITY_HEADERS, "Cache-Control": "no-store",
                             "Content-Disposition": f'{disposition}; filename="{document["filename"]}"'})

