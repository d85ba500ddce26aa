"""The restore drill (issue 28): the real services write registrations, a paid invoice, a credit
note, certificates and a training record; `python -m tools.backup` backs them up; the databases
and the signing key are destroyed; the restore puts them back and the services start again.
Everyone's links and tickets still work, numbering goes on without a number used twice, no email
goes a second time, and what the outbox published matches what its consumers hold.

On PostgreSQL the services run on a cluster of the test's own (tests/throwaway_postgres.py), since
a restore replaces a whole cluster; a second test restores it to a moment between two writes.
"""
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.errors import NotFound
from services.common.schemas import without_diacritics
from tests.conftest import DATABASE, DATABASE_NAMES, ROOT, wait_for
from tests.integration.test_system import seminar
from tests.integration.timetravel import ended
from tests.throwaway_postgres import ThrowawayCluster
from tools import backup

CERTIFICATE = "Osvědčení o absolvování: "
SERVICES = ("members", "registrations", "notifications", "documents", "payments", "backoffice")


@pytest.fixture
def cluster_of_our_own():
    """On PostgreSQL, a cluster of this test's own (removed afterwards); None on SQLite."""
    if DATABASE != "postgresql":
        yield None
        return
    made = ThrowawayCluster().start()
    try:
        yield made
    finally:
        made.remove()


@pytest.fixture
def database_urls(tmp_path, cluster_of_our_own):
    """The services' databases: SQLite files of this test, or databases in its own cluster."""
    if cluster_of_our_own is None:
        return {name: f"sqlite:///{tmp_path}/var/{name}.sqlite" for name in DATABASE_NAMES}
    return cluster_of_our_own.create_databases(DATABASE_NAMES)


@pytest.fixture
def backup_config(service_config, tmp_path, cluster_of_our_own):
    """What tools.backup reads: the services' databases, the key's file, where backups go."""
    config = dict(service_config, TICKET_SIGNING_KEY="", TICKET_SIGNING_KEY_FILE=str(tmp_path / "var" / "signing.key"),
                  BACKUP_DIR=str(tmp_path / "backups"), BACKUP_WAL_ARCHIVE=None, BACKUP_PGDATA=None)
    if cluster_of_our_own is not None:
        config.update(BACKUP_WAL_ARCHIVE=cluster_of_our_own.archive, BACKUP_PGDATA=cluster_of_our_own.data)
    return config


