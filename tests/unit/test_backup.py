"""tools.backup on SQLite files, without services: what a backup holds, how its manifest catches a
missing, changed, unlisted or unreadable file, that a restore checks first and changes nothing
when the backup is not good, and that retention keeps the newest."""
import json
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from tools import backup
from tools.backup import BackupError

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
SERVICES = backup.SERVICES


@pytest.fixture
def system(tmp_path, monkeypatch):
    """Six SQLite databases with a row each and a signing key file, in a folder of their own."""
    monkeypatch.chdir(tmp_path)
    os.makedirs("var")
    for service in SERVICES:
        with closing(sqlite3.connect(f"var/{service}.sqlite")) as database:
            database.execute("PRAGMA journal_mode=WAL")
            database.execute("CREATE TABLE facts (what TEXT)")
            database.execute("INSERT INTO facts VALUES (?)", (f"{service} before",))
            database.commit()
    descriptor = os.open("var/ticket-signing.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(descriptor, b"the-kept-key\n")
    os.close(descriptor)
    return {"DATABASES": {s: f"sqlite:///var/{s}.sqlite" for s in SERVICES}, "TICKET_SIGNING_KEY": "",
            "TICKET_SIGNING_KEY_FILE": "var/ticket-signing.key", "BACKUP_DIR": "backups",
            "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:9/"}


def facts(path):
    with closing(sqlite3.connect(path)) as database:
        return [row[0] for row in database.execute("SELECT what FROM facts ORDER BY rowid")]


def test_a_backup_holds_every_database_and_the_key_with_their_checksums(system):
    folder = backup.backup(system, now=NOW)
    assert folder == os.path.join("backups", "2026-12-07T093000Z") and not os.path.exists(folder + ".partial")
    manifest = backup.verify(folder)
    assert sorted(manifest["databases"]) == sorted(SERVICES)
    assert set(manifest["files"]) == {f"databases/{s}.sqlite" for s in SERVICES} | {"files/TICKET_SIGNING_KEY_FILE"}
    assert facts(os.path.join(folder, "databases", "payments.sqlite")) == ["payments before"]
    kept = manifest["kept_files"]["TICKET_SIGNING_KEY_FILE"]
    assert (kept["restore_to"], kept["mode"]) == ("var/ticket-signing.key", "0o600")
    assert backup.backups_in("backups") == [folder] and backup.newest("backups") == folder


def test_a_key_from_the_environment_is_not_copied_and_the_manifest_says_so(system):
    manifest = backup.verify(backup.backup(dict(system, TICKET_SIGNING_KEY="from-a-secret"), now=NOW))
    assert "files/TICKET_SIGNING_KEY_FILE" not in manifest["files"]
    assert "not in this backup" in manifest["signing_key"]


def test_the_sample_seal_under_var_is_kept(system):
    for name in backup.SAMPLE_SEAL_FILES:
        with open(name, "w") as made:
            made.write("seal")
    manifest = backup.verify(backup.backup(system, now=NOW))
    assert {"files/sample-seal.p12", "files/sample-seal.password"} <= set(manifest["files"])


def test_a_missing_changed_or_unlisted_file_fails_the_check(system):
    folder = backup.backup(system, now=NOW)
    os.unlink(os.path.join(folder, "databases", "members.sqlite"))
    with open(os.path.join(folder, "files", "TICKET_SIGNING_KEY_FILE"), "a") as changed:
        changed.write("x")
    with open(os.path.join(folder, "stray.txt"), "w") as stray:
        stray.write("?")
    with pytest.raises(BackupError) as failed:
        backup.verify(folder)
    assert "missing: databases/members.sqlite" in str(failed.value)
    assert "changed since the backup (checksum differs): files/TICKET_SIGNING_KEY_FILE" in str(failed.value)
    assert "not in the manifest: stray.txt" in str(failed.value)


def test_a_database_copy_that_does_not_open_fails_the_check_even_with_a_matching_checksum(system):
    folder = backup.backup(system, now=NOW)
    with open(os.path.join(folder, "databases", "documents.sqlite"), "wb") as broken:
        broken.write(b"not a database" * 100)
    manifest = json.load(open(os.path.join(folder, backup.MANIFEST)))
    manifest.pop("files")
    backup.write_manifest(folder, manifest)  # checksums of what is there now
    with pytest.raises(BackupError, match="the documents database copy: does not open"):
        backup.verify(folder)


def test_a_folder_without_a_manifest_is_no_backup_and_an_unfinished_one_is_not_listed(system):
    os.makedirs("backups/2026-12-07T080000Z.partial/databases")
    os.makedirs("backups/2026-12-07T090000Z")
    assert backup.backups_in("backups") == []
    with pytest.raises(BackupError, match="it has no manifest.json"):
        backup.verify("backups/2026-12-07T090000Z")


def test_a_restore_brings_back_the_databases_and_the_key_as_they_were(system):
    folder = backup.backup(system, now=NOW)
    with closing(sqlite3.connect("var/payments.sqlite")) as database:
        database.execute("INSERT INTO facts VALUES ('payments after')")
        database.commit()
    for service in SERVICES:
        os.unlink(f"var/{service}.sqlite")
    os.unlink("var/ticket-signing.key")

    done = backup.restore(system, folder, services_stopped=True)
    assert "TICKET_SIGNING_KEY_FILE: var/ticket-signing.key" in done
    for service in SERVICES:
        assert facts(f"var/{service}.sqlite") == [f"{service} before"]
    assert open("var/ticket-signing.key").read() == "the-kept-key\n"
    assert os.stat("var/ticket-signing.key").st_mode & 0o777 == 0o600


def test_a_restore_from_a_bad_backup_changes_nothing(system):
    folder = backup.backup(system, now=NOW)
    with closing(sqlite3.connect("var/members.sqlite")) as database:
        database.execute("INSERT INTO facts VALUES ('members after')")
        database.commit()
    os.unlink(os.path.join(folder, "databases", "registrations.sqlite"))
    with pytest.raises(BackupError, match="missing: databases/registrations.sqlite"):
        backup.restore(system, folder, services_stopped=True)
    assert facts("var/members.sqlite") == ["members before", "members after"]


def test_a_restore_asks_the_broker_whether_services_run_and_refuses_when_it_cannot_tell(system):
    folder = backup.backup(system, now=NOW)
    with pytest.raises(BackupError, match="cannot be told whether the services run"):
        backup.restore(system, folder)  # nothing listens on port 9
    assert facts("var/members.sqlite") == ["members before"]


def test_a_restore_needs_a_copy_of_every_database_configured(system):
    folder = backup.backup(dict(system, DATABASES={"members": "sqlite:///var/members.sqlite"}), now=NOW)
    with pytest.raises(BackupError, match="holds no copy of the database of backoffice, documents"):
        backup.restore(system, folder, services_stopped=True)


def test_a_snapshot_is_taken_of_all_databases_before_any_is_copied(system, monkeypatch):
    """A write that commits while the copies are made (here: after the first copy) is in none."""
    copied = []
    real = backup.sqlite3.Connection.backup

    class Writing(sqlite3.Connection):
        def backup(self, target, **options):
            if not copied:
                with closing(sqlite3.connect("var/payments.sqlite")) as other:
                    other.execute("INSERT INTO facts VALUES ('payments during')")
                    other.commit()
            copied.append(self)
            return real(self, target, **options)

    connect = sqlite3.connect
    monkeypatch.setattr(backup.sqlite3, "connect", lambda *a, **k: connect(*a, **dict(k, factory=Writing)))
    folder = backup.backup(system, now=NOW)
    assert len(copied) == 6 and list(backup.verify(folder)["databases"])[0] == "members"
    assert facts(os.path.join(folder, "databases", "payments.sqlite")) == ["payments before"]
    assert facts("var/payments.sqlite") == ["payments before", "payments during"]


def test_prune_keeps_the_newest(system):
    made = [backup.backup(system, now=NOW + timedelta(hours=hour)) for hour in range(4)]
    assert backup.prune(system, keep=2) == made[:2]
    assert backup.backups_in("backups") == made[2:]
    with pytest.raises(BackupError, match="keep at least one"):
        backup.prune(system, keep=0)


def test_a_multi_host_url_backs_up_whichever_server_is_the_primary():
    """The services' URL for a primary with a standby: libpq gets both hosts and is told to take
    the one that accepts writes, as the services are; one server's URL stays as it was."""
    url = ("postgresql://postgres:secret@/registrations?host=10.231.5.11:5432&host=10.231.5.12:5433"
           "&target_session_attrs=read-write&connect_timeout=3")
    parts = backup.pg_parts(url)
    assert (parts["host"], parts["port"]) == ("10.231.5.11,10.231.5.12", "5432,5433")
    assert parts["database"] == "registrations"
    env = backup._pg_env(parts)
    assert (env["PGHOST"], env["PGPORT"], env["PGTARGETSESSIONATTRS"], env["PGPASSWORD"]) == (
        "10.231.5.11,10.231.5.12", "5432,5433", "read-write", "secret")
    single = backup.pg_parts("postgresql://postgres@127.0.0.1:5432/members")
    assert (single["host"], single["port"], "target_session_attrs" in single) == ("127.0.0.1", 5432, False)
    both = {name: url.replace("/registrations?", f"/{name}?") for name in ("registrations", "members")}
    assert backup._one_server(both)["host"] == "10.231.5.11,10.231.5.12"


def numbers_given(system, invoices, credit_notes, certificates):
    """The registrations, payments and documents databases with their own schemas, and as many
    invoices, credit notes and certificates numbered as asked (their registers' last numbers)."""
    from services.common.db import Database
    from services.documents import store as documents
    from services.payments import store as payments
    from services.registrations import store as registrations

    for service, store in (("registrations", registrations), ("payments", payments), ("documents", documents)):
        database = Database(system["DATABASES"][service], store.metadata)
        database.create_schema(service)
        with database.transaction() as conn:
            if service == "payments":
                for register, count in (("invoice-2026", invoices), ("credit_note-2026", credit_notes)):
                    for _ in range(count):
                        payments.next_number(conn, register)
            elif service == "documents":
                for _ in range(certificates):
                    documents.next_number(conn, 2026)
        database.dispose()


def test_a_restore_makes_every_register_jump_past_the_gap_and_writes_down_where_each_goes_on(system):
    numbers_given(system, invoices=5, credit_notes=1, certificates=2)
    folder = backup.backup(system, now=NOW)
    numbers_given(system, invoices=1, credit_notes=0, certificates=1)  # after the backup: lost with it

    done = backup.restore(system, folder, services_stopped=True, gap=100)
    moved = [
        "numbering: registration ids (tickets T<id>, variable symbols 1<id>) go on from 101; 1 to 100 skipped",
        "numbering: invoices of 2026 go on from FV-2026-0106; FV-2026-0006 to FV-2026-0105 skipped",
        "numbering: credit notes of 2026 go on from OD-2026-0102; OD-2026-0002 to OD-2026-0101 skipped",
        "numbering: group invoices' variable symbols go on from 2000000101; 2000000001 to 2000000100 skipped",
        "numbering: certificates of 2026 go on from 2026/0103; 2026/0003 to 2026/0102 skipped"]
    assert [line for line in done if line.startswith("numbering: ")] == [
        *moved, f"numbering: written down in {folder}/restores.log; print it for the accountant"]
    log = open(os.path.join(folder, "restores.log")).read().splitlines()
    assert log[0].endswith(f"UTC, restore from {folder}, number gap 100:") and log[1:] == [f"  {m}" for m in moved]
    backup.verify(folder)  # the log is no file of the backup: it is still good
    numbers_given(system, invoices=1, credit_notes=0, certificates=1)
    with closing(sqlite3.connect("var/payments.sqlite")) as payments, \
            closing(sqlite3.connect("var/documents.sqlite")) as documents:
        assert payments.execute("SELECT last_number FROM counters WHERE name = 'invoice-2026'").fetchone() == (106,)
        assert documents.execute("SELECT last_number FROM certificate_counters").fetchall() == [(103,)]


def test_the_gap_is_a_whole_number_from_the_setting_or_the_command_line_and_0_moves_nothing(system, capsys,
                                                                                             monkeypatch):
    numbers_given(system, invoices=5, credit_notes=0, certificates=0)
    folder = backup.backup(system, now=NOW)
    for wrong, said in (("tisíc", "is a whole number, not 'tisíc'"), (-1, "from 0 to 1000000, not -1")):
        with pytest.raises(BackupError, match=said):
            backup.restore(system, folder, services_stopped=True, gap=wrong)
    assert not os.path.exists(os.path.join(folder, "restores.log"))  # refused before anything was done

    done = backup.restore(system, folder, services_stopped=True, gap=0)
    assert "numbering: not moved (gap 0): what was numbered after the backup will be numbered again" in done
    assert not os.path.exists(os.path.join(folder, "restores.log"))
    # moved afterwards by `gap` (as on PostgreSQL once it runs), by RESTORE_NUMBER_GAP: 1000 unless set
    monkeypatch.setattr(backup, "load_config", lambda: system)
    assert backup.main(["gap", folder, "--services-stopped"]) == 0
    assert "numbering: invoices of 2026 go on from FV-2026-1006; FV-2026-0006 to FV-2026-1005 skipped" \
        in capsys.readouterr().out
    assert backup.main(["gap", folder, "--services-stopped", "--gap", "x"]) == 1
    assert "gap: the number gap (GAP, RESTORE_NUMBER_GAP) is a whole number, not 'x'" in capsys.readouterr().err
