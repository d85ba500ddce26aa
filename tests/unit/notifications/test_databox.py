"""Invoices to data boxes (ISDS), against a local stand-in built from the vendored definitions."""
import base64
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications import store
from services.notifications.isds import IsdsClient
from tests.isds_standin import IsdsStandIn
from tests.unit.notifications.test_delivery import confirmed

PLZEN = "00075370"


@pytest.fixture
def standin():
    standin = IsdsStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def boxed(notifications, standin):
    notifications.settings = type(notifications.settings)(**dict(
        vars(notifications.settings), isds_username="svazek", isds_password="heslo", isds_url=standin.url))
    notifications.isds = IsdsClient(standin.url, "svazek", "heslo", timeout=1)
    notifications.members.get_organisation.return_value = {"ico": PLZEN, "delivery_channel": "databox"}
    notifications.documents.render_invoice.return_value = {
        "filename": "faktura-FV-2026-0001.pdf", "content_type": "application/pdf",
        "data": base64.b64encode(b"%PDF-1.7 faktura").decode()}
    return notifications


def invoice():
    return {"invoice": {"number": "FV-2026-0001", "kind": "invoice", "total_halere": 90000,
                        "variable_symbol": "1000000001", "due_on": "2026-12-08",
                        "supplier": {"account": "19-2000145399/0800"}, "customer": {"ico": PLZEN}},
            "isdoc": base64.b64encode(b"<?xml version='1.0'?><Invoice/>").decode(),
            "recipients": ["ucetni@obec.example"], "registration_ids": [1], "event": confirmed(1)["event"]}


def rows(worker):
    with worker.db.transaction() as tx:
        return [dict(row) for row in store.databox_messages_of(tx, PLZEN)]


def test_an_invoice_goes_to_the_box_once_and_its_delivery_note_is_polled_until_accepted(boxed, standin, sink):
    standin.add_box(PLZEN, "abc1234")
    boxed.on_invoice_issued(invoice())
    boxed.on_invoice_issued(invoice())  # redelivered: nothing twice
    [sent] = standin.sent
    assert sent["box"] == "abc1234" and sent["ref"] == "faktura FV-2026-0001"
    assert [f[0] for f in sent["files"]] == ["faktura-FV-2026-0001.pdf", "FV-2026-0001.isdoc"]
    assert sink.messages() == []  # no email: the box is the channel
    [row] = rows(boxed)
    assert (row["status"], row["dm_id"]) == ("sent", sent["dmID"])
    # late: not delivered at the first question, then delivered, then accepted
    later = boxed.clock_state["now"] = boxed.clock_state["now"] + timedelta(hours=1)
    boxed.deliver_databox_due()
    assert rows(boxed)[0]["status"] == "sent"
    delivered = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    standin.delivery[sent["dmID"]] = (delivered, None)
    boxed.clock_state["now"] = later + timedelta(hours=1)
    boxed.deliver_databox_due()
    assert (rows(boxed)[0]["status"], rows(boxed)[0]["delivered_at"]) == ("delivered", delivered)
    standin.delivery[sent["dmID"]] = (delivered, delivered + timedelta(days=1))
    boxed.clock_state["now"] = later + timedelta(hours=2)
    boxed.deliver_databox_due()
    view = boxed.databox_deliveries(PLZEN)[0]
    assert view["status"] == "accepted" and view["accepted_at"].startswith("2026-11-28")
    assert len(standin.sent) == 1


def test_no_box_falls_back_to_email(boxed, standin, sink):
    boxed.on_invoice_issued(invoice())
    boxed.deliver_due()
    assert standin.sent == [] and [m["To"] for m in sink.messages()] == ["ucetni@obec.example"]
    [row] = rows(boxed)
    assert row["status"] == "email_instead" and "nemá datovou schránku" in row["last_error"]


@pytest.mark.parametrize("box", [dict(state=3), dict(db_type="PO", open_addressing=False)])
def test_a_box_that_refuses_falls_back_to_email(boxed, standin, sink, box):
    standin.add_box(PLZEN, "abc1234", **box)
    if "db_type" in box:  # a sender that is not a public body: commercial messages only with open addressing
        boxed.settings = type(boxed.settings)(**dict(vars(boxed.settings), isds_sender_ovm=False))
    boxed.on_invoice_issued(invoice())
    boxed.deliver_due()
    assert standin.sent == [] and [m["To"] for m in sink.messages()] == ["ucetni@obec.example"]
    assert rows(boxed)[0]["status"] == "email_instead"


def test_create_message_refused_by_isds_falls_back_to_email(boxed, standin, sink):
    standin.add_box(PLZEN, "abc1234")
    standin.create_status = ("1216", "Zprávu nelze dodat")
    boxed.on_invoice_issued(invoice())
    boxed.deliver_due()
    assert rows(boxed)[0]["status"] == "email_instead" and "1216" in rows(boxed)[0]["last_error"]
    assert [m["To"] for m in sink.messages()] == ["ucetni@obec.example"]


def test_a_time_out_is_retried_and_never_sent_twice(boxed, standin, sink):
    standin.add_box(PLZEN, "abc1234")
    standin.stall_next_create = 2.5  # ISDS takes it, the answer comes after the client gave up
    boxed.on_invoice_issued(invoice())
    assert rows(boxed)[0]["status"] == "awaiting_retry" and len(standin.sent) == 1
    boxed.clock_state["now"] = boxed.clock_state["now"] + timedelta(minutes=5)
    boxed.deliver_databox_due()
    assert len(standin.sent) == 1 and "GetListOfSentMessages" in standin.calls
    row = rows(boxed)[0]
    assert (row["status"], row["dm_id"]) == ("sent", standin.sent[0]["dmID"])
    assert sink.messages() == []


