"""Every kind of email the notifications service sends, each with the payload its event brings,
filled with the longest realistic data: a long Czech title, organisation and manage link.

Used to check what holds for every email (the subject folded without a change, the greeting, the
width on a phone); ``KINDS`` is checked against the mailer's own list, so a new kind of email
cannot be left out."""
import base64

LONG_TITLE = ("Ochrana osobních údajů (GDPR) na obecním úřadě v praxi: kamerové systémy, úřední deska "
              "a zveřejňování usnesení zastupitelstva")
LONG_ORGANISATION = ("Dobrovolný svazek obcí Mikroregion Horní Berounka a Úhlavsko – společné zařízení "
                     "pro nakládání s odpady")
# A Microsoft Teams link of an online event, as lecturers send them: long runs with nothing to break at.
WEBINAR = ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA2ZGQ5ZjYtYzE0ZS00ZWM3LWJmYzAtZTRmNjFkYzA2ZmE2"
           "%40thread.v2/0?context=%7b%22Tid%22%3a%2285f6a7b8-1c2d-4e5f-9a0b-c1d2e3f4a5b6%22%7d")
# A real manage link: the public address and a token of 32 random bytes (secrets.token_urlsafe(24) is 32
# characters; the longest public address seen is the association's own).
MANAGE = "https://registrace.smopk-plzensky-kraj.example/r/"
SPD = ("SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:1500.00*CC:CZK*DT:20261208"
       "*MSG:1000000001 Ivana Prochazkova Obec Nova Ves u Testu Plzen*X-VS:1000000001")
PAYMENT = {"variable_symbol": "1000000001", "amount": 1500, "amount_halere": 150000, "outstanding_halere": 150000,
           "paid_halere": 0, "due_on": "2026-12-08", "requested_on": "2026-11-27", "account": "19-2000145399/0800",
           "iban": "CZ6508000000192000145399", "bic": "GIBACZPX", "spd": SPD}


def event(title=LONG_TITLE, **values):
    return dict({
        "id": 7, "version": 1, "title": title, "kind": "training", "topic": "gdpr", "seats_left": 0, "format": "hybrid",
        "venue": "Krajský úřad Plzeňského kraje, Škroupova 1760/18, Plzeň, zasedací místnost č. 112",
        "lecturer": "JUDr. Mgr. Kateřina Horáčková-Vondrášková, Ph.D., pověřenec pro ochranu osobních údajů",
        "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T15:30:00+01:00"}, **values)


def registration(n=1, first_name="Ivana", last_name="Procházková", **values):
    return dict({
        "id": n, "first_name": first_name, "last_name": last_name, "status": "confirmed",
        "email": f"ivana.prochazkova{n}@novaves-u-testu.example", "organisation_name": LONG_ORGANISATION,
        "price": 1500, "is_member": False, "waitlist_position": None, "ticket_code": f"T{n}-KQ3JKWB7536OJ3BR",
        "manage_url": f"{MANAGE}Zx9-kP2qLm7RtV4wYb8NcD1fGh6JsA0e{n}",
        "link": f"{MANAGE}podklady/Zx9-kP2qLm7RtV4wYb8NcD1fGh6JsA0e{n}", "webinar_url": WEBINAR}, **values)


