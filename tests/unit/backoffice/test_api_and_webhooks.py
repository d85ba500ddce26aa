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


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "fd00::1", "0.0.0.0", "::ffff:10.0.0.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "2002:a00:1::1", "2002:7f00:1::1",  # 6to4 wrapping 10.0.0.1 and 127.0.0.1
    "fec0::1",  # site-local
    "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe",  # NAT64 of 10.0.0.1 and 169.254.169.254
    "64:ff9b:1::a00:1",  # a local NAT64 prefix
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo whose client is 10.0.0.1
    "::ffff:100.64.0.1", "198.18.0.1", "192.0.0.1", "ff0e::1", "224.0.0.1"])
def test_names_that_resolve_to_private_addresses_are_refused(address):
    problem = webhooks.url_problem("https://intranet.example/hook", False, resolve=lambda h, p: [address])
    assert "vnitřní" in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34",
                                     "2002:5db8:d822::1", "64:ff9b::5db8:d822"])
def test_public_addresses_and_ones_wrapping_a_public_ipv4_are_accepted(address):
    assert webhooks.url_problem("https://hooks.example/hook", False, resolve=lambda h, p: [address]) is None


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


SECRETS = {"token": "tok-SECRET", "manage_url": "https://reg.example/manage/tok-SECRET", "ticket_code": "TICKET-SECRET",
           "ticket_url": "https://reg.example/ticket/TICKET-SECRET", "webinar_url": "https://meet.example/WEBINAR-SECRET",
           "birth_date": "1980-02-03", "answers": {"q1": "ANSWER-SECRET"}, "phone": "+420 777 SECRET",
           "note": "NOTE-SECRET", "payment": {"spd": "SPD*SECRET", "iban": "CZ65SECRET"}}


def registration_as_told(registration_id):
    """A registration as the bus carries it: registrations' whole ``RegistrationOut``."""
    return {"id": registration_id, "status": "confirmed", "waitlist_position": None, "first_name": "Jana",
            "last_name": "Nováková", "email": "jana@obec.example", "organisation_ico": "00000001",
            "organisation_name": "Obec Kozlovice", "is_member": True, "price": 900,
            "created_at": "2026-12-01T09:00:00+00:00", "cancelled_at": None, **SECRETS}


EVENT_AS_TOLD = {"id": 7, "version": 1, "title": "Odpady", "venue": "Plzeň", "starts_at": "2027-01-10T09:00:00+01:00",
                 "ends_at": "2027-01-10T15:00:00+01:00", "topic": "odpady", "kind": "seminar", "capacity": 20,
                 "price_member": 900, "price_non_member": 1200, "webinar_url": SECRETS["webinar_url"],
                 "questions": [{"id": "q1", "text": "Modul?"}], "description": "Popis"}
PAYMENT_AS_TOLD = {"variable_symbol": "1000000001", "amount": 900, "amount_halere": 90000, "paid_halere": 90000,
                   "paid_at": "2026-12-02T10:00:00+00:00", "spd": "SPD*SECRET", "iban": "CZ65SECRET",
                   "account": "123/0100", "status": "paid", "outstanding_halere": 0, "due_on": "2026-12-15"}


