"""The staff console: the association's office in a browser, the door on a phone.

It owns no seminar data: its pages call the other services over RPC, as the
shell does. Its own database holds staff accounts, their sessions and the audit log.
"""
import os

from nameko.dependency_providers import Config
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from services.common import czech, deadletters, qr
from services.common.addresses import client_address
from services.common.clock import Clock
from services.common.czech import local
from services.common.db import DatabaseProvider
from services.common.errors import Conflict, NotFound, ServiceUnavailable, ValidationError, outage
from services.common.health import HealthCheck
from services.common.logs import CallLog
from services.common.rpc import RpcClient
from services.common.settings import SettingsProvider
from services.common.spreadsheet import csv_rows, csv_text
from services.common.vocabulary import (
    LIVE,
    CertificateState,
    EmailKind,
    EmailStatus,
    EventStatus,
    RegistrationStatus,
)

from . import auditing, domain, forms, store, usecases
from .after import AfterPages
from .attendance import AttendancePages
from .bindings import WebhookBindings
from .courier import WebhookCourier
from .domain import StaffRole
from .door import DoorPages
from .integrations import IntegrationPages
from .payments import PaymentPages
from .records import RecordPages
from .register import MemberPages
from .settings import load as load_settings
from .staffapi import ApiLimits, StaffApi
from .texts import TextPages
from .web import (
    SESSION_COOKIE,
    Pages,
    confirmed,
    csv_response,
    document_response,
    page,
    render,
    routes,
    with_retry_after,
)

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
# jsQR.js is jsQR 1.4.0 from npm (Apache 2.0, jsQR.LICENSE), as published: the QR reader of the door.
STATIC_FILES = {"console.css": "text/css; charset=utf-8", "door.js": "text/javascript; charset=utf-8",
                "door_offline.js": "text/javascript; charset=utf-8",
                "favicon.svg": "image/svg+xml", "event_form.js": "text/javascript; charset=utf-8",
                "filter.js": "text/javascript; charset=utf-8",
                "jsQR.js": "text/javascript; charset=utf-8"}
ACTIONS = {"event_created": "vytvořena akce", "event_published": "zveřejněna akce",
           "event_cancelled": "zrušena akce", "registration_cancelled": "zrušena přihláška",
           "checked_in": "odbaven účastník", "account_created": "založen účet", "password_changed": "změněno heslo",
           "totp_enabled": "zapnut druhý faktor", "logged_in": "přihlášení",
           "logged_out_everywhere": "odhlášení ze všech zařízení", "attendance_marked": "potvrzena účast",
           "certificate_printed": "otevřeno osvědčení", "members_imported": "nahrána evidence členů",
           "message_resent": "znovu odeslán e-mail", "event_updated": "upravena akce",
           "dead_letters_replayed": "znovu zpracovány události",
           "registration_promoted": "přidáno místo z čekací listiny",
           "confirmation_resent": "znovu posláno potvrzení", "announcement_sent": "odesláno oznámení",
           "statement_imported": "nahrán bankovní výpis", "payment_matched": "ručně přiřazena platba",
           "payment_resolved": "vyřízena platba", "paid_in_cash": "zaplaceno hotově",
           "refund_settled": "vrácena platba", "invoice_issued": "vystavena faktura",
           "invoice_cancelled": "stornována faktura", "organisation_added": "přidána organizace z ARES",
           "attendees_messaged": "napsáno účastníkům akce",
           "material_added": "nahrány podklady", "material_removed": "smazány podklady",
           "materials_sent": "rozeslány podklady", "feedback_requested": "rozeslán dotazník",
           "registration_substituted": "místo předáno náhradníkovi",
           "registration_restored": "obnovena přihláška",
           "organisation_edited": "upravena organizace", "contact_added": "přidán kontakt",
           "contact_edited": "upraven kontakt", "contact_removed": "odebrán kontakt",
           "contact_portal_access": "změněn přístup kontaktu na stránku obce",
           "attendance_unmarked": "zrušena potvrzená účast", "certificates_issued": "vydána osvědčení",
           "certificate_released": "uvolněno osvědčení bez platby",
           "certificate_duplicated": "vystaven duplikát osvědčení",
           "checked_in_without_ticket": "odbaven účastník bez vstupenky (podle jména)",
           "checked_in_offline": "poslána odbavení z telefonu bez signálu",
           "draft_deleted": "smazán koncept akce",
           # Staff accounts and logging in (issue 25).
           "account_disabled": "vypnut účet", "account_enabled": "znovu zapnut účet",
           "role_changed": "změněna role účtu", "password_reset": "nastaveno nové jednorázové heslo",
           "totp_reset": "zrušen ověřovací kód účtu", "login_failed": "nepovedené přihlášení",
           # Reads of personal data (issue 25): recorded like the actions, before the data is fetched.
           "registrations_exported": "stažen export přihlášek (CSV)",
           "attendance_sheet_printed": "otevřena prezenční listina",
           "attendee_list_printed": "otevřen seznam účastníků",
           "message_read": "přečten obsah e-mailu",
           "dead_letters_viewed": "zobrazeny nezpracované události",
           "training_record_viewed": "zobrazena evidence vzdělávání",
           "training_record_downloaded": "stažena evidence vzdělávání",
           "contacts_viewed": "zobrazeny kontakty organizace",
           "contact_viewed": "zobrazen kontakt",
           "invoice_read": "otevřena faktura",
           "accounting_exported": "staženy podklady pro účetní",
           "audit_exported": "stažen audit (CSV)",
           # The staff API and webhooks (issue 29).
           "api_token_created": "vytvořen token API", "api_token_revoked": "zrušen token API",
           "api_registrations_read": "přihlášky čteny přes API", "api_payments_read": "platby čteny přes API",
           "webhook_created": "přidán webhook", "webhook_deleted": "smazán webhook",
           "webhook_resumed": "obnoveno doručování webhooku", "webhook_replayed": "znovu poslána zpráva webhooku",
           # The texts of the emails (issue 29).
           "text_saved": "uložen text e-mailu", "text_reverted": "vrácen výchozí text e-mailu",
           "certificate_text_saved": "uložen text osvědčení",
           "certificate_text_reverted": "vrácen výchozí text osvědčení"}
