"""The municipality's page (/obec) of an organisation whose documents go to its data box: under
its invoice, when it reached the box and its delivery note (the ISDS stand-in, real services)."""
import re
from datetime import UTC, datetime

import pytest

from tests.conftest import wait_for
from tests.integration.test_portal import log_in, settled
from tests.integration.test_system import ALL, cluster, published_event  # noqa: F401 (a fixture)
from tests.isds_standin import IsdsStandIn

STOD = "00256358"


@pytest.fixture
def boxed_town(runner_factory, service_config, smtp_sink):
    standin = IsdsStandIn().start()
    config = dict(service_config, ISDS_URL=standin.url, ISDS_USERNAME="svazek", ISDS_PASSWORD="heslo",
                  ISDS_TIMEOUT=2, ISDS_POLL_SECONDS=0.5)
    runner_factory(config, *ALL).start()
    try:
        yield config, standin
    finally:
        standin.stop()


def test_the_invoice_delivered_to_the_data_box_shows_its_delivery_note(boxed_town, cluster, smtp_sink):  # noqa: F811
    config, standin = boxed_town
    standin.add_box(STOD, "xyz9876")
    cluster.members.upsert_organisation({"ico": STOD, "name": "Město Stod", "kind": "město", "district": "Plzeň-jih",
                                         "billing_email": "ucetni@stod.example"})
    cluster.members.set_delivery_channel(STOD, "databox")
    cluster.members.add_contact(STOD, {"first_name": "Eva", "last_name": "Nováková", "email": "eva@stod.example"})
    event = published_event(cluster, title="Odpady v obci: nový zákon", capacity=5)
    cluster.registrations.register(event["id"], {
        "first_name": "Bohumil", "last_name": "Řezáč", "email": "bohumil@stod.example", "organisation_ico": STOD,
        "gdpr_consent": True})
    [invoice] = wait_for(lambda: cluster.payments.organisation_invoices(STOD), timeout=60, message="the invoice")
    [sent] = wait_for(lambda: standin.sent, timeout=60, message="the message in the data box")
    base = config["PUBLIC_BASE_URL"]

    browser, _, _ = log_in(base, smtp_sink, "eva@stod.example")
    page = browser.get(f"{base}/obec")
    assert f"Faktura {invoice['number']}" in page.text and "Doručeno do datové schránky" not in page.text

    standin.delivery[sent["dmID"]] = (datetime(2027, 1, 5, 8, 5, tzinfo=UTC), datetime(2027, 1, 5, 13, 30, tzinfo=UTC))
    wait_for(lambda: cluster.notifications.databox_deliveries(STOD)[0]["status"] == "accepted", timeout=60,
             message="the delivery note")
    page = browser.get(f"{base}/obec")
    row = re.search(rf"<tr>\s*<td data-label=\"Doklad\">Faktura {invoice['number']}.*?</tr>", page.text, re.S).group(0)
    assert "Doručeno do datové schránky 5. 1. 2027 9:05, doručenka 5. 1. 2027 14:30" in row
    settled(smtp_sink)
    assert [m for m in smtp_sink.messages() if m["To"] == "ucetni@stod.example"] == []
