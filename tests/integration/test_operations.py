"""What operators look at: health over RPC and HTTP, Prometheus metrics, one log line per call."""
import logging

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import wait_for
from tests.integration.test_system import ALL, published_event


def test_health_and_metrics(runner_factory, service_config, web_session, smtp_sink, caplog):
    service_config = dict(service_config, METRICS_TOKEN="operator-token")
    runner = runner_factory(service_config, *ALL)
    runner.start()
    caplog.set_level(logging.INFO, logger="calls")
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        for service in ("members", "registrations", "notifications", "documents", "payments"):
            assert getattr(cluster, service).health() == {"service": service, "broker": "ok", "database": "ok"}
        event = published_event(cluster, capacity=5)
        registration = cluster.registrations.register(event["id"], {
            "first_name": "Eva", "last_name": "Malá", "email": "eva@obec.example", "organisation_name": "Obec",
            "gdpr_consent": True})
        smtp_sink.wait_for_messages(2)  # the confirmation, and the invoice of a non-member's fee
        wait_for(lambda: [m["status"] for m in cluster.notifications.list_messages()] == ["sent", "sent"],
                 message="the emails sent")
    assert web_session.get("/health").json() == {"status": "ok", "database": "ok", "broker": "ok"}

    # the public address does not show the figures to anyone without the operator's token
    for headers in ({}, {"Authorization": "Bearer guess"}):
        refused = web_session.get("/metrics", headers=headers)
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"

    def figures():
        text = web_session.get("/metrics", headers={"Authorization": "Bearer operator-token"}).text
        return text if 'smopk_emails{status="sent"} 2' in text else None
    text = wait_for(figures, message="the metrics to show the sent emails")
    assert 'smopk_registrations{status="confirmed"} 1' in text
    assert 'smopk_outbox_backlog{service="registrations"} 0' in text
    assert 'smopk_outbox_backlog{service="members"} 0' in text
    assert "smopk_pdf_render_seconds_count 2" in text  # the ticket and the invoice
    assert 'smopk_payment_requests{status="open"} 1' in text
    assert 'smopk_outbox_backlog{service="payments"} 0' in text
    assert "# TYPE smopk_emails gauge" in text

    calls = [record for record in caplog.records if record.name == "calls"]
    register = next(r for r in calls if r.entrypoint == "register")
    assert register.outcome == "ok" and register.call_id.startswith("registrations.register.")
    handled = next(r for r in calls if r.entrypoint == "on_registration_confirmed")
    assert handled.message_id and registration["id"]


def test_no_log_line_carries_a_secret_link(service_processes, service_config):
    process = service_processes("registrations", LOG_LEVEL="INFO").wait_healthy()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = published_event(cluster, capacity=5)
        registration = cluster.registrations.register(event["id"], {
            "first_name": "Eva", "last_name": "Malá", "email": "eva@obec.example", "organisation_name": "Obec",
            "gdpr_consent": True})
    token = registration["token"]
    # the personal links to materials and feedback (a forged one is logged as a genuine one would be)
    after = f"{registration['id']}-abcdefghijklmnopqrstuvwxyz"
    for path in (f"/r/{token}", f"/api/registrations/{token}", f"/api/registrations/{token}/ticket.pdf",
                 f"/r/{token}/zrusit", "/announcements/unsubscribe/abcdefghijklmnop", f"/materials/{after}",
                 f"/materials/{after}/1", f"/api/materials/{after}", f"/feedback/{after}"):
        requests.get(process.base + path, timeout=10)
    requests.post(f"{process.base}/api/feedback/{after}", json={}, timeout=10)
    requests.post(f"{process.base}/api/registrations/{token}/cancel", timeout=10)
    output = wait_for(lambda: "/cancel" in process.output() and process.output(), message="the access log")
    assert token not in output and "abcdefghijklmnop" not in output and after not in output
    assert "/api/registrations/***/cancel" in output and "/r/***" in output
    assert "/materials/***/1" in output and "/api/feedback/***" in output and "/feedback/***" in output
