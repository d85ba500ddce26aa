"""The console's pages for the member register (admin): browse it by district and membership a
page at a time, search it, look up an IČO in ARES, edit an organisation and its contacts, and
import it from the CSV that Czech Excel saves.

Thin: the members service keeps the register and its rules; these pages ask before an import
stores anything and say afterwards what was saved.
"""
import base64
import binascii
from urllib.parse import urlencode

from werkzeug.utils import redirect

from services.common.errors import NotFound, ValidationError
from services.common.ico import ico_error
from services.common.spreadsheet import UnreadableText, spreadsheet_text
from services.common.vocabulary import LookupSource, LookupStatus

from . import domain
from .domain import StaffRole
from .web import confirmed, page

PER_PAGE = 50
# The register as Czech Excel saves it: some 200 organisations are a few dozen kB; the confirmation
# posts the file back as base64 (a third larger), so the page takes that much.
MEMBERS_CSV_MAX_BYTES = 2 * 1024 * 1024
ORGANISATION_FORM = ("name", "kind", "district", "address", "email", "phone", "dic", "billing_email",
                     "member_since", "member_until")
CONTACT_FORM = ("first_name", "last_name", "role", "email", "phone")


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
        ico = (request.form.get("ico") or "").strip()
        if ico_error(ico):
            raise ValidationError({"ico": ico_error(ico)})
        found = self.members.lookup_organisation(ico)
        if found["status"] != LookupStatus.FOUND:
            return self._members_page(request, status=409, query=ico, lookup=found)
        if found["source"] == LookupSource.ARES:
            with self._audited(request, "organisation_added", {"ico": ico, "name": found["name"]}):
                self.members.upsert_organisation({field: found[field] for field in (
                    "ico", "name", "kind", "district", "address", "dic")})
        return redirect(f"/clenove/{ico}", code=303)

    @page("GET", "/clenove/<ico>", StaffRole.ADMIN)
    def organisation(self, request, ico):
        organisation = self.members.get_organisation(ico)
        with self._audited(request, "contacts_viewed", {"ico": ico, "name": organisation["name"]}) as entry:
            contacts = self.members.list_contacts(ico)
            entry.details["contacts"] = len(contacts)
        return self._page(request, "organisation.html", organisation=organisation, contacts=contacts)

    @page("GET", "/clenove/<ico>/upravit", StaffRole.ADMIN)
    def organisation_form(self, request, ico):
        organisation = self.members.get_organisation(ico)
        return self._organisation_form(request, organisation, _organisation_values(organisation), {})

    @page("POST", "/clenove/<ico>/upravit", StaffRole.ADMIN)
    def edit_organisation(self, request, ico):
        """Save the organisation's form (it can be changed back, so it is not asked first), then
        say what changed; a refusal shows the form again with Czech messages at its fields."""
        organisation = self.members.get_organisation(ico)
        values = {name: request.form.get(name, "") for name in ORGANISATION_FORM}
        changes = {name: value.strip() or None for name, value in values.items()}
        changes.update(name=values["name"], member_since=domain.form_day(values["member_since"]),
                       member_until=domain.form_day(values["member_until"]))
        try:
            with self._audited(request, "organisation_edited", {"ico": ico, "name": organisation["name"]}) as entry:
                answer = self.members.edit_organisation(ico, changes)
                entry.details.update(name=answer["organisation"]["name"],
                                     changed=domain.changed_text(answer["changed"]))
        except ValidationError as error:
            return self._organisation_form(request, organisation, values, error.fields, status=422)
        saved = answer["organisation"]
        return self._done(request, f"/clenove/{ico}",
                          f"Organizace {saved['name']} je uložena: {domain.changed_text(answer['changed'])}.")

    @page("GET", "/clenove/<ico>/kontakty/novy", StaffRole.ADMIN)
    def contact_new_form(self, request, ico):
        organisation = self.members.get_organisation(ico)
        return self._contact_form(request, organisation, None, {"wants_announcements": "ano"}, {})

    @page("POST", "/clenove/<ico>/kontakty/novy", StaffRole.ADMIN)
    def add_contact(self, request, ico):
        organisation = self.members.get_organisation(ico)
        values, data = _contact_input(request)
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
            contact = _contact_of(self.members.list_contacts(ico), contact_id)
            entry.details["name"] = domain.full_name(contact)
        values = {name: contact[name] or "" for name in CONTACT_FORM}
        values["wants_announcements"] = "ano" if contact["wants_announcements"] else "ne"
        return self._contact_form(request, organisation, contact, values, {})

    @page("POST", "/clenove/<ico>/kontakty/<int:contact_id>", StaffRole.ADMIN)
    def edit_contact(self, request, ico, contact_id):
        organisation = self.members.get_organisation(ico)
        contact = _contact_of(self.members.list_contacts(ico), contact_id)
        values, data = _contact_input(request)
        try:
            with self._audited(request, "contact_edited", {"ico": ico, "contact_id": contact_id,
                                                           "name": domain.full_name(contact)}) as entry:
                answer = self.members.update_contact(ico, contact_id, data)
                name = domain.full_name(answer["contact"])
                changed = domain.changed_text([domain.CONTACT_LABELS[field] for field in answer["changed"]])
                entry.details.update(name=name, changed=changed)
        except ValidationError as error:
            return self._contact_form(request, organisation, contact, values, error.fields, status=422)
        return self._done(request, f"/clenove/{ico}", f"Kontakt {name} je uložen: {changed}.")

    @page("POST", "/clenove/<ico>/kontakty/<int:contact_id>/odebrat", StaffRole.ADMIN)
    def remove_contact(self, request, ico, contact_id):
        """Remove a contact: it cannot be undone, so it is asked first."""
        organisation = self.members.get_organisation(ico)
        contact = _contact_of(self.members.list_contacts(ico), contact_id)
        name = domain.full_name(contact)
        if not confirmed(request):
            consequences = [f"Kontakt {name} ({contact['role'] or 'bez funkce'}, {contact['email'] or 'bez e-mailu'}) "
                            f"se z evidence organizace {organisation['name']} smaže; vrátit to nelze, jen ho "
                            f"přidat znovu."]
            if contact["wants_announcements"] and contact["email"]:
                consequences.append("Přestane dostávat oznámení sdružení.")
            return self._confirm(request, f"Odebrat kontakt {name}?", consequences, "Ano, odebrat kontakt",
                                 back=f"/clenove/{ico}", danger=True)
        with self._audited(request, "contact_removed", {"ico": ico, "contact_id": contact_id, "name": name}):
            self.members.remove_contact(contact_id, ico)
        return self._done(request, f"/clenove/{ico}", f"Kontakt {name} je odebrán z organizace {organisation['name']}.")

    @page("POST", "/clenove/import", StaffRole.ADMIN, upload=MEMBERS_CSV_MAX_BYTES * 4 // 3)
    def import_members(self, request):
        """Import the register from CSV: first read it (UTF-8 or Windows-1250, as Excel saves it)
        and ask with the counts of what would be stored; confirmed, store it and say what was."""
        if confirmed(request):
            try:
                text = base64.b64decode(request.form.get("obsah", ""), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return self._members_page(request, status=422, problem="Formulář vypršel. Nahrajte soubor znovu.")
            with self._audited(request, "members_imported", {"file": request.form.get("nazev", "")}) as entry:
                report = self.members.import_organisations_csv(text)
                entry.details.update({key: report[key] for key in ("created", "updated", "failed")})
            return self._done(request, "/clenove", domain.import_done(report))
        upload = request.files.get("soubor")
        if upload is None or not upload.filename:
            return self._members_page(request, status=422, problem="Vyberte soubor CSV s evidencí.")
        data = upload.read(MEMBERS_CSV_MAX_BYTES + 1)
        if len(data) > MEMBERS_CSV_MAX_BYTES:
            return self._members_page(request, status=413, problem="Soubor je příliš velký: evidence může mít "
                                      f"nejvýše {MEMBERS_CSV_MAX_BYTES // (1024 * 1024)} MB.")
        try:
            text = spreadsheet_text(data)
            plan = self.members.import_organisations_csv(text, dry_run=True)
        except UnreadableText as unreadable:
            return self._members_page(request, status=422, problem=unreadable.message)
        except ValidationError as error:
            return self._members_page(request, status=422, problem=error.message)
        if not plan["created"] and not plan["updated"]:
            return self._members_page(request, status=200 if not plan["failed"] else 422, report=plan)
        return self._page(request, "confirm.html", question=domain.import_question(plan),
                          consequences=domain.import_consequences(plan), button="Ano, nahrát", back="/clenove",
                          danger=False, action=request.path, fields=[
                              ("obsah", base64.b64encode(text.encode("utf-8")).decode("ascii")),
                              ("nazev", upload.filename)])

    # Helpers

    def _members_page(self, request, status=200, query=None, lookup=None, report=None, problem=None):
        """The register: a page of it as filtered (``okres``, ``clenstvi``, ``hledat``, ``strana``),
        the lookup of a whole IČO (the register, else ARES), and the import's outcome or refusal."""
        args = request.args
        query = (args.get("hledat") or "").strip() if query is None else query
        districts = self.members.districts()
        district = args.get("okres") if args.get("okres") in districts else None
        shown = args.get("clenstvi") if args.get("clenstvi") in domain.MEMBERSHIP_FILTERS else ""
        listing = self.members.list_organisations(district, domain.MEMBERSHIP_FILTERS.get(shown), _number(
            args.get("strana")), PER_PAGE, query or None)
        if lookup is None and ico_error(query) is None:
            lookup = self.members.lookup_organisation(query)

        def link(number):
            kept = {"hledat": query, "okres": district or "", "clenstvi": shown, "strana": number}
            return "/clenove?" + urlencode({key: value for key, value in kept.items() if value})
        return self._page(request, "members.html", status=status, query=query, districts=districts,
                          district=district, shown=shown, listing=listing, lookup=lookup, report=report,
                          problem=problem, previous=link(listing["page"] - 1) if listing["page"] > 1 else None,
                          next=link(listing["page"] + 1) if listing["page"] < listing["pages"] else None)

    def _organisation_form(self, request, organisation, values, errors, status=200):
        return self._page(request, "organisation_form.html", status=status, organisation=organisation,
                          values=values, errors=errors, kinds=self.members.kinds(),
                          districts=self.members.districts())

    def _contact_form(self, request, organisation, contact, values, errors, status=200):
        return self._page(request, "contact_form.html", status=status, organisation=organisation,
                          contact=contact, values=values, errors=errors)


def _number(text):
    """The page asked for (``?strana=``); anything else is the first."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 100000 else 1


def _organisation_values(organisation):
    """The organisation as its form shows it; the membership is its last period's days (ISO)."""
    values = {name: organisation.get(name) or "" for name in ORGANISATION_FORM[:-2]}
    last = organisation["periods"][-1] if organisation["periods"] else {"from": None, "to": None}
    values.update(member_since=last["from"] or "", member_until=last["to"] or "")
    return values


def _contact_input(request):
    """The contact form as typed, and as the members service takes it (blank is none)."""
    values = {name: request.form.get(name, "") for name in CONTACT_FORM}
    values["wants_announcements"] = "ano" if request.form.get("wants_announcements") == "ano" else "ne"
    data = {name: values[name].strip() or None for name in CONTACT_FORM}
    data.update(first_name=values["first_name"], last_name=values["last_name"],
                wants_announcements=values["wants_announcements"] == "ano")
    return values, data


def _contact_of(contacts, contact_id):
    for contact in contacts:
        if contact["id"] == contact_id:
            return contact
    raise NotFound("contact_not_found", "Kontakt nebyl nalezen.")