def told(event_type):
    """Each event type a webhook may choose, with every secret its bus payload carries."""
    registration = {"registration": registration_as_told(1), "event": EVENT_AS_TOLD}
    payloads = {
        "registration_confirmed": registration, "registration_promoted": registration,
        "registration_cancelled": dict(registration, released_unpaid=False),
        "registration_substituted": dict(registration, replaced=registration_as_told(2)),
        "event_published": {"event": {key: EVENT_AS_TOLD[key] for key in (
            "id", "title", "venue", "starts_at", "ends_at", "topic", "kind", "capacity", "price_member",
            "price_non_member")} | {"format": "in_person", "url": "https://reg.example/events/7"}},
        "event_updated": dict(registration, changes={"venue": ["Plzeň", "Rokycany"]}),
        "event_cancelled": dict(registration, reason="Lektor onemocněl."),
        "payment_received": dict(registration, payment=PAYMENT_AS_TOLD, paid_now_halere=90000),
        "invoice_issued": {"invoice": {"number": "2026-0001", "kind": "invoice", "total_halere": 90000,
                                       "due_on": "2026-12-15", "issued_on": "2026-12-01",
                                       "customer": {"name": "Obec Kozlovice", "ico": "00000001",
                                                    "email": "ucetni@SECRET.example", "address": "Kozlovice 1"},
                                       "supplier": {"iban": "CZ65SECRET"}, "items": [{"text": "NOTE-SECRET"}]},
                           "isdoc": "SVNET0MtU0VDUkVU", "recipients": ["jana@obec.example", "ucetni@SECRET.example"],
                           "registration_ids": [1], "event": EVENT_AS_TOLD, "restored": {}},
    }
    payload = payloads[event_type]
    if event_type in ("event_updated", "event_cancelled"):
        payload = courier.per_event(event_type, dict(payload, message_id="m"))
    return dict(payload, message_id=f"m-{event_type}", event_type=event_type,
                occurred_at="2026-12-01T09:00:00+00:00")


@pytest.mark.parametrize("event_type", sorted(webhooks.EVENTS))
def test_a_delivery_carries_only_the_allowed_fields_never_links_tickets_or_answers(db, event_type):
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with db.transaction() as tx:
        store.insert_webhook(tx, {"url": "https://a.example/hook", "events": sorted(webhooks.EVENTS),
                                  "secret": "whsec_x", "created_by": "admin@smopk.example", "created_at": now})
        assert courier.record_event(tx, now, event_type, told(event_type)) == 1
        [row] = tx.execute(store.webhook_deliveries.select()).all()
    assert "SECRET" not in row.body and "1980-02-03" not in row.body
    data = json.loads(row.body)["data"]
    for forbidden in ("token", "manage_url", "ticket_code", "ticket_url", "webinar_url", "birth_date", "answers",
                      "isdoc", "recipients", "questions", "phone", "note", "spd", "iban"):
        assert f'"{forbidden}"' not in row.body, forbidden
    if "registration" in data:
        assert data["registration"] == {
            "id": 1, "event_id": 7, "status": "confirmed", "waitlist_position": None, "first_name": "Jana",
            "last_name": "Nováková", "email": "jana@obec.example", "organisation_ico": "00000001",
            "organisation_name": "Obec Kozlovice", "is_member": True, "price": 900,
            "created_at": "2026-12-01T09:00:00+00:00", "cancelled_at": None}
    assert data["event"]["id"] == 7 and data["event"]["title"] == "Odpady"
    if event_type == "payment_received":
        assert data["payment"] == {"variable_symbol": "1000000001", "amount": 900, "amount_halere": 90000,
                                   "paid_halere": 90000, "paid_at": "2026-12-02T10:00:00+00:00"}
    if event_type == "invoice_issued":
        assert data["invoice"]["customer"] == {"name": "Obec Kozlovice", "ico": "00000001"}
        assert (data["invoice"]["number"], data["invoice"]["total_halere"]) == ("2026-0001", 90000)
        assert data["registration_ids"] == [1]


class Answer:
    def __init__(self, status_code):
        self.status_code, self.raw = status_code, self

    def read(self, _size, decode_content=True):
        return b"ok"

    def close(self):
        pass


class SlowReceiver:
    """A receiver that takes ``seconds`` of the fake clock to answer; ``meanwhile`` runs during
    the first POST (the other console process's turn)."""

    def __init__(self, clock, seconds, status_code=200, meanwhile=None):
        self.clock, self.seconds, self.status_code, self.meanwhile = clock, seconds, status_code, meanwhile
        self.posts = []

    def post(self, url, data, headers, **_kwargs):
        self.posts.append(headers["X-Smopk-Delivery"])
        self.clock[0] += timedelta(seconds=self.seconds)
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return Answer(self.status_code)


