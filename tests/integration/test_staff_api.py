"""The staff API and webhooks over real HTTP: tokens made in the console, their scopes, pace and
revocation; webhooks delivered to a local receiver that checks the signature, retried, paused,
replayed; and the staff API's OpenAPI document checked by schemathesis."""
import io
import json
import re
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from lxml import etree
from nameko.standalone.rpc import ClusterRpcProxy
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.backoffice import store, webhooks
from services.backoffice.service import BackofficeService
from services.common.czech import MONTH_FORMAT, local, month_name
from services.common.db import Database, utcnow
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests import statements
from tests.conftest import free_port, wait_for
from tests.integration.test_console import csrf_of, logged_in, staff_accounts
from tests.integration.test_console_payments import TOWN
from tests.integration.test_system import published_event, seminar
from tests.unit.payments.test_accounting import POHODA_XSD, b64

EXAMPLES_PER_OPERATION = 10


def start_console(runner_factory, service_config, *services, **settings_):
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", WEBHOOK_ALLOW_LOCAL_HTTP=True,
                  WEBHOOK_POLL_SECONDS=0.1, **settings_)
    runner_factory(config, BackofficeService, RegistrationsService, PaymentsService, *services).start()
    secrets = staff_accounts(config["DATABASES"]["backoffice"])
    return f"http://127.0.0.1:{port}", config, secrets


@pytest.fixture
def console(runner_factory, service_config):
    base, config, secrets = start_console(runner_factory, service_config, STAFF_API_RATE_LIMIT=6,
                                          STAFF_API_RATE_SECONDS=60, WEBHOOK_RETRY_DELAYS=[0.3, 0.3, 0.3, 0.3],
                                          WEBHOOK_PAUSE_AFTER=3)
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield base, cluster, logged_in(base, "admin", secrets), config


def new_token(admin, base, name, scopes):
    page = admin.get(f"{base}/api-tokeny")
    answer = admin.post(f"{base}/api-tokeny", data={"csrf": csrf_of(page), "name": name, "scopes": scopes})
    assert answer.status_code == 200, answer.text[:300]
    return re.search(r"<code>(smopk_[\w-]+)</code>", answer.text).group(1)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Receiver:
    """A local webhook receiver: checks each POST's signature and answers the next of ``answers``
    (the last one thereafter)."""

    def __init__(self, answers=(200,)):
        self.answers, self.received, self.secret = list(answers), [], None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = webhooks.verify(receiver.secret, self.headers.get("X-Smopk-Signature"), body)
                receiver.received.append({"valid": valid, "body": json.loads(body),
                                          "event": self.headers.get("X-Smopk-Event")})
                status = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                self.send_response(status if valid else 401)
                self.end_headers()
                self.wfile.write(b"ok" if valid else b"bad signature")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(answers=(200,)):
        made.append(Receiver(answers))
        return made[-1]
    yield make
    for receiver in made:
        receiver.close()


def new_webhook(admin, base, receiver, events):
    page = admin.get(f"{base}/webhooky")
    answer = admin.post(f"{base}/webhooky", data={"csrf": csrf_of(page), "url": receiver.url, "events": events})
    assert answer.status_code == 200, answer.text[:500]
    receiver.secret = re.search(r"<code>(whsec_[\w-]+)</code>", answer.text).group(1)


def confirm(admin, base, path):
    """Post an action, answer its question with yes."""
    page = admin.get(f"{base}/webhooky")
    question = admin.post(f"{base}{path}", data={"csrf": csrf_of(page)})
    assert 'name="confirmed" value="ano"' in question.text
    return admin.post(f"{base}{path}", data={"csrf": csrf_of(page), "confirmed": "ano"})


def register(cluster, event, email):
    return cluster.registrations.register(event["id"], {"first_name": "Jana", "last_name": "Nováková",
                                                        "email": email, "organisation_name": "Obec Kozlovice",
                                                        "gdpr_consent": True})


