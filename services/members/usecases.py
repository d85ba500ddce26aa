"""The members service's use cases: one transaction each, rules from ``domain``."""
from datetime import date

from services.common.errors import NotFound
from services.common.membership import is_member_on

from . import domain, store


def _public(organisation, on_date=None):
    on_date = on_date or date.today()
    return dict(organisation, is_member=is_member_on(organisation["periods"], on_date))


def _announce(outbox, session, event_type, organisation):
    payload = {"organisation": {
        "ico": organisation["ico"], "name": organisation["name"], "kind": organisation["kind"],
        "district": organisation["district"],
        "periods": [{"from": p["from"].isoformat(), "to": p["to"].isoformat() if p["to"] else None}
                    for p in organisation["periods"]],
    }}
    outbox.add(session, event_type, payload)


def upsert_organisation(session, outbox, data):
    """Create or update an organisation; ``member_since`` starts a membership."""
    store.save_organisation(session, data, domain.fold(data["name"]))
    periods = store.get_periods(session, data["ico"])
    joined = data.get("member_since") is not None and not any(p["to"] is None for p in periods)
    if joined:
        periods = domain.join(periods, data["member_since"])
        store.replace_periods(session, data["ico"], periods)
    organisation = store.get_organisation(session, data["ico"])
    _announce(outbox, session, "organisation_joined" if joined else "organisation_updated", organisation)
    return _public(organisation)


def end_membership(session, outbox, ico, on_date):
    """End the open membership of ``ico``; ``on_date`` is its last member day."""
    organisation = get_organisation(session, ico)
    store.replace_periods(session, ico, domain.leave(organisation["periods"], on_date))
    organisation = store.get_organisation(session, ico)
    _announce(outbox, session, "organisation_left", organisation)
    return _public(organisation)


def get_organisation(session, ico):
    organisation = store.get_organisation(session, ico)
    if organisation is None:
        raise NotFound("organisation_not_found", "Organizace s tímto IČO není v evidenci.")
    return _public(organisation)


def is_member(session, ico, on_date=None):
    organisation = store.get_organisation(session, ico)
    return organisation is not None and is_member_on(organisation["periods"], on_date or date.today())


def find_organisations(session, query, limit=10):
    found = [o for o in store.all_organisations(session) if domain.matches(query or "", o["ico"], o["name"])]
    return [_public(o) for o in found[:limit]]


def list_members(session, on_date=None):
    on_date = on_date or date.today()
    return [_public(o, on_date) for o in store.all_organisations(session) if is_member_on(o["periods"], on_date)]


def membership_register(session):
    """Every organisation with its periods: what the registrations service copies."""
    return [_public(o) for o in store.all_organisations(session)]
