"""The members service's use cases: one transaction each, rules from ``domain``."""
import secrets
from datetime import date

from services.common.errors import NotFound, ValidationError
from services.common.membership import is_member_on
from services.common.vocabulary import LookupSource, LookupStatus

from . import domain, store


def _public(organisation, on_date=None):
    on_date = on_date or date.today()
    return dict(organisation, is_member=is_member_on(organisation["periods"], on_date))


def _announce(uow, event_type, organisation):
    payload = {"organisation": {
        "ico": organisation["ico"], "name": organisation["name"], "kind": organisation["kind"],
        "district": organisation["district"],
        "periods": [{"from": p["from"].isoformat(), "to": p["to"].isoformat() if p["to"] else None}
                    for p in organisation["periods"]],
    }}
    uow.announce(event_type, payload)


def upsert_organisation(uow, data):
    """Create or update an organisation; ``member_since`` starts a membership.

    Returns ``(organisation, outcome)``, outcome one of created, updated,
    unchanged: the same data again writes nothing and announces nothing.
    """
    conn = uow.conn
    current = store.get_organisation(conn, data["ico"])
    periods = current["periods"] if current else []
    joined = data.get("member_since") is not None and not any(p["to"] is None for p in periods)
    fields_changed = current is None or any(current[f] != data.get(f) for f in store.ORGANISATION_FIELDS)
    if not fields_changed and not joined:
        return _public(current), "unchanged"
    if fields_changed:
        store.save_organisation(conn, data, domain.fold(data["name"]))
    if joined:
        store.replace_periods(conn, data["ico"], domain.join(periods, data["member_since"]))
    organisation = store.get_organisation(conn, data["ico"])
    _announce(uow, "organisation_joined" if joined else "organisation_updated", organisation)
    return _public(organisation), "created" if current is None else "updated"


def update_organisation(uow, ico, changes):
    """Change some fields of a known organisation."""
    current = get_organisation(uow.conn, ico)
    data = {field: current[field] for field in store.ORGANISATION_FIELDS}
    data.update(changes)
    return upsert_organisation(uow, data)[0]


def import_csv(uow, text, load_row, dry_run=False):
    """Upsert every good row of a register export; report the bad ones by line, in Czech.

    ``load_row`` validates one row (a dict) and raises ``ValidationError``. A text with garbled
    characters (``domain.check_register_text``) is refused whole. ``dry_run`` counts what the
    import would do and writes nothing: what the console asks about before storing.
    """
    domain.check_register_text(text)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    errors = []
    seen = {}
    for line, row in domain.read_register_csv(text):
        try:
            data = load_row(row)
        except ValidationError as error:
            counts["failed"] += 1
            errors.append({"line": line, "reason": _reasons(error)})
            continue
        if data["ico"] in seen:
            counts["failed"] += 1
            errors.append({"line": line, "reason": f"IČO {data['ico']} už je v souboru na řádku {seen[data['ico']]}."})
            continue
        seen[data["ico"]] = line
        try:
            outcome = _import_outcome(uow.conn, data) if dry_run else upsert_organisation(uow, data)[1]
        except ValidationError as error:  # a membership that would overlap the one before
            counts["failed"] += 1
            errors.append({"line": line, "reason": _reasons(error)})
            continue
        counts[outcome] += 1
    return dict(counts, errors=errors, dry_run=dry_run)


def _reasons(error):
    return " ".join(f"{domain.column_label(f)}: {m}" for f, m in error.fields.items())


def _import_outcome(conn, data):
    """What ``upsert_organisation`` would answer for ``data`` (created, updated, unchanged), unwritten."""
    current = store.get_organisation(conn, data["ico"])
    if current is None:
        return "created"
    joined = data.get("member_since") is not None and not any(p["to"] is None for p in current["periods"])
    if joined:
        domain.join(current["periods"], data["member_since"])  # raises as the import would
    changed = any(current[f] != data.get(f) for f in store.ORGANISATION_FIELDS)
    return "updated" if changed or joined else "unchanged"


def end_membership(uow, ico, on_date):
    """End the open membership of ``ico``; ``on_date`` is its last member day."""
    organisation = get_organisation(uow.conn, ico)
    store.replace_periods(uow.conn, ico, domain.leave(organisation["periods"], on_date))
    organisation = store.get_organisation(uow.conn, ico)
    _announce(uow, "organisation_left", organisation)
    return _public(organisation)


