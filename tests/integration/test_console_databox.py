"""Invoices to an organisation's data box, from the console: staff switch the organisation's
delivery of documents in its form, a registration with a fee issues its invoice, the ISDS stand-in
takes it and later gives its delivery note, and the organisation's page shows the document, its
state and the times in Czech; no invoice email goes to the billing address."""
import re
from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from tests.conftest import free_port, wait_for
from tests.integration.test_console import PASSWORD, csrf_of, logged_in
from tests.integration.test_console_members import notice
from tests.integration.test_system import ALL, published_event
from tests.isds_standin import IsdsStandIn

PLZEN = "00075370"
BILLING = "faktury@plzen.example"


@pytest.fixture
def console(runner_factory, service_config, smtp_sink):
    standin = IsdsStandIn().start()
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", ISDS_URL=standin.url,
                  ISDS_USERNAME="svazek", ISDS_PASSWORD="heslo", ISDS_TIMEOUT=2, ISDS_POLL_SECONDS=0.5)
    runner_factory(config, BackofficeService, *ALL).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        admin, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "admin@smopk.example", "Admin", "admin",
                                           password=PASSWORD)
        secret = usecases.new_totp_secret()
        store.update_account(tx, admin["id"], {"must_change_password": False, "totp_secret": secret})
    database.dispose()
    try:
        with ClusterRpcProxy(config, timeout=30) as cluster:
            base = f"http://127.0.0.1:{port}"
            yield base, cluster, logged_in(base, "admin", {"admin": secret}), standin
    finally:
        standin.stop()


def test_staff_switch_an_organisation_to_its_data_box_and_see_the_delivery_note(console, smtp_sink):
    base, cluster, admin, standin = console
    standin.add_box(PLZEN, "abc1234")
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město", "billing_email": BILLING})
    page = admin.get(f"{base}/clenove/{PLZEN}")
    assert "<dt>Doručování dokladů</dt><dd>e-mailem</dd>" in page.text
    assert "Do datové schránky organizace zatím nic neodešlo." in page.text

    form = admin.get(f"{base}/clenove/{PLZEN}/upravit")
    assert 'name="delivery_channel" value="by_email" checked' in form.text
    values = {"csrf": csrf_of(form), "name": "Statutární město Plzeň", "kind": "statutární město",
              "district": "Plzeň-město", "address": "", "email": "", "phone": "", "dic": "",
              "billing_email": BILLING, "member_since": "", "member_until": "", "delivery_channel": "databox"}
    saved = admin.post(f"{base}/clenove/{PLZEN}/upravit", data=values)
    assert saved.status_code == 200 and saved.url.endswith(f"/clenove/{PLZEN}")
    assert notice(saved) == (
        "Organizace Statutární město Plzeň je uložena: doručování dokladů. Faktury a dobropisy teď odcházejí "
        "do datové schránky organizace místo e-mailu, osvědčení navíc i do schránky; nemá-li organizace schránku, "
        "odejdou e-mailem.")
    assert "<dt>Doručování dokladů</dt><dd>do datové schránky</dd>" in saved.text
    assert cluster.members.get_organisation(PLZEN)["delivery_channel"] == "databox"
    audit = admin.get(f"{base}/audit", params={"co": "organisation_edited"}).text
    assert '<td class="action">upravena organizace</td>' in audit and "změněno: doručování dokladů" in audit
    unknown = admin.post(f"{base}/clenove/{PLZEN}/upravit", data=dict(values, delivery_channel="holub"))
    assert unknown.status_code == 422

    # A registration with a fee and the organisation's IČO: its invoice is issued with the payment request.
    event = published_event(cluster, title="Správní řád v praxi", capacity=5)
    cluster.registrations.register(event["id"], {
        "first_name": "Alena", "last_name": "Šťastná", "email": "alena@plzen.example", "organisation_ico": PLZEN,
        "gdpr_consent": True})
    [invoice] = wait_for(lambda: cluster.payments.organisation_invoices(PLZEN), timeout=60, message="the invoice")
    [sent] = wait_for(lambda: standin.sent, timeout=60, message="the message in the data box")
    assert sent["box"] == "abc1234" and sent["ref"] == f"faktura {invoice['number']}"
    assert [name for name, _, _ in sent["files"]][1] == f"{invoice['number']}.isdoc"

    delivered = datetime(2027, 1, 5, 8, 5, tzinfo=UTC)  # 9:05 in Prague
    accepted = datetime(2027, 1, 5, 13, 30, tzinfo=UTC)
    standin.delivery[sent["dmID"]] = (delivered, accepted)
    wait_for(lambda: cluster.notifications.databox_deliveries(PLZEN)[0]["status"] == "accepted", timeout=60,
             message="the delivery note")

    page = admin.get(f"{base}/clenove/{PLZEN}")
    assert "<h2>Doklady v datové schránce</h2>" in page.text
    row = re.sub(r">\s+<", "><", page.text.split("<h2>Doklady v datové schránce</h2>")[1].split("<h2>")[0])
    # on a phone the table scrolls in its own box, and a document's number is not broken at its hyphens
    assert row.lstrip().startswith('<div class="table-scroll" role="region" aria-label="Doklady v datové schránce"')
    assert '<td class="nowrap">Faktura ' + invoice["number"] + '</td>' in row
    assert "<td>5. 1. 2027 9:05</td><td>5. 1. 2027 14:30</td><td>doručeno (doručenka)</td>" in row
    assert f"<td>{sent['dmID']}</td>" in row
    audit = admin.get(f"{base}/audit", params={"co": "contacts_viewed"}).text
    assert "dokladů v datové schránce: 1" in audit

    assert [m for m in smtp_sink.messages() if BILLING in (m["To"] or "")] == []
    assert not any(part.get_filename() == f"{invoice['number']}.isdoc"
                   for m in smtp_sink.messages() for part in m.iter_attachments())
