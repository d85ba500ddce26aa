"""A person erased is gone from every table of every service's database.

The person registers (with an Idempotency-Key), attends an accredited
training and gets a certificate, waits on another event's waitlist, is a
contact in the member register, and gets emails. After ``erase_person`` every
row of every table of the four databases is read back and searched for their
email address and their name; the facts the law asks to keep stay.
"""
import json
from datetime import date, datetime

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import MetaData, select

from services.common.db import make_engine
from tests.conftest import wait_for
from tests.integration.test_system import ALL, _copied, published_event
from tests.integration.timetravel import ended
from tools import personal_data

EMAIL = "Kvetoslava.Stastna@obec-chotesov.example"
FIRST, LAST = "Květoslava", "Šťastná-Vrbová"
OTHER = "petr.jiny@obec.example"
ICO = "00075370"


def person(**overrides):
    return dict({"first_name": FIRST, "last_name": LAST, "email": EMAIL, "phone": "+420 777 111 222",
                 "position": "matrikářka", "note": "bezlepková strava", "organisation_ico": ICO,
                 "birth_date": "1980-05-17", "gdpr_consent": True}, **overrides)


def every_value(database_url):
    """``(table, column, text)`` of every value in every table of a database."""
    engine = make_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)).mappings():
                    for column, value in row.items():
                        if isinstance(value, (dict, list)):
                            value = json.dumps(value, ensure_ascii=False)
                        elif isinstance(value, (date, datetime)):
                            value = value.isoformat()
                        yield table.name, column, str(value)
    finally:
        engine.dispose()


def traces(service_config, *needles):
    found = []
    for service, url in service_config["DATABASES"].items():
        for table, column, text in every_value(url):
            for needle in needles:
                if needle.casefold() in text.casefold():
                    found.append((service, table, column, needle))
    return found


def test_an_erased_person_is_in_no_table_of_any_service(runner_factory, service_config, web_session, smtp_sink):
    runner_factory(service_config, *ALL).start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        cluster.members.upsert_organisation({"ico": ICO, "name": "Statutární město Plzeň", "district": "Plzeň-město",
                                             "member_since": "2005-01-01"})
        cluster.members.add_contact(ICO, {"first_name": FIRST, "last_name": LAST, "email": EMAIL.lower(),
                                          "role": "matrika"})
        # registrations knows Plzeň as a member (its copy of the register follows the members' events)
        wait_for(lambda: _copied(service_config), message="the membership copy in registrations")
        training = published_event(cluster, capacity=5, accreditation_number="AK/PV-7/2026", hours=6,
                                   collects_birth_date=True)
        full = published_event(cluster, capacity=1, title="Dotace pro obce", days=20)
        cluster.registrations.register(full["id"], {"first_name": "Petr", "last_name": "Jiný", "email": OTHER,
                                                    "organisation_ico": ICO, "gdpr_consent": True})

        answer = web_session.post(f"/api/events/{training['id']}/registrations", json=person(),
                                  headers={"Idempotency-Key": "kvetoslava-1"})
        assert answer.status_code == 201, answer.text
        waiting = web_session.post(f"/api/events/{full['id']}/registrations", json=person())
        assert waiting.json()["status"] == "waitlisted"
        cluster.registrations.check_in(training["id"], answer.json()["ticket_code"], any_day=True)
        ended(service_config, training["id"])  # held: attendance, then the certificate (her fee released)
        cluster.registrations.mark_attendance(training["id"])
        cluster.registrations.release_certificate(answer.json()["id"], "staff@smopk.example")
        assert cluster.registrations.issue_certificates(training["id"])["issued"] == 1
        smtp_sink.wait_for_messages(4)  # two confirmations, the waitlist, the certificate
        wait_for(lambda: all(m["status"] == "sent" for m in cluster.notifications.list_messages()),
                 message="every email sent")
        [certificate] = personal_data.export_person(cluster, EMAIL)["certificates"]
        assert (certificate["holder_first_name"], certificate["holder_last_name"]) == (FIRST, LAST)
        exported = personal_data.export_person(cluster, EMAIL.upper())
        assert len(exported["registrations"]) == 2 and len(exported["emails"]) == 3, exported["emails"]
        assert exported["member_contacts"][0]["last_name"] == LAST
        assert [p["amount_halere"] for p in exported["payments"]] == [30000]  # the member's price, asked for
        assert traces(service_config, EMAIL, LAST, FIRST)  # the search finds them before

        erased = personal_data.erase_person(cluster, EMAIL)
        assert erased["registrations_anonymised"] == 2 and erased["emails_deleted"] == 3
        assert erased["member_contacts_deleted"] == 1 and erased["payments_anonymised"] == 1

        left = traces(service_config, EMAIL, LAST, FIRST, "777 111 222", "bezlepková", "1980-05-17", "kvetoslava-1")
        assert left == [], left
        assert personal_data.export_person(cluster, EMAIL)["registrations"] == []
        # what the law asks to keep: the attendance and the certificate's number
        kept = cluster.registrations.list_registrations(training["id"])
        assert [(r["first_name"], r["organisation_ico"], bool(r["attended_at"])) for r in kept] == [
            ("(vymazáno)", ICO, True)]
        [register] = cluster.documents.export_person([kept[0]["id"]])["certificates"]
        assert (register["holder_first_name"], register["holder_last_name"]) == (None, None)
        assert register["holder_erased_at"] is not None
        unchanged = ("number", "issued_at", "copies", "programme", "accreditation_number", "held_on", "hours")
        assert {k: register[k] for k in unchanged} == {k: certificate[k] for k in unchanged}
        # the waitlist place was given up; the other person is untouched
        assert cluster.registrations.event_stats(full["id"])["waitlisted"] == 0
        assert [r["email"] for r in cluster.registrations.list_registrations(full["id"])
                if r["status"] != "cancelled"] == [OTHER]
