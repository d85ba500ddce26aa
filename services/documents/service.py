"""The documents service: every PDF the association hands out, and the register of certificates."""
import base64
import logging
import re
from functools import cached_property

import jinja2
from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common import czech, metrics
from services.common.clock import Clock
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED, ValidationError
from services.common.health import HealthCheck
from services.common.logs import CallLog
from services.common.rpc import RpcClient, rpc
from services.common.unit_of_work import unit_of_work
from services.common.vocabulary import LIVE, InvoiceKind, RegistrationStatus

from . import certificates, charts, collation, domain, render, stamp, store, texts, usecases
from . import seal as sealing
from .pool import RenderPool
from .settings import load as load_settings

log = logging.getLogger(__name__)

RETENTION_SECONDS = 24 * 3600


def pdf_message(filename: str, data: bytes) -> dict:
    """A PDF as it travels over RPC."""
    return {"filename": filename, "content_type": "application/pdf", "data": base64.b64encode(data).decode("ascii")}



class DocumentsService(HealthCheck):
    name = "documents"

    call_log = CallLog()

    renderer = RenderPool()
    db = DatabaseProvider(store.metadata)
    registrations = RpcClient("registrations")
    config = Config()
    clock = Clock()

    @cached_property
    def settings(self):
        """Read from the configuration once per worker; config.yaml's defaults for what it lacks."""
        return load_settings(self.config)

    @rpc
    def metrics(self):
        """Render time of this process (a summary: count and total seconds since it started), and
        how many tickets and invoices were stamped on a base page or rendered in full (``way``)."""
        timings = self.renderer.timings
        return [metrics.sample("smopk_pdf_render_seconds_count", "counter", "PDFs rendered.", timings["count"]),
                metrics.sample("smopk_pdf_render_seconds_sum", "counter", "Seconds spent rendering PDFs.",
                               round(timings["seconds"], 3)),
                *(metrics.sample("smopk_pdf_stamp_total", "counter",
                                 "Tickets and invoices stamped on a base page, or rendered in full.",
                                 timings[way], way=way) for way in (stamp.STAMPED, stamp.FULL))]

    @rpc(expected_exceptions=EXPECTED)
    def export_person(self, registration_ids):
        """The certificates issued for these registrations (a person's, from registrations' export),
        with what the register keeps of each: number, dates, copies, and what the certificate
        states (the holder's name until it is erased, the programme, its accreditation number,
        days and hours; ``docs/certificates.md``). No address: none is kept here."""
        with self.db.transaction() as tx:
            found = [store.get_certificate(tx, int(i)) for i in registration_ids]
        return {"certificates": [_certificate_view(c) for c in found if c is not None]}

    @rpc(expected_exceptions=EXPECTED)
    def render_ticket(self, payload):
        """The ticket of a confirmed registration; ``payload`` is ``{"registration", "event"}``."""
        ticket, filename = self._ticket(payload)
        return pdf_message(filename, self.renderer.stamped("ticket", ticket))

    @rpc(expected_exceptions=EXPECTED)
    def render_invoice(self, invoice):
        """The PDF of an invoice or a credit note, as payments built it (amounts in haléře);
        with the QR Platba code when ``invoice["spd"]`` asks for a payment."""
        return pdf_message(_invoice_filename(invoice), self.renderer.stamped("invoice", invoice))

    @rpc(expected_exceptions=EXPECTED)
    def render_documents(self, requests):
        """Tickets and invoices of a batch of emails in one call and one trip to a render worker:
        ``requests`` are ``{"ticket": payload}`` (as ``render_ticket`` takes it) or ``{"invoice":
        invoice}`` (as ``render_invoice``). The answer, in their order: each the PDF as those
        answer it, or ``{"error": why}`` for a document that could not be made (its failure alone;
        the others are made)."""
        if not isinstance(requests, list) or not all(
                isinstance(request, dict) and len(request) == 1 and set(request) <= {"ticket", "invoice"}
                for request in requests):
            raise ValidationError({"requests": "Očekávám seznam vstupenek a faktur."})
        answers: list[dict | None] = [None] * len(requests)
        jobs, places = [], []
        for place, request in enumerate(requests):
            try:
                if "ticket" in request:
                    ticket, filename = self._ticket(request["ticket"])
                    job = ("ticket", ticket)
                else:
                    job, filename = ("invoice", request["invoice"]), _invoice_filename(request["invoice"])
            except Exception as error:  # data no document can be made of: this one's failure alone
                log.warning("document %d of a batch could not be asked for: %r", place, error)
                answers[place] = {"error": f"{type(error).__name__}: {error}"}
                continue
            jobs.append(job)
            places.append((place, filename))
        made = self.renderer.stamped_many(jobs) if jobs else []
        for (place, filename), data in zip(places, made, strict=True):
            answers[place] = {"error": data} if isinstance(data, str) else pdf_message(filename, data)
        return answers

    def _ticket(self, payload):
        """What the render worker takes to make ``payload``'s ticket, and the ticket's file name."""
        registration = payload["registration"]
        payment = registration.get("payment") or {}
        unpaid = payment.get("spd") and not registration.get("paid_at")
        ticket = {"registration": registration, "event": payload["event"], "payment": payment if unpaid else None,
                  "organiser": self.settings.organiser_name}
        return ticket, f"vstupenka-{registration['id']}.pdf"

    @rpc(expected_exceptions=EXPECTED)
    def render_attendance_sheet(self, event_id):
        """The sheet people sign at the door: confirmed attendees by surname, in Czech order."""
        event = self.registrations.get_event(event_id)
        attendees = sorted(self.registrations.list_registrations(event_id, RegistrationStatus.CONFIRMED),
                           key=_by_surname)
        data = self.renderer.pdf("attendance_sheet.html", {
            "event": event, "attendees": attendees, "organiser": self.settings.organiser_name})
        return pdf_message(f"prezencni-listina-{event['id']}.pdf", data)

    @rpc(expected_exceptions=EXPECTED)
    def render_attendee_list(self, event_id):
        """The staff's list: everyone confirmed or waiting, with contacts and check-in."""
        event = self.registrations.get_event(event_id)
        everyone = self.registrations.list_registrations(event_id)
        attendees = sorted((r for r in everyone if r["status"] in LIVE),
                           key=lambda r: (r["status"] != RegistrationStatus.CONFIRMED, r["waitlist_position"] or 0,
                                          _by_surname(r)))
        counts = {status: sum(1 for r in everyone if r["status"] == status) for status in LIVE}
        data = self.renderer.pdf("attendee_list.html", {
            "event": event, "attendees": attendees, "counts": counts,
            "organiser": self.settings.organiser_name})
        return pdf_message(f"seznam-ucastniku-{event['id']}.pdf", data)

    @rpc(expected_exceptions=EXPECTED)
    def render_certificate(self, registration_id, original=True):
        """The certificate of attendance of an accredited training, as issued: numbered the first
        time (when notifications mails it), the same certificate every time after, never marked as
        a duplicate (``original`` is accepted for older callers and changes nothing). Refused
        (``certificate_not_issued``) until registrations issued it after the event."""
        registration = self.registrations.get_registration(registration_id)
        event = registration["event"]
        certificates.check_certificate_due(registration, event)
        certificate, _existed = certificates.issue(self.db, self.clock, registration["id"],
                                                   domain.register_entry(registration, event))
        return self._certificate_pdf(registration, event, certificate, duplicate_on=None)

    @rpc(expected_exceptions=EXPECTED)
    def render_duplicate_certificate(self, registration_id):
        """A duplicate of an issued certificate (staff, deliberately): recorded in the register
        with today's date, same number, marked "DUPLIKÁT vydaný d. m. rrrr"."""
        registration = self.registrations.get_registration(registration_id)
        event = registration["event"]
        certificates.check_certificate_due(registration, event)
        with self._uow() as uow:
            certificate = certificates.issue_duplicate(uow, registration["id"])
        return self._certificate_pdf(registration, event, certificate, duplicate_on=certificate["duplicate_issued_at"])

    def _uow(self):
        """One call's transaction and the moment of the call (this service has no outbox)."""
        return unit_of_work(self.db, self.clock)

    def _certificate_pdf(self, registration, event, certificate, duplicate_on):
        """The certificate's PDF, with the QR code and short address of its verification page, sealed
        when a seal is configured, and the wording of the office's text it was issued with."""
        number = certificates.certificate_number(certificate)
        with self.db.transaction() as tx:
            body = usecases.text_of(tx, certificate)
        context = self._certificate_context(registration, event, number, certificate["issued_at"], duplicate_on)
        try:
            context["wording"] = texts.segments(body, context)
        except Exception:  # any failure of the office's text, a filter's too
            # A saved text this certificate's data does not fit (checked at saving, previewed, yet a
            # value missing here, or a filter given a value it cannot take): the certificate is
            # made with the default wording rather than
            # not at all, every time the same (the same data), and it is logged.
            log.error("certificate %s: the office's text (version %s) failed; made with the default text",
                      number, certificate.get("text_version"), exc_info=True)
            context["wording"] = texts.segments(texts.default_body(), context)
        data = self.renderer.pdf("certificate.html", context, sealed=True)
        suffix = "-duplikat" if duplicate_on is not None else ""
        return dict(pdf_message(f"osvedceni-{number.replace('/', '-')}{suffix}.pdf", data), number=number,
                    duplicate=duplicate_on is not None)

    def _certificate_context(self, registration, event, number, issued_at, duplicate_on, specimen=False):
        verify_url = f"{self.settings.public_base_url}/overeni/{number}"
        return {"registration": registration, "event": event, "number": number, "duplicate": duplicate_on is not None,
                "duplicate_on": duplicate_on, "issued_at": issued_at, "held_on": domain.held_on(event),
                "hours": domain.certificate_hours(registration, event),
                "days_attended": domain.days_attended(registration, event),
                "verify_url": verify_url, "verify_qr": render.qr_data_uri(verify_url), "specimen": specimen,
                "sealed": self.renderer.seal is not None and not specimen, "organiser": self.settings.organiser_name}

    # The office's text of the certificate (texts.py): the console edits it through these, as
    # notifications' texts of the emails (the same names and shapes).

    @rpc(expected_exceptions=EXPECTED)
    def list_texts(self):
        """The certificate's text: whether it is the office's own (which version, who, when)."""
        with self.db.transaction() as tx:
            return usecases.texts_overview(tx)

    @rpc(expected_exceptions=EXPECTED)
    def get_text(self, key):
        """The certificate's text as new certificates get it, its default, the variables and fixed
        blocks it may use and every version saved (who, when)."""
        with self.db.transaction() as tx:
            return usecases.text_detail(tx, str(key))

    @rpc(expected_exceptions=EXPECTED)
    def save_text(self, key, body, by):
        """Check and save a new version (ValidationError with a Czech sentence when a certificate
        could not be made with it); certificates issued from now on use it. One transaction:
        failing halfway, nothing is saved and the former version stays active."""
        with self._uow() as uow:
            version = usecases.save_text(uow, str(key), body, by)
        return {"key": key, "version": version}

    @rpc(expected_exceptions=EXPECTED)
    def revert_text(self, key, by):
        """New certificates go back to the default text (recorded as a version, who and when);
        ``version`` None when they had it already. One transaction, like ``save_text``."""
        with self._uow() as uow:
            version = usecases.revert_text(uow, str(key), by)
        return {"key": key, "version": version}

    @rpc(expected_exceptions=EXPECTED)
    def preview_text(self, key, body, payload):
        """The certificate made with the text ``body`` (checked as at saving) for ``payload`` (a
        real registration's data: ``{"registration", "event"}``), as a PDF marked "UKÁZKA": no
        number is taken, nothing is written to the register, nothing is sealed or sent. An event
        that is not accredited, or data the text needs that the registration lacks, is a Czech
        refusal. Reads nothing of its own."""
        body = usecases.checked(str(key), body)
        if not isinstance(payload, dict) or not isinstance(payload.get("registration"), dict) \
                or not isinstance(payload.get("event"), dict):
            raise ValidationError({"payload": "Očekávám přihlášku a akci."})
        registration, event = payload["registration"], payload["event"]
        if not event.get("accreditation_number") or event.get("hours") is None:
            raise ValidationError({"registration_id": "Osvědčení se vydává jen u akreditovaných programů."},
                                  "Pro ukázku osvědčení zvolte přihlášku na akreditovanou akci (s číslem "
                                  "akreditace a počtem hodin).")
        if not registration.get("attended_at"):  # not attended (yet): the programme's hours, not 0
            registration = dict(registration, attended_hours=None)
        context = self._certificate_context(registration, event, "UKÁZKA", self.clock(), None, specimen=True)
        try:
            context["wording"] = texts.segments(body, context)
        except jinja2.UndefinedError as error:
            raise ValidationError({"body": f"Pro ukázku chybí údaj: {error.message}."},
                                  "Ukázku s těmito údaji udělat nejde: osvědčení potřebuje údaj, který nemají "
                                  f"({error.message}).") from None
        except jinja2.TemplateError as error:  # the sandbox's SecurityError among them
            raise ValidationError({"body": f"Text nejde použít ({error})."}, "Text nejde použít.") from None
        except Exception as error:  # a filter given a value it cannot take, say
            log.info("certificate preview: the office's text failed with these data", exc_info=True)
            raise ValidationError({"body": f"S těmito údaji text nejde použít ({type(error).__name__})."},
                                  "S těmito údaji text nejde použít: některý filtr dostal hodnotu, kterou "
                                  "neumí zpracovat. Použijte podmínku {% if … %}.") from None
        data = self.renderer.pdf("certificate.html", context, sealed=False)
        return pdf_message(f"osvedceni-ukazka-{registration.get('id', 0)}.pdf", data)

    @rpc(expected_exceptions=EXPECTED)
    def verify_certificate(self, number, holder_name=None):
        """What the public verification page (``/overeni/<number>``) tells of certificate ``number``
        (``2026/0001``): that it was issued and is valid, its programme, date, hours and the holder's
        initials; with ``holder_name``, whether that is the holder's name (``domain.public_view``).
        NotFound ``certificate_not_found`` for a number never issued. Reads only."""
        typed = None if holder_name is None else str(holder_name)[:200]
        with self.db.transaction() as tx:
            found = certificates.find(tx, str(number))
        return domain.public_view(found, typed)

    @rpc
    def seal_status(self):
        """The electronic seal on certificates, for the console: ``configured`` False when
        certificates are issued unsealed; else its subject, validity, ``sample`` and ``expired``."""
        return sealing.status(self.renderer.seal, self.renderer.seal_described, self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def erase_holders(self, registration_ids):
        """A person's erasure (``tools.personal_data.erase_person``): the register forgets the
        holder's name on their certificates; the number, dates and programme stay."""
        ids = sorted({int(i) for i in registration_ids})
        with self._uow() as uow:
            return {"holders_erased": certificates.erase_holders(uow, registration_ids=ids)}

    @timer(interval=RETENTION_SECONDS)
    def forget_old_holders(self):
        """Retention: certificates issued CERTIFICATES_KEEP_YEARS ago lose their holder's name in the
        register. One conditional update: a second run, or a second replica, finds nothing more."""
        with self._uow() as uow:
            erased = certificates.erase_holders(
                uow, issued_before=domain.holders_kept_since(uow.now, self.settings.certificates_keep_years))
        if erased:
            log.info("retention: %d certificate holders forgotten", erased)

    @rpc(expected_exceptions=EXPECTED)
    def certificate_numbers(self, registration_ids):
        """The numbers of the certificates issued for these registrations, in one call; a
        registration without a certificate is left out."""
        with self.db.transaction() as tx:
            found = store.certificates_of(tx, sorted({int(i) for i in registration_ids}))
        return [{"registration_id": c["registration_id"], "number": certificates.certificate_number(c)}
                for c in found]

    @rpc(expected_exceptions=EXPECTED)
    def render_training_record(self, record):
        """The evidence of training for the municipality's files, from a record as
        ``registrations.training_record`` or ``organisation_training_record`` gives it. The
        certificate numbers are taken from this service's register (it issues them)."""
        if not isinstance(record, dict) or not isinstance(record.get("people"), list):
            raise ValidationError({"record": "Očekávám evidenci, jak ji vrací registrations.training_record."})
        ids = [t["registration_id"] for p in record["people"] for t in p["trainings"]]
        numbers = {c["registration_id"]: c["number"] for c in self.certificate_numbers(ids)}
        people = sorted((dict(p, trainings=[dict(t, certificate_number=numbers.get(t["registration_id"]))
                                            for t in p["trainings"]]) for p in record["people"]),
                        key=lambda p: (_by_surname(p), p["email"].casefold()))
        organisation = record.get("organisation")
        data = self.renderer.pdf("training_record.html", {
            "record": record, "people": people, "organisation": organisation, "year": record.get("year"),
            "issued_at": self.clock(), "organiser": self.settings.organiser_name})
        suffix = "osobni"
        if organisation:
            suffix = organisation["ico"] + (f"-{record['year']}" if record.get("year") else "")
        return pdf_message(f"evidence-vzdelavani-{suffix}.pdf", data)

    @rpc(expected_exceptions=EXPECTED)
    def render_annual_report(self, year):
        """The annual report for the general assembly, with its charts, from
        ``registrations.annual_report(year)``."""
        report = self.registrations.annual_report(year)
        events, members = report["events"], report["members"]
        figures = {
            "kinds": charts.bar_chart([(k["label"], k["count"]) for k in events["by_kind"]], "Akce podle druhu"),
            "topics": charts.bar_chart([(t["topic"], t["count"]) for t in events["by_topic"]], "Akce podle tématu"),
            "members": charts.bar_chart([("členové", members["attended_members"]),
                                         ("nečlenové", members["attended_non_members"])],
                                        "Účastníci: členové a nečlenové"),
            "districts": charts.bar_chart([(d["district"], d["count"]) for d in report["districts"]],
                                          "Účastníci podle okresu"),
            "organisations": charts.bar_chart([(o["name"], o["attendees"]) for o in report["organisations"][:15]],
                                              "Organizace s nejvíce účastníky"),
        }
        data = self.renderer.pdf("annual_report.html", {
            "report": report, "charts": figures, "rate": czech.percent(report["attendance"]["rate"]),
            "issued_at": self.clock(), "organiser": self.settings.organiser_name})
        return pdf_message(f"vyrocni-zprava-{report['year']}.pdf", data)

    @rpc(expected_exceptions=EXPECTED)
    def render_ministry_report(self, year, accreditation_number):
        """The report on one accredited programme's year for the Ministry of the Interior (§ 39
        zákona č. 312/2002 Sb.), from ``registrations.ministry_report(year, accreditation_number)``."""
        report = self.registrations.ministry_report(year, accreditation_number)
        data = self.renderer.pdf("ministry_report.html", {
            "report": report, "issued_at": self.clock(), "organiser": self.settings.organiser_name})
        number = re.sub(r"[^0-9A-Za-z]+", "-", report["accreditation_number"]).strip("-")
        return pdf_message(f"zprava-mv-{report['year']}-{number}.pdf", data)


def _invoice_filename(invoice):
    prefix = "opravny-doklad" if invoice["kind"] == InvoiceKind.CREDIT_NOTE else "faktura"
    return f"{prefix}-{invoice['number']}.pdf"


def _certificate_view(certificate):
    return {"registration_id": certificate["registration_id"], "number": certificates.certificate_number(certificate),
            "issued_at": certificate["issued_at"].isoformat(), "copies": certificate["copies"],
            "duplicate_issued_at": (certificate["duplicate_issued_at"].isoformat()
                                    if certificate["duplicate_issued_at"] else None),
            "holder_first_name": certificate["holder_first_name"], "holder_last_name": certificate["holder_last_name"],
            "holder_erased_at": (certificate["holder_erased_at"].isoformat()
                                 if certificate["holder_erased_at"] else None),
            "programme": certificate["programme"], "accreditation_number": certificate["accreditation_number"],
            "held_on": certificate["held_on"], "hours": certificate["hours"]}


def _by_surname(registration):
    return collation.sort_key(registration["last_name"]), collation.sort_key(registration["first_name"])
