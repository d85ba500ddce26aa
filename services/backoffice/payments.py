"""The console's pages for fees: what is owed, bank statements, lines to check, refunds, invoices,
and every payment received.

Thin: each page calls the payments service and shows what it answers; the rules (matching,
numbering, credit notes) live there. Every action that pays, settles or issues asks first, with
names and amounts, and says afterwards what it did (``Pages._confirm``, ``Pages._done``); every
change is audited.
"""
from datetime import date

from services.common.czech import day
from services.common.errors import NotFound, ValidationError
from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE, pack
from services.common.vocabulary import InvoiceKind, PaymentStatus

from . import domain
from .domain import StaffRole
from .web import confirmed, document_response, page

RECEIVED_PER_PAGE = 50


class PaymentPages:
    """Mixed into the console service (``staff``): it needs ``payments``, ``statements``,
    ``registrations``, ``_page``, ``_confirm``, ``_done`` and ``_audited`` from it."""

    @page("GET", "/platby", StaffRole.STAFF)
    def payments_overview(self, request):
        return self._payments_page(request)

    def _payments_page(self, request, problem=None, status=200):
        event_id = request.args.get("akce", type=int)
        events = self.registrations.list_events(include_past=True)
        return self._page(request, "payments.html", status=status, events=events, event_id=event_id,
                          unpaid=self.payments.unpaid(event_id), to_check=self.payments.to_check(),
                          refunds=self.payments.refunds_due(), overdue=self.payments.overdue(),
                          problem=problem, bank_api=bool(self.config.get("FIO_API_TOKEN")))

    @page("POST", "/platby/vypis", StaffRole.STAFF, upload=STATEMENT_MAX_BYTES)
    def import_statement(self, request):
        """A statement is read first; when it pays anybody, the office is asked (who is paid, what
        waits for a check), and it is imported once confirmed. One that pays nobody is imported
        at once: its lines only wait for a check."""
        token = request.form.get("vypis")
        try:
            if token and confirmed(request):
                report = self._import_staged(request, token)
            else:
                upload = request.files.get("soubor")
                data = upload.read(STATEMENT_MAX_BYTES + 1) if upload else b""
                if len(data) > STATEMENT_MAX_BYTES:
                    return self._payments_page(request, problem=STATEMENT_TOO_LARGE, status=413)
                report = self.statements.stage_statement(pack(data))
                if report["paid"]:
                    paying = domain.count_of(len(report["paid"]), "platbu", "platby", "plateb")
                    return self._confirm(
                        request, f"Nahrát výpis a započítat {paying}?",
                        domain.statement_consequences(report), "Ano, nahrát a započítat", back="/platby",
                        extra={"vypis": report["token"]})
                report = self._import_staged(request, report["token"])
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/platby", domain.statement_done(report))

    @page("POST", "/platby/banka", StaffRole.STAFF)
    def fetch_from_bank(self, request):
        """New lines from the bank's API, asked and told as a statement is (the timer imports them
        every few minutes anyway; what it imported meanwhile is skipped then)."""
        token = request.form.get("vypis")
        if token and confirmed(request):
            report = self._import_staged(request, token)
        else:
            report = self.statements.stage_from_bank()
            if report["paid"]:
                paying = domain.count_of(len(report["paid"]), "platbu", "platby", "plateb")
                return self._confirm(request, f"Započítat {paying} z banky?", domain.statement_consequences(report),
                                     "Ano, započítat", back="/platby", extra={"vypis": report["token"]})
            report = self._import_staged(request, report["token"])
        return self._done(request, "/platby", domain.statement_done(report))

    def _import_staged(self, request, token):
        """Import a statement read before (``stage_statement``, ``stage_from_bank``), audited."""
        with self._audited(request, "statement_imported", {}) as entry:
            report = self.statements.import_staged(token)
            entry.details.update({key: report[key] for key in (
                "format", "statement_id", "lines", "duplicates", "matched", "to_check", "ignored") if key in report})
        return report

    def _refused(self, request, error):
        """What staff typed was refused: the page again, saying why in Czech."""
        return self._payments_page(request, problem=domain.statement_problem(error.fields, error.message), status=422)

    def _line(self, transaction_id):
        """A bank line on the list to check."""
        found = [line for line in self.payments.to_check() if line["id"] == transaction_id]
        if not found:
            raise NotFound("transaction_not_found", "Platba není mezi platbami ke kontrole: "
                                                    "už je přiřazená nebo vyřízená.")
        return found[0]

    @page("POST", "/platby/<int:transaction_id>/prirazeni", StaffRole.STAFF)
    def match_by_hand(self, request, transaction_id):
        symbol = (request.form.get("vs") or "").strip()
        if not (symbol.isdigit() and len(symbol) <= 10):
            return self._refused(request, ValidationError({"variable_symbol": "Variabilní symbol má 1 až 10 číslic."}))
        line = self._line(transaction_id)
        owed = self._owed_by_symbol(symbol)
        if not owed:
            return self._refused(request, ValidationError({"vs": "S tímto variabilním symbolem nic nezaplaceného "
                                                                 "neevidujeme."}))
        names = ", ".join(p["payer_name"] for p in owed)
        if not confirmed(request):
            due = sum(p["owed_halere"] for p in owed)
            said = [f"Platba {domain.crowns(line['amount_halere'])} ze dne {day(line['booked_on'])} "
                    f"od {line['counter_name'] or 'neznámého plátce'} se započítá na VS {symbol}: "
                    + "; ".join(domain.owed_text(p) for p in owed) + f". Dluží {domain.crowns(due)}.",
                    "Kdo tím má zaplaceno celé, dostane e-mail, že platba došla."]
            if line["amount_halere"] != due:
                said.append("Částka nesedí: platba zůstane ke kontrole jako "
                            + ("nedoplatek." if line["amount_halere"] < due else "přeplatek."))
            return self._confirm(request, f"Přiřadit platbu {domain.crowns(line['amount_halere'])}: {names}?", said,
                                 "Ano, přiřadit platbu", back="/platby")
        try:
            with self._audited(request, "payment_matched", {"transaction_id": transaction_id,
                                                            "variable_symbol": symbol}):
                self.payments.match_by_hand(transaction_id, symbol)
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/platby", f"Platba {domain.crowns(line['amount_halere'])} je přiřazená "
                                              f"k VS {symbol}: {names}.")

    def _owed_by_symbol(self, symbol):
        """What a variable symbol pays that is still open: one registration's, or an invoice's."""
        unpaid = self.payments.unpaid()
        own = [p for p in unpaid if p["variable_symbol"] == symbol]
        if own:
            return own
        numbers = {i["number"] for i in self.payments.list_invoices()
                   if i["kind"] == InvoiceKind.INVOICE and not i["cancelled"] and i["variable_symbol"] == symbol}
        return [p for p in unpaid if numbers & set(p["invoices"])]

    @page("POST", "/platby/<int:transaction_id>/vyrizeno", StaffRole.STAFF)
    def resolve_payment(self, request, transaction_id):
        note = " ".join((request.form.get("poznamka") or "").split())
        if not note:
            return self._refused(request, ValidationError({"note": "Napište, jak byla platba vyřízena."}))
        line = self._line(transaction_id)
        what = (f"{domain.crowns(line['amount_halere'])} ze dne {day(line['booked_on'])}"
                f"{' od ' + line['counter_name'] if line['counter_name'] else ''}"
                f"{', VS ' + line['variable_symbol'] if line['variable_symbol'] else ''}")
        if not confirmed(request):
            return self._confirm(request, f"Označit platbu {what} za vyřízenou?", [
                f"Důvod na seznamu: {line['reason']}. Jak vyřízeno: „{note}“.",
                "Platba zmizí ze seznamu ke kontrole; nic se nezapočítá a nikomu nic neodejde. "
                "Peníze (přeplatek, vratku) pošlete sami."], "Ano, vyřízeno", back="/platby")
        try:
            with self._audited(request, "payment_resolved", {"transaction_id": transaction_id, "note": note}):
                self.payments.resolve(transaction_id, note)
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/platby", f"Platba {what} je vyřízená: {note}.")

    @page("POST", "/platby/prihlaska/<int:registration_id>/hotove", StaffRole.STAFF)
    def paid_in_cash(self, request, registration_id):
        owed = self.payments.payment_of(registration_id)
        back = f"/platby?akce={owed['event_id']}"
        if owed["status"] != PaymentStatus.OPEN:
            return self._done(request, back, f"{owed['payer_name']}: "
                                             + ("už je zaplaceno." if owed["status"] == PaymentStatus.PAID else
                                                "přihláška je zrušená, platbu nelze přijmout."))
        if not confirmed(request):
            return self._confirm(request, f"Přijmout hotově {domain.crowns(owed['owed_halere'])} "
                                          f"od {owed['payer_name']}?", [
                f"Přihláška na akci {owed['event_title']} (VS {owed['variable_symbol']}) bude zaplacená.",
                f"{owed['payer_name']} ({owed['email']}) dostane e-mail, že platba došla.",
                *([f"Je na faktuře {', '.join(owed['invoices'])}: ta zůstane vystavená; "
                   "zaplacení v hotovosti nic nestornuje."] if owed["invoices"] else [])],
                "Ano, zaplaceno hotově", back=back)
        with self._audited(request, "paid_in_cash", {"registration_id": registration_id}) as entry:
            entry.details["amount"] = self.payments.mark_paid(registration_id, "cash")["amount"]
        return self._done(request, back, f"Zaplaceno hotově: {owed['payer_name']}, "
                                         f"{domain.crowns(owed['owed_halere'])}. E-mail odchází.")

    @page("POST", "/platby/vratky/<int:refund_id>", StaffRole.STAFF)
    def settle_refund(self, request, refund_id):
        found = [r for r in self.payments.refunds_due() if r["id"] == refund_id]
        if not found:
            return self._done(request, "/platby", "Tato vratka už je vyřízená.")
        refund, note = found[0], request.form.get("poznamka") or "Vráceno převodem"
        if not confirmed(request):
            amount = domain.crowns(refund["amount_halere"])
            return self._confirm(request, f"Vráceno {amount}: {refund['payer_name']}?", [
                f"Vratka za zrušenou přihlášku na akci {refund['event_title']} (VS {refund['variable_symbol']}) "
                f"zmizí ze seznamu s poznámkou „{note}“.",
                "Systém sám peníze neposílá: potvrďte, až je pošlete z účtu sdružení. Nikomu nic neodejde."],
                "Ano, peníze jsou vrácené", back="/platby")
        with self._audited(request, "refund_settled", {"refund_id": refund_id, "amount": refund["amount"]}):
            self.payments.settle_refund(refund_id, note)
        return self._done(request, "/platby", f"Vratka je vyřízená: {refund['payer_name']}, "
                                              f"{domain.crowns(refund['amount_halere'])}.")

    # Money received

    @page("GET", "/platby/prijate", StaffRole.STAFF)
    def received_payments(self, request):
        """Every payment received, newest first: whom it paid, or why it waits."""
        since, until = (_date_arg(request.args.get(name)) for name in ("od", "do"))
        page_number = max(request.args.get("strana", 1, type=int) or 1, 1)
        listed = self.payments.received_payments(since.isoformat() if since else None,
                                                 until.isoformat() if until else None, page_number,
                                                 RECEIVED_PER_PAGE)
        pages = max((listed["total"] + RECEIVED_PER_PAGE - 1) // RECEIVED_PER_PAGE, 1)
        return self._page(request, "payments_received.html", listed=listed, pages=pages, page_number=page_number,
                          since=request.args.get("od", ""), until=request.args.get("do", ""))

    # Invoices

    @page("GET", "/faktury", StaffRole.STAFF)
    def invoices(self, request):
        return self._page(request, "invoices.html", invoices=self.payments.list_invoices())

    @page("POST", "/faktury/nova", StaffRole.STAFF)
    def issue_invoice(self, request):
        ids = [int(value) for value in request.form.getlist("registration_id") if value.isdigit()]
        if not ids:
            return self._refused(request, ValidationError({"registration_ids": "Vyberte přihlášky na fakturu."}))
        if not confirmed(request):
            owed = [p for p in self.payments.unpaid() if p["registration_id"] in ids]
            if len(owed) != len(set(ids)):
                return self._refused(request, ValidationError({"registration_ids": "Některá vybraná přihláška už "
                                                                                   "nic nedluží."}))
            organisation = self._customer_name(owed[0])
            total = sum(p["amount_halere"] for p in owed)
            return self._confirm(request, f"Vystavit fakturu na {domain.crowns(total)}: {organisation}?", [
                f"Za {domain.count_of(len(owed), 'přihlášku', 'přihlášky', 'přihlášek')}: "
                + "; ".join(domain.owed_text(p) for p in owed) + ".",
                "Faktura dostane další číslo v řadě a odejde e-mailem odběrateli i účastníkům; "
                "smazat ji nelze, jen stornovat dobropisem.",
                *(["Více přihlášek dostane společný variabilní symbol faktury."] if len(owed) > 1 else [])],
                "Ano, vystavit fakturu", back="/platby")
        try:
            with self._audited(request, "invoice_issued", {"registration_ids": ids}) as entry:
                invoice = self.payments.issue_invoice(ids)
                entry.details["number"] = invoice["number"]
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/faktury", f"Faktura {invoice['number']} na "
                                               f"{domain.crowns(invoice['total_halere'])} je vystavená "
                                               f"({invoice['customer']['name']}); e-mail odchází.")

    def _customer_name(self, owed):
        """Whom an invoice for ``owed`` will name: the organisation as the register has it, else
        as typed, else the person."""
        if owed["organisation_ico"]:
            try:
                return self.members.get_organisation(owed["organisation_ico"])["name"]
            except NotFound:
                pass
        return owed["organisation_name"] or owed["payer_name"]

    @page("GET", "/faktury/<number>.pdf", StaffRole.STAFF)
    def invoice_pdf(self, request, number):
        with self._audited(request, "invoice_read", {"number": number, "format": "pdf"}):
            return document_response(self.payments.invoice_pdf(number), "inline")

    @page("GET", "/faktury/<number>.isdoc", StaffRole.STAFF)
    def invoice_isdoc(self, request, number):
        with self._audited(request, "invoice_read", {"number": number, "format": "isdoc"}):
            return document_response(self.payments.invoice_isdoc(number), "attachment")

    @page("POST", "/faktury/<number>/storno", StaffRole.STAFF)
    def cancel_invoice(self, request, number):
        reason = " ".join((request.form.get("duvod") or "").split())
        if not reason:
            return self._refused(request, ValidationError({"reason": "Napište důvod storna."}))
        if not confirmed(request):
            found = [i for i in self.payments.list_invoices()
                     if i["number"] == number and i["kind"] == InvoiceKind.INVOICE]
            if not found:
                raise NotFound("invoice_not_found", "Faktura nebyla nalezena.")
            invoice = found[0]
            return self._confirm(request, f"Stornovat fakturu {number} ({invoice['customer_name']}, "
                                          f"{domain.crowns(invoice['total_halere'])})?", [
                f"Vystaví se dobropis na {domain.crowns(-invoice['total_halere'])} s důvodem „{reason}“ "
                f"a odejde e-mailem na: {', '.join(invoice['recipients']) or 'nikoho'}.",
                "Přihlášky z faktury budou znovu platit každá svým vlastním variabilním symbolem; "
                "co už bylo zaplaceno, zůstává zaplacené.", "Storno nelze vzít zpět."],
                "Ano, stornovat fakturu", back="/faktury", danger=True)
        try:
            with self._audited(request, "invoice_cancelled", {"number": number}) as entry:
                note = self.payments.cancel_invoice(number, reason)
                entry.details["credit_note"] = note["number"]
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/faktury", f"Faktura {number} je stornovaná dobropisem {note['number']}; "
                                               "e-mail odchází.")


def _date_arg(value):
    """A day typed in the filter (``5. 1. 2027`` or as a date input sends it); None when empty or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    parts = [part for part in value.replace(" ", "").split(".") if part]
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day)
    except ValueError:
        return None