def a_courier(db, http):
    from types import SimpleNamespace
    loop = courier.WebhookCourier.__new__(courier.WebhookCourier)
    loop.settings = SimpleNamespace(webhook_allow_local_http=True, webhook_timeout=10.0, webhook_retry_delays=(60,),
                                    webhook_pause_after=10)
    loop.http, loop._database = http, lambda: db
    return loop


def two_due_deliveries(db, now):
    with db.transaction() as tx:
        hook = store.insert_webhook(tx, {"url": "http://127.0.0.1:9/hook", "events": ["event_updated"],
                                         "secret": "whsec_x", "created_by": "admin@smopk.example", "created_at": now})
        for n in (1, 2):
            store.add_delivery(tx, {"webhook_id": hook, "message_id": str(n) * 36, "event_type": "event_updated",
                                    "body": "{}", "status": "pending", "attempts": 0, "next_attempt_at": now,
                                    "created_at": now})


def test_a_slow_receiver_does_not_let_the_other_process_post_a_claimed_delivery_again(db, monkeypatch):
    clock = [datetime(2026, 12, 1, 9, tzinfo=UTC)]
    monkeypatch.setattr(courier, "utcnow", lambda: clock[0])
    two_due_deliveries(db, clock[0])
    other = SlowReceiver(clock, 1)
    mine = SlowReceiver(clock, 130, meanwhile=lambda: a_courier(db, other).deliver_once())
    assert a_courier(db, mine).deliver_once() == 1  # the second was delivered meanwhile by the other process
    assert sorted(mine.posts + other.posts) == ["1" * 36, "2" * 36]  # each posted once
    with db.transaction() as tx:
        rows = tx.execute(store.webhook_deliveries.select()).all()
    assert [(row.status, row.attempts) for row in rows] == [("delivered", 1), ("delivered", 1)]


def test_an_attempt_that_outlasts_its_claim_does_not_count_its_outcome(db, monkeypatch):
    clock = [datetime(2026, 12, 1, 9, tzinfo=UTC)]
    monkeypatch.setattr(courier, "utcnow", lambda: clock[0])
    two_due_deliveries(db, clock[0])
    other = SlowReceiver(clock, 1)
    lapsed = courier.CLAIM_MARGIN_SECONDS + 4 * 10 + 1
    mine = SlowReceiver(clock, lapsed, status_code=500, meanwhile=lambda: a_courier(db, other).deliver_once())
    a_courier(db, mine).deliver_once()
    assert other.posts == ["1" * 36, "2" * 36]  # the first one's claim had lapsed: the other took it over
    with db.transaction() as tx:
        rows = tx.execute(store.webhook_deliveries.select()).all()
        hook = store.list_webhooks(tx)[0]
        attempts = tx.execute(store.webhook_attempts.select()).all()
    assert [(row.status, row.attempts) for row in rows] == [("delivered", 1), ("delivered", 1)]
    assert hook["failures_in_row"] == 0 and len(attempts) == 3  # the slow 500 logged, not counted