def test_a_message_sent_but_not_recorded_is_found_not_sent_again_and_the_claim_outlasts_the_send(
        boxed, standin, sink, monkeypatch):
    from services.notifications import usecases

    standin.add_box(PLZEN, "abc1234")
    recorded = usecases.record_databox_sent

    def database_away(*args, **kwargs):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(usecases, "record_databox_sent", database_away)
    with pytest.raises(RuntimeError):
        boxed.on_invoice_issued(invoice())  # CreateMessage went through, its record did not
    assert len(standin.sent) == 1
    monkeypatch.setattr(usecases, "record_databox_sent", recorded)
    started = boxed.clock_state["now"]
    # The claim outlasts four waits of ISDS_TIMEOUT (a worker may still be sending): not taken up.
    boxed.clock_state["now"] = started + timedelta(seconds=4 * boxed.settings.isds_timeout)
    standin.calls.clear()
    boxed.deliver_databox_due()
    assert standin.calls == []
    boxed.clock_state["now"] = started + timedelta(hours=1)
    boxed.deliver_databox_due()
    assert standin.calls == ["GetListOfSentMessages"] and len(standin.sent) == 1
    [row] = rows(boxed)
    assert (row["status"], row["dm_id"], row["attempts"]) == ("sent", standin.sent[0]["dmID"], 2)
    assert sink.messages() == []


def test_a_box_never_reached_falls_back_to_email_after_the_last_attempt(boxed, standin, sink, monkeypatch):
    from services.notifications import domain

    monkeypatch.setattr(domain, "DATABOX_MAX_ATTEMPTS", 3)
    standin.add_box(PLZEN, "abc1234")
    standin.stall_every_call = 1.2  # longer than the client's timeout, every time
    boxed.on_invoice_issued(invoice())
    for _ in range(2):
        assert rows(boxed)[0]["status"] == "awaiting_retry" and sink.messages() == []
        boxed.clock_state["now"] = boxed.clock_state["now"] + timedelta(hours=1)
        boxed.deliver_databox_due()
    [row] = rows(boxed)
    assert (row["status"], row["attempts"]) == ("email_instead", 3)
    assert "ani po 3 pokusech" in row["last_error"]
    assert standin.sent == []
    boxed.deliver_due()  # the emails were queued with the fallback
    assert [m["To"] for m in sink.messages()] == ["ucetni@obec.example"]
    boxed.clock_state["now"] = boxed.clock_state["now"] + timedelta(days=1)
    boxed.deliver_databox_due()
    assert rows(boxed)[0]["status"] == "email_instead"


def payload_of(worker, row_id):
    with worker.db.transaction() as tx:
        return store.get_databox_message(tx, row_id)["payload"]


def test_a_finished_delivery_loses_its_payload_after_the_emails_retention(boxed, standin, sink):
    standin.add_box(PLZEN, "abc1234")
    boxed.on_invoice_issued(invoice())  # accepted below
    other = dict(invoice(), invoice=dict(invoice()["invoice"], number="FV-2026-0002", kind="credit_note"))
    standin.add_box(PLZEN, "abc1234", state=3)
    boxed.on_invoice_issued(other)  # by email instead
    standin.add_box(PLZEN, "abc1234")
    third = dict(invoice(), invoice=dict(invoice()["invoice"], number="FV-2026-0003"))
    boxed.on_invoice_issued(third)  # sent, its delivery note still asked for
    accepted, instead, waiting = sorted(rows(boxed), key=lambda row: row["id"])
    standin.delivery[accepted["dm_id"]] = (datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
    boxed.clock_state["now"] = boxed.clock_state["now"] + timedelta(hours=1)
    standin.delivery[waiting["dm_id"]] = (None, None)
    boxed.deliver_databox_due()
    start = boxed.clock_state["now"]
    boxed.clock_state["now"] = start + timedelta(days=89)
    boxed.forget_sent_bodies()
    assert all("invoice" in payload_of(boxed, row["id"]) for row in (accepted, instead, waiting))
    boxed.clock_state["now"] = start + timedelta(days=91)
    boxed.forget_sent_bodies()
    assert payload_of(boxed, accepted["id"]) == {"purged": True, "document": "invoice"}
    assert payload_of(boxed, instead["id"]) == {"purged": True, "document": "credit_note"}
    assert "invoice" in payload_of(boxed, waiting["id"])  # still under way
    assert {view["document"] for view in boxed.databox_deliveries(PLZEN)} == {"invoice", "credit_note"}


def test_erasing_a_person_drops_the_payloads_of_finished_deliveries_that_name_them(boxed, standin, sink):
    boxed.on_invoice_issued(invoice())  # no box: by email instead, finished
    standin.add_box(PLZEN, "abc1234")
    other = dict(invoice(), invoice=dict(invoice()["invoice"], number="FV-2026-0002"))
    boxed.on_invoice_issued(other)  # sent, under way
    instead, waiting = sorted(rows(boxed), key=lambda row: row["id"])
    assert boxed.erase_person("someone@else.example")["databox_payloads_erased"] == 0
    answer = boxed.erase_person("UCETNI@obec.example")
    assert answer["databox_payloads_erased"] == 1
    assert payload_of(boxed, instead["id"]) == {"purged": True, "document": "invoice"}
    assert "ucetni@obec.example" in payload_of(boxed, waiting["id"])["recipients"]
    assert boxed.databox_deliveries(PLZEN)[1]["document"] == "invoice"
