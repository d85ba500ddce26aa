"""The console's pages for fees: what is owed, bank statements, lines to check, refunds, invoices,
every payment received, and the accountant's export of a month ("Účetnictví").

Thin: each page calls the payments service and shows what it answers; the rules (matching,
numbering, credit notes) live there. Every action that pays, settles or issues asks first, with
names and amounts, and says afterwards what it did (``Pages._confirm``, ``Pages._done``); every
change is audited.
"""
from services.common.czech import local
from services.common.errors import NotFound, ValidationError
from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE, pack
from services.common.vocabulary import PaymentStatus

from . import domain, forms
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
                          problem=problem, bank_api=self.settings.bank_api)

    @page("POST", "/platby/vypis", StaffRole.STAFF, upload=STATEMENT_MAX_BYTES)
    def import_statement(self, request):
        """A statement is read first; when it pays anybody, the office is asked (who is paid, what
        waits for a check), and it is imported once confirmed. One that pays nobody is imported
        at once: its lines only wait for a check."""
        token = request.form.get("vypis")
        try:
            if token and confirmed(request):
                return self._done(request, "/platby", domain.statement_done(self._import_staged(request, token)))
            upload = forms.upload(request.files, STATEMENT_MAX_BYTES)
            if upload.too_large:
                return self._payments_page(request, problem=STATEMENT_TOO_LARGE, status=413)
            return self._staged(request, self.statements.stage_statement(pack(upload.data)))
        except ValidationError as error:
            return self._refused(request, error)

    @page("POST", "/platby/banka", StaffRole.STAFF)
    def fetch_from_bank(self, request):
        """New lines from the bank's API, asked and told as a statement is (the timer imports them
        every few minutes anyway; what it imported meanwhile is skipped then)."""
        token = request.form.get("vypis")
        if token and confirmed(request):
            return self._done(request, "/platby", domain.statement_done(self._import_staged(request, token)))
        return self._staged(request, self.statements.stage_from_bank(), from_bank=True)

    def _staged(self, request, report, from_bank=False):
        """After a statement was read (``stage_statement``, ``stage_from_bank``): when it pays
        anybody, the question; else it is imported at once."""
        if report["paid"]:
            return self._confirm(request, domain.statement_question(report, from_bank),
                                 domain.statement_consequences(report),
                                 "Ano, započítat" if from_bank else "Ano, nahrát a započítat", back="/platby",
                                 extra={"vypis": report["token"]})
        return self._done(request, "/platby", domain.statement_done(self._import_staged(request, report["token"])))

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
        line = domain.by_id(self.payments.to_check(), transaction_id)
        if line is None:
            raise NotFound("transaction_not_found", "Platba není mezi platbami ke kontrole: "
                                                    "už je přiřazená nebo vyřízená.")
        return line

    @page("POST", "/platby/<int:transaction_id>/prirazeni", StaffRole.STAFF)
    def match_by_hand(self, request, transaction_id):
        try:
            symbol = forms.variable_symbol(request.form)
        except ValidationError as error:
            return self._refused(request, error)
        line, owed = self._line(transaction_id), self._owed_by_symbol(symbol)
        if not owed:
            return self._refused(request, ValidationError({"vs": "S tímto variabilním symbolem nic nezaplaceného "
                                                                 "neevidujeme."}))
        if not confirmed(request):
            return self._confirm(request, domain.match_question(line, owed),
                                 domain.match_consequences(line, symbol, owed), "Ano, přiřadit platbu", back="/platby")
        try:
            with self._audited(request, "payment_matched", {"transaction_id": transaction_id,
                                                            "variable_symbol": symbol}):
                self.payments.match_by_hand(transaction_id, symbol)
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/platby", domain.match_done(line, symbol, owed))

    def _owed_by_symbol(self, symbol):
        """What a variable symbol pays that is still open: one registration's, or an invoice's."""
        unpaid = self.payments.unpaid()
        return domain.owed_by_symbol(unpaid, symbol) or domain.owed_by_invoice(unpaid, self.payments.list_invoices(),
                                                                               symbol)

    @page("POST", "/platby/<int:transaction_id>/vyrizeno", StaffRole.STAFF)
    def resolve_payment(self, request, transaction_id):
        try:
            note = forms.resolution_note(request.form)
        except ValidationError as error:
            return self._refused(request, error)
        line = self._line(transaction_id)
        if not confirmed(request):
            return self._confirm(request, f"Označit platbu {domain.line_text(line)} za vyřízenou?",
                                 domain.resolve_consequences(line, note), "Ano, vyřízeno", back="/platby")
        try:
            with self._audited(request, "payment_resolved", {"transaction_id": transaction_id, "note": note}):
                self.payments.resolve(transaction_id, note)
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/platby", f"Platba {domain.line_text(line)} je vyřízená: {note}.")

    @page("POST", "/platby/prihlaska/<int:registration_id>/hotove", StaffRole.STAFF)
    def paid_in_cash(self, request, registration_id):
        owed = self.payments.payment_of(registration_id)
        back = f"/platby?akce={owed['event_id']}"
        if owed["status"] != PaymentStatus.OPEN:
            return self._done(request, back, domain.not_payable(owed))
        if not confirmed(request):
            return self._confirm(request, f"Přijmout hotově {domain.crowns(owed['owed_halere'])} "
                                          f"od {owed['payer_name']}?", domain.cash_consequences(owed),
                                 "Ano, zaplaceno hotově", back=back)
        with self._audited(request, "paid_in_cash", {"registration_id": registration_id}) as entry:
            entry.details["amount"] = self.payments.mark_paid(registration_id, "cash")["amount"]
        return self._done(request, back, f"Zaplaceno hotově: {owed['payer_name']}, "
                                         f"{domain.crowns(owed['owed_halere'])}. E-mail odchází.")

    @page("POST", "/platby/vratky/<int:refund_id>", StaffRole.STAFF)
    def settle_refund(self, request, refund_id):
        refund = domain.by_id(self.payments.refunds_due(), refund_id)
        if refund is None:
            return self._done(request, "/platby", "Tato vratka už je vyřízená.")
        note = forms.refund_note(request.form)
        if not confirmed(request):
            return self._confirm(request, f"Vráceno {domain.crowns(refund['amount_halere'])}: {refund['payer_name']}?",
                                 domain.refund_consequences(refund, note), "Ano, peníze jsou vrácené", back="/platby")
        with self._audited(request, "refund_settled", {"refund_id": refund_id, "amount": refund["amount"]}):
            self.payments.settle_refund(refund_id, note)
        return self._done(request, "/platby", f"Vratka je vyřízená: {refund['payer_name']}, "
                                              f"{domain.crowns(refund['amount_halere'])}.")

    # Money received

    @page("GET", "/platby/prijate", StaffRole.STAFF)
    def received_payments(self, request):
        """Every payment received, newest first: whom it paid, or why it waits."""
        since, until, page_number = forms.received_filter(request.args)
        listed = self.payments.received_payments(since, until, page_number, RECEIVED_PER_PAGE)
        return self._page(request, "payments_received.html", listed=listed,
                          pages=domain.page_count(listed["total"], RECEIVED_PER_PAGE), page_number=page_number,
                          since=request.args.get("od", ""), until=request.args.get("do", ""))

    # Invoices

    @page("GET", "/faktury", StaffRole.STAFF)
    def invoices(self, request):
        return self._page(request, "invoices.html", invoices=self.payments.list_invoices())

    @page("POST", "/faktury/nova", StaffRole.STAFF)
    def issue_invoice(self, request):
        ids = forms.ids(request.form, "registration_id")
        if not ids:
            return self._refused(request, ValidationError({"registration_ids": "Vyberte přihlášky na fakturu."}))
        if not confirmed(request):
            return self._invoice_question(request, ids)
        try:
            with self._audited(request, "invoice_issued", {"registration_ids": ids}) as entry:
                invoice = self.payments.issue_invoice(ids)
                entry.details["number"] = invoice["number"]
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/faktury", f"Faktura {invoice['number']} na "
                                               f"{domain.crowns(invoice['total_halere'])} je vystavená "
                                               f"({invoice['customer']['name']}); e-mail odchází.")

    def _invoice_question(self, request, ids):
        """Before an invoice for the registrations ``ids``: for whom, how much, what follows."""
        owed = domain.owed_by_registrations(self.payments.unpaid(), ids)
        if len(owed) != len(set(ids)):
            return self._refused(request, ValidationError({"registration_ids": "Některá vybraná přihláška už "
                                                                               "nic nedluží."}))
        total = sum(p["amount_halere"] for p in owed)
        return self._confirm(request, f"Vystavit fakturu na {domain.crowns(total)}: {self._customer_name(owed[0])}?",
                             domain.invoice_consequences(owed), "Ano, vystavit fakturu", back="/platby")

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
        try:
            reason = forms.storno_reason(request.form)
        except ValidationError as error:
            return self._refused(request, error)
        if not confirmed(request):
            invoice = domain.invoice_numbered(self.payments.list_invoices(), number)
            return self._confirm(request, f"Stornovat fakturu {number} ({invoice['customer_name']}, "
                                          f"{domain.crowns(invoice['total_halere'])})?",
                                 domain.storno_consequences(invoice, reason), "Ano, stornovat fakturu",
                                 back="/faktury", danger=True)
        try:
            with self._audited(request, "invoice_cancelled", {"number": number}) as entry:
                note = self.payments.cancel_invoice(number, reason)
                entry.details["credit_note"] = note["number"]
        except ValidationError as error:
            return self._refused(request, error)
        return self._done(request, "/faktury", f"Faktura {number} je stornovaná dobropisem {note['number']}; "
                                               "e-mail odchází.")

    # The accountant's export

    @page("GET", "/ucetnictvi", StaffRole.STAFF)
    def accounting(self, request):
        """A month for the accountant (the previous one unless chosen): what it holds, counted and
        summed, and its three files. It names nobody, so showing it is not audited; each download,
        which does, is."""
        try:
            month = forms.accounting_month(request.args, local(self.clock()).date())
        except ValidationError as error:
            return self._page(request, "accounting.html", status=422, month=request.args.get("mesic", "")[:20],
                              overview=None, problem=error.message)
        return self._page(request, "accounting.html", month=month, overview=self.payments.accounting_overview(month),
                          problem=None)

    @page("GET", "/ucetnictvi/pohoda.xml", StaffRole.STAFF)
    def accounting_pohoda(self, request):
        return self._accounting_file(request, "pohoda")

    @page("GET", "/ucetnictvi/podklady.xlsx", StaffRole.STAFF)
    def accounting_workbook(self, request):
        return self._accounting_file(request, "xlsx")

    @page("GET", "/ucetnictvi/isdoc.zip", StaffRole.STAFF)
    def accounting_isdocs(self, request):
        return self._accounting_file(request, "isdoc")

    def _accounting_file(self, request, format):
        """One file of the month's export, a read of personal data (names, addresses): audited
        before it is made. A month that is none is refused in Czech (422) with no audit row; a
        month with nothing for POHODA is refused by payments (409, said in Czech, audited so)."""
        month = forms.accounting_month(request.args, local(self.clock()).date())
        with self._audited(request, "accounting_exported", {"month": domain.month_label(month),
                                                            "format": domain.ACCOUNTING_FORMATS[format]}):
            return document_response(self.payments.accounting_export(month, format), "attachment")
