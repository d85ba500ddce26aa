"""The console's pages for fees: what is owed, bank statements, lines to check, refunds, invoices.

Thin: each page calls the payments service and shows what it answers; the
rules (matching, numbering, credit notes) live there. Every change is audited.
"""
from werkzeug.utils import redirect

from services.common.errors import ValidationError
from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE, pack

from . import domain
from .web import document_response, page


class PaymentPages:
    """Mixed into the console service (``staff``): it needs ``payments``, ``statements``,
    ``registrations``, ``_page`` and ``_audited`` from it."""

    @page("GET", "/platby", "staff")
    def payments_overview(self, request):
        return self._payments_page(request)

    def _payments_page(self, request, report=None, problem=None, status=200):
        event_id = request.args.get("akce", type=int)
        events = self.registrations.list_events(include_past=True)
        return self._page(request, "payments.html", status=status, events=events, event_id=event_id,
                          unpaid=self.payments.unpaid(event_id), to_check=self.payments.to_check(),
                          refunds=self.payments.refunds_due(), overdue=self.payments.overdue(), report=report,
                          problem=problem, bank_api=bool(self.config.get("FIO_API_TOKEN")))

    @page("POST", "/platby/vypis", "staff", upload=STATEMENT_MAX_BYTES)
    def import_statement(self, request):
        upload = request.files.get("soubor")
        data = upload.read(STATEMENT_MAX_BYTES + 1) if upload else b""
        if len(data) > STATEMENT_MAX_BYTES:
            return self._payments_page(request, problem=STATEMENT_TOO_LARGE, status=413)
        try:
            with self._audited(request, "statement_imported", {
                    "file": upload.filename if upload else "", "size": len(data)}) as entry:
                report = self.statements.import_statement(pack(data))
                entry.details.update({key: report[key] for key in (
                    "format", "statement_id", "lines", "duplicates", "matched", "to_check")})
        except ValidationError as error:
            return self._refused(request, error)
        return self._payments_page(request, report=report)

    @page("POST", "/platby/banka", "staff")
    def fetch_from_bank(self, request):
        with self._audited(request, "statement_imported", {"format": "fio"}) as entry:
            report = self.statements.fetch_from_bank()
            entry.details.update(report)
        return self._payments_page(request, report=dict(report, format="fio", statement_id=None))

    def _refused(self, request, error):
        """What staff typed was refused: the page again, saying why in Czech."""
        return self._payments_page(request, problem=domain.statement_problem(error.fields, error.message), status=422)

    @page("POST", "/platby/<int:transaction_id>/prirazeni", "staff")
    def match_by_hand(self, request, transaction_id):
        symbol = (request.form.get("vs") or "").strip()
        try:
            with self._audited(request, "payment_matched", {"transaction_id": transaction_id,
                                                            "variable_symbol": symbol}) as entry:
                line = self.payments.match_by_hand(transaction_id, symbol)
                entry.details["variable_symbol"] = line["variable_symbol"]
        except ValidationError as error:
            return self._refused(request, error)
        return redirect("/platby", code=303)

    @page("POST", "/platby/<int:transaction_id>/vyrizeno", "staff")
    def resolve_payment(self, request, transaction_id):
        try:
            with self._audited(request, "payment_resolved", {"transaction_id": transaction_id}):
                self.payments.resolve(transaction_id, request.form.get("poznamka", ""))
        except ValidationError as error:
            return self._refused(request, error)
        return redirect("/platby", code=303)

    @page("POST", "/platby/prihlaska/<int:registration_id>/hotove", "staff")
    def paid_in_cash(self, request, registration_id):
        with self._audited(request, "paid_in_cash", {"registration_id": registration_id}) as entry:
            paid = self.payments.mark_paid(registration_id, "cash")
            entry.details["amount"] = paid["amount"]
        return redirect(f"/platby?akce={paid['event_id']}", code=303)

    @page("POST", "/platby/vratky/<int:refund_id>", "staff")
    def settle_refund(self, request, refund_id):
        with self._audited(request, "refund_settled", {"refund_id": refund_id}):
            self.payments.settle_refund(refund_id, request.form.get("poznamka") or "Vráceno převodem")
        return redirect("/platby", code=303)

    # Invoices

    @page("GET", "/faktury", "staff")
    def invoices(self, request):
        return self._page(request, "invoices.html", invoices=self.payments.list_invoices())

    @page("POST", "/faktury/nova", "staff")
    def issue_invoice(self, request):
        ids = [int(value) for value in request.form.getlist("registration_id") if value.isdigit()]
        try:
            with self._audited(request, "invoice_issued", {"registration_ids": ids}) as entry:
                invoice = self.payments.issue_invoice(ids)
                entry.details["number"] = invoice["number"]
        except ValidationError as error:
            return self._refused(request, error)
        return redirect("/faktury", code=303)

    @page("GET", "/faktury/<number>.pdf", "staff")
    def invoice_pdf(self, request, number):
        with self._audited(request, "invoice_read", {"number": number, "format": "pdf"}):
            return document_response(self.payments.invoice_pdf(number), "inline")

    @page("GET", "/faktury/<number>.isdoc", "staff")
    def invoice_isdoc(self, request, number):
        with self._audited(request, "invoice_read", {"number": number, "format": "isdoc"}):
            return document_response(self.payments.invoice_isdoc(number), "attachment")

    @page("POST", "/faktury/<number>/storno", "staff")
    def cancel_invoice(self, request, number):
        try:
            with self._audited(request, "invoice_cancelled", {"number": number}) as entry:
                note = self.payments.cancel_invoice(number, request.form.get("duvod", ""))
                entry.details["credit_note"] = note["number"]
        except ValidationError as error:
            return self._refused(request, error)
        return redirect("/faktury", code=303)