def test_a_settled_deliverys_body_is_cleared_after_the_days_kept_and_it_cannot_be_replayed(db, monkeypatch):
    from types import SimpleNamespace

    from services.backoffice import usecases
    from services.common.errors import Conflict
    now = datetime(2026, 12, 31, 9, tzinfo=UTC)
    monkeypatch.setattr(courier, "utcnow", lambda: now)
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    with db.transaction() as tx:
        hook = store.insert_webhook(tx, {"url": "https://a.example/hook", "events": ["registration_confirmed"],
                                         "secret": "whsec_x", "created_by": "admin@smopk.example", "created_at": old})
        rows = {}
        for name, status, tried_at in [("delivered long ago", "delivered", old), ("failed long ago", "failed", old),
                                       ("delivered lately", "delivered", recent), ("still pending", "pending", old),
                                       ("failed lately after an old one", "failed", recent),
                                       ("given up untried", "failed", None)]:
            store.add_delivery(tx, {"webhook_id": hook, "message_id": name, "event_type": "registration_confirmed",
                                    "body": '{"data":{"registration":{"email":"jana@obec.example"}}}',
                                    "status": status, "attempts": 1, "next_attempt_at": None, "created_at": old})
            rows[name] = tx.execute(sa.select(store.webhook_deliveries.c.id).where(
                store.webhook_deliveries.c.message_id == name)).scalar()
            for at in ([old, recent] if "lately after" in name else [tried_at] if tried_at else []):
                store.add_attempt(tx, {"delivery_id": rows[name], "at": at, "status_code": 500, "duration_ms": 5,
                                       "answer": ""})
    loop = a_courier(db, None)
    loop.settings.webhook_body_keep_days = 30
    assert loop.clear_old_bodies() == 3 and loop.clear_old_bodies() == 0
    with db.transaction() as tx:
        kept = {name: store.get_delivery(tx, delivery_id) for name, delivery_id in rows.items()}
        assert len(tx.execute(store.webhook_attempts.select()).all()) == 6  # the log stays
    assert {name for name, row in kept.items() if row["body"] == ""} == {
        "delivered long ago", "failed long ago", "given up untried"}
    assert kept["delivered long ago"]["status"] == "delivered" and kept["delivered long ago"]["attempts"] == 1
    with db.transaction() as tx:
        uow = SimpleNamespace(conn=tx, now=now)
        with pytest.raises(Conflict) as refused:
            usecases.replay_delivery(uow, {"email": "admin@smopk.example"}, kept["failed long ago"])
    assert "smazán" in refused.value.message and "nelze poslat znovu" in refused.value.message


def test_bus_events_that_come_together_are_recorded_in_one_transaction_each_failing_alone(db):
    """A rush's events are written a group at a time (one commit for many), the webhooks read
    once; an event that fails on its own (here: without its message id) fails alone, the others
    commit; an event no webhook asked for writes nothing."""
    import eventlet
    from nameko.testing.services import worker_factory

    from services.backoffice.service import BackofficeService
    from services.common.groups import Groups

    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with db.transaction() as tx:
        store.insert_webhook(tx, {"url": "https://a.example/hook", "events": ["registration_confirmed"],
                                  "secret": "whsec_x", "created_by": "admin@smopk.example", "created_at": now})
    worker = worker_factory(BackofficeService, db=db, clock=lambda: now, webhook_groups=Groups(100, gather=0.01))
    commits = []
    sa.event.listen(db.engine, "commit", lambda connection: commits.append(1))

    def told(n):
        return {"message_id": f"m{n}", "event_type": "registration_confirmed", "occurred_at": now.isoformat(),
                "registration": {"id": n, "email": f"jana{n}@obec.example", "status": "confirmed"},
                "event": {"id": 7, "version": 1, "title": "Odpady"}}

    def broken():
        payload = told(99)
        del payload["message_id"]
        return payload

    pool = eventlet.GreenPool(30)
    results = [pool.spawn(worker.webhook_registration_confirmed, told(n)) for n in range(1, 21)]
    failing = pool.spawn(worker.webhook_registration_confirmed, broken())
    cancelled = [pool.spawn(worker.webhook_registration_cancelled, dict(told(n), message_id=f"c{n}"))
                 for n in range(1, 6)]
    for thread in results + cancelled:
        thread.wait()
    with pytest.raises(KeyError):
        failing.wait()
    assert len(commits) <= 2, commits  # one group; a second at most, had a handler come late
    with db.transaction() as tx:
        rows = tx.execute(store.webhook_deliveries.select()).all()
    assert sorted(row.message_id for row in rows) == sorted(f"m{n}" for n in range(1, 21))
