"""The members service: the association's register of organisations and membership."""
from datetime import date

from marshmallow import EXCLUDE
from nameko.dependency_providers import Config

from services.common import metrics
from services.common.clock import Clock
from services.common.czech import local
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED, ValidationError
from services.common.health import HealthCheck
from services.common.ico import ico_error
from services.common.logs import CallLog
from services.common.outbox import OutboxRelay
from services.common.rpc import rpc
from services.common.unit_of_work import unit_of_work
from services.common.vocabulary import LookupStatus

from . import domain, store, usecases
from .ares import Ares, AresUnavailable
from .domain import DISTRICTS, KINDS
from .schemas import (
    contact_in,
    contact_out,
    contacts_out,
    list_query_in,
    organisation_changes_in,
    organisation_edit_in,
    organisation_in,
    organisation_out,
    organisations_out,
)


def _date(value, field):
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Zadejte datum ve tvaru RRRR-MM-DD."}) from None


def _ico(value):
    error = ico_error(value)
    if error:
        raise ValidationError({"ico": error})
    return value


def _load_register_row(row):
    """One CSV row of the register, checked as an organisation; Excel's lost leading zeros restored."""
    ico = row.get("ico", "")
    if ico.isdigit() and len(ico) < 8:
        row = dict(row, ico=ico.zfill(8))
    if "member_since" in row:  # Czech Excel writes its dates as 1.1.2005
        row = dict(row, member_since=domain.iso_day(row["member_since"]))
    return organisation_in.load_or_raise(row, unknown=EXCLUDE)