def person(first, last, n):
    return {"first_name": first, "last_name": last, "email": f"{without_diacritics(last).lower()}{n}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}


def sent(sink):
    """(recipient, subject) of every message the SMTP server received, in order."""
    return [(m["To"], m["Subject"]) for m in sink.messages()]


def outbox_of(database_url):
    """(message_id, event_type, published) of every row of a service's outbox."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(text(
                "SELECT message_id, event_type, published_at IS NOT NULL FROM outbox")).all())
    finally:
        engine.dispose()


def destroy(config, cluster_of_our_own):
    """The machine is lost: every database and the signing key are gone."""
    if cluster_of_our_own is not None:
        cluster_of_our_own.destroy_data()
    else:
        for url in config["DATABASES"].values():
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(backup.sqlite_path(url) + suffix):
                    os.unlink(backup.sqlite_path(url) + suffix)
    os.unlink(config["TICKET_SIGNING_KEY_FILE"])


def tool(config, *arguments):
    """`python -m tools.backup …` as an operator runs it, with the services' settings."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", AMQP_URI=config["AMQP_URI"], TICKET_SIGNING_KEY="",
               TICKET_SIGNING_KEY_FILE=config["TICKET_SIGNING_KEY_FILE"], BACKUP_DIR=config["BACKUP_DIR"],
               BACKUP_WAL_ARCHIVE=config["BACKUP_WAL_ARCHIVE"] or "", BACKUP_PGDATA=config["BACKUP_PGDATA"] or "",
               **{f"{name.upper()}_DATABASE_URL": url for name, url in config["DATABASES"].items()})
    return subprocess.run([sys.executable, "-m", "tools.backup", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_restore_drill(service_processes, backup_config, smtp_sink, cluster_of_our_own):
    config = backup_config
    began = time.monotonic()
    lap = lambda what: print(f"{time.monotonic() - began:6.1f} s  {what}")  # noqa: E731
    key_file = {"TICKET_SIGNING_KEY": "", "TICKET_SIGNING_KEY_FILE": config["TICKET_SIGNING_KEY_FILE"]}

    def start_all():
        processes = [service_processes(service, **key_file) for service in SERVICES]
        for process in processes:
            process.wait_healthy()
        return processes

    processes = start_all()
    web = processes[SERVICES.index("registrations")].base
    with ClusterRpcProxy(config, timeout=60) as rpc:
        # A training that has been held, and a seminar to come; non-members get invoices at once.
        training = rpc.registrations.publish_event(rpc.registrations.create_event(seminar(
            kind="training", title="Stavební zákon pro obce", capacity=10, accreditation_number="AK/PV-7/2026",
            hours=6))["id"])
        coming = rpc.registrations.publish_event(rpc.registrations.create_event(seminar(
            title="Odpady v obci", capacity=10))["id"])
        alena, bohumil, cyril, dana = (rpc.registrations.register(training["id"], person(first, last, n))
                                       for n, (first, last) in enumerate((("Alena", "Malá"), ("Bohumil", "Řezáč"),
                                                                          ("Cyril", "Šťastný"), ("Dana", "Nová"))))
        eva = rpc.registrations.register(coming["id"], person("Eva", "Horká", 5))
        wait_for(lambda: len(rpc.payments.list_invoices()) == 5, timeout=60, message="an invoice for each")
        wait_for(lambda: paid(rpc, alena["id"]), timeout=60, message="Alena's payment recorded")
        rpc.registrations.cancel_registration(cyril["id"])  # his invoice is taken back by a credit note
        wait_for(lambda: any(s.startswith("Opravný doklad") for _, s in sent(smtp_sink)), timeout=60,
                 message="the credit note's email")
        ended(config, training["id"])
        rpc.registrations.mark_attendance(training["id"], [alena["id"], bohumil["id"], dana["id"]])
        rpc.registrations.release_certificate(bohumil["id"], "staff@smopk.example")  # Dana's waits for payment
        assert rpc.registrations.issue_certificates(training["id"])["issued"] == 2
        wait_for(lambda: len([s for _, s in sent(smtp_sink) if s.startswith(CERTIFICATE)]) == 2, timeout=90,
                 message="two certificates mailed")
        [record] = rpc.registrations.training_record(alena["email"])["people"]
        assert record["trainings"][0]["certificate_number"]
        invoices_before = {(i["kind"], i["number"]) for i in rpc.payments.list_invoices()}
        assert len(invoices_before) == 6  # five invoices, one credit note
        symbols_before = {i["variable_symbol"] for i in rpc.payments.list_invoices() if i["variable_symbol"]}
        certificates_before = {c["number"] for c in rpc.documents.certificate_numbers([alena["id"], bohumil["id"]])}
        assert certificates_before == {record["trainings"][0]["certificate_number"]} | certificates_before
        assert len(certificates_before) == 2
        people = (alena, bohumil, cyril, dana, eva)
        wait_for(lambda: all(published for _, _, published in outbox_of(config["DATABASES"]["registrations"])),
                 message="every event published")
        time.sleep(2)  # nothing more in flight
        mail_before = sent(smtp_sink)
        outbox_before = {s: outbox_of(config["DATABASES"][s]) for s in ("registrations", "payments", "members")}

    lap("written")
    made = tool(config, "backup")
    assert made.returncode == 0, made.stderr
    folder = made.stdout.strip().splitlines()[-1]  # the last line names the folder
    assert os.path.isfile(os.path.join(folder, "manifest.json"))
    checked = tool(config, "verify", folder)
    assert checked.returncode == 0 and ": good (" in checked.stdout, checked.stderr

    # After the backup: Filip registers (his invoice goes), cancels (a credit note takes it back),
    # and Dana's certificate goes; then the machine is lost. Their numbers were all mailed out.
    filip = requests.post(f"{web}/api/events/{coming['id']}/registrations", json=person("Filip", "Kratochvíl", 6),
                          timeout=30).json()
    with ClusterRpcProxy(config, timeout=60) as rpc:
        wait_for(lambda: len(rpc.payments.list_invoices()) == len(invoices_before) + 1, timeout=60,
                 message="Filip's invoice")
        rpc.registrations.cancel_registration(filip["id"])
        wait_for(lambda: len(rpc.payments.list_invoices()) == len(invoices_before) + 2, timeout=60,
                 message="Filip's credit note")
        rpc.registrations.release_certificate(dana["id"], "staff@smopk.example")
        [lost_certificate] = wait_for(lambda: rpc.documents.certificate_numbers([dana["id"]]), timeout=60,
                                      message="Dana's certificate number")
        lost_invoices = {(i["kind"], i["number"]) for i in rpc.payments.list_invoices()} - invoices_before
        lost_symbols = {i["variable_symbol"] for i in rpc.payments.list_invoices() if i["variable_symbol"]} - \
            symbols_before
    assert {kind for kind, _ in lost_invoices} == {"invoice", "credit_note"}
    wait_for(lambda: [s for to, s in sent(smtp_sink) if to == dana["email"] and s.startswith(CERTIFICATE)] and
             len([s for _, s in sent(smtp_sink) if s.startswith("Opravný doklad")]) == 2 and
             filip["email"] in {to for to, _ in sent(smtp_sink)[len(mail_before):]}, timeout=90,
             message="Filip's confirmation and credit note, and Dana's certificate mailed")
    refused = tool(config, "restore", folder)
    assert refused.returncode == 1 and "the services are running" in refused.stderr
    stop_all(processes)
    wait_for(lambda: not backup.running_services(config["AMQP_URI"]), message="the services gone")
    destroy(config, cluster_of_our_own)
    time.sleep(3)  # whatever the dead system had in flight has landed
    mail_at_loss = sent(smtp_sink)

    lap("stopped and lost")
    restored = tool(config, "restore", folder)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    numbering = restored.stdout
    if cluster_of_our_own is not None:
        # PostgreSQL's own recovery finishes the restore: the numbering jumps once it runs
        assert f"make restore-gap FROM={folder} (GAP=1000)" in restored.stdout, restored.stdout
        assert "numbering: " not in restored.stdout
        cluster_of_our_own.start()
        moved = tool(config, "gap", folder)
        assert moved.returncode == 0, moved.stdout + moved.stderr
        numbering = moved.stdout
    # where each register goes on, printed and written down beside the backup
    for register in ("registration ids", "invoices of", "credit notes of", "certificates of"):
        assert f"numbering: {register}" in numbering, numbering
    with open(os.path.join(folder, "restores.log")) as log:
        assert [line for line in numbering.splitlines() if "skipped" in line] == \
            [line.strip() for line in log if "skipped" in line]
    lap("restored")
    processes = start_all()
    web = processes[SERVICES.index("registrations")].base
    with ClusterRpcProxy(config, timeout=60) as rpc:
        # Everyone's manage link and ticket work (Cyril's cancelled one is refused at the door).
        for someone in people:
            assert requests.get(f"{web}/r/{someone['token']}", timeout=10).status_code == 200
        assert requests.get(f"{web}/r/{filip['token']}", timeout=10).status_code == 404  # after the backup
        checked_in = rpc.registrations.check_in(coming["id"], eva["ticket_code"], any_day=True)
        assert checked_in["id"] == eva["id"]
        assert rpc.registrations.get_registration(eva["id"])["checked_in_at"]
        assert rpc.registrations.training_record(alena["email"])["people"] == [record]  # the training record

        time.sleep(3)  # were anything to be sent again, it would be on its way now
        assert sent(smtp_sink) == mail_at_loss
        for service, rows in outbox_before.items():
            assert outbox_of(config["DATABASES"][service]) == rows, service  # all published, none again

        # New actions: a new registration, invoice, credit note and certificate take new numbers,
        # none of those given after the backup (lost with it, but mailed out).
        gustav = rpc.registrations.register(coming["id"], person("Gustav", "Dlouhý", 7))
        assert gustav["id"] > filip["id"] and gustav["ticket_code"] != filip["ticket_code"]
        with pytest.raises(NotFound) as lost_ticket:  # Filip's ticket does not pass as Gustav's
            rpc.registrations.check_in(coming["id"], filip["ticket_code"], any_day=True)
        assert lost_ticket.value.code == "invalid_ticket"
        rpc.registrations.release_certificate(dana["id"], "staff@smopk.example")  # the event's went: hers goes now
        wait_for(lambda: len(rpc.payments.list_invoices()) == len(invoices_before) + 1, timeout=60,
                 message="Gustav's invoice")
        rpc.registrations.cancel_registration(gustav["id"])  # and his credit note
        wait_for(lambda: len(rpc.payments.list_invoices()) == len(invoices_before) + 2, timeout=60,
                 message="Gustav's credit note")
        invoices_after = {(i["kind"], i["number"]) for i in rpc.payments.list_invoices()}
        new_invoices = invoices_after - invoices_before
        assert {kind for kind, _ in new_invoices} == {"invoice", "credit_note"}
        assert not {number for _, number in new_invoices} & {number for _, number in lost_invoices}
        for kind, number in new_invoices:  # FV-2026-1006 after 0005 (0006, Filip's, was lost)
            assert number > max(lost for k, lost in lost_invoices if k == kind)
        symbols_after = {i["variable_symbol"] for i in rpc.payments.list_invoices() if i["variable_symbol"]}
        assert symbols_after - symbols_before and not (symbols_after - symbols_before) & lost_symbols
        [dana_certificate] = wait_for(lambda: rpc.documents.certificate_numbers([dana["id"]]), timeout=60,
                                      message="Dana's certificate number")
        assert dana_certificate["number"] > lost_certificate["number"] > max(certificates_before)
        wait_for(lambda: [s for to, s in sent(smtp_sink)[len(mail_at_loss):] if to == dana["email"]] and
                 [s for to, s in sent(smtp_sink)[len(mail_at_loss):] if to == gustav["email"]], timeout=90,
                 message="the new emails")
        time.sleep(2)
        new_mail = sent(smtp_sink)[len(mail_at_loss):]
        assert {to for to, _ in new_mail} == {gustav["email"], dana["email"]}, new_mail  # nobody else
        assert [s for to, s in new_mail if to == dana["email"]] == [CERTIFICATE + training["title"]]
        assert len(new_mail) == len(set(new_mail)), new_mail
    stop_all(processes)


def stop_all(processes):
    """SIGTERM to all at once (each takes seconds to stop), then wait for each."""
    for process in processes:
        process.process.terminate()
    for process in processes:
        process.stop()


def paid(rpc, registration_id):
    """Pay in cash once payments has the request; then wait for registrations' copy."""
    if rpc.registrations.get_registration(registration_id)["paid_at"]:
        return True
    try:
        rpc.payments.mark_paid(registration_id, "cash")
    except Exception:  # the payment request is not there yet
        return False
    return False


@pytest.mark.skipif(DATABASE != "postgresql", reason="a point in time is restored from PostgreSQL's WAL archive")
def test_a_point_in_time_restore_on_postgresql(backup_config, cluster_of_our_own):
    config, cluster = backup_config, cluster_of_our_own
    registrations = config["DATABASES"]["registrations"]
    database = registrations.rsplit("/", 1)[1]
    cluster.execute(database, "CREATE TABLE facts (what text)")
    cluster.execute(database, "INSERT INTO facts VALUES ('before the backup')")
    folder = backup.backup(config)
    backup.verify(folder)
    cluster.execute(database, "INSERT INTO facts VALUES ('after the backup')")
    time.sleep(1.1)
    [(chosen,)] = cluster.execute("postgres", "SELECT now()")
    time.sleep(1.1)
    cluster.execute(database, "INSERT INTO facts VALUES ('after the chosen moment')")
    cluster.archived()

    def back_to(to):
        cluster.destroy_data()
        backup.restore(config, folder, to=to, services_stopped=True)
        cluster.start()
        return [row[0] for row in cluster.execute(database, "SELECT what FROM facts ORDER BY what")]

    # (each restore starts a new timeline; "latest" follows the newest, so it goes first here)
    assert back_to("latest") == ["after the backup", "after the chosen moment", "before the backup"]
    assert back_to(chosen.isoformat()) == ["after the backup", "before the backup"]
    assert back_to(None) == ["before the backup"]
    refused = pytest.raises(backup.BackupError, backup.restore, config, folder, services_stopped=True)
    assert "PostgreSQL answers at" in str(refused.value)  # it runs: nothing is touched
    assert datetime.now(UTC) > chosen


def test_a_backup_of_sqlite_files_in_use(service_processes, backup_config, cluster_of_our_own):
    """(SQLite) The services keep their files open and write; the copies open and hold the rows."""
    if cluster_of_our_own is not None:
        pytest.skip("the SQLite case")
    registrations = service_processes("registrations", TICKET_SIGNING_KEY="",
                                      TICKET_SIGNING_KEY_FILE=backup_config["TICKET_SIGNING_KEY_FILE"]).wait_healthy()
    with ClusterRpcProxy(backup_config, timeout=30) as rpc:
        event = rpc.registrations.create_event(seminar())
    config = dict(backup_config, DATABASES={"registrations": backup_config["DATABASES"]["registrations"]})
    folder = backup.backup(config)
    backup.verify(folder)
    with closing(sqlite3.connect(os.path.join(folder, "databases", "registrations.sqlite"))) as copy:
        assert copy.execute("SELECT title FROM events WHERE id = ?", (event["id"],)).fetchone()[0] == event["title"]
    registrations.stop()
