"""The emails about paying, through a real SMTP server: the confirmation waits for the payment
details and carries a QR Platba picture; receipts, reminders, refunds, invoices with PDF and ISDOC."""
import base64

from tests.helpers import image_qr_codes, spd_fields
from tests.unit.notifications.test_delivery import confirmed

SPD = "SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:900.00*CC:CZK*DT:20261208*MSG:1000000001 Jana*X-VS:1000000001"
PAYMENT = {"variable_symbol": "1000000001", "amount": 900, "amount_halere": 90000, "outstanding_halere": 90000,
           "paid_halere": 0, "due_on": "2026-12-08", "requested_on": "2026-11-27", "account": "19-2000145399/0800",
           "iban": "CZ6508000000192000145399", "bic": "GIBACZPX", "spd": SPD}


def paid_for(n=1, **payment):
    payload = confirmed(n, price=900, status="confirmed")
    payload["registration"]["payment"] = dict(PAYMENT, **payment)
    return dict(payload, payment=payload["registration"]["payment"])


def only(sink, start):
    [message] = [m for m in sink.messages() if m["Subject"].startswith(start)]
    return message


def test_a_paid_for_confirmation_waits_for_its_payment_details_and_shows_a_qr_platba(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1, price=900, status="confirmed"))
    assert sink.messages() == [] and notifications.list_messages() == []
    notifications.on_payment_requested(dict(paid_for(1), after="registration_confirmed"))
    notifications.on_payment_requested(dict(paid_for(1), after="registration_confirmed"))  # redelivered
    [message] = sink.messages()
    text = message.get_body(("plain",)).get_content()
    assert "Variabilní symbol: 1000000001" in text and "Splatnost:         8. 12. 2026" in text
    assert "900,00\u00a0Kč" in text
    [picture] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert spd_fields(image_qr_codes(picture.get_content())[0])["X-VS"] == "1000000001"
    assert f'cid:{picture["Content-ID"].strip("<>")}' in message.get_body(("html",)).get_content()


def test_receipt_reminder_warning_refund_and_a_release(notifications, sink):
    notifications.on_payment_received(paid_for(1, paid_halere=90000, status="paid"))
    notifications.on_payment_overdue(paid_for(2))
    notifications.on_payment_release_warning(dict(paid_for(3), release_on="2026-11-30"))
    notifications.on_refund_due(dict(paid_for(4, paid_halere=90000), refund_halere=90000))
    released = confirmed(5, status="cancelled")
    notifications.on_registration_cancelled(dict(released, released_unpaid=True))
    assert "900,00\u00a0Kč" in only(sink, "Platba přijata").get_body(("plain",)).get_content()
    assert "splatná 8. 12. 2026" in only(sink, "Připomínka platby").get_body(("plain",)).get_content()
    warning = only(sink, "Zaplaťte prosím")
    assert "30. 11. 2026" in warning.get_body(("plain",)).get_content()
    assert any(part.get_content_type() == "image/png" for part in warning.walk())
    assert "vrátíme" in only(sink, "Vrácení platby").get_body(("plain",)).get_content()
    assert "nebyl zaplacen" in only(sink, "Přihláška zrušena").get_body(("plain",)).get_content()


def test_an_invoice_goes_to_each_recipient_once_with_its_pdf_and_isdoc(notifications, sink):
    notifications.documents.render_invoice.return_value = {
        "filename": "faktura-FV-2026-0001.pdf", "content_type": "application/pdf",
        "data": base64.b64encode(b"%PDF-1.7 faktura").decode()}
    payload = {"invoice": {"number": "FV-2026-0001", "kind": "invoice", "total_halere": 90000,
                           "variable_symbol": "1000000001", "due_on": "2026-12-08",
                           "supplier": {"account": "19-2000145399/0800"}},
               "isdoc": base64.b64encode(b"<?xml version='1.0'?><Invoice/>").decode(),
               "recipients": ["ucetni@obec.example", "jana1@obec.example"], "registration_ids": [1],
               "event": confirmed(1)["event"]}
    notifications.on_invoice_issued(payload)
    notifications.on_invoice_issued(payload)
    messages = sink.messages()
    assert sorted(m["To"] for m in messages) == ["jana1@obec.example", "ucetni@obec.example"]
    assert messages[0]["Subject"] == "Faktura FV-2026-0001: Odpady v obci"
    names = sorted(part.get_filename() for part in messages[0].iter_attachments())
    assert names == ["FV-2026-0001.isdoc", "faktura-FV-2026-0001.pdf"]


def test_a_seat_paid_in_time_after_its_release_is_told_why_and_a_refund_gives_its_reason(notifications, sink):
    """Issue 25/12: the person learns why the seat came back, or why the money goes back."""
    restored = dict(paid_for(6, paid_halere=90000, status="paid"), restored_from=6, paid_in_time=True)
    notifications.on_registration_restored(restored)
    notifications.on_refund_due(dict(paid_for(7, paid_halere=90000), refund_halere=90000,
                                     reason="Platba došla včas, ale místo už bylo obsazené"))
    [back] = [m for m in sink.messages() if not m["Subject"].startswith("Vrácení platby")]
    text = back.get_body(("plain",)).get_content()
    assert "připsala banka včas" in text and "omylem" not in text
    refund = only(sink, "Vrácení platby").get_body(("plain",)).get_content()
    assert "Platba došla včas, ale místo už bylo obsazené." in refund


def test_a_seat_restored_by_staff_with_a_fee_is_told_once_with_its_new_payment_details(notifications, sink):
    """Issue 24 (2): the restored registration is new; its "Přihláška obnovena" waits for the
    payment request (``after`` ``registration_restored``) and carries the new symbol and QR Platba."""
    restored = dict(confirmed(8, price=900, status="confirmed"), restored_from=5)
    notifications.on_registration_restored(restored)
    assert sink.messages() == [] and notifications.list_messages() == []
    asked = dict(paid_for(8, variable_symbol="1000000008"), after="registration_restored")
    notifications.on_payment_requested(asked)
    notifications.on_payment_requested(asked)  # redelivered
    notifications.on_registration_restored(restored)  # and the restoration again: still one email
    [message] = sink.messages()
    assert message["Subject"].startswith("Přihláška obnovena")
    text = message.get_body(("plain",)).get_content()
    assert "obnovili jsme ji" in text and "Variabilní symbol: 1000000008" in text
    assert "vstupenka je nová" in text and "platí i vstupenka" not in text
    [picture] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert f'cid:{picture["Content-ID"].strip("<>")}' in message.get_body(("html",)).get_content()
    assert {part.get_content_type() for part in message.iter_attachments()} >= {"application/pdf", "text/calendar"}


def test_restored_with_a_fee_to_the_waitlist_is_told_at_once_that_it_pays_once_seated(notifications, sink):
    notifications.on_registration_restored(dict(confirmed(9, price=900, status="waitlisted", waitlist_position=2,
                                                           ticket_code=None), restored_from=4))
    [message] = sink.messages()
    text = message.get_body(("plain",)).get_content()
    assert "čekací listině jako 2. v pořadí" in text and "a platebními údaji" in text
    assert "Variabilní symbol" not in text and not any(p.get_content_type() == "image/png" for p in message.walk())
