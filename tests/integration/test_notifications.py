"""Email delivery with the real services, the real broker and a real SMTP server."""
from collections import Counter

from kombu import Connection
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.integration.test_system import published_event

CONFIRMED_QUEUE = "evt-registrations-registration_confirmed--notifications.on_registration_confirmed"


def person(n):
    return {"first_name": "Marie", "last_name": f"Výpadková {n}", "email": f"marie{n}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}


def statuses(cluster):
    return sorted(m["status"] for m in cluster.notifications.list_messages())


def all_failed_and_kept(cluster):
    """Every message tried, failed and kept for another try (some may be mid-retry right now:
    each try renders the ticket again, so a slow machine is rarely without one in flight)."""
    messages = cluster.notifications.list_messages()
    return len(messages) == 50 and all(m["attempts"] >= 1 and m["status"] in ("awaiting_retry", "sending")
                                       and m["sent_at"] is None for m in messages)


def test_50_confirmations_while_smtp_is_down_all_arrive_once(runner_factory, service_config, smtp_sink):
    runner = runner_factory(service_config, RegistrationsService, NotificationsService, DocumentsService)
    runner.start()
    smtp_sink.stop()
    with ClusterRpcProxy(service_config, timeout=60) as cluster:
        event = published_event(cluster, capacity=60, price_non_member=0)  # free: no payments in this test
        for n in range(50):
            cluster.registrations.register(event["id"], person(n))
        wait_for(lambda: all_failed_and_kept(cluster), timeout=60, message="50 messages waiting for SMTP")
        smtp_sink.start()
        messages = smtp_sink.wait_for_messages(50, timeout=90)
        wait_for(lambda: statuses(cluster) == ["sent"] * 50, timeout=30, message="all 50 recorded as sent")
    assert sorted(m["To"] for m in messages) == sorted(f"marie{n}@obec.example" for n in range(50))
    assert len({m["Message-ID"] for m in messages}) == 50


def test_two_notifications_processes_send_each_email_once(runner_factory, service_config, smtp_sink,
                                                          service_processes):
    runner = runner_factory(service_config, RegistrationsService, DocumentsService)
    runner.start()
    replicas = service_processes("notifications"), service_processes("notifications")

    def consumers():
        with Connection(service_config["AMQP_URI"]) as connection:
            try:
                return connection.channel().queue_declare(CONFIRMED_QUEUE, passive=True).consumer_count == 2
            except Exception:  # not declared yet
                return False
    try:
        wait_for(consumers, timeout=60, interval=0.3, message="two notifications processes on the queue")
    except AssertionError as error:
        raise AssertionError(f"{error}\n" + "\n".join(r.output()[-2000:] for r in replicas)) from None

    with ClusterRpcProxy(service_config, timeout=60) as cluster:
        event = published_event(cluster, capacity=30, price_non_member=0)  # free: no payments in this test
        registrations = [cluster.registrations.register(event["id"], person(n)) for n in range(20)]
    # and every event a second time, as a redelivery would bring it
    dispatch = event_dispatcher(service_config)
    for registration in registrations:
        dispatch("registrations", "registration_confirmed",
                 {"registration": {k: v for k, v in registration.items() if k != "event"},
                  "event": registration["event"], "message_id": f"again-{registration['id']}"})
    messages = smtp_sink.wait_for_messages(20, timeout=60)
    wait_for(lambda: not _waiting(service_config), timeout=30, message="the queue to drain")
    assert len(smtp_sink.messages()) == 20
    assert sorted(m["To"] for m in messages) == sorted(f"marie{n}@obec.example" for n in range(20))


def test_an_announcement_reaches_member_contacts_and_its_link_unsubscribes(
        runner_factory, service_config, smtp_sink, web_session):
    runner = runner_factory(service_config, MembersService, RegistrationsService, NotificationsService)
    runner.start()
    with ClusterRpcProxy(service_config, timeout=60) as cluster:
        cluster.members.upsert_organisation({"ico": "00075370", "name": "Statutární město Plzeň",
                                             "district": "Plzeň-město", "member_since": "2005-01-01"})
        cluster.members.upsert_organisation({"ico": "25701126", "name": "MAS Český les", "kind": "MAS",
                                             "district": "Domažlice"})
        for n in range(3):
            cluster.members.add_contact("00075370", {"first_name": "Jan", "last_name": f"Radní {n}",
                                                     "email": f"radni{n}@plzen.example"})
        cluster.members.add_contact("25701126", {"first_name": "Eva", "last_name": "Malá", "email": "eva@mas.example"})
        assert cluster.notifications.announce("Nové dotace", "Vážení,\n\nvypsali jsme nové dotace.") == 3
        messages = smtp_sink.wait_for_messages(3)
        assert sorted(m["To"] for m in messages) == [f"radni{n}@plzen.example" for n in range(3)]
        link = messages[0]["List-Unsubscribe"].strip("<>")
        path = link.split("://", 1)[1].split("/", 1)[1]
        opened = web_session.get(f"/{path}")  # as a mail scanner opens every link: nothing happens
        assert opened.status_code == 200 and "Odhlásit se z informačního servisu?" in opened.text
        assert f'action="/{path}"' in opened.text
        assert opened.headers["X-Content-Type-Options"] == "nosniff"
        assert cluster.notifications.announce("Po otevření odkazu", "Text.") == 3

        page = web_session.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})  # the button, or RFC 8058
        assert page.status_code == 200 and "Odhlášeno" in page.text
        assert messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert web_session.post(f"/{path[:-3]}xyz").status_code == 404
        assert cluster.notifications.announce("Další zpráva", "Text.") == 2


