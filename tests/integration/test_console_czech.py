"""Czech everywhere a person reads: every console page an administrator can open, in a system with
events, a waitlist, a cancellation, emails, payments, an invoice, audit rows and members, shows no
internal name (a status or an email kind, a role code, None, an ISO date, a Python list)."""
import re
from urllib.parse import urlencode

from services.backoffice.service import ROUTES
from services.common.schemas import without_diacritics
from tests import statements
from tests.conftest import wait_for
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_console_payments import confirm_on, visible
from tests.integration.test_system import PLZEN, published_event

# Names the system uses inside that a person must never read.
INTERNAL = ("confirmed", "waitlisted", "cancelled", "substituted", "queued", "sending", "sent", "failed",
            "awaiting_retry", "superseded", "attendee_message", "registration_confirmed", "registration_waitlisted",
            "registration_promoted", "registration_cancelled", "payment_received", "payment_requested",
            "invoice_issued", "credit_note", "underpaid", "overpaid", "unknown", "admin", "staff", "door", "None",
            "True", "False", "event_id", "registration_id", "registration_ids", "audience", "validation_error",
            "changed", "waiting_payment", "Check-in", "check_in", "checked_in",
            # Data boxes (issue 29): the delivery channel and the states of a delivery.
            "by_email", "databox", "delivered", "accepted", "email_instead", "dm_id", "delivery_channel")
INTERNAL_WORD = re.compile(r"(?<![\w@./-])(" + "|".join(INTERNAL) + r")(?![\w@/-])")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")


def internal_names(text):
    """The internal names in ``text`` (email addresses and links left out: they are what they are)."""
    text = ADDRESSES.sub(" ", text)
    found = INTERNAL_WORD.findall(text) + ISO_DATE.findall(text)
    return found + (["['"] if "['" in text else []) + (["{'"] if "{'" in text else [])


def test_the_internal_name_finder_finds_them():
    assert internal_names("stav: queued, komu: admin@smopk.example, od 2005-01-01 ['a']") == [
        "queued", "2005-01-01", "['"]
    assert internal_names("potvrzeno, Admin (správce), https://akce.example/r/confirmed") == []


def test_every_console_page_speaks_czech(whole_console):  # noqa: F811 (the fixture)
    base, cluster, secrets, smtp_sink = whole_console
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město", "member_since": "2005-01-01"})
    cluster.members.add_contact(PLZEN, {"first_name": "Jan", "last_name": "Radní", "email": "radni@plzen.example"})
    event = published_event(cluster, capacity=1)
    accredited = published_event(cluster, title="Setkání starostů", price_member=0, price_non_member=0,
                                 accreditation_number="AK/PV-77/2026", hours=4)
    jana, eva, petr = (cluster.registrations.register(event["id"], {
        "first_name": first, "last_name": last, "email": f"{without_diacritics(first).lower()}@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True}) for first, last in (
        ("Jana", "Nováková"), ("Eva", "Malá"), ("Petr", "Dlouhý")))
    # Not a member: 900 Kč, and an invoice issued with the request (INVOICE_MODE on_registration).
    [invoice] = wait_for(lambda: cluster.payments.list_invoices(), message="Jana's invoice")
    admin = logged_in(base, "admin", secrets)
    token = csrf_of(admin.get(f"{base}/akce/{event['id']}"))

    # What staff do leaves emails, payments, an invoice and audit rows behind.
    confirm_on(admin, base, admin.post(f"{base}/prihlasky/{petr['id']}/zrusit", data={"csrf": token}))
    statement = statements.gpc([
        {"bank_id": "2600000000001", "amount_halere": 90000, "variable_symbol": invoice["variable_symbol"]},
        {"bank_id": "2600000000002", "amount_halere": 50000, "variable_symbol": "77", "counter_name": "Neznámý"}])
    confirm_on(admin, base, admin.post(f"{base}/platby/vypis", data={"csrf": token},
                                       files={"soubor": ("vypis.gpc", statement, "text/plain")}))
    message = {"csrf": token, "subject": "Parkování", "text": "Parkujte prosím za budovou.", "audience": "confirmed"}
    confirm_on(admin, base, admin.post(f"{base}/akce/{event['id']}/zprava", data=message))
    wait_for(lambda: any(m["kind"] == "attendee_message" and m["status"] == "sent"
                         for m in cluster.notifications.list_messages()), timeout=30, message="the message sent")
    messages = cluster.notifications.list_messages()
    assert {"registration_confirmed", "registration_waitlisted", "attendee_message"} <= {m["kind"] for m in messages}

    values = {"event_id": event["id"], "registration_id": jana["id"], "ico": PLZEN, "message_id": messages[0]["id"],
              "number": invoice["number"], "contact_id": cluster.members.list_contacts(PLZEN)[0]["id"],
              "key": "registration_confirmed"}
    # A download of one report needs the report chosen (without, it answers 422 with a Czech message).
    ministry = urlencode({"rok": accredited["starts_at"][:4], "akreditace": accredited["accreditation_number"]})
    queries = {"/vyrocni-zprava/ministerstvo/zprava.csv": f"?{ministry}"}
    offenders, walked = {}, 0
    for method, url, right in ROUTES:
        # files for other programs (PDF, ISDOC, the accountant's XML, XLSX and zip) are read there, not here
        if method != "GET" or right is None or url.endswith((".pdf", ".isdoc", ".json", ".xml", ".xlsx", ".zip")):
            continue
        path = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(values[m.group(1)]), url) + queries.get(url, "")
        answer = admin.get(base + path)
        assert answer.status_code == 200, (path, answer.status_code)
        text = visible(answer) if answer.headers["Content-Type"].startswith("text/html") else answer.text
        walked += 1
        if internal_names(text):
            offenders[path] = sorted(set(internal_names(text)))
    assert offenders == {}
    assert walked >= 25
    assert "Odbaven" in admin.get(f"{base}/akce/{event['id']}/export.csv").text.splitlines()[0]
    assert eva["status"] == "waitlisted"
    emails = visible(admin.get(f"{base}/zpravy?druh=attendee_message")).split("Odesláno", 1)[1]  # the table
    assert "zpráva účastníkům akce" in emails and "odeslán" in emails and "potvrzení přihlášky" not in emails
    # the walk's own reads are audited too, so each action is found by its filter
    audit = visible(admin.get(f"{base}/audit", params={"co": "attendees_messaged"}))
    assert "komu: jen potvrzeným" in audit
    audit = visible(admin.get(f"{base}/audit", params={"co": "registration_cancelled"}))
    assert f"zrušena přihláška provedeno přihláška: {petr['id']}" in audit
    audit_csv = admin.get(f"{base}/audit?format=csv").text
    assert internal_names(audit_csv) == [] and "komu: jen potvrzeným" in audit_csv
    assert re.search(r"(^|\n)\ufeff?[1-9]\d?\. [1-9]\d?\. 20\d\d \d{1,2}:\d\d:\d\d;", audit_csv)  # 6. 12. 2026
    assert "(správce)" in visible(admin.get(f"{base}/ucty"))
    assert "od 1. 1. 2005" in visible(admin.get(f"{base}/clenove/{PLZEN}"))