def get_organisation(conn, ico):
    organisation = store.get_organisation(conn, ico)
    if organisation is None:
        raise NotFound("organisation_not_found", "Organizace s tímto IČO není v evidenci.")
    return _public(organisation)


def list_organisations(conn, on_date, district=None, membership=None, query=None, page=1, per_page=50):
    """A page of the register by name: of one district, of one membership status on ``on_date``
    (``domain.MEMBERSHIPS``), matching ``query`` (name word prefixes or an IČO prefix)."""
    found = []
    for organisation in store.all_organisations(conn):
        if district is not None and organisation["district"] != district:
            continue
        if membership is not None and domain.membership_status(organisation["periods"], on_date) != membership:
            continue
        if query and not domain.matches(query, organisation["ico"], organisation["name"]):
            continue
        found.append(_public(organisation, on_date))
    return domain.page_of(found, page, per_page)


EDITABLE = tuple(field for field in store.ORGANISATION_FIELDS if field != "ico")


def edit_organisation(uow, ico, changes, on_date):
    """Change an organisation's fields, its membership (``member_since``, ``member_until``:
    the last membership's first and last day, ``domain.set_membership``) and its
    ``delivery_channel`` in one go (one transaction: all or nothing); fields not in ``changes``
    stay. Returns ``(organisation, changed field names)``; one event announces it
    (joined, left or updated), none when nothing changed."""
    conn = uow.conn
    current = get_organisation(conn, ico)
    last = current["periods"][-1] if current["periods"] else {"from": None, "to": None}
    since = changes.get("member_since", last["from"])
    until = changes.get("member_until", last["to"])
    periods = domain.set_membership(current["periods"], since, until)
    data = {field: changes.get(field, current[field]) for field in EDITABLE}
    changed = [field for field in EDITABLE if data[field] != current[field]]
    if since != last["from"]:
        changed.append("member_since")
    if until != last["to"]:
        changed.append("member_until")
    channel = changes.get("delivery_channel", current["delivery_channel"])
    if channel != current["delivery_channel"]:
        changed.append("delivery_channel")
    if not changed:
        return _public(current, on_date), []
    store.save_organisation(conn, dict(data, ico=ico), domain.fold(data["name"]))
    store.replace_periods(conn, ico, periods)
    store.set_delivery_channel(conn, ico, channel)
    organisation = store.get_organisation(conn, ico)
    _announce(uow, domain.membership_event(current["periods"], periods) or "organisation_updated", organisation)
    return _public(organisation, on_date), changed


def is_member(conn, ico, on_date=None):
    organisation = store.get_organisation(conn, ico)
    return organisation is not None and is_member_on(organisation["periods"], on_date or date.today())


def find_organisations(conn, query, limit=10):
    """For the registration form's autocomplete: name word prefixes, without diacritics, or an IČO prefix."""
    words, ico_prefix = domain.search_terms(query)
    if not words and ico_prefix is None:
        return []
    return [_public(o) for o in store.find_organisations(conn, words, ico_prefix, max(1, min(limit, 50)))]


def known_lookup(uow, ico):
    """``(answer, kept)``: the answer to a lookup of ``ico`` without asking ARES (from the register,
    or a kept ARES answer still fresh), else None; and the kept ARES answer however old, or None."""
    organisation = store.get_organisation(uow.conn, ico)
    if organisation is not None:
        organisation = _public(organisation)
        return domain.lookup_answer(ico, LookupStatus.FOUND, LookupSource.REGISTER, organisation,
                                    is_member=organisation["is_member"]), None
    kept = store.get_ares_lookup(uow.conn, ico)
    if kept is not None and domain.ares_fresh(kept, uow.now):
        return domain.ares_lookup_answer(ico, kept), kept
    return None, kept


def remember_ares(uow, ico, subject):
    """Keep what ARES said about ``ico`` (its fields, or None: not found); the answer from it."""
    store.save_ares_lookup(uow.conn, ico, subject, uow.now)
    return domain.ares_lookup_answer(ico, store.get_ares_lookup(uow.conn, ico))


def list_members(conn, on_date=None):
    on_date = on_date or date.today()
    return [_public(o, on_date) for o in store.all_organisations(conn) if is_member_on(o["periods"], on_date)]