def test_a_burst_of_confirmations_goes_out_in_batches_with_few_commits_and_connections(
        runner_factory, service_config, smtp_sink):
    """Thirty confirmations wait for notifications (it was away); it starts and takes them as a
    burst: recorded in groups, sent in batches over a few SMTP connections, each person's once,
    with its PDF ticket made by documents. Commits in notifications' database, all of them
    (the timers' reads too), are counted from its start to the last email recorded."""
    runner = runner_factory(service_config, RegistrationsService, DocumentsService)
    runner.start()
    with ClusterRpcProxy(service_config, timeout=60) as cluster:
        published = published_event(cluster, capacity=40, price_non_member=0)  # free: no payments here
        for n in range(30):
            cluster.registrations.register(published["id"], person(n))
        wait_for(lambda: _waiting(service_config) == 30, message="30 confirmations waiting for notifications")
        database = make_url(service_config["DATABASES"]["notifications"]).database
        commits = []  # for each commit in notifications' database: whether its transaction wrote

        def wrote(connection, cursor, statement, *args):
            if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                connection.info["wrote"] = True

        def counted(connection):
            if connection.engine.url.database == database:
                commits.append(connection.info.pop("wrote", False))
        event.listen(Engine, "commit", counted)
        event.listen(Engine, "before_cursor_execute", wrote)
        try:
            runner_factory(service_config, NotificationsService).start()
            messages = smtp_sink.wait_for_messages(30, timeout=120)
            wait_for(lambda: statuses(cluster) == ["sent"] * 30, timeout=30, message="all 30 recorded as sent")
        finally:
            event.remove(Engine, "commit", counted)
            event.remove(Engine, "before_cursor_execute", wrote)
    assert Counter(m["To"] for m in messages) == {f"marie{n}@obec.example": 1 for n in range(30)}
    assert all(any(part.get_content_type() == "application/pdf" for part in m.iter_attachments()) for m in messages)
    connections = smtp_sink.connections()
    print(f"30 emails: {len(commits)} commits ({sum(commits)} that wrote), {connections} SMTP connections")
    assert connections <= 10, connections
    assert sum(commits) <= 12 and len(commits) < 30, commits  # groups, claims and records; and the timers' reads


def _waiting(config):
    with Connection(config["AMQP_URI"]) as connection:
        return connection.channel().queue_declare(CONFIRMED_QUEUE, passive=True).message_count