AUDIT_OUTCOME_LABELS = (("", "jakýkoli"), ("provedeno", "provedeno"), ("odmitnuto", "odmítnuto"),
                        ("nezdarilo", "nezdařilo se"), ("nedokonceno", "nedokončeno"))
# The CSV of the audit log is read this many rows at a time, each in its own short transaction.
AUDIT_CSV_CHUNK = 1000


class BackofficeService(MemberPages, TextPages, PaymentPages, RecordPages, AfterPages, AttendancePages,
                        DoorPages, IntegrationPages, StaffApi, Pages, HealthCheck):
    name = "backoffice"

    call_log = CallLog()
    db = DatabaseProvider(store.metadata)
    clock = Clock()
    config = Config()  # the broker's address for the health check (HealthCheck)
    settings = SettingsProvider(load_settings)
    registrations = RpcClient("registrations")
    members = RpcClient("members")
    documents = RpcClient("documents")
    notifications = RpcClient("notifications")
    payments = RpcClient("payments")
    # A bank statement of thousands of lines takes seconds to pair: its own, longer wait.
    statements = RpcClient("payments", timeout_setting="STATEMENT_RPC_TIMEOUT_SECONDS")
    api_limits = ApiLimits()  # the staff API's pace per token (staffapi)
    courier = WebhookCourier()  # the webhooks' delivery loop (courier)
    webhook_bindings = WebhookBindings()  # the webhook events heard only while a webhook wants them (bindings)

    # Logging in and out

    @page("GET", "/prihlaseni", None)
    def login_form(self, request):
        return self._login_form(request, "login.html", next=domain.local_path(request.args.get("dal", "/")),
                                problem=None)

    @page("POST", "/prihlaseni", None)
    def login(self, request):
        typed = forms.login(request.form)
        if not self._login_csrf_valid(request):
            return self._login_form(request, "login.html", status=403, next=typed.target,
                                    problem="Formulář vypršel. Zkuste to prosím znovu.")
        try:
            session_id = usecases.sign_in(self.db, self.clock, typed.email, typed.password, self._client(request))
        except (usecases.LoginRefused, usecases.TooManyAttempts) as refusal:
            return with_retry_after(self._login_form(request, "login.html", status=refusal.status, next=typed.target,
                                                     problem=refusal.message), refusal)
        # A new session id at every login: one planted beforehand is never the one that logs in.
        return self._with_session(redirect(typed.target, code=303), session_id)

    @page("GET", "/prihlaseni/kod", None)
    def code_form(self, request):
        return render("code.html", account=None, csrf=self._pending(request)["csrf"], problem=None)

    @page("POST", "/prihlaseni/kod", None)
    def code(self, request):
        pending, account = self._pending(request, with_account=True)
        if request.form.get("csrf") != pending["csrf"]:
            return render("code.html", status=403, account=None, csrf=pending["csrf"], problem="Formulář vypršel.")
        try:
            usecases.complete_login(self.db, self.clock, account, request.cookies.get(SESSION_COOKIE),
                                    request.form.get("code"), self._client(request))
        except usecases.LoginEnded as ended:  # too many wrong codes for one login: from the password again
            return self._login_form(request, "login.html", status=ended.status, next="/", problem=ended.message)
        except (usecases.LoginRefused, usecases.CodeLocked, usecases.CodeUsed) as refusal:
            return with_retry_after(render("code.html", status=refusal.status, account=None, csrf=pending["csrf"],
                                           problem=refusal.message), refusal)
        return redirect("/", code=303)

    @page("GET", "/prihlaseni/nastavit-kod", None)
    def code_setup_form(self, request):
        pending, account = self._pending(request, with_account=True)
        with self.db.transaction() as tx:
            secret = usecases.pending_totp_secret(tx, account)
        return self._totp_setup(account, pending["csrf"], secret)

    @page("POST", "/prihlaseni/nastavit-kod", None)
    def code_setup(self, request):
        pending, account = self._pending(request, with_account=True)
        if request.form.get("csrf") != pending["csrf"] or account["totp_secret"] is not None:
            return render("error.html", status=403, account=None, csrf=None, message="Formulář vypršel.")
        try:
            with self._uow() as uow:
                usecases.enable_totp(uow, account, request.form.get("code"),
                                     session_id=request.cookies.get(SESSION_COOKIE))
        except ValidationError as error:
            with self.db.transaction() as tx:
                secret = usecases.pending_totp_secret(tx, account)
            return self._totp_setup(account, pending["csrf"], secret, problem=error.fields["code"], status=422)
        return redirect("/", code=303)

    @page("GET", "/heslo", StaffRole.DOOR)
    def password_form(self, request):
        return self._page(request, "password.html", errors={}, note=None)

    @page("POST", "/heslo", StaffRole.DOOR)
    def password(self, request):
        try:
            with self._uow() as uow:
                usecases.change_password(uow, request.account, request.form.get("old_password", ""),
                                         request.form.get("password", ""),
                                         session_id=request.cookies.get(SESSION_COOKIE))
        except ValidationError as error:
            return self._page(request, "password.html", status=422, errors=error.fields, note=None)
        return self._done(request, "/", "Heslo je změněné. Příště se přihlaste novým heslem; na ostatních "
                                        "zařízeních jste odhlášeni.")

    @page("GET", "/kod", StaffRole.DOOR)
    def own_code_form(self, request):
        """Any account may add the second factor (an administrator's has it from the first login)."""
        if request.account["totp_secret"] is not None:
            return self._page(request, "password.html", errors={}, note="Ověřovací kód už máte zapnutý.")
        with self.db.transaction() as tx:
            secret = usecases.pending_totp_secret(tx, request.account)
        return self._page(request, "code_setup.html", secret=secret, qr=_qr(secret, request.account), problem=None)

    @page("POST", "/kod", StaffRole.DOOR)
    def own_code(self, request):
        if request.account["totp_secret"] is not None:
            return self._page(request, "password.html", errors={}, note="Ověřovací kód už máte zapnutý.")
        try:
            with self._uow() as uow:
                usecases.enable_totp(uow, request.account, request.form.get("code"))
        except ValidationError as error:
            with self.db.transaction() as tx:
                secret = usecases.pending_totp_secret(tx, request.account)
            return self._page(request, "code_setup.html", status=422, secret=secret, qr=_qr(secret, request.account),
                              problem=error.fields["code"])
        return self._page(request, "password.html", errors={}, note="Ověřovací kód je zapnutý: od příštího "
                                                                     "přihlášení ho budete zadávat.")

    @page("POST", "/odhlasit", StaffRole.DOOR)
    def logout(self, request):
        with self.db.transaction() as tx:
            usecases.log_out(tx, request.cookies.get(SESSION_COOKIE))
        response = redirect("/prihlaseni", code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @page("POST", "/odhlasit-vsude", StaffRole.DOOR)
    def logout_everywhere(self, request):
        with self._uow() as uow:
            usecases.log_out_everywhere(uow, request.account)
        response = redirect("/prihlaseni", code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # The office

    @page("GET", "/", StaffRole.DOOR)
    def dashboard(self, request):
        if not domain.may(request.account["role"], StaffRole.STAFF):
            return redirect("/vstup", code=303)
        events = self.registrations.list_events()
        stats = {event["id"]: self.registrations.event_stats(event["id"]) for event in events}
        return self._page(request, "dashboard.html", events=events, stats=stats, attention=self._attention(),
                          days=domain.days_to(events, local(self.clock()).date()))

    @page("GET", "/akce", StaffRole.STAFF)
    def events(self, request):
        which = request.args.get("ktere", "nadchazejici")
        topic = request.args.get("tema") or None
        shown, topics = domain.events_shown(self.registrations.list_events(include_past=which != "nadchazejici"),
                                            which, topic, self.clock())
        return self._page(request, "events.html", events=shown, which=which, topics=topics, topic=topic)

    @page("GET", "/akce/nova", StaffRole.STAFF)
    def event_form(self, request):
        return self._event_form(request, forms.new_event_values())

    @page("POST", "/akce/nova", StaffRole.STAFF)
    def create_event(self, request):
        """A new draft; the form again with Czech messages when it is refused. Failing halfway
        (the registrations service away after the audit row is written): the row is marked failed
        and staff see the outage page; as ``auditing`` says, a timed-out call may have made the draft."""
        post = forms.event_post(request.form)
        if post.changed_rows is not None:  # "Přidat otázku" or "Odebrat" without JavaScript
            return self._event_form(request, forms.shown_again(post, post.changed_rows))
        try:
            data = forms.event_data(post)
            with self._audited(request, "event_created", {"title": data.get("title")}) as entry:
                event = self.registrations.create_event(data)
                entry.details.update(event_id=event["id"], title=event["title"])
        except ValidationError as error:
            return self._event_form(request, *forms.event_refusal(post, error))
        return self._done(request, f"/akce/{event['id']}", f"Koncept akce „{event['title']}“ je uložený. Na webu "
                                                           "se objeví, až ho zveřejníte.")

    @page("GET", "/akce/<int:event_id>/upravit", StaffRole.STAFF)
    def edit_form(self, request, event_id):
        event = self.registrations.get_event(event_id)
        return self._event_form(request, forms.event_values(event), event=event)

    @page("POST", "/akce/<int:event_id>/upravit", StaffRole.STAFF)
    def edit(self, request, event_id):
        """Save an edit; when people registered would be told of a new time or place, first show
        them the email they will get, and save only once that is confirmed."""
        event = self.registrations.get_event(event_id)
        post = forms.event_post(request.form)
        if post.changed_rows is not None:  # "Přidat otázku" or "Odebrat" without JavaScript
            return self._event_form(request, forms.shown_again(post, post.changed_rows), event=event)
        try:
            data = forms.event_data(post)
            preview = self.registrations.preview_event_update(event_id, data)
        except (ValidationError, Conflict) as error:  # Conflict: an answered question removed, an option chosen
            return self._event_form(request, *forms.event_refusal(post, error, event), event=event)
        if (preview["told"] or preview["promoted"]) and not confirmed(request):
            email = self.notifications.preview_email(EmailKind.EVENT_UPDATED, domain.event_update_sample(preview)) \
                if preview["told"] else None
            return self._page(request, "event_preview.html", event=event, values=post.values, questions=post.rows,
                              preview=preview, email=email)
        with self._audited(request, "event_updated", {"event_id": event_id, "changes": preview["changes"],
                                                      "told": preview["told"]}) as entry:
            saved = self.registrations.update_event(event_id, data)
            promoted = domain.promoted_by(event, saved, preview["promoted"])
            if promoted:
                entry.details["registration_ids"] = [person["id"] for person in promoted]
        return self._done(request, f"/akce/{event_id}", domain.saved_message(event, saved, preview["told"], promoted))

    @page("GET", "/akce/<int:event_id>", StaffRole.STAFF)
    def event(self, request, event_id):
        event = self.registrations.get_event(event_id)
        status, query = forms.registration_filters(request.args)
        registrations = domain.registrations_matching(self.registrations.list_registrations(event_id, status), query)
        plan = self.registrations.certificate_plan(event_id) if event["accreditation_number"] else None
        seal = domain.seal_notice(self._seal_status(), self.clock()) if plan else None
        issued = [r["id"] for r in registrations if r.get("certificate") == CertificateState.ISSUED]
        numbers = {c["registration_id"]: c["number"] for c in self.documents.certificate_numbers(issued)} \
            if issued else {}
        return self._page(request, "event.html", event=event, registrations=registrations,
                          stats=self.registrations.event_stats(event_id), shown=status, query=query,
                          materials=self.registrations.list_materials(event_id),
                          live_emails=domain.live_emails(registrations),
                          window=domain.attendance_window(event, self.clock()), plan=plan, numbers=numbers,
                          seal=seal, conflicts=self.registrations.door_conflicts(event_id))

    def _seal_status(self):
        """documents' answer about the seal, or None when it is away: the event page still shows."""
        try:
            return self.documents.seal_status()
        except Exception as error:
            if outage(error) is None and not isinstance(error, ServiceUnavailable):
                raise
            return None

    @page("GET", "/akce/<int:event_id>/nahled", StaffRole.STAFF)
    def public_preview(self, request, event_id):
        """The event's public page as it will look (a draft too): a signed link of the public site."""
        return redirect(self.registrations.preview_url(event_id), code=303)

    @page("POST", "/akce/<int:event_id>/zverejnit", StaffRole.STAFF)
    def publish_event(self, request, event_id):
        event = self.registrations.get_event(event_id)
        if event["status"] != EventStatus.DRAFT:
            return self._done(request, f"/akce/{event_id}", "Akce už zveřejněná byla." if event["status"] ==
                              EventStatus.PUBLISHED else "Zrušenou akci nelze zveřejnit.")
        if not confirmed(request):
            return self._confirm(request, f"Zveřejnit akci „{event['title']}“?",
                                 domain.publish_consequences(event), "Ano, zveřejnit", back=f"/akce/{event_id}")
        with self._audited(request, "event_published", {"event_id": event_id, "title": event["title"]}):
            event = self.registrations.publish_event(event_id)
        return self._done(request, f"/akce/{event_id}", f"Akce „{event['title']}“ je zveřejněná: je na webu "
                                                        "a lze se na ni přihlásit.")

    @page("POST", "/akce/<int:event_id>/zrusit", StaffRole.STAFF)
    def cancel_event(self, request, event_id):
        """Cancel a published event: first who will be emailed and why, then, confirmed, done."""
        event = self.registrations.get_event(event_id)
        if event["status"] == EventStatus.DRAFT:
            raise Conflict("draft_not_cancelled", "Koncept se neruší, ale maže: použijte „Smazat koncept“.")
        if event["status"] == EventStatus.CANCELLED:
            return self._done(request, f"/akce/{event_id}", "Akce už zrušená byla.")
        reason = forms.reason(request.form)
        if not reason:
            raise Conflict("reason_needed", "Uveďte důvod zrušení: dostanou ho všichni přihlášení.")
        stats = self.registrations.event_stats(event_id)
        if not confirmed(request):
            return self._confirm(request, f"Zrušit akci „{event['title']}“?",
                                 domain.cancel_event_consequences(stats, reason), "Ano, zrušit akci",
                                 back=f"/akce/{event_id}", danger=True)
        with self._audited(request, "event_cancelled", {"event_id": event_id, "title": event["title"],
                                                        "reason": reason}):
            event = self.registrations.cancel_event(event_id, reason)
        return self._done(request, f"/akce/{event_id}", domain.cancel_event_done(event, stats))

    @page("POST", "/akce/<int:event_id>/smazat", StaffRole.STAFF)
    def delete_draft(self, request, event_id):
        """Delete a draft (never published: nobody registered, nobody is told); asked first."""
        event = self.registrations.get_event(event_id)
        if not confirmed(request):
            return self._confirm(request, f"Smazat koncept „{event['title']}“?",
                                 ["Koncept nebyl zveřejněn, nikdo se na něj nepřihlásil a nikomu nic nepůjde.",
                                  "Smazání nelze vrátit."], "Ano, smazat koncept", back=f"/akce/{event_id}",
                                 danger=True)
        with self._audited(request, "draft_deleted", {"event_id": event_id, "title": event["title"]}):
            self.registrations.delete_draft(event_id)
        return self._done(request, "/akce?ktere=koncepty", f"Koncept „{event['title']}“ je smazaný.")

    @page("GET", "/akce/<int:event_id>/export.csv", StaffRole.STAFF)
    def export_event(self, request, event_id):
        with self._audited(request, "registrations_exported", {"event_id": event_id}):
            exported = self.registrations.export_registrations(event_id)
        return csv_response(exported, f"prihlasky-{event_id}.csv")

    @page("POST", "/prihlasky/<int:registration_id>/povolit", StaffRole.STAFF)
    def promote(self, request, registration_id):
        """A waitlisted person gets a seat of their own (one more seat)."""
        registration = self.registrations.get_registration(registration_id)
        event, name = registration["event"], domain.full_name(registration)
        if not confirmed(request):
            return self._confirm(request, f"Přidat místo: {name}?", domain.promote_consequences(registration),
                                 "Ano, přidat místo", back=f"/akce/{event['id']}")
        with self._audited(request, "registration_promoted", {"registration_id": registration_id,
                                                              "event_id": event["id"]}):
            self.registrations.promote(registration_id)
        return self._done(request, f"/akce/{event['id']}", domain.promote_done(registration))

    @page("POST", "/prihlasky/<int:registration_id>/obnovit", StaffRole.STAFF)
    def restore(self, request, registration_id):
        """Take back a cancellation made by mistake: a seat when one is free, else the end of the
        waitlist, which the question says before it is confirmed."""
        registration = self.registrations.get_registration(registration_id)
        event, name = registration["event"], domain.full_name(registration)
        if not confirmed(request):
            stats = self.registrations.event_stats(event["id"])
            return self._confirm(request, f"Obnovit přihlášku: {name}?",
                                 domain.restore_consequences(registration, stats), "Ano, obnovit přihlášku",
                                 back=f"/akce/{event['id']}")
        with self._audited(request, "registration_restored", {"registration_id": registration_id,
                                                              "event_id": event["id"]}) as entry:
            restored = self.registrations.restore_registration(registration_id)
            entry.details["status"] = restored["status"]
        return self._done(request, f"/akce/{event['id']}", domain.restore_done(restored))

    @page("POST", "/prihlasky/<int:registration_id>/potvrzeni", StaffRole.STAFF)
    def resend_confirmation(self, request, registration_id):
        """The confirmation with the ticket again (the person lost it)."""
        registration = self.registrations.get_registration(registration_id)
        sent = domain.ticket_emails(self.notifications.list_messages(to=registration["email"]))
        if registration["status"] != RegistrationStatus.CONFIRMED or not sent:
            raise Conflict("no_confirmation", "Tato přihláška nemá potvrzení s vstupenkou, které by šlo poslat znovu.")
        name, back = domain.full_name(registration), f"/akce/{registration['event']['id']}"
        if not confirmed(request):
            return self._confirm(request, f"Poslat potvrzení znovu: {name}?", [
                f"Na adresu {registration['email']} odejde znovu potvrzení přihlášky se vstupenkou (PDF) "
                "a položkou do kalendáře. Vstupenka zůstává stejná, dřívější platí dál."],
                "Ano, poslat znovu", back=back)
        with self._audited(request, "confirmation_resent", {"registration_id": registration_id}):
            self.notifications.resend(sent[0]["id"])
        return self._done(request, back, f"Potvrzení se vstupenkou odchází znovu na {registration['email']}.")

    @page("GET", "/prihlasky/<int:registration_id>/nahradnik", StaffRole.STAFF)
    def substitute_form(self, request, registration_id):
        return self._substitute_form(request, self.registrations.get_registration(registration_id), {})

    @page("POST", "/prihlasky/<int:registration_id>/nahradnik", StaffRole.STAFF)
    def substitute(self, request, registration_id):
        """Hand the seat to a substitute (the person asked by phone): the form again with Czech
        messages when it is refused."""
        registration = self.registrations.get_registration(registration_id)
        values, data = forms.substitute(request.form, registration["event"]["collects_birth_date"])
        if not confirmed(request):
            problems = domain.substitute_problems(data)
            if problems:
                return self._substitute_form(request, registration, values, errors=problems, status=422)
            return self._confirm(request, domain.substitute_question(registration, data),
                                 domain.substitute_consequences(registration, data), "Ano, předat místo",
                                 back=f"/prihlasky/{registration_id}/nahradnik")
        try:
            with self._audited(request, "registration_substituted", {
                    "registration_id": registration_id, "event_id": registration["event"]["id"]}) as entry:
                new = self.registrations.substitute(registration_id, data)
                entry.details["substitute_id"] = new["id"]
        except ValidationError as error:
            return self._substitute_form(request, registration, values, errors=error.fields, status=422)
        except Conflict as error:
            return self._substitute_form(request, registration, values, problem=error.message, status=409)
        return self._done(request, f"/akce/{registration['event']['id']}", domain.substitute_done(registration, new))

    @page("POST", "/prihlasky/<int:registration_id>/zrusit", StaffRole.STAFF)
    def cancel_registration(self, request, registration_id):
        """Cancel a registration (the person asked by phone): first what follows (the email, who
        gets the seat), then, confirmed, done and said."""
        registration = self.registrations.get_registration(registration_id)
        event_id, name = registration["event"]["id"], domain.full_name(registration)
        if registration["status"] not in LIVE:
            return self._done(request, f"/akce/{event_id}", f"Přihláška: {name} už zrušená byla.")
        successor = self._next_in_line(registration)
        if not confirmed(request):
            return self._confirm(request, f"Zrušit přihlášku: {name}?",
                                 domain.cancel_consequences(registration, successor),
                                 "Ano, zrušit přihlášku", back=f"/akce/{event_id}", danger=True)
        with self._audited(request, "registration_cancelled", {"registration_id": registration_id,
                                                               "event_id": event_id}):
            self.registrations.cancel_registration(registration_id)
        return self._done(request, f"/akce/{event_id}", domain.cancel_done(registration, successor))

    @page("GET", "/akce/<int:event_id>/prezencni-listina.pdf", StaffRole.STAFF)
    def attendance_sheet(self, request, event_id):
        with self._audited(request, "attendance_sheet_printed", {"event_id": event_id}):
            return document_response(self.documents.render_attendance_sheet(event_id))

    @page("GET", "/akce/<int:event_id>/seznam-ucastniku.pdf", StaffRole.STAFF)
    def attendee_list(self, request, event_id):
        with self._audited(request, "attendee_list_printed", {"event_id": event_id}):
            return document_response(self.documents.render_attendee_list(event_id))

    # Announcements

    @page("GET", "/oznameni", StaffRole.STAFF)
    def announcement_form(self, request):
        return self._announcement_page(request, self.members.districts(), {})

    @page("POST", "/oznameni", StaffRole.STAFF)
    def announce(self, request):
        """An announcement to members' contacts: first its preview, made for a real contact, with
        how many will get it; then, confirmed, it is queued. A greeting typed at the top is left
        out: the email greets each contact by name."""
        districts = self.members.districts()
        post = forms.announcement(request.form, districts)
        if post.errors:
            return self._announcement_page(request, districts, post.values, errors=post.errors, status=422)
        recipients = self.members.announcement_recipients(None if post.audience == "members" else post.audience)
        if not recipients:
            return self._announcement_page(request, districts, post.values, status=422,
                                           errors={"audience": domain.nobody_to_announce_to(post.audience)})
        if not confirmed(request):
            sample, said = domain.announcement_preview(post, recipients)
            email = self.notifications.preview_email(EmailKind.ANNOUNCEMENT, sample)
            return self._announcement_page(request, districts, post.values, email=email, count=len(recipients),
                                           said=said)
        subject, text = post.values["subject"], post.values["text"]
        try:
            with self._audited(request, "announcement_sent", {"subject": subject, "audience": post.audience}) as entry:
                queued = entry.details["recipients"] = self.notifications.announce(subject, text, post.audience)
        except ValidationError as error:
            return self._announcement_page(request, districts, post.values, errors=error.fields, status=422)
        return self._done(request, "/oznameni", domain.announcement_done(subject, queued, post.audience))

    # Messages

    @page("GET", "/zpravy", StaffRole.STAFF)
    def messages(self, request):
        status, kind, to = forms.message_filters(request.args)
        return self._page(request, "messages.html",
                          messages=self.notifications.list_messages(to=to, kind=kind, status=status),
                          shown=status, kind=kind, to=to or "", state_choices=domain.EMAIL_STATE_CHOICES,
                          kind_choices=sorted(domain.EMAIL_KINDS.items(), key=lambda item: item[1]))

    @page("GET", "/zpravy/<int:message_id>", StaffRole.STAFF)
    def message(self, request, message_id):
        with self._audited(request, "message_read", {"message_id": message_id}) as entry:
            message = self.notifications.message_content(message_id)
            entry.details["to"] = message["to"]
        return self._page(request, "message.html", message=message)

    @page("POST", "/zpravy/<int:message_id>/znovu", StaffRole.STAFF)
    def resend(self, request, message_id):
        if not confirmed(request):
            message = self.notifications.message_content(message_id)
            return self._confirm(request, "Poslat e-mail znovu?", [
                f"Na adresu {message['to']} odejde znovu e-mail „{message['subject']}“ se všemi přílohami."],
                "Ano, poslat znovu", back=f"/zpravy/{message_id}")
        with self._audited(request, "message_resent", {"message_id": message_id}) as entry:
            sent = self.notifications.resend(message_id)
            entry.details["to"] = sent["to"]
        return self._done(request, "/zpravy", f"E-mail odchází znovu na {sent['to']}.")

    @page("GET", "/zpravy/udalosti", StaffRole.STAFF)
    def dead_letters(self, request):
        """Events a handler gave up on after its last try: where from, why, how often tried."""
        with self._audited(request, "dead_letters_viewed", {}) as entry:
            letters = deadletters.walk(self.settings.amqp_uri)
            entry.details["message_ids"] = [letter["message_id"] for letter in letters]
        return self._page(request, "dead_letters.html", letters=letters)

    @page("POST", "/zpravy/udalosti", StaffRole.STAFF)
    def replay_dead_letters(self, request):
        chosen = set(request.form.getlist("message_id"))
        if not chosen:
            return self._done(request, "/zpravy/udalosti", "Nevybrali jste žádnou událost, nic se neposlalo.")
        if not confirmed(request):
            events = czech.plural(len(chosen), "událost", "události", "událostí")
            return self._confirm(request, f"Zpracovat znovu {events}?", [
                "Každá vybraná událost se vrátí ke své obsluze, která ji zpracuje znovu: může tak odejít e-mail "
                "nebo vzniknout platba, které se předtím nepovedly.",
                "Obsluhy poznají, co už jednou udělaly, a podruhé to neudělají."],
                "Ano, zpracovat znovu", back="/zpravy/udalosti")
        with self._audited(request, "dead_letters_replayed", {"chosen": sorted(chosen)}) as audit_entry:
            replayed = [entry["message_id"] for entry in deadletters.walk(
                self.settings.amqp_uri, replay=lambda entry: entry["message_id"] in chosen)]
            done = sorted(chosen & set(replayed))
            audit_entry.details["message_ids"] = done
        return self._done(request, "/zpravy/udalosti", f"Znovu ke zpracování: "
                          f"{czech.plural(len(done), 'událost', 'události', 'událostí')}."
                          + ("" if len(done) == len(chosen) else " Ostatní už ve frontě nebyly."))

    # The door

    @page("GET", "/vstup", StaffRole.DOOR)
    def door(self, request):
        events = domain.events_on(self.registrations.list_events(), local(self.clock()).date())
        return self._page(request, "door.html", events=events)

    @page("GET", "/vstup/<int:event_id>", StaffRole.DOOR)
    def door_event(self, request, event_id):
        return self._door(request, event_id, answer=None)

    @page("POST", "/vstup/<int:event_id>", StaffRole.DOOR)
    def check_in(self, request, event_id):
        """A ticket's code (scanned or typed). A genuine ticket on a day the event does not take
        place on is not admitted at once: the door asks, and the code comes again confirmed."""
        code = request.form.get("code", "")
        any_day = confirmed(request)
        try:
            with self._audited(request, "checked_in", domain.door_details(event_id, any_day)) as entry:
                registration = self.registrations.check_in(event_id, code, any_day=any_day)
                entry.details["registration_id"] = registration["id"]
        except (NotFound, Conflict) as refusal:
            return self._door_refused(request, event_id, refusal, {"fields": {"code": code}})
        return self._door(request, event_id, answer={"ok": True, "name": domain.full_name(registration)})

    @page("POST", "/vstup/<int:event_id>/bez-vstupenky", StaffRole.DOOR)
    def check_in_by_name(self, request, event_id):
        """A person found by name who forgot the ticket: asked first, then admitted with the
        ticket's refusals, and recorded as admitted without a ticket."""
        registration = self._registration_at(event_id, request.form.get("registration_id", type=int))
        back, name = f"/vstup/{event_id}", domain.full_name(registration)
        if domain.admissible(registration) and not confirmed(request):  # else straight to the refusal, as for a ticket
            return self._confirm(request, f"Vpustit {domain.with_organisation(registration)} bez vstupenky?",
                                 domain.WITHOUT_TICKET_SAID, "Ano, vpustit", back=back)
        any_day = request.form.get("jiny_den") == "ano"
        try:
            with self._audited(request, "checked_in_without_ticket", domain.door_details(
                    event_id, any_day, registration_id=registration["id"], name=name)):
                self.registrations.check_in_by_id(event_id, registration["id"], any_day=any_day)
        except (NotFound, Conflict) as refusal:
            return self._door_refused(request, event_id, refusal, {"action": f"{back}/bez-vstupenky", "fields": {
                "registration_id": registration["id"], "jiny_den": "ano"}})
        return self._door(request, event_id, answer={"ok": True, "name": name, "without_ticket": True})

    # Accounts and the audit log (admin)

    @page("GET", "/ucty", StaffRole.ADMIN)
    def accounts(self, request):
        return self._accounts_page(request)

    @page("POST", "/ucty", StaffRole.ADMIN)
    def create_account(self, request):
        values = forms.account_values(request.form)
        try:
            data = forms.account(values)
            with self._uow() as uow:
                account, password = usecases.add_account(uow, request.account, data)
        except (ValidationError, Conflict) as error:
            return self._accounts_page(request, status=422, values=values, errors=forms.account_errors(error))
        return self._accounts_page(request, created={"email": account["email"], "password": password})

    @page("POST", "/ucty/<int:account_id>/vypnout", StaffRole.ADMIN)
    def disable_account(self, request, account_id):
        """Disable an account: it cannot log in, and its sessions end at once."""
        target = self._account(account_id)
        if not target["active"]:
            return self._done(request, "/ucty", f"Účet {target['email']} je už vypnutý.")
        with self.db.transaction() as tx:
            usecases.keeps_an_administrator(tx, target, target["role"], False)
        if not confirmed(request):
            return self._confirm(request, f"Vypnout účet {target['email']}?", domain.disable_consequences(
                target, own=target["id"] == request.account["id"]), "Ano, vypnout účet", back="/ucty", danger=True)
        with self._uow() as uow:
            usecases.set_active(uow, request.account, account_id, False)
        return self._done(request, "/ucty", f"Účet {target['email']} je vypnutý a jeho přihlášení skončila.")

    @page("POST", "/ucty/<int:account_id>/zapnout", StaffRole.ADMIN)
    def enable_account(self, request, account_id):
        target = self._account(account_id)
        if target["active"]:
            return self._done(request, "/ucty", f"Účet {target['email']} je už zapnutý.")
        if not confirmed(request):
            return self._confirm(request, f"Znovu zapnout účet {target['email']}?", [
                f"{target['name']} se bude moci znovu přihlásit se svou rolí ({domain.role_name(target['role'])})."],
                "Ano, zapnout účet", back="/ucty")
        with self._uow() as uow:
            usecases.set_active(uow, request.account, account_id, True)
        return self._done(request, "/ucty", f"Účet {target['email']} je znovu zapnutý.")

    @page("POST", "/ucty/<int:account_id>/role", StaffRole.ADMIN)
    def change_role(self, request, account_id):
        target, role = self._account(account_id), request.form.get("role", "")
        if role not in domain.ROLES:
            return self._accounts_page(request, status=422, problem="Vyberte roli: správce, kancelář, nebo vstup.")
        if role == target["role"]:
            return self._done(request, "/ucty", f"Účet {target['email']} už má roli {domain.role_name(role)}.")
        with self.db.transaction() as tx:
            usecases.keeps_an_administrator(tx, target, role, target["active"])
        if not confirmed(request):
            return self._confirm(request, f"Změnit roli účtu {target['email']} na {domain.role_name(role)}?",
                                 domain.role_consequences(target, role), "Ano, změnit roli", back="/ucty")
        with self._uow() as uow:
            usecases.change_role(uow, request.account, account_id, role)
        return self._done(request, "/ucty", f"Účet {target['email']} má roli {domain.role_name(role)}; "
                                            "jeho přihlášení skončila.")

    @page("POST", "/ucty/<int:account_id>/heslo", StaffRole.ADMIN)
    def reset_password(self, request, account_id):
        """A new one-time password, shown once on this answer (never stored, never in a redirect)."""
        target = self._account(account_id)
        if not confirmed(request):
            return self._confirm(request, f"Nastavit účtu {target['email']} nové heslo?", [
                "Dosavadní heslo přestane platit a všechna přihlášení účtu skončí.",
                "Nové jednorázové heslo se ukáže jen jednou: předejte ho osobně. Při přihlášení si ho změní."],
                "Ano, nastavit nové heslo", back="/ucty", danger=True)
        with self._uow() as uow:
            _, password = usecases.reset_password(uow, request.account, account_id)
        return self._accounts_page(request, reset={"email": target["email"], "password": password})

    @page("POST", "/ucty/<int:account_id>/kod", StaffRole.ADMIN)
    def reset_code(self, request, account_id):
        target = self._account(account_id)
        if target["totp_secret"] is None and target["pending_totp_secret"] is None:
            return self._done(request, "/ucty", f"Účet {target['email']} nemá ověřovací kód.")
        if not confirmed(request):
            return self._confirm(request, f"Zrušit ověřovací kód účtu {target['email']}?",
                                 domain.code_reset_consequences(target), "Ano, zrušit ověřovací kód",
                                 back="/ucty", danger=True)
        with self._uow() as uow:
            usecases.reset_second_factor(uow, request.account, account_id)
        return self._done(request, "/ucty", f"Ověřovací kód účtu {target['email']} je zrušený a jeho "
                                            "přihlášení skončila.")

    @page("GET", "/audit", StaffRole.ADMIN)
    def audit_log(self, request):
        """The whole audit log a page at a time, newest first, filtered by who, what, when and
        how it ended; ``format=csv`` is every row of the filter, read and sent in chunks."""
        filters, values, problems = domain.audit_filters(request.args, ACTIONS)
        if request.args.get("format") == "csv":
            with self._audited(request, "audit_exported", {k: v for k, v in values.items() if v}) as entry:
                with self.db.transaction() as tx:
                    entry.details["rows"] = store.count_audit(tx, **filters)
            return Response(_audit_csv(usecases.audit_chunks(self.db, filters, AUDIT_CSV_CHUNK)),
                            content_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
        with self.db.transaction() as tx:
            entries, total, pages, number, logged = usecases.audit_page(
                tx, filters, domain.audit_page_number(request.args.get("strana")))
        return self._page(request, "audit.html", entries=entries, actions=ACTIONS, details=_details,
                          outcome=auditing.outcome_text, values=values, problems=problems, total=total,
                          logged=sorted(logged, key=lambda key: ACTIONS.get(key, key)), number=number, pages=pages,
                          outcomes=AUDIT_OUTCOME_LABELS, **domain.audit_links(values, number, pages))

    @page("GET", "/favicon.ico", None)
    def favicon(self, request):
        """The icon browsers ask for by this name (an SVG; the pages link ``/static/favicon.svg``)."""
        return self.static_file(request, name="favicon.svg")

    @page("GET", "/static/<name>", None)
    def static_file(self, request, name):
        if name not in STATIC_FILES:
            raise NotFound("not_found", "Tato stránka neexistuje.")
        with open(os.path.join(STATIC, name), "rb") as static:
            return Response(static.read(), content_type=STATIC_FILES[name],
                            headers={"Cache-Control": "public, max-age=3600"})

    # Helpers

    def _attention(self):
        """What needs someone: failing emails and parked events; None where it cannot be told now,
        so that one service away does not take the whole dashboard with it."""
        found = {}
        for name, count in (("failed", lambda: len(self.notifications.list_messages(status=EmailStatus.FAILED))),
                            ("retrying",
                             lambda: len(self.notifications.list_messages(status=EmailStatus.AWAITING_RETRY))),
                            ("dead_letters", lambda: len(deadletters.walk(self.settings.amqp_uri)))):
            try:
                found[name] = count()
            except Exception as error:  # the service or the broker away: the rest of the page still shows
                if outage(error) is None and not isinstance(error, ServiceUnavailable):
                    raise
                found[name] = None
        with self.db.transaction() as tx:  # the console's own table: always told
            found["paused_webhooks"] = len(store.paused_webhooks(tx))
        return found

    def _next_in_line(self, registration):
        """Who gets the seat ``registration`` frees: the first on the event's waitlist (None when
        the person waits themselves, or nobody does)."""
        if registration["status"] != RegistrationStatus.CONFIRMED:
            return None
        waiting = self.registrations.list_registrations(registration["event"]["id"], RegistrationStatus.WAITLISTED)
        return min(waiting, key=lambda r: r["waitlist_position"] or 0, default=None)

    def _audited(self, request, action, details):
        """The audit row around an action or a read of personal data, written before it
        (``auditing``): ``with self._audited(request, action, details) as entry: ...``."""
        return auditing.audited(self.db, self.clock, request.account, action, details)

    def _door(self, request, event_id, answer, status=200):
        """The door of an event: the answer to the last ticket or name, the scanner, the code, and
        the search by name (``?jmeno=``) of confirmed people who forgot their ticket."""
        event = self.registrations.get_event(event_id)
        stats = self.registrations.event_stats(event_id)
        query = (request.args.get("jmeno") or "").strip()[:100]
        found = domain.door_matches(self.registrations.list_registrations(event_id, RegistrationStatus.CONFIRMED),
                                    query) if query else []
        return self._page(request, "door_event.html", status=status, event=event, stats=stats, answer=answer,
                          query=query, found=found, min_query=domain.MIN_NAME_QUERY,
                          conflicts=self.registrations.door_conflicts(event_id))

    def _door_refused(self, request, event_id, refusal, again):
        """The door after a refused check-in: on a day the event does not take place on, the
        question whether to admit anyway (the form sent again with ``again``); else the refusal."""
        if refusal.code == "not_today":
            return self._door(request, event_id, status=409,
                              answer=dict(again, warning=domain.outside_days_question(refusal.message)))
        return self._door(request, event_id, answer={"ok": False, "reason": refusal.message, "code": refusal.code},
                          status=409 if isinstance(refusal, Conflict) else 404)

    def _event_form(self, request, values, errors=None, status=200, event=None):
        """The event form: a new event's, or ``event``'s to edit."""
        return self._page(request, "event_form.html", status=status, values=values, errors=errors or {},
                          **({"event": event} if event is not None else {}))

    def _substitute_form(self, request, registration, values, errors=None, problem=None, status=200):
        return self._page(request, "substitute.html", status=status, registration=registration, values=values,
                          errors=errors or {}, problem=problem)

    def _announcement_page(self, request, districts, values, errors=None, email=None, count=None, said=(),
                           status=200):
        """The announcement form: as typed, with its problems, or with the preview and who gets it."""
        return self._page(request, "announcement.html", status=status, districts=districts, values=values,
                          errors=errors or {}, email=email, count=count, said=said)

    def _registration_at(self, event_id, registration_id):
        """A registration for ``event_id`` chosen in a form (its id, or None); NotFound otherwise."""
        registration = self.registrations.get_registration(registration_id) if registration_id else None
        if registration is None or registration["event"]["id"] != event_id:
            raise NotFound("registration_not_found", "Přihláška nebyla nalezena.")
        return registration

    def _account(self, account_id):
        with self.db.transaction() as tx:
            found = store.get_account(tx, account_id=account_id)
        if found is None:
            raise NotFound("account_not_found", "Takový účet neexistuje.")
        return found

    def _accounts_page(self, request, status=200, values=None, errors=None, created=None, reset=None, problem=None):
        with self.db.transaction() as tx:
            accounts = store.list_accounts(tx)
        return self._page(request, "accounts.html", status=status, accounts=accounts, values=values or {},
                          errors=errors or {}, created=created, reset=reset, problem=problem, roles=domain.ROLE_NAMES)

    def _client(self, request):
        """The client's address, behind the proxy too (``CLIENT_ADDRESS_HEADER``, as the public site)."""
        return client_address(request, self.settings.client_address_header)

    def _pending(self, request, with_account=False):
        """The session waiting for its second factor; a login page otherwise."""
        with self._uow() as uow:
            found = usecases.current(uow, request.cookies.get(SESSION_COOKIE))
        if found is None or not found[1]["second_factor_due"]:
            raise NotFound("no_login", "Přihlaste se prosím znovu.")
        return (found[1], found[0]) if with_account else found[1]

    def _totp_setup(self, account, csrf, secret, problem=None, status=200):
        return render("code_setup.html", status=status, account=None, csrf=csrf, secret=secret,
                      qr=_qr(secret, account), problem=problem)


# Every page of the console: ``(method, url, right)``.
ROUTES = routes(BackofficeService)


def _qr(secret, account):
    """The QR code a phone app reads to add the account's second factor, as a data URL."""
    return qr.png_data_uri(usecases.totp_uri(secret, account["email"]))


def _moment(at):
    """``5. 1. 2027 9:05:30``: the audit log's time, to the second, as Czech readers write it."""
    m = local(at)
    return f"{m.day}. {m.month}. {m.year} {m.hour}:{m.minute:02d}:{m.second:02d}"


def _audit_csv(chunks):
    """The audit rows (``usecases.audit_chunks``) as CSV for Czech Excel, produced while sent."""
    yield csv_text(["Kdy", "Kdo", "Co", "Výsledek", "Podrobnosti"], [])
    for rows in chunks:
        yield csv_rows([_moment(e["at"]), e["who"],
                               ACTIONS.get(e["action"], e["action"]), auditing.outcome_text(e),
                               _details(e["details"])] for e in rows)


def _details(details):
    """The audit log's details in Czech: ``komu: jen potvrzeným, přihlášky: 2, 3``."""
    return domain.details_text(details)
