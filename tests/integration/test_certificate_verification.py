"""A certificate anyone can check, with every service, the real broker and a real SMTP server: the
certificate an attendee gets by email is sealed with the association's seal (a certificate of
the tests' own authority) and validates in pyHanko and pdfsig; its QR code leads to its public
verification page, which answers over HTTP (and as JSON) from the register in documents. Without
a seal configured, the console says that certificates go out unsealed."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from tests import seals
from tests.conftest import wait_for
from tests.helpers import pdf_attachment, qr_codes
from tests.integration.test_console import logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_system import ALL, published_event
from tests.integration.timetravel import ended

SUBJECT = "Osvědčení o absolvování: "


@pytest.fixture
def sealed_config(service_config, tmp_path):
    authority = seals.make_seal(str(tmp_path))
    return dict(service_config, CERTIFICATE_SEAL_FILE=authority.p12, CERTIFICATE_SEAL_PASSWORD=authority.password,
                RATE_LIMITS=True, RATE_LIMIT_PER_ADDRESS=12), authority


def test_a_sealed_certificate_and_its_verification_page(runner_factory, sealed_config, web_session, smtp_sink):
    config, authority = sealed_config
    runner_factory(config, *ALL).start()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        training = published_event(cluster, capacity=5, accreditation_number="AK/PV-9/2026", hours=6,
                                   title="Správní řád v praxi obce")
        answer = web_session.post(f"/api/events/{training['id']}/registrations", json={
            "first_name": "Jana Marie", "last_name": "Šťastná", "email": "jana.stastna@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True})
        assert answer.status_code == 201, answer.text
        registration = answer.json()
        cluster.registrations.check_in(training["id"], registration["ticket_code"], any_day=True)
        ended(config, training["id"])
        cluster.registrations.mark_attendance(training["id"])
        cluster.registrations.release_certificate(registration["id"], "staff@smopk.example")
        assert cluster.registrations.issue_certificates(training["id"])["issued"] == 1
        wait_for(lambda: any(m["Subject"].startswith(SUBJECT) for m in smtp_sink.messages()), timeout=60,
                 message="the certificate's email")
        status = cluster.documents.seal_status()

    [mailed] = [m for m in smtp_sink.messages() if m["Subject"].startswith(SUBJECT)]
    filename, data = pdf_attachment(mailed)
    assert status["configured"] and not status["sample"] and not status["expired"]

    # the seal, as two readers' tools see it
    verdict = seals.pyhanko_verdict(data, authority)
    assert verdict["bottom_line"] and verdict["trusted"] and verdict["coverage"] == "ENTIRE_FILE", verdict
    report = seals.pdfsig_report(data, authority)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    assert "Total document signed" in report

    # the QR code leads to the page; the page answers
    [address] = qr_codes(data)
    number = filename.removeprefix("osvedceni-").removesuffix(".pdf").replace("-", "/")
    assert address == f"{config['PUBLIC_BASE_URL']}/overeni/{number}"
    path = address.removeprefix(config["PUBLIC_BASE_URL"])
    page = web_session.get(path)
    assert page.status_code == 200
    text = " ".join(page.text.split())
    for said in (f"Osvědčení č. {number} je platné.", "Správní řád v praxi obce", "AK/PV-9/2026",
                 "6 vyučovacích hodin", "iniciály J. M. Š."):
        assert said in text, said
    assert "Šťastná" not in text  # the name is never told

    right = web_session.post(path, data={"jmeno": "  šťastná   Jana Marie "})
    assert right.status_code == 200 and "Ano:" in right.text
    wrong = web_session.post(path, data={"jmeno": "Jana Marie Stastna"})
    assert wrong.status_code == 200 and "Ne:" in wrong.text and "neshoduje" in wrong.text

    year, serial = number.split("/")
    facts = web_session.get(f"/api/certificates/{year}/{int(serial)}")
    assert facts.status_code == 200
    assert facts.json() | {"issued_on": None} == {
        "number": number, "valid": True, "issued_on": None, "duplicate_issued_on": None,
        "programme": "Správní řád v praxi obce", "accreditation_number": "AK/PV-9/2026",
        "held_on": facts.json()["held_on"], "hours": 6, "holder_known": True, "holder_initials": "J. M. Š.",
        "name_checked": False, "name_matches": None}
    checked = web_session.post(f"/api/certificates/{year}/{int(serial)}/holder", json={"name": "Jana Marie Šťastná"})
    assert checked.status_code == 200 and checked.json()["name_matches"] is True
    empty = web_session.post(f"/api/certificates/{year}/{int(serial)}/holder", json={"name": " "})
    assert empty.status_code == 422 and empty.json()["fields"]["name"]

    # a number never issued: a Czech 404 page, and the API's 404
    unknown = web_session.get(f"/overeni/{year}/9999")
    assert unknown.status_code == 404 and f"Osvědčení s číslem {year}/9999 jsme nevydali" in unknown.text
    assert unknown.headers["Content-Type"].startswith("text/html") and 'lang="cs"' in unknown.text
    missing = web_session.get(f"/api/certificates/{year}/9999")
    assert missing.status_code == 404 and missing.json()["error"] == "certificate_not_found"

    # one address may check only so many times (RATE_LIMIT_PER_ADDRESS here 12; 7 counted above)
    answers = [web_session.get(path).status_code for _ in range(6)]
    assert answers[:4] == [200] * 4 and answers[-1] == 429


def test_the_console_says_that_certificates_go_out_unsealed(whole_console):  # noqa: F811
    base, cluster, secrets, _ = whole_console
    event = published_event(cluster, capacity=5, accreditation_number="AK/PV-4/2026", hours=4)
    page = logged_in(base, "staff", secrets).get(f"{base}/akce/{event['id']}")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Osvědčení se vydávají bez elektronické pečeti: certifikát pečeti není nastaven" in text
    plain = published_event(cluster, capacity=5, title="Setkání starostů")  # not accredited: no certificates
    assert "pečeti" not in logged_in(base, "staff", secrets).get(f"{base}/akce/{plain['id']}").text
