"""The console's pages for records: an organisation's evidence of training (zákon č. 312/2002 Sb.)
and the annual report for the general assembly, each to read and to download as CSV and PDF.

Thin: registrations gathers the data, documents renders the PDFs.
"""
from urllib.parse import urlencode

from werkzeug.utils import redirect

from services.common.czech import local, percent
from services.common.errors import ServiceUnavailable, outage

from . import domain, forms
from .domain import StaffRole
from .web import csv_response, document_response, page


class RecordPages:
    """Mixed into the console service (``staff``): it needs ``registrations``, ``documents``,
    ``clock``, ``_page`` and ``_audited`` (a record is a person's personal data) from it."""

    @page("GET", "/vzdelavani", StaffRole.STAFF)
    def training_records(self, request):
        """Find a record: an organisation's by its name or IČO (``organizace``, offered from the
        register as one types; a name typed without choosing lists the organisations it matches),
        or a person's by their name or email (``osoba``). ``ico`` opens one straight away."""
        search = forms.record_search(request.args)
        found = domain.record_address(search)
        if found:
            return redirect(found, code=303)
        named, person = search.named, search.person
        return self._page(request, "training_records.html", year=local(self.clock()).year, typed_year=search.year,
                          named=named, person=person, names=self._organisation_names(),
                          organisations=self.members.find_organisations(named, 30) if named else None,
                          people=self.registrations.find_trainees(person, 30) if person else None,
                          query=domain.year_query(search.year))

    @page("GET", "/vzdelavani/osoba", StaffRole.STAFF)
    def person_training_record(self, request):
        """A person's record over all events, by their email (in any case); without one, the search."""
        email = forms.trainee_email(request.args)
        if not email:
            return redirect("/vzdelavani", code=303)
        with self._audited(request, "training_record_viewed", {"email": email}):
            record = self.registrations.training_record(email)
        return self._page(request, "training_person.html", record=record)

    @page("GET", "/vzdelavani/osoba/evidence.pdf", StaffRole.STAFF)
    def person_training_record_pdf(self, request):
        email = forms.trainee_email(request.args)
        with self._audited(request, "training_record_downloaded", {"email": email, "format": "pdf"}):
            record = self.registrations.training_record(email)
            return document_response(self.documents.render_training_record(record), "attachment")

    @page("GET", "/vzdelavani/<ico>", StaffRole.STAFF)
    def organisation_training_record(self, request, ico):
        year = forms.year(request.args)
        with self._audited(request, "training_record_viewed", {"ico": ico, "year": year}):
            record = self.registrations.organisation_training_record(ico, year)
        return self._page(request, "training_record.html", record=record, query=domain.year_query(year))

    @page("GET", "/vzdelavani/<ico>/evidence.csv", StaffRole.STAFF)
    def organisation_training_record_csv(self, request, ico):
        year = forms.year(request.args)
        with self._audited(request, "training_record_downloaded", {"ico": ico, "year": year, "format": "csv"}):
            return csv_response(self.registrations.export_organisation_training_record(ico, year),
                                f"evidence-vzdelavani-{ico}{f'-{year}' if year else ''}.csv")

    @page("GET", "/vzdelavani/<ico>/evidence.pdf", StaffRole.STAFF)
    def organisation_training_record_pdf(self, request, ico):
        year = forms.year(request.args)
        with self._audited(request, "training_record_downloaded", {"ico": ico, "year": year, "format": "pdf"}):
            record = self.registrations.organisation_training_record(ico, year)
            return document_response(self.documents.render_training_record(record), "attachment")

    @page("GET", "/vyrocni-zprava", StaffRole.STAFF)
    def annual_report(self, request):
        year = forms.year(request.args) or local(self.clock()).year
        report = self.registrations.annual_report(year)
        return self._page(request, "annual_report.html", report=report, rate=percent(report["attendance"]["rate"]))

    @page("GET", "/vyrocni-zprava/zprava.csv", StaffRole.STAFF)
    def annual_report_csv(self, request):
        year = forms.year(request.args) or local(self.clock()).year
        return csv_response(self.registrations.export_annual_report(year), f"vyrocni-zprava-{year}.csv")

    @page("GET", "/vyrocni-zprava/zprava.pdf", StaffRole.STAFF)
    def annual_report_pdf(self, request):
        year = forms.year(request.args) or local(self.clock()).year
        return document_response(self.documents.render_annual_report(year), "attachment")

    @page("GET", "/vyrocni-zprava/ministerstvo", StaffRole.STAFF)
    def ministry_report(self, request):
        """The report to the Ministry (§ 39 zákona č. 312/2002 Sb.): choose the year and one of its
        accreditation numbers, see the report, download it. It counts and names nobody, so reading
        it is not audited as a person's data is."""
        year = forms.year(request.args) or local(self.clock()).year
        number = forms.accreditation(request.args)
        offered = self.registrations.ministry_accreditations(year)
        report = self.registrations.ministry_report(year, number) if number else None
        return self._page(request, "ministry_report.html", year=offered["year"], chosen=number, report=report,
                          numbers=offered["accreditation_numbers"],
                          query=urlencode({"rok": offered["year"], "akreditace": number}))

    @page("GET", "/vyrocni-zprava/ministerstvo/zprava.csv", StaffRole.STAFF)
    def ministry_report_csv(self, request):
        year = forms.year(request.args) or local(self.clock()).year
        number = forms.accreditation(request.args)
        text = self.registrations.export_ministry_report(year, number)
        return csv_response(text, f"zprava-mv-{year}-{domain.file_part(number)}.csv")

    @page("GET", "/vyrocni-zprava/ministerstvo/zprava.pdf", StaffRole.STAFF)
    def ministry_report_pdf(self, request):
        year = forms.year(request.args) or local(self.clock()).year
        return document_response(self.documents.render_ministry_report(year, forms.accreditation(request.args)),
                                 "attachment")


    def _organisation_names(self):
        """Every organisation of the register as the search field offers it, ``Name (IČO)``; none
        when the members service is away (the IČO still finds a record)."""
        try:
            register = self.members.membership_register()
        except Exception as error:
            if outage(error) is None and not isinstance(error, ServiceUnavailable):
                raise
            return []
        return [domain.organisation_choice(o) for o in register]
