"""The staff API's tokens and scopes, and the webhooks' signature, addresses and retries (no broker)."""
import hashlib
import json
from datetime import timedelta

import pytest

from services.backoffice import tokens, webhooks
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
