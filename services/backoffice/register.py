"""The console's pages for the member register (admin): browse it by district and membership a
page at a time, search it, look up an IČO in ARES, edit an organisation and its contacts, and
import it from the CSV that Czech Excel saves.

Thin: the members service keeps the register and its rules; these pages ask before an import
stores anything and say afterwards what was saved.
"""

from services.common.errors import ServiceUnavailable, ValidationError, outage
from services.common.ico import ico_error
from services.common.spreadsheet import UnreadableText, spreadsheet_text
from services.common.vocabulary import LookupSource, LookupStatus

from . import domain, forms
from .domain import StaffRole
from .web import confirmed, page

PER_PAGE = 50
# The register as Czech Excel saves it: some 200 organisations are a few dozen kB; the confirmation
# posts the file back as base64 (a third larger), so the page takes that much.
MEMBERS_CSV_MAX_BYTES = 2 * 1024 * 1024
PORTAL_LOGINS_SHOWN = 20


class MemberPages:
    """Mixed into the console service (``admin``): it needs ``members``, ``_page``, ``_confirm``,
    ``_done`` and ``_audited`` from it."""

    @page("GET", "/clenove", StaffRole.ADMIN)
    def members_search(self, request):
        return self._members_page(request)

    @page("POST", "/clenove/pridat", StaffRole.ADMIN)
    def add_organisation(self, request):
        """Add an organisation that is not in the register, as ARES has it (members kept ARES's
        answer from the search, so ARES is not asked again); it is not a member until made one."""
        ico = forms.ico(request.form)
        found = self.members.lookup_organisation(ico)
        if found["status"] != LookupStatus.FOUND:
            return self._members_page(request, status=409, query=ico, lookup=found)
        if found["source"] != LookupSource.ARES:
            return self._done(request, f"/clenove/{ico}", domain.organisation_already_kept(found["name"], ico))
        with self._audited(request, "organisation_added", {"ico": ico, "name": found["name"]}):
            self.members.upsert_organisation(domain.ares_organisation(found))
        return self._done(request, f"/clenove/{ico}", domain.organisation_added(found["name"], ico))

    @page("GET", "/clenove/<ico>", StaffRole.ADMIN)
    def organisation(self, request, ico):
        organisation = self.members.get_organisation(ico)
        # The contacts and the documents' deliveries to the data box: one audited read, the row saying
        # how many of each were shown (a listing of documents, like the contacts, not their content).
        with self._audited(request, "contacts_viewed", {"ico": ico, "name": organisation["name"]}) as entry:
            contacts = self.members.list_contacts(ico)
            entry.details["contacts"] = len(contacts)
            deliveries = self._databox_deliveries(ico)
            entry.details["databox_deliveries"] = None if deliveries is None else len(deliveries)
        return self._page(request, "organisation.html", organisation=organisation, contacts=contacts,
                          logins=self.registrations.portal_logins(ico, PORTAL_LOGINS_SHOWN),
                          channel=domain.DELIVERY_CHANNEL_LABELS.get(organisation.get("delivery_channel"),
                                                                     "e-mailem"),
                          deliveries=deliveries)

    @page("GET", "/clenove/<ico>/upravit", StaffRole.ADMIN)
    def organisation_form(self, request, ico):
        organisation = self.members.get_organisation(ico)
        return self._organisation_form(request, organisation, forms.organisation_values(organisation), {})

    @page("POST", "/clenove/<ico>/upravit", StaffRole.ADMIN)
    def edit_organisation(self, request, ico):
        """Save the organisation's form (it can be changed back, so it is not asked first), then
        say what changed; a refusal shows the form again with Czech messages at its fields."""
        organisation = self.members.get_organisation(ico)
        values, changes = forms.organisation(request.form)
        try:
            with self._audited(request, "organisation_edited", {"ico": ico, "name": organisation["name"]}) as entry:
                answer = self.members.edit_organisation(ico, changes)
                entry.details.update(name=answer["organisation"]["name"],
                                     changed=domain.changed_text(answer["changed"]))
        except ValidationError as error:
            return self._organisation_form(request, organisation, values, error.fields, status=422)
        saved = answer["organisation"]
        return self._done(request, f"/clenove/{ico}",
                          domain.organisation_saved(saved["name"], answer["changed"], saved["delivery_channel"]))

    @page("GET", "/clenove/<ico>/kontakty/novy", StaffRole.ADMIN)
    def contact_new_form(self, request, ico):
        organisation = self.members.get_organisation(ico)
        return self._contact_form(request, organisation, None, {"wants_announcements": "ano"}, {})

    @page("POST", "/clenove/<ico>/kontakty/novy", StaffRole.ADMIN)
    def add_contact(self, request, ico):
        organisation = self.members.get_organisation(ico)
        values, data = forms.contact(request.form)
        try:
            with self._audited(request, "contact_added", {"ico": ico}) as entry:
                contact = self.members.add_contact(ico, data)
                entry.details.update(contact_id=contact["id"], name=domain.full_name(contact))
        except ValidationError as error:
            return self._contact_form(request, organisation, None, values, error.fields, status=422)
        name = domain.full_name(contact)
        return self._done(request, f"/clenove/{ico}", f"Kontakt {name} je přidán k organizaci {organisation['name']}.")

    @page("GET", "/clenove/<ico>/kontakty/<int:contact_id>", StaffRole.ADMIN)
    def contact_form(self, request, ico, contact_id):
        organisation = self.members.get_organisation(ico)
        with self._audited(request, "contact_viewed", {"ico": ico, "contact_id": contact_id}) as entry:
            contact = domain.contact_of(self.members.list_contacts(ico), contact_id)
            entry.details["name"] = domain.full_name(contact)
        return self._contact_form(request, organisation, contact, forms.contact_values(contact), {})

    @page("POST", "/clenove/<ico>/kontakty/<int:contact_id>", StaffRole.ADMIN)
    def edit_contact(self, request, ico, contact_id):
        organisation = self.members.get_organisation(ico)
        contact = domain.contact_of(self.members.list_contacts(ico), contact_id)
        values, data = forms.contact(request.form)
        try:
            with self._audited(request, "contact_edited", {"ico": ico, "contact_id": contact_id,
                                                           "name": domain.full_name(contact)}) as entry:
                answer = self.members.update_contact(ico, contact_id, data)
                name, changed = domain.full_name(answer["contact"]), domain.contact_changes(answer["changed"])
                entry.details.update(name=name, changed=changed)
        except ValidationError as error:
            return self._contact_form(request, organisation, contact, values, error.fields, status=422)
        return self._done(request, f"/clenove/{ico}", f"Kontakt {name} je uložen: {changed}.")

    @page("POST", "/clenove/<ico>/kontakty/<int:contact_id>/odebrat", StaffRole.ADMIN)
    def remove_contact(self, request, ico, contact_id):
        """Remove a contact: it cannot be undone, so it is asked first."""
        organisation = self.members.get_organisation(ico)
        contact = domain.contact_of(self.members.list_contacts(ico), contact_id)
        name = domain.full_name(contact)
        if not confirmed(request):
            return self._confirm(request, f"Odebrat kontakt {name}?",
                                 domain.remove_contact_consequences(contact, organisation), "Ano, odebrat kontakt",
                                 back=f"/clenove/{ico}", danger=True)
        with self._audited(request, "contact_removed", {"ico": ico, "contact_id": contact_id, "name": name}):
            self.members.remove_contact(contact_id, ico)
        return self._done(request, f"/clenove/{ico}", f"Kontakt {name} je odebrán z organizace {organisation['name']}.")

    @page("POST", "/clenove/import", StaffRole.ADMIN, upload=MEMBERS_CSV_MAX_BYTES * 4 // 3)
    def import_members(self, request):
        """Import the register from CSV: first read it (UTF-8 or Windows-1250, as Excel saves it)
        and ask with the counts of what would be stored; confirmed, store it and say what was."""
        if confirmed(request):
            return self._store_import(request)
        upload = forms.upload(request.files, MEMBERS_CSV_MAX_BYTES)
        if not upload.filename:
            return self._members_page(request, status=422, problem="Vyberte soubor CSV s evidencí.")
        if upload.too_large:
            return self._members_page(request, status=413, problem="Soubor je příliš velký: evidence může mít "
                                      f"nejvýše {MEMBERS_CSV_MAX_BYTES // (1024 * 1024)} MB.")
        try:
            text = spreadsheet_text(upload.data)
            plan = self.members.import_organisations_csv(text, dry_run=True)
        except (UnreadableText, ValidationError) as refusal:
            return self._members_page(request, status=422, problem=refusal.message)
        if not plan["created"] and not plan["updated"]:
            return self._members_page(request, status=200 if not plan["failed"] else 422, report=plan)
        return self._page(request, "confirm.html", question=domain.import_question(plan),
                          consequences=domain.import_consequences(plan), button="Ano, nahrát", back="/clenove",
                          danger=False, action=request.path, fields=[("obsah", forms.carried(text)),
                                                                     ("nazev", upload.filename)])

    # Helpers

    def _store_import(self, request):
        """The import confirmed: the file read before comes back in the form, and is stored."""
        text = forms.carried_back(request.form, "obsah")
        if text is None:
            return self._members_page(request, status=422, problem="Formulář vypršel. Nahrajte soubor znovu.")
        with self._audited(request, "members_imported", {"file": request.form.get("nazev", "")}) as entry:
            report = self.members.import_organisations_csv(text)
            entry.details.update({key: report[key] for key in ("created", "updated", "failed")})
        return self._done(request, "/clenove", domain.import_done(report))

    def _members_page(self, request, status=200, query=None, lookup=None, report=None, problem=None):
        """The register: a page of it as filtered (``okres``, ``clenstvi``, ``hledat``, ``strana``),
        the lookup of a whole IČO (the register, else ARES), and the import's outcome or refusal."""
        districts = self.members.districts()
        shown = forms.register_filter(request.args, districts, query)
        listing = self.members.list_organisations(shown.district, domain.MEMBERSHIP_FILTERS.get(shown.membership),
                                                  shown.page, PER_PAGE, shown.query or None)
        if lookup is None and ico_error(shown.query) is None:
            lookup = self.members.lookup_organisation(shown.query)
        return self._page(request, "members.html", status=status, query=shown.query, districts=districts,
                          district=shown.district, shown=shown.membership, listing=listing, lookup=lookup,
                          report=report, problem=problem, **domain.register_links(shown, listing))

    def _organisation_form(self, request, organisation, values, errors, status=200):
        return self._page(request, "organisation_form.html", status=status, organisation=organisation,
                          values=values, errors=errors, kinds=self.members.kinds(),
                          districts=self.members.districts(), channels=domain.DELIVERY_CHANNEL_LABELS)

    def _databox_deliveries(self, ico):
        """The organisation's documents sent to its data box (``domain.databox_rows``), or None when
        notifications is away: the rest of the organisation's page still shows."""
        try:
            return domain.databox_rows(self.notifications.databox_deliveries(ico))
        except Exception as error:
            if outage(error) is None and not isinstance(error, ServiceUnavailable):
                raise
            return None

    @page("POST", "/clenove/<ico>/kontakty/<int:contact_id>/pristup", StaffRole.ADMIN)
    def contact_portal_access(self, request, ico, contact_id):
        """Allow or withdraw a contact's login to the municipality's page (it can be changed back, so
        it is not asked first); says afterwards what changed."""
        organisation = self.members.get_organisation(ico)
        contact = domain.contact_of(self.members.list_contacts(ico), contact_id)
        allowed = request.form.get("pristup") == "ano"
        name = domain.full_name(contact)
        with self._audited(request, "contact_portal_access", {"ico": ico, "contact_id": contact_id, "name": name,
                                                              "allowed": allowed}):
            self.members.set_portal_access(ico, contact_id, allowed)
        return self._done(request, f"/clenove/{ico}/kontakty/{contact_id}",
                          domain.portal_access_done(name, organisation["name"], allowed))

    def _contact_form(self, request, organisation, contact, values, errors, status=200):
        return self._page(request, "contact_form.html", status=status, organisation=organisation,
                          contact=contact, values=values, errors=errors)
