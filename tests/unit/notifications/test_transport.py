"""The way to the mail server: its certificate checked, and its refusals told apart.

A refused recipient is the address's fault and final; any other 5xx is the
server's or our configuration's, so the email is kept, retried and flagged.
"""
import logging
import subprocess
from datetime import timedelta

import pytest

from services.notifications.mailer import Smtp
from tests.conftest import SmtpSink
from tests.unit.notifications.conftest import NOW
from tests.unit.notifications.test_delivery import confirmed


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, as a private mail server might have."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_sink(tmp_path, certificate):
    cert, key = certificate
    sink = SmtpSink(tmp_path / "mail", options=["--tls-cert", str(cert), "--tls-key", str(key)])
    sink.start()
    yield sink
    sink.stop()


def test_starttls_refuses_a_certificate_it_cannot_verify(notifications, tls_sink):
    notifications.smtp = Smtp({"PORT": tls_sink.port, "STARTTLS": True, "TIMEOUT": 5})
    notifications.on_registration_confirmed(confirmed(1))
    [message] = notifications.list_messages()
    assert message["status"] == "awaiting_retry" and "CERTIFICATE_VERIFY_FAILED" in message["last_error"]
    assert tls_sink.messages() == []


def test_starttls_with_the_private_ca_file_delivers(notifications, tls_sink, certificate):
    notifications.smtp = Smtp({"PORT": tls_sink.port, "STARTTLS": True, "TIMEOUT": 5, "CA_FILE": str(certificate[0])})
    notifications.on_registration_confirmed(confirmed(1))
    [delivered] = tls_sink.messages()
    assert delivered["To"] == "jana1@obec.example"


def test_a_server_refusing_us_is_retried_and_raises_the_alarm(notifications, tmp_path, caplog):
    refusing = SmtpSink(tmp_path / "refusing", options=["--refuse-senders"])
    refusing.start()
    try:
        notifications.smtp = Smtp({"PORT": refusing.port, "TIMEOUT": 5})
        with caplog.at_level(logging.ERROR):
            notifications.on_registration_confirmed(confirmed(1))
        [message] = notifications.list_messages()
        assert message["status"] == "awaiting_retry" and message["last_error"].startswith("553")
        assert "check the mail settings" in caplog.text
        alarm = [s for s in notifications.metrics() if s[0] == "smopk_emails_refused_by_server"]
        assert [s[-1] for s in alarm] == [1]
    finally:
        refusing.stop()

    fixed = SmtpSink(tmp_path / "fixed")  # the operator fixed the configuration
    fixed.start()
    try:
        notifications.smtp = Smtp({"PORT": fixed.port, "TIMEOUT": 5})
        notifications.clock_state["now"] = NOW + timedelta(seconds=11)
        notifications.deliver_due()
        assert len(fixed.messages()) == 1
        assert notifications.list_messages()[0]["status"] == "sent"
    finally:
        fixed.stop()


def test_a_server_slow_to_answer_the_data_gets_the_email_once(notifications, tmp_path):
    """The server keeps the message, then answers after longer than the other commands' timeout:
    giving up there and trying again would deliver it twice (RFC 5321 §6.1)."""
    slow = SmtpSink(tmp_path / "slow", options=["--accept-delay", "2.5"])
    slow.start()
    try:
        notifications.smtp = Smtp({"PORT": slow.port, "TIMEOUT": 1, "DATA_TIMEOUT": 10})
        notifications.on_registration_confirmed(confirmed(1))
        notifications.clock_state["now"] = NOW + timedelta(hours=1)
        notifications.deliver_due()
        assert [m["To"] for m in slow.messages()] == ["jana1@obec.example"]
        [record] = notifications.list_messages()
        assert (record["status"], record["attempts"]) == ("sent", 1)
    finally:
        slow.stop()


def test_a_server_that_never_answers_the_data_is_given_up_after_the_data_timeout(notifications, tmp_path):
    slow = SmtpSink(tmp_path / "slow", options=["--accept-delay", "30"])
    slow.start()
    try:
        notifications.smtp = Smtp({"PORT": slow.port, "TIMEOUT": 1, "DATA_TIMEOUT": 1.5})
        notifications.on_registration_confirmed(confirmed(1))
        [record] = notifications.list_messages()
        assert record["status"] == "awaiting_retry" and "timed out" in record["last_error"]
    finally:
        slow.stop()