def membership_register(conn):
    """Every organisation with its periods: what the registrations service copies."""
    return [_public(o) for o in store.all_organisations(conn)]


def add_contact(uow, ico, data):
    get_organisation(uow.conn, ico)
    values = dict(data, ico=ico, email_key=domain.email_key(data.get("email")),
                  unsubscribe_token=secrets.token_urlsafe(24), created_at=uow.now)
    return store.get_contact(uow.conn, store.add_contact(uow.conn, values))


def list_contacts(conn, ico):
    get_organisation(conn, ico)
    return store.list_contacts(conn, ico=ico)


def get_contact(conn, contact_id, ico=None):
    """The contact, or NotFound; with ``ico``, only a contact of that organisation."""
    contact = store.get_contact(conn, contact_id)
    if contact is None or (ico is not None and contact["ico"] != ico):
        raise NotFound("contact_not_found", "Kontakt nebyl nalezen.")
    return contact


def update_contact(conn, ico, contact_id, data):
    """Replace a contact's details (the form sends them all). Returns ``(contact, changed field names)``."""
    current = get_contact(conn, contact_id, ico)
    values = {field: data.get(field) for field in store.CONTACT_FIELDS}
    changed = [field for field in store.CONTACT_FIELDS if values[field] != current[field]]
    if changed:
        store.update_contact(conn, contact_id, dict(values, email_key=domain.email_key(values["email"])))
    return store.get_contact(conn, contact_id), changed


def remove_contact(conn, contact_id, ico=None):
    """Delete a contact; the deleted contact is returned (to say whom)."""
    contact = get_contact(conn, contact_id, ico)
    store.delete_contacts(conn, [contact_id])
    return contact


def announcement_recipients(conn, district=None, on_date=None):
    """Contacts of member organisations who want the association's announcements."""
    on_date = on_date or date.today()
    members = {o["ico"]: o for o in store.all_organisations(conn)
               if is_member_on(o["periods"], on_date) and (district is None or o["district"] == district)}
    return [dict(contact, organisation_name=members[contact["ico"]]["name"])
            for contact in store.list_contacts(conn) if contact["ico"] in members
            and contact["wants_announcements"] and contact["email"]]


def set_announcements(conn, token, wants):
    if not store.set_wants_announcements(conn, token, wants):
        raise NotFound("contact_not_found", "Odkaz pro odhlášení není platný.")


def export_person(conn, email):
    """Everything this service holds about the person with ``email`` (a data-protection request)."""
    contacts = store.list_contacts(conn, email_key=domain.email_key(email))
    names = {c["ico"]: store.get_organisation(conn, c["ico"])["name"] for c in contacts}
    return {"email": email, "contacts": [dict(c, organisation_name=names[c["ico"]]) for c in contacts]}


def erase_person(conn, email):
    """Delete what this service holds about the person with ``email``."""
    contacts = store.list_contacts(conn, email_key=domain.email_key(email))
    return {"email": email, "erased_contacts": store.delete_contacts(conn, [c["id"] for c in contacts])}


def portal_contact(conn, email):
    """Who may log in to the municipality's page with ``email``: ``{ico, organisation_name,
    contact_id, first_name, last_name}`` of the oldest contact with that address whose access
    staff left on (``domain.portal_contact``), or None."""
    if not isinstance(email, str) or "@" not in email:
        return None
    found = store.portal_contacts(conn, domain.email_key(email))
    names = {c["ico"]: store.get_organisation(conn, c["ico"])["name"] for c in found}
    return domain.portal_contact(found, names)


def set_delivery_channel(conn, ico, channel):
    """Choose how the organisation's invoices, credit notes and certificates go (``domain.DELIVERY_CHANNELS``)."""
    if channel not in domain.DELIVERY_CHANNELS:
        raise ValidationError({"delivery_channel": "Zvolte e-mail nebo datovou schránku."},
                              "Neznámý způsob doručování.")
    if not store.set_delivery_channel(conn, ico, channel):
        raise NotFound("organisation_not_found", "Organizace s tímto IČO není v evidenci.")
    return get_organisation(conn, ico)


def set_portal_access(conn, ico, contact_id, allowed):
    """Allow or withdraw a contact's login to the municipality's page; the contact as it is now."""
    get_contact(conn, contact_id, ico)
    store.set_portal_access(conn, contact_id, allowed)
    return store.get_contact(conn, contact_id)