def every_email(title=LONG_TITLE, first_name="Ivana", last_name="Procházková"):
    """``{kind: payload}`` of every kind of email, about an event called ``title``, to a person
    called ``first_name last_name``."""
    happening = event(title)
    person = registration(1, first_name, last_name)
    unpaid = dict(person, payment=dict(PAYMENT))
    colleague = registration(2, "Jiří", "Dvořák", status="waitlisted", waitlist_position=4)
    invoice = {"number": "FV-2026-000123", "kind": "invoice", "total_halere": 450000,
               "variable_symbol": "2026000123", "due_on": "2026-12-08",
               "supplier": {"account": "19-2000145399/0800"}}
    about = {"event": happening, "registration": person}
    emails = {
        "registration_confirmed": {"event": happening, "registration": unpaid, "payment": unpaid["payment"]},
        "registration_waitlisted": {"event": happening, "registration": dict(person, status="waitlisted",
                                                                             waitlist_position=3)},
        "registration_promoted": {"event": happening, "registration": unpaid},
        "registration_cancelled": dict(about, registration=dict(person, status="cancelled")),
        "registration_restored": dict(about, restored_from=1),
        "substitute_confirmed": {"event": happening, "registration": unpaid, "replaced": colleague},
        "registration_substituted": dict(about, substitute={"first_name": "Jiří", "last_name": "Dvořák"}),
        "event_updated": dict(about, event=dict(happening, version=2, starts_at="2026-12-09T10:00:00+01:00"),
                              changes={"starts_at": ["2026-12-08T09:00:00+01:00", "2026-12-09T10:00:00+01:00"],
                                       "venue": ["Plzeň", happening["venue"]]}),
        "event_cancelled": dict(about, reason="Lektorka onemocněla a náhradní termín oznámíme co nejdříve."),
        "reminder_due": {"event": happening, "registration": unpaid},
        "attendance_confirmed": about,
        "announcement": {"announcement_id": "a-1", "subject": f"Pozvánka: {title}",
                         "text": "Vážení,\n\nzveme vás na školení o ochraně osobních údajů.",
                         "contact": {"id": 1, "first_name": first_name, "last_name": last_name,
                                     "email": person["email"], "organisation_name": LONG_ORGANISATION},
                         "unsubscribe_url": f"{MANAGE}announcements/unsubscribe/Zx9-kP2qLm7RtV4wYb8NcD1fGh6JsA0e"},
        "payment_received": dict(about, payment=dict(PAYMENT, paid_halere=150000, status="paid")),
        "payment_overdue": {"event": happening, "registration": unpaid, "payment": unpaid["payment"]},
        "payment_release_warning": {"event": happening, "registration": unpaid, "payment": unpaid["payment"],
                                    "release_on": "2026-11-30"},
        "refund_due": dict(about, payment=dict(PAYMENT, paid_halere=150000), refund_halere=150000,
                           reason="Akce se zrušila"),
        "invoice_issued": {"invoice": invoice, "event": happening, "recipient": person["email"],
                           "isdoc": base64.b64encode(b"<Invoice/>").decode(), "registration_ids": [1, 2, 3],
                           "recipients": [person["email"]]},
        "colleagues_registered": {"event": happening, "registrant": {"first_name": first_name, "last_name": last_name,
                                                                     "email": person["email"]},
                                  "registrations": [person, colleague]},
        "attendee_message": {"batch_id": "b-1", "subject": f"Změna sálu: {title}", "event": happening,
                             "text": "Školení se přesouvá do velkého sálu v přízemí.", "registration": person},
        "materials_available": {"batch_id": "b-2", "subject": "", "text": "", "event": happening,
                                "registration": person},
        "feedback_request": {"batch_id": "b-3", "subject": "", "text": "", "event": happening,
                             "registration": person},
        "portal_link": {"link_id": 1, "email": person["email"], "organisation_name": LONG_ORGANISATION,
                        "url": f"{MANAGE.removesuffix('r/')}obec/prihlaseni/Zx9-kP2qLm7RtV4wYb8NcD1fGh6JsA0eQ3uW5vXy",
                        "expires_at": "2026-11-27T11:30:00+01:00", "first_name": first_name, "last_name": last_name},
    }
    # each about a registration of its own: a cancellation would otherwise overtake the others
    for n, payload in enumerate(emails.values(), start=1):
        if "registration" in payload:
            payload["registration"] = dict(payload["registration"], id=n)
    return emails


def recipient(kind, payload):
    """Whom the email of ``kind`` goes to."""
    if kind == "announcement":
        return payload["contact"]["email"]
    if kind == "colleagues_registered":
        return payload["registrant"]["email"]
    if kind == "invoice_issued":
        return payload["recipient"]
    if kind == "portal_link":
        return payload["email"]
    return payload["registration"]["email"]
