"""The staff API's tokens and scopes, and the webhooks' signature, addresses and retries (no broker)."""
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.backoffice import courier, store, tokens, webhooks
from services.common.errors import ValidationError


def test_a_token_is_random_and_only_its_sha256_is_kept():
    first, second = tokens.new_token(), tokens.new_token()
    assert first != second and first.startswith("smopk_") and len(first) >= 6 + 43
    assert tokens.token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    assert first not in tokens.token_hash(first) and tokens.shown_prefix(first) == first[:12]


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer abc", "Token smopk_x",
                                    "Bearer smopk_" + "x" * 300])
def test_a_request_without_a_bearer_token_is_unauthorised_in_czech(header):
    with pytest.raises(tokens.Unauthorized) as refused:
        tokens.bearer(header)
    assert refused.value.status == 401 and "token" in refused.value.message


def test_a_missing_scope_is_forbidden_and_named():
    tokens.check_scope(["events:read"], tokens.Scope.READ_EVENTS)
    with pytest.raises(tokens.Forbidden) as refused:
        tokens.check_scope(["events:read"], tokens.Scope.MANAGE_REGISTRATIONS)
    assert refused.value.status == 403 and refused.value.code == "insufficient_scope"
    assert "rušit a obnovovat přihlášky" in refused.value.message


def test_a_token_needs_a_name_and_known_scopes():
    assert tokens.token_values(" Web obce ", ["payments:read", "events:read", "events:read"]) == (
        "Web obce", ["events:read", "payments:read"])
    with pytest.raises(ValidationError) as refused:
        tokens.token_values("", ["admin:all"])
    assert set(refused.value.fields) == {"name", "scopes"}


def test_the_signature_is_hmac_sha256_of_time_and_body_and_verifies():
    body = json.dumps({"id": "1", "type": "registration_confirmed"}).encode()
    header = webhooks.signature("whsec_k", 1700000000, body)
    import hmac
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert webhooks.verify("whsec_k", header, body, now=1700000100)
    assert not webhooks.verify("whsec_other", header, body, now=1700000100)
    assert not webhooks.verify("whsec_k", header, body + b" ", now=1700000100)
    assert not webhooks.verify("whsec_k", header, body, now=1700000000 + 301)  # too old: a replay
    assert not webhooks.verify("whsec_k", "garbage", body, now=1700000000)


def test_the_body_carries_the_event_without_its_envelope():
    sent = json.loads(webhooks.body("m-1", "payment_received", "2026-12-01T10:00:00+00:00", {
        "message_id": "m-1", "event_type": "payment_received", "occurred_at": "x", "request": {"id": 1}}))
    assert sent == {"id": "m-1", "type": "payment_received", "occurred_at": "2026-12-01T10:00:00+00:00",
                    "data": {"request": {"id": 1}}}


def test_retries_wait_longer_each_time_then_give_up():
    delays = (60, 300, 1800)
    assert [webhooks.next_attempt(n, delays) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=60), timedelta(seconds=300), timedelta(seconds=1800), None]


def public(host, port):
    return ["93.184.216.34"]


@pytest.mark.parametrize("url, allow, problem", [
    ("https://hooks.obec.example/smopk", False, None),
    ("http://hooks.obec.example/smopk", False, "https://"),
    ("http://127.0.0.1:9000/hook", False, "https://"),
    ("http://127.0.0.1:9000/hook", True, None),
    ("http://10.0.0.5/hook", True, "https://"),
    ("https://user:pw@hooks.obec.example/", False, "jméno ani heslo"),
    ("", False, "https://"),
])
def test_only_https_urls_are_accepted_and_local_http_only_when_allowed(url, allow, problem):
    found = webhooks.url_problem(url, allow, resolve=public)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1",
                                     "fd00::1", "0.0.0.0", "::ffff:10.0.0.1"])
def test_names_that_resolve_to_private_addresses_are_refused(address):
    problem = webhooks.url_problem("https://intranet.example/hook", False, resolve=lambda h, p: [address])
    assert "vnitřní" in problem


def test_a_webhook_needs_known_events():
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_values("https://h.example/", ["event_published_nope"], "", False, resolve=public)
    assert set(refused.value.fields) == {"events"}


@pytest.fixture
def db(make_database):
    return make_database("backoffice", store.metadata)


def told_per_registration(event_type, registration_id, version, **extra):
    """One registration's copy of an event change, as registrations tells each live registration."""
    return {"message_id": f"m-{event_type}-{registration_id}-{version}", "event_type": event_type,
            "occurred_at": "2026-12-01T09:00:00+00:00",
            "registration": {"id": registration_id, "email": "x@obec.example"},
            "event": {"id": 7, "version": version, "title": "Odpady"}, **extra}


def test_an_event_change_told_per_registration_is_delivered_once_per_webhook_and_change(db):
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with db.transaction() as tx:
        for url in ("https://a.example/hook", "https://b.example/hook"):
            store.insert_webhook(tx, {"url": url, "events": ["event_updated", "event_cancelled"], "secret": "whsec_x",
                                      "created_by": "admin@smopk.example", "created_at": now})
    copies = [("event_updated", n, 2, {"changes": {"venue": ["Plzeň", "Rokycany"]}}) for n in (1, 2, 3)]
    copies += [("event_updated", n, 3, {"changes": {"venue": ["Rokycany", "Plzeň"]}}) for n in (1, 2)]
    copies += [("event_cancelled", n, 4, {"reason": "Lektor onemocněl."}) for n in (1, 2)]
    added = []
    for event_type, registration_id, version, extra in copies:
        with db.transaction() as tx:
            told = told_per_registration(event_type, registration_id, version, **extra)
            added.append(courier.record_event(tx, now, event_type, courier.per_event(event_type, told)))
    assert added == [2, 0, 0, 2, 0, 2, 0]  # the first copy of each change, to each of the two webhooks
    with db.transaction() as tx:
        rows = tx.execute(store.webhook_deliveries.select().order_by(store.webhook_deliveries.c.id)).all()
    bodies = [json.loads(row.body) for row in rows]
    assert [(b["type"], b["data"]["event"]["version"]) for b in bodies] == [
        ("event_updated", 2), ("event_updated", 2), ("event_updated", 3), ("event_updated", 3),
        ("event_cancelled", 4), ("event_cancelled", 4)]
    assert all("registration" not in b["data"] for b in bodies)  # no one attendee's data in an event's delivery
    assert len({b["id"] for b in bodies}) == 3 and all(len(b["id"]) == 36 for b in bodies)
    assert bodies[4]["data"]["reason"] == "Lektor onemocněl."


def test_a_twin_delivery_committed_past_the_look_up_is_refused_by_the_unique_pair(db, monkeypatch):
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with db.transaction() as tx:
        hook = store.insert_webhook(tx, {"url": "https://a.example/hook", "events": ["event_updated"],
                                         "secret": "whsec_x", "created_by": "admin@smopk.example", "created_at": now})
        values = {"webhook_id": hook, "message_id": "0" * 36, "event_type": "event_updated", "body": "{}",
                  "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
        assert store.add_delivery(tx, values)
    # Another process's copy of the same change, committed after this one looked: the look-up misses it.
    real_select = store.select
    monkeypatch.setattr(store, "select", lambda *columns: real_select(*columns).where(sa.false()))
    with db.transaction() as tx:
        assert store.add_delivery(tx, values) is False
        assert store.add_delivery(tx, dict(values, message_id="1" * 36)) is True  # the transaction goes on
    with db.transaction() as tx:
        assert len(tx.execute(store.webhook_deliveries.select()).all()) == 2