class MembersService(HealthCheck):
    name = "members"

    call_log = CallLog()

    db = DatabaseProvider(store.metadata)
    outbox = OutboxRelay(store.outbox)
    clock = Clock()
    config = Config()
    ares = Ares()

    # The register

    @rpc(expected_exceptions=EXPECTED)
    def upsert_organisation(self, data):
        request = organisation_in.load_or_raise(data)
        with self._uow() as uow:
            organisation, _ = usecases.upsert_organisation(uow, request)
        return organisation_out.dump(organisation)

    @rpc(expected_exceptions=EXPECTED)
    def update_organisation(self, ico, changes):
        request = organisation_changes_in.load_or_raise(changes)
        with self._uow() as uow:
            return organisation_out.dump(usecases.update_organisation(uow, _ico(ico), request))

    @rpc(expected_exceptions=EXPECTED)
    def edit_organisation(self, ico, changes):
        """Change an organisation as its form in the console does: any of its fields, and its
        membership by ``member_since`` and ``member_until`` (the last membership's first and last
        day; see ``domain.set_membership``). Returns the organisation and ``changed``, the Czech
        names of what changed (empty: nothing was written)."""
        request = organisation_edit_in.load_or_raise(changes)
        with self._uow() as uow:
            organisation, changed = usecases.edit_organisation(uow, _ico(ico), request, self._today())
        return {"organisation": organisation_out.dump(organisation),
                "changed": [domain.column_label(field) for field in changed]}

    @rpc(expected_exceptions=EXPECTED)
    def list_organisations(self, district=None, membership=None, page=1, per_page=50, query=None):
        """A page of the register by name, filtered by district, by ``membership`` (member,
        non_member: never a member, former) today and by a search ``query``: ``organisations``,
        ``total``, ``page``, ``pages``, ``per_page``."""
        request = list_query_in.load_or_raise({"district": district, "membership": membership, "page": page,
                                               "per_page": per_page, "query": query})
        with self.db.transaction() as tx:
            found = usecases.list_organisations(tx, self._today(), **request)
        return {"organisations": organisations_out.dump(found.pop("items")), **found}

    @rpc(expected_exceptions=EXPECTED)
    def import_organisations_csv(self, text, dry_run=False):
        """Upsert the register from CSV (`;` or `,`; English or Czech column names).
        Returns counts and the bad rows with their line numbers and reasons; ``dry_run`` only
        counts (nothing written). A text with garbled characters (U+FFFD, C1 controls) is
        refused whole (``ValidationError`` naming the line)."""
        with self._uow() as uow:
            return usecases.import_csv(uow, str(text), _load_register_row, dry_run=bool(dry_run))

    @rpc(expected_exceptions=EXPECTED)
    def get_organisation(self, ico):
        with self.db.transaction() as tx:
            return organisation_out.dump(usecases.get_organisation(tx, _ico(ico)))

    @rpc(expected_exceptions=EXPECTED)
    def find_organisations(self, query, limit=10):
        with self.db.transaction() as tx:
            return organisations_out.dump(usecases.find_organisations(tx, query, int(limit)))

    @rpc(expected_exceptions=EXPECTED)
    def lookup_organisation(self, ico):
        """An organisation by IČO, to fill a form: the register's record, else what ARES says
        (kept 30 days, "not found" a day). ARES being away or slow is an answer, not an error:
        ``status`` is found, not_found or unavailable (with a Czech ``message``); when ARES does
        not answer, an older kept answer is given rather than none."""
        ico = _ico(ico)
        with self._uow() as uow:
            known, kept = usecases.known_lookup(uow, ico)
        if known is not None:
            return known
        try:
            subject = self.ares.fetch(ico)  # outside any transaction: no lock held while we wait
        except AresUnavailable as error:
            if kept is not None and kept["found"]:
                return domain.ares_lookup_answer(ico, kept)
            return domain.lookup_answer(ico, LookupStatus.UNAVAILABLE, message=f"{error} Vyplňte prosím údaje sami.")
        with self._uow() as uow:
            return usecases.remember_ares(uow, ico, subject)

    @rpc(expected_exceptions=EXPECTED)
    def is_member(self, ico, on_date=None):
        with self.db.transaction() as tx:
            return usecases.is_member(tx, _ico(ico), _date(on_date, "on_date"))

    @rpc(expected_exceptions=EXPECTED)
    def list_members(self, on_date=None):
        with self.db.transaction() as tx:
            return organisations_out.dump(usecases.list_members(tx, _date(on_date, "on_date")))

    @rpc(expected_exceptions=EXPECTED)
    def membership_register(self):
        with self.db.transaction() as tx:
            return organisations_out.dump(usecases.membership_register(tx))

    @rpc(expected_exceptions=EXPECTED)
    def end_membership(self, ico, on_date):
        with self._uow() as uow:
            organisation = usecases.end_membership(uow, _ico(ico), _date(on_date, "on_date"))
        return organisation_out.dump(organisation)

    @rpc
    def kinds(self):
        """The kinds of organisation the register knows, for the console's form."""
        return list(KINDS)

    def _uow(self):
        """One call's transaction with the members' outbox and the moment of the call."""
        return unit_of_work(self.db, self.clock, self.outbox)

    def _today(self):
        return local(self.clock()).date()

    @rpc
    def districts(self):
        """The districts (okresy) of the association's region, for choosing an announcement's audience."""
        return list(DISTRICTS)

    @rpc
    def metrics(self):
        with self.db.transaction() as tx:
            return [metrics.outbox_backlog(tx, store.outbox, self.name)]

    # Contacts

    @rpc(expected_exceptions=EXPECTED)
    def add_contact(self, ico, data):
        request = contact_in.load_or_raise(data)
        with self._uow() as uow:
            contact = usecases.add_contact(uow, _ico(ico), request)
            return contact_out.dump(dict(contact, organisation_name=usecases.get_organisation(uow.conn, ico)["name"]))

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(self, ico):
        with self.db.transaction() as tx:
            name = usecases.get_organisation(tx, _ico(ico))["name"]
            return contacts_out.dump([dict(c, organisation_name=name) for c in usecases.list_contacts(tx, ico)])

    @rpc(expected_exceptions=EXPECTED)
    def update_contact(self, ico, contact_id, data):
        """Replace the details of a contact of ``ico``; answers the contact and ``changed``
        (field names)."""
        request = contact_in.load_or_raise(data)
        with self.db.transaction() as tx:
            contact, changed = usecases.update_contact(tx, _ico(ico), int(contact_id), request)
            name = usecases.get_organisation(tx, ico)["name"]
        return {"contact": contact_out.dump(dict(contact, organisation_name=name)), "changed": changed}

    @rpc(expected_exceptions=EXPECTED)
    def remove_contact(self, contact_id, ico=None):
        """Delete a contact (with ``ico``: only one of that organisation); answers the contact deleted."""
        with self.db.transaction() as tx:
            contact = usecases.remove_contact(tx, int(contact_id), _ico(ico) if ico is not None else None)
            name = usecases.get_organisation(tx, contact["ico"])["name"]
        return contact_out.dump(dict(contact, organisation_name=name))

    @rpc(expected_exceptions=EXPECTED)
    def announcement_recipients(self, district=None):
        """Contacts of members who want announcements: all members, or one district's."""
        if district is not None and district not in DISTRICTS:
            raise ValidationError({"district": "Neznámý okres Plzeňského kraje."})
        with self.db.transaction() as tx:
            return contacts_out.dump(usecases.announcement_recipients(tx, district))

    @rpc(expected_exceptions=EXPECTED)
    def unsubscribe(self, token):
        """Turn off announcements for the contact whose link carries ``token``."""
        with self.db.transaction() as tx:
            usecases.set_announcements(tx, str(token), False)

    # Data-protection requests

    @rpc(expected_exceptions=EXPECTED)
    def export_person(self, email):
        with self.db.transaction() as tx:
            found = usecases.export_person(tx, str(email))
        return dict(found, contacts=contacts_out.dump(found["contacts"]))

    @rpc(expected_exceptions=EXPECTED)
    def erase_person(self, email):
        with self.db.transaction() as tx:
            return usecases.erase_person(tx, str(email))

    # The municipality's page

    @rpc(expected_exceptions=EXPECTED)
    def portal_contact(self, email):
        """Who logs in to the municipality's page with ``email``: ``{ico, organisation_name,
        contact_id, first_name, last_name}``, or None when no contact with access has it."""
        with self.db.transaction() as tx:
            return usecases.portal_contact(tx, email)

    @rpc(expected_exceptions=EXPECTED)
    def set_delivery_channel(self, ico, channel):
        """Send the organisation's invoices, credit notes and certificates by ``channel``: "email"
        (the default) or "databox" (its data box in ISDS). One update; nothing else changes."""
        with self.db.transaction() as tx:
            return organisation_out.dump(usecases.set_delivery_channel(tx, _ico(ico), str(channel)))

    @rpc(expected_exceptions=EXPECTED)
    def set_portal_access(self, ico, contact_id, allowed):
        """Allow (``allowed`` true) or withdraw a contact's login to the municipality's page."""
        with self.db.transaction() as tx:
            contact = usecases.set_portal_access(tx, _ico(ico), int(contact_id), bool(allowed))
            name = usecases.get_organisation(tx, contact["ico"])["name"]
        return contact_out.dump(dict(contact, organisation_name=name))