def test_the_staff_api_needs_a_token_with_the_scope_and_records_each_use(console):
    base, cluster, admin, config = console
    event = published_event(cluster, capacity=5)
    jana = register(cluster, event, "jana@obec.example")
    assert (answer := requests.get(f"{base}/api/staff/events")).status_code == 401
    assert answer.json()["error"] == "unauthorized" and "token" in answer.json()["message"]
    assert requests.get(f"{base}/api/staff/events", headers=bearer("smopk_guess")).json()["error"] == "invalid_token"

    reader = new_token(admin, base, "Web obce", ["events:read", "registrations:read"])
    events = requests.get(f"{base}/api/staff/events", headers=bearer(reader))
    assert events.status_code == 200 and [e["id"] for e in events.json()["events"]] == [event["id"]]
    listed = requests.get(f"{base}/api/staff/events/{event['id']}/registrations", headers=bearer(reader)).json()
    assert [(r["id"], r["status"]) for r in listed["registrations"]] == [(jana["id"], "confirmed")]
    assert listed["registrations"][0]["payment_state"].startswith("nezaplaceno 900")
    refused = requests.post(f"{base}/api/staff/registrations/{jana['id']}/cancel", headers=bearer(reader))
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert cluster.registrations.get_registration(jana["id"])["status"] == "confirmed"

    manager = new_token(admin, base, "Recepce", ["registrations:manage"])
    cancelled = requests.post(f"{base}/api/staff/registrations/{jana['id']}/cancel", headers=bearer(manager))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = requests.post(f"{base}/api/staff/registrations/{jana['id']}/cancel", headers=bearer(manager))
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    back = requests.post(f"{base}/api/staff/registrations/{jana['id']}/restore", headers=bearer(manager))
    assert back.status_code == 201 and back.json()["status"] == "confirmed"  # with a fee too: asked for afresh
    assert back.json()["id"] != jana["id"]
    twice = requests.post(f"{base}/api/staff/registrations/{jana['id']}/restore", headers=bearer(manager))
    assert twice.status_code == 409 and twice.json()["error"] == "already_registered" and twice.json()["message"]
    first_manager, manager = manager, new_token(admin, base, "Recepce 2", ["registrations:manage"])  # 6 a minute each
    free = published_event(cluster, capacity=5, price_member=0, price_non_member=0)
    petr = register(cluster, free, "petr@obec.example")
    requests.post(f"{base}/api/staff/registrations/{petr['id']}/cancel", headers=bearer(manager))
    restored = requests.post(f"{base}/api/staff/registrations/{petr['id']}/restore", headers=bearer(manager))
    assert restored.status_code == 201 and restored.json()["status"] == "confirmed"
    missing = requests.post(f"{base}/api/staff/registrations/999999/cancel", headers=bearer(manager))
    assert missing.status_code == 404 and missing.json()["message"]

    # The pace per token: 6 a minute here; the seventh is 429 with Retry-After, another token is not slowed.
    statuses = [requests.get(f"{base}/api/staff/events", headers=bearer(reader)).status_code for _ in range(4)]
    assert statuses[-1] == 429 and "Retry-After" in requests.get(f"{base}/api/staff/events",
                                                                   headers=bearer(reader)).headers
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        rows = {t["name"]: t for t in store.list_tokens(tx)}
        audit = [(a["who"], a["action"], a["outcome"]) for a in store.list_audit(tx, limit=100)]
    database.dispose()
    assert rows["Recepce"]["uses"] == 4 and rows["Recepce"]["last_used_at"] is not None
    assert rows["Recepce 2"]["uses"] == 3
    kept = json.dumps([dict(r) for r in rows.values()], default=str)
    assert rows["Recepce"]["token_hash"] != first_manager and first_manager not in kept
    who = f"API token {first_manager[:12]}… (Recepce)"
    assert (who, "registration_cancelled", "done") in audit and (who, "registration_restored", "done") in audit
    assert (who, "registration_restored", "refused") in audit
    assert ("admin@smopk.example", "api_token_created", "done") in audit

    # Revoked: the next request is 401.
    token_id = rows["Recepce"]["id"]
    page = admin.get(f"{base}/api-tokeny")
    question = admin.post(f"{base}/api-tokeny/{token_id}/zrusit", data={"csrf": csrf_of(page)})
    assert "Zrušit token Recepce" in question.text
    admin.post(f"{base}/api-tokeny/{token_id}/zrusit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    revoked = requests.post(f"{base}/api/staff/registrations/{jana['id']}/cancel", headers=bearer(first_manager))
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"


def test_a_webhook_gets_signed_deliveries_once_each(console, receiver_factory):
    base, cluster, admin, _config = console
    receiver = receiver_factory()
    new_webhook(admin, base, receiver, ["registration_confirmed", "registration_cancelled"])
    event = published_event(cluster, capacity=5)
    jana = register(cluster, event, "jana@obec.example")
    cluster.registrations.cancel_registration(jana["id"])
    wait_for(lambda: len(receiver.received) >= 2, timeout=30, message="two deliveries")
    assert all(r["valid"] for r in receiver.received)
    assert [r["body"]["type"] for r in receiver.received] == ["registration_confirmed", "registration_cancelled"]
    assert receiver.received[0]["body"]["data"]["registration"]["id"] == jana["id"]
    told = receiver.received[0]["body"]["data"]["registration"]
    assert told["event_id"] == event["id"] and told["email"] == "jana@obec.example"
    for kept_back in ("token", "manage_url", "ticket_code", "ticket_url", "webinar_url", "birth_date", "answers"):
        assert kept_back not in told and kept_back not in receiver.received[0]["body"]["data"]["event"], kept_back
    assert len({r["body"]["id"] for r in receiver.received}) == 2
    page = admin.get(f"{base}/webhooky").text
    assert "doručeno" in page and "HTTP 200" in page


def test_a_failing_url_is_retried_then_paused_and_the_dashboard_says_so_and_a_delivery_is_replayed(
        console, receiver_factory):
    base, cluster, admin, config = console
    receiver = receiver_factory(answers=(500,))
    new_webhook(admin, base, receiver, ["registration_confirmed"])
    event = published_event(cluster, capacity=5)
    register(cluster, event, "jana@obec.example")
    wait_for(lambda: len(receiver.received) >= 3, timeout=30, message="three tries")
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    wait_for(lambda: _paused(database), timeout=10, message="the webhook paused")
    assert len(receiver.received) == 3 and all(r["valid"] for r in receiver.received)  # no fourth while paused
    assert "Pozastavené webhooky" in admin.get(f"{base}/").text
    page = admin.get(f"{base}/webhooky").text
    assert "Pozastaveno" in page and "HTTP 500" in page

    receiver.answers = [200]
    with database.transaction() as tx:
        hook = store.list_webhooks(tx)[0]
    resumed = confirm(admin, base, f"/webhooky/{hook['id']}/obnovit")
    assert resumed.status_code == 200
    wait_for(lambda: len(receiver.received) >= 4, timeout=30, message="delivered after resuming")
    wait_for(lambda: _statuses(database) == ["delivered"], timeout=10, message="delivered")

    with database.transaction() as tx:
        delivery = store.list_deliveries(tx, hook["id"])[0]
    confirm(admin, base, f"/webhooky/doruceni/{delivery['id']}/znovu")
    wait_for(lambda: len(receiver.received) >= 5, timeout=30, message="the replay")
    assert receiver.received[4]["body"]["id"] == receiver.received[0]["body"]["id"] and receiver.received[4]["valid"]

    # Its body cleared after WEBHOOK_BODY_KEEP_DAYS: it is not sent again, and the page says why.
    wait_for(lambda: _statuses(database) == ["delivered"], timeout=10, message="the replay delivered")
    with database.transaction() as tx:
        store.update_delivery(tx, delivery["id"], {"body": ""})
    page = admin.get(f"{base}/webhooky")
    refused = admin.post(f"{base}/webhooky/doruceni/{delivery['id']}/znovu",
                         data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert refused.status_code == 409 and "nelze poslat znovu" in refused.text
    with database.transaction() as tx:
        assert store.get_delivery(tx, delivery["id"])["status"] == "delivered"
        audit = [a["action"] for a in store.list_audit(tx, limit=50)]
    database.dispose()
    assert {"webhook_created", "webhook_resumed", "webhook_replayed"} <= set(audit)


def test_a_private_or_plain_http_url_is_refused_in_czech(console):
    base, _cluster, admin, _config = console
    page = admin.get(f"{base}/webhooky")
    for url in ("http://example.com/hook", "https://10.0.0.1/hook", "https://localhost/hook"):
        answer = admin.post(f"{base}/webhooky", data={"csrf": csrf_of(page), "url": url,
                                                      "events": ["registration_confirmed"]})
        assert answer.status_code == 422 and ("https://" in answer.text or "vnitřní" in answer.text), url


def _paused(database):
    with database.transaction() as tx:
        return bool(store.paused_webhooks(tx))


def _statuses(database):
    with database.transaction() as tx:
        return [d["status"] for hook in store.list_webhooks(tx) for d in store.list_deliveries(tx, hook["id"])]


def test_the_staff_api_keeps_its_contract(runner_factory, service_config):
    base, config, secrets = start_console(runner_factory, service_config, STAFF_API_RATE_LIMIT=100000)
    with ClusterRpcProxy(config, timeout=30) as cluster:
        event = published_event(cluster, capacity=5)
        register(cluster, event, "jana@obec.example")
    admin = logged_in(base, "admin", secrets)
    token = new_token(admin, base, "Kontrola", ["events:read", "registrations:read", "registrations:manage",
                                                "payments:read", "accounting:read"])
    assert requests.get(f"{base}/api/staff/openapi.json").status_code == 401
    schema = schemathesis.openapi.from_url(f"{base}/api/staff/openapi.json", headers=bearer(token))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case):
            case.call_and_validate(headers=bearer(token), excluded_checks=[positive_data_acceptance])

        check()
        checked.append(operation.label)
    assert len(checked) == 10, checked


def test_publishing_and_changing_an_event_each_make_one_signed_delivery(console, receiver_factory):
    base, cluster, admin, _config = console
    receiver = receiver_factory()
    new_webhook(admin, base, receiver, ["event_published", "event_updated"])
    draft = cluster.registrations.create_event(seminar(capacity=5))
    page = admin.get(f"{base}/akce/{draft['id']}")
    for _ in range(2):  # staff publish it; a second click finds it published already
        admin.post(f"{base}/akce/{draft['id']}/zverejnit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    wait_for(lambda: len(receiver.received) >= 1, timeout=30, message="the event_published delivery")
    [published] = receiver.received
    assert published["valid"] and published["body"]["type"] == "event_published"
    facts = published["body"]["data"]["event"]
    assert (facts["id"], facts["title"], facts["capacity"]) == (draft["id"], draft["title"], 5)
    assert facts["url"].endswith(f"/events/{draft['id']}") and "registration" not in published["body"]["data"]

    for n in (1, 2, 3):  # three people registered: the bus tells each of them of the new venue
        register(cluster, draft, f"jana{n}@obec.example")
    cluster.registrations.update_event(draft["id"], {"venue": "Rokycany, sál"})
    wait_for(lambda: len(receiver.received) >= 2, timeout=30, message="the event_updated delivery")
    time.sleep(2)  # the other registrations' copies of the change have come and made nothing
    assert [r["body"]["type"] for r in receiver.received] == ["event_published", "event_updated"]
    changed = receiver.received[1]
    assert changed["valid"] and changed["body"]["data"]["changes"]["venue"][1] == "Rokycany, sál"
    assert "registration" not in changed["body"]["data"]


def test_the_accountants_program_downloads_a_months_papers_with_a_token(runner_factory, service_config):
    base, config, secrets = start_console(runner_factory, service_config, MembersService, DocumentsService,
                                          STAFF_API_RATE_LIMIT=7, STAFF_API_RATE_SECONDS=60)
    admin = logged_in(base, "admin", secrets)
    with ClusterRpcProxy(config, timeout=30) as cluster:
        cluster.members.upsert_organisation(TOWN)  # its registrations are invoiced at once
        event = published_event(cluster, capacity=10)
        ids = [cluster.registrations.register(event["id"], {
            "first_name": name, "last_name": "Nováková", "email": f"{name.lower()}@dolnilhota.example",
            "organisation_ico": TOWN["ico"], "gdpr_consent": True})["id"] for name in ("Jana", "Eva")]
        wait_for(lambda: len(cluster.payments.list_invoices()) == 2, message="two invoices at registration")
        today = local(utcnow()).date()
        cluster.payments.import_statement(b64(statements.gpc([
            {"bank_id": "2600000000001", "amount_halere": 90000, "variable_symbol": f"1{ids[0]:09d}",
             "booked_on": today.isoformat()}])))
        invoices = cluster.payments.list_invoices()
    month = f"{today.year}-{today.month:02d}"
    accountant = new_token(admin, base, "Účetní kancelář", ["accounting:read"])
    other = new_token(admin, base, "Web obce", ["events:read", "payments:read"])
    url = f"{base}/api/staff/accounting/{month}"

    refused = requests.get(f"{url}/pohoda.xml", headers=bearer(other))
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert "stahovat podklady pro účetní" in refused.json()["message"]
    assert requests.get(url, headers=bearer(other)).status_code == 403

    overview = requests.get(url, headers=bearer(accountant))
    assert overview.status_code == 200, overview.text
    said = overview.json()
    assert (said["month"], said["name"], said["pohoda"]) == (month, month_name(today.year, today.month), True)
    assert said["totals"]["counts"]["invoices"] == 2 and said["totals"]["invoices"] == 180000
    assert (said["totals"]["counts"]["bank"], said["totals"]["bank"], said["totals"]["unpaid"]) == (1, 90000, 90000)
    assert said["files"]["pohoda"] == f"/api/staff/accounting/{month}/pohoda.xml"

    pack = requests.get(f"{url}/pohoda.xml", headers=bearer(accountant))
    assert pack.status_code == 200 and pack.headers["Content-Type"] == "application/xml"
    assert pack.headers["Content-Disposition"] == f'attachment; filename="ucetnictvi-{month}-pohoda.xml"'
    schema = etree.XMLSchema(etree.parse(POHODA_XSD))
    assert schema.validate(etree.fromstring(pack.content)), schema.error_log.filter_from_errors()
    workbook = requests.get(base + said["files"]["xlsx"], headers=bearer(accountant))
    assert workbook.headers["Content-Disposition"] == f'attachment; filename="ucetnictvi-{month}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Faktury", "Platby", "Nezaplacené", "Vratky"] and book["Faktury"].max_row == 4
    isdocs = requests.get(base + said["files"]["isdoc"], headers=bearer(accountant))
    assert isdocs.headers["Content-Type"] == "application/zip"
    assert sorted(zipfile.ZipFile(io.BytesIO(isdocs.content)).namelist()) == sorted(
        f"{i['number']}.isdoc" for i in invoices)

    # A month with nothing for POHODA: 409 as in the console; a month that is none: 422, not audited.
    empty = requests.get(f"{base}/api/staff/accounting/2020-01/pohoda.xml", headers=bearer(accountant))
    assert empty.status_code == 409 and empty.json()["error"] == "nothing_to_import"
    assert empty.json()["message"].startswith("Za leden 2020 není co importovat do Pohody")
    for path in ("2028-13", "duben/pohoda.xml"):
        bad = requests.get(f"{base}/api/staff/accounting/{path}", headers=bearer(accountant))
        assert bad.status_code == 422 and bad.json()["message"] == MONTH_FORMAT, path
        assert bad.headers["Content-Type"].startswith("application/json")

    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        audit = [(a["who"], a["outcome"], a["details"]["format"])
                 for a in store.list_audit(tx, limit=100, action="accounting_exported")]
    database.dispose()
    who = f"API token {accountant[:12]}… (Účetní kancelář)"
    assert list(reversed(audit)) == [(who, "done", "XML pro Pohodu"), (who, "done", "tabulka XLSX"),
                                     (who, "done", "ISDOC (ZIP)"), (who, "refused", "XML pro Pohodu")]

    # The pace as any call's: seven a minute here, this is the eighth.
    slowed = requests.get(url, headers=bearer(accountant))
    assert slowed.status_code == 429 and "Retry-After" in slowed.headers
