"""Backups that restore: one dated folder holds everything the system needs to come back.

    python -m tools.backup backup                 # prints the folder it wrote as its last line
    python -m tools.backup verify [FOLDER]        # the newest backup when no folder is named
    python -m tools.backup restore FOLDER [--to TIME|latest] [--gap N]
    python -m tools.backup gap FOLDER [--gap N]   # PostgreSQL: once it runs again after a restore
    python -m tools.backup prune [--keep N]

What a backup holds: every service's database (``DATABASES``), the ticket signing key's file
(``TICKET_SIGNING_KEY_FILE``, unless the key comes from the environment, where it must be kept
with the other secrets), every other ``*_FILE`` setting's file under ``var/`` and the sample seal
that ``make run`` makes there, and ``manifest.json``: the SHA-256 of every other file in the
folder, written last. Everything else (the broker's queues, PDFs, the local mail folder) is
derived or in flight, and nothing in a restored system depends on it.

The guarantee, built only on the engines' own tools:

- The databases are taken at one moment. SQLite: a read transaction is opened on every file
  first (write-ahead logging gives each a snapshot), then each is copied with SQLite's online
  backup API from inside its snapshot; the services keep running and writing. PostgreSQL (all
  service databases in one cluster): ``pg_basebackup`` of the whole cluster with the WAL it
  needs (``-X stream``), so the copy is consistent at the backup's end; with a WAL archive
  (``archive_command`` copying into ``BACKUP_WAL_ARCHIVE``) any later moment can be restored
  (``--to``).
- A folder is complete or it is not there: it is written as ``<name>.partial`` and renamed when
  its manifest is written. ``verify`` checks every checksum, that no listed file is missing,
  and opens every database copy (SQLite's ``integrity_check``; ``pg_verifybackup`` against
  PostgreSQL's own manifest of the base backup). ``restore`` verifies first and changes nothing
  when that fails.
- ``restore`` refuses while any service consumes its RPC queue, or while PostgreSQL answers:
  a running system would write over what is being restored.

What a restore does not bring back is what was written after the backup (after ``--to`` on
PostgreSQL): docs/operations.md ("Restore from backup") says what that means and how staff find
what to redo. The numbers given to it, though, were seen outside (a ticket T<registration id>, a
variable symbol, an invoice, a credit note, a certificate number): so that none is given again to
something else, every register then goes on past a gap (``RESTORE_NUMBER_GAP``, ``--gap``):
registration ids, invoices, credit notes, group variable symbols, certificates. On SQLite the
restore does it; on PostgreSQL, whose restore is only finished by the server's own recovery,
``gap`` does it once the server runs, before the services start (not needed after ``--to
latest``). Each register's next number is printed and added to ``restores.log`` in the backup's
folder, for the accountant.
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack, closing
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "deploy", "config.yaml")
MANIFEST = "manifest.json"
# Where a restore writes down where each register goes on (in the backup's folder, beside the
# manifest and, like it, not a checked file of the backup).
RESTORE_LOG = "restores.log"
FORMAT = 1
PARTIAL = ".partial"
SERVICES = ("members", "registrations", "notifications", "documents", "backoffice", "payments")
# Made by `make run` under var/ when no seal is configured (tools/sample_seal.py); the services
# get its path from `make run`, not from the configuration, so it is named here.
SAMPLE_SEAL_FILES = ("var/sample-seal.p12", "var/sample-seal.password")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


class BackupError(Exception):
    """A backup, verification or restore that cannot go on; the message says why, for a person."""


# --- configuration -------------------------------------------------------------------------------

def load_config(path: str = CONFIG) -> dict[str, Any]:
    """deploy/config.yaml as ``nameko run`` reads it, with the environment's values."""
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path, encoding="utf-8") as config_file:
        loaded: dict[str, Any] = yaml.safe_load(config_file)
    return loaded


def _setting(config: Mapping[str, Any], key: str) -> Any:
    from services.common.settings import setting

    return setting(config, key)


def database_engine(url: str) -> str:
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme in ("sqlite", "postgresql"):
        return scheme
    raise BackupError(f"no backup for a database at {scheme}:// (SQLite and PostgreSQL are supported)")


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (relative to the working folder, as the services read it)."""
    return url.split(":///", 1)[1].split("?", 1)[0]


def pg_parts(url: str) -> dict[str, Any]:
    """Where a database URL points. A multi-host URL (``?host=h1:5432&host=h2:5432``, as the
    services use for a primary with a standby) gives libpq's lists (``h1,h2`` and ``5432,5432``)
    and its ``target_session_attrs``, so the backup reads from whichever is the primary now."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    found = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
             "user": unquote(parts.username or "postgres"), "password": unquote(parts.password or ""),
             "database": parts.path.lstrip("/")}
    if query.get("host"):
        hosts = [entry.rpartition(":") if ":" in entry else (entry, "", "5432") for entry in query["host"]]
        found["host"] = ",".join(host for host, _, _ in hosts)
        found["port"] = ",".join(port or "5432" for _, _, port in hosts)
    if query.get("target_session_attrs"):
        found["target_session_attrs"] = query["target_session_attrs"][-1]
    return found


def kept_files(config: Mapping[str, Any]) -> dict[str, str]:
    """``{label: path}`` of the files a backup keeps besides the databases (those that exist)."""
    files: dict[str, str] = {}
    if not config.get("TICKET_SIGNING_KEY"):
        files["TICKET_SIGNING_KEY_FILE"] = _setting(config, "TICKET_SIGNING_KEY_FILE")
    for key, value in config.items():
        if key.endswith("_FILE") and key != "TICKET_SIGNING_KEY_FILE" and isinstance(value, str) and value \
                and _under_var(value):
            files[key] = value
    for path in SAMPLE_SEAL_FILES:
        files[os.path.basename(path)] = path
    return {label: path for label, path in files.items() if os.path.isfile(path)}


def _under_var(path: str) -> bool:
    var = os.path.realpath(os.path.join(ROOT, "var"))
    return os.path.realpath(path).startswith(var + os.sep) or not os.path.isabs(path) and \
        os.path.normpath(path).split(os.sep)[0] == "var"


# --- the manifest --------------------------------------------------------------------------------

def checksum(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_files(folder: str) -> list[str]:
    """Every file under ``folder`` but the manifest, as relative paths, sorted."""
    found = []
    for directory, _, names in os.walk(folder):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), folder)
            if relative not in (MANIFEST, RESTORE_LOG):
                found.append(relative)
    return sorted(found)


def write_manifest(folder: str, description: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of ``folder``: ``description`` and the checksum and size of every file in it."""
    manifest = dict(description, format=FORMAT, files={
        relative: {"sha256": checksum(os.path.join(folder, relative)),
                   "bytes": os.path.getsize(os.path.join(folder, relative))}
        for relative in folder_files(folder)})
    temporary = os.path.join(folder, MANIFEST + ".new")
    with open(temporary, "w", encoding="utf-8") as target:
        json.dump(manifest, target, indent=2, ensure_ascii=False)
        target.flush()
        os.fsync(target.fileno())
    os.replace(temporary, os.path.join(folder, MANIFEST))
    return manifest


def read_manifest(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise BackupError(f"{folder} is not a complete backup: it has no {MANIFEST}")
    try:
        with open(path, encoding="utf-8") as source:
            manifest: dict[str, Any] = json.load(source)
    except ValueError as error:
        raise BackupError(f"{path} cannot be read ({error})") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is of format {manifest.get('format')!r}; this tool reads format {FORMAT}")
    return manifest


def check_manifest(folder: str, manifest: Mapping[str, Any]) -> list[str]:
    """What is wrong with the files of ``folder`` against ``manifest`` (empty: nothing)."""
    problems = []
    listed = manifest.get("files", {})
    for relative, expected in sorted(listed.items()):
        path = os.path.join(folder, relative)
        if not os.path.isfile(path):
            problems.append(f"missing: {relative}")
        elif os.path.getsize(path) != expected["bytes"] or checksum(path) != expected["sha256"]:
            problems.append(f"changed since the backup (checksum differs): {relative}")
    for relative in folder_files(folder):
        if relative not in listed:
            problems.append(f"not in the manifest: {relative}")
    for service, database in sorted(manifest.get("databases", {}).items()):
        if database.get("copy") and database["copy"] not in listed:
            problems.append(f"the copy of the {service} database is not in the manifest")
    return problems


# --- backing up ----------------------------------------------------------------------------------

def backup(config: Mapping[str, Any], into: str | None = None, now: datetime | None = None) -> str:
    """Write one dated backup folder of everything the system needs to come back; returns it."""
    now = now or datetime.now(UTC)
    into = into or _setting(config, "BACKUP_DIR")
    databases: dict[str, str] = dict(config["DATABASES"])
    engines = {service: database_engine(url) for service, url in databases.items()}
    name = now.strftime("%Y-%m-%dT%H%M%SZ")
    folder = os.path.join(into, name)
    if os.path.exists(folder):
        raise BackupError(f"{folder} exists already; wait a second and run the backup again")
    partial = folder + PARTIAL
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    try:
        description: dict[str, Any] = {"created_at": now.isoformat(), "databases": {}, "kept_files": {}}
        sqlite_ones = {s: sqlite_path(u) for s, u in databases.items() if engines[s] == "sqlite"}
        if sqlite_ones:
            description["databases"].update(_backup_sqlite(sqlite_ones, partial))
        postgresql_ones = {s: u for s, u in databases.items() if engines[s] == "postgresql"}
        if postgresql_ones:
            taken, cluster = _backup_postgresql(postgresql_ones, partial, label=f"smopk {name}",
                                                wal_archive=_setting(config, "BACKUP_WAL_ARCHIVE"))
            description["databases"].update(taken)
            description["postgresql"] = cluster
        os.makedirs(os.path.join(partial, "files"), exist_ok=True)
        for label, path in kept_files(config).items():
            copy = os.path.join("files", label)
            shutil.copy2(path, os.path.join(partial, copy))
            description["kept_files"][label] = {"copy": copy, "restore_to": path,
                                                "mode": oct(os.stat(path).st_mode & 0o777)}
        if config.get("TICKET_SIGNING_KEY"):
            description["signing_key"] = "from the environment (TICKET_SIGNING_KEY): not in this backup"
        write_manifest(partial, description)
        os.rename(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return folder


def _backup_sqlite(files: Mapping[str, str], folder: str) -> dict[str, Any]:
    """Every SQLite file copied as of one moment: all read snapshots are opened first."""
    os.makedirs(os.path.join(folder, "databases"), exist_ok=True)
    taken = {}
    with ExitStack() as stack:
        sources = {}
        for service, path in files.items():
            if not os.path.isfile(path):
                raise BackupError(f"the {service} database {path} does not exist; nothing to back up from")
            source = stack.enter_context(closing(sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro",
                                                                 uri=True, isolation_level=None)))
            source.execute("BEGIN")  # deferred: the snapshot starts at the first read, below
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            sources[service] = source
        for service, source in sources.items():
            copy = os.path.join("databases", f"{service}.sqlite")
            with closing(sqlite3.connect(os.path.join(folder, copy))) as target:
                source.backup(target)  # all pages in one step, inside the snapshot
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            taken[service] = {"engine": "sqlite", "copy": copy, "restore_to": files[service]}
    return taken


def _pg_env(parts: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ, PGHOST=str(parts["host"]), PGPORT=str(parts["port"]), PGUSER=str(parts["user"]))
    if parts.get("target_session_attrs"):
        env["PGTARGETSESSIONATTRS"] = str(parts["target_session_attrs"])
    if parts["password"]:
        env["PGPASSWORD"] = str(parts["password"])
    return env


def _one_server(urls: Mapping[str, str]) -> dict[str, Any]:
    servers = {(p["host"], p["port"]) for p in map(pg_parts, urls.values())}
    if len(servers) != 1:
        raise BackupError("the PostgreSQL databases are on several servers "
                          f"({', '.join(f'{h}:{p}' for h, p in sorted(servers))}); a backup of all of them at "
                          "one moment needs them in one cluster")
    return pg_parts(next(iter(urls.values())))


def _run(command: list[str], env: Mapping[str, str] | None = None, what: str = "") -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client-15)") from error
    if done.returncode != 0:
        raise BackupError(f"{what or os.path.basename(command[0])} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def _backup_postgresql(urls: Mapping[str, str], folder: str, label: str,
                       wal_archive: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A base backup of the one cluster that holds every PostgreSQL database, with its WAL."""
    server = _one_server(urls)
    target = os.path.join(folder, "postgresql")
    _run([os.path.join(PG_BIN, "pg_basebackup"), "-D", target, "-Fp", "-X", "stream", "-c", "fast",
          "--manifest-checksums=SHA256", "-l", label, "--no-password"], _pg_env(server), "pg_basebackup")
    with open(os.path.join(target, "backup_label")) as backup_label:
        lines = dict(line.split(": ", 1) for line in backup_label.read().splitlines() if ": " in line)
    start_wal = lines["START WAL LOCATION"].split("file ")[1].rstrip(")")
    databases = {service: {"engine": "postgresql", "database": pg_parts(url)["database"]}
                 for service, url in urls.items()}
    cluster = {"server": f"{server['host']}:{server['port']}", "start_time": lines.get("START TIME"),
               "start_wal_file": start_wal, "wal_archive": wal_archive or None}
    return databases, cluster


# --- verifying -----------------------------------------------------------------------------------

def verify(folder: str) -> dict[str, Any]:
    """Check ``folder`` against its manifest and open every database copy; returns the manifest,
    raises ``BackupError`` naming every problem found."""
    manifest = read_manifest(folder)
    problems = check_manifest(folder, manifest)
    if not problems:
        for service, database in sorted(manifest["databases"].items()):
            if database["engine"] == "sqlite":
                problems += [f"the {service} database copy: {p}" for p in
                             _sqlite_problems(os.path.join(folder, database["copy"]))]
        if "postgresql" in manifest:
            done = subprocess.run([os.path.join(PG_BIN, "pg_verifybackup"), "--quiet",
                                   os.path.join(folder, "postgresql")], capture_output=True, text=True)
            if done.returncode != 0:
                problems.append(f"pg_verifybackup: {(done.stderr or done.stdout).strip()}")
    if problems:
        raise BackupError(f"{folder} is not a good backup:\n  " + "\n  ".join(problems))
    return manifest


def _sqlite_problems(path: str) -> list[str]:
    try:
        with closing(sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro&immutable=1", uri=True)) as copy:
            answer = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            tables = copy.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return [f"does not open ({error})"]
    return ([] if answer == ["ok"] else answer) + ([] if tables else ["holds no tables"])


def backups_in(into: str) -> list[str]:
    """The complete backup folders in ``into``, oldest first."""
    return sorted(os.path.dirname(path) for path in glob.glob(os.path.join(into, "*", MANIFEST))
                  if not os.path.dirname(path).endswith(PARTIAL))


def newest(into: str) -> str:
    found = backups_in(into)
    if not found:
        raise BackupError(f"no backup in {into}")
    return found[-1]


# --- restoring -----------------------------------------------------------------------------------

def restore(config: Mapping[str, Any], folder: str, to: str | None = None, services_stopped: bool = False,
            gap: int | str | None = None) -> list[str]:
    """Bring a stopped system back from ``folder``; returns what was done, line by line.

    ``to`` (PostgreSQL with a WAL archive): a time (``2026-12-07 10:15:00+01``) to replay the
    archive up to, or ``latest`` for all of it; without it, the state at the backup.

    ``gap`` (``RESTORE_NUMBER_GAP`` when None): how far every register jumps (``skip_numbers``),
    on SQLite here; on PostgreSQL the last line says to run ``gap`` once the server runs.
    Halfway: the databases back but the numbering not moved (a migration or a write failed)
    is said in the error, with what to run."""
    gap = number_gap(config, gap)
    manifest = verify(folder)
    databases: dict[str, str] = dict(config["DATABASES"])
    missing = sorted(set(databases) - set(manifest["databases"]))
    if missing:
        raise BackupError(f"{folder} holds no copy of the database of {', '.join(missing)}")
    if not services_stopped:
        running = running_services(config["AMQP_URI"])
        if running:
            raise BackupError(f"the services are running ({', '.join(running)}): stop them all first; "
                              "a running system would write over what is restored")
    engines = {service: database_engine(url) for service, url in databases.items()}
    for service, engine in engines.items():
        if manifest["databases"][service]["engine"] != engine:
            raise BackupError(f"the {service} database is {engine} now but "
                              f"{manifest['databases'][service]['engine']} in the backup")
    if to and "postgresql" not in manifest:
        raise BackupError("a restore to a chosen time (--to) needs PostgreSQL with a WAL archive")
    done = []
    if "postgresql" in manifest:
        done += _restore_postgresql(config, folder, manifest,
                                    {s: u for s, u in databases.items() if engines[s] == "postgresql"}, to)
    for service, url in databases.items():
        if engines[service] == "sqlite":
            _restore_sqlite(os.path.join(folder, manifest["databases"][service]["copy"]), sqlite_path(url))
            done.append(f"{service}: {sqlite_path(url)}")
    for label, kept in manifest.get("kept_files", {}).items():
        # where the configuration now says (a new machine may keep it elsewhere), else where it was
        target = config.get(label) or (_setting(config, label) if label == "TICKET_SIGNING_KEY_FILE"
                                       else kept["restore_to"])
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        temporary = f"{target}.restoring"
        shutil.copyfile(os.path.join(folder, kept["copy"]), temporary)
        os.chmod(temporary, int(kept["mode"], 8))
        os.replace(temporary, target)
        done.append(f"{label}: {target}")
    numbered = [s for s in NUMBERED if s in databases]
    on_sqlite = [s for s in numbered if engines[s] == "sqlite"]
    if on_sqlite and gap:
        try:
            done += keep_in_log(folder, f"restore{'' if to is None else f' to {to}'}", gap, skip_numbers(
                config, datetime.fromisoformat(manifest["created_at"]), gap, on_sqlite))
        except BackupError as error:
            raise BackupError(f"the databases are restored, but {error}") from error
    elif on_sqlite:
        done.append("numbering: not moved (gap 0): what was numbered after the backup will be numbered again")
    if "postgresql" in manifest:
        on_postgresql = [s for s in numbered if engines[s] == "postgresql"]
        if on_postgresql and gap and to != "latest":
            done.append("  start PostgreSQL now; once it accepts connections, move the numbering past the gap "
                        f"before the services start: make restore-gap FROM={folder} (GAP={gap})")
        else:
            done.append("  start PostgreSQL now, then the services")
    return done


NUMBERED = ("registrations", "payments", "documents")
MAX_GAP = 10 ** 6  # registration ids and variable symbols stay under 10^9 through a thousand restores


def number_gap(config: Mapping[str, Any], gap: int | str | None = None) -> int:
    """The gap a restore's registers jump: ``gap``, else ``RESTORE_NUMBER_GAP``."""
    value = _setting(config, "RESTORE_NUMBER_GAP") if gap is None or gap == "" else gap
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BackupError(f"the number gap (GAP, RESTORE_NUMBER_GAP) is a whole number, not {value!r}") from None
    if not 0 <= number <= MAX_GAP:
        raise BackupError(f"the number gap (GAP, RESTORE_NUMBER_GAP) is from 0 to {MAX_GAP}, not {number}")
    return number


def skip_numbers(config: Mapping[str, Any], since: datetime, gap: int, services: Iterable[str] = NUMBERED,
                 now: datetime | None = None) -> list[str]:
    """Every register of ``services`` goes on ``gap`` past its last number: what was numbered after
    the backup (taken at ``since``) and lost with it keeps numbers nobody else gets. Registration
    ids (tickets T<id>, variable symbols), invoices, credit notes, group variable symbols,
    certificates; the yearly ones for each year from the backup's to ``now``'s. Each service's
    database is brought to its newest schema first (a backup of an older version). Returns a
    line per register: its next number and the numbers skipped.

    One transaction per service: a failure leaves that service's numbering as it was, and those
    before it moved (running it again moves them once more, which only widens their gap)."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.common.czech import local
    from services.common.db import Database
    from services.documents import domain as documents_domain
    from services.documents import store as documents_store
    from services.payments import domain as payments_domain
    from services.payments import store as payments_store
    from services.registrations import store as registrations_store

    stores = {"registrations": registrations_store, "payments": payments_store, "documents": documents_store}
    first = local(since).year
    years = range(first, max(first, local(now or datetime.now(UTC)).year) + 1)
    lines: list[str] = []
    moved: list[str] = []

    def skipped(what: str, name: Callable[[int], str], following: int) -> str:
        return (f"numbering: {what} go on from {name(following)}; "
                f"{name(following - gap)} to {name(following - 1)} skipped")

    def payments_register(register: str) -> tuple[str, Callable[[int], str]]:
        if register == "group-vs":
            return "group invoices' variable symbols", payments_domain.group_vs
        kind, _, year = register.rpartition("-")
        invoice_kind = payments_domain.InvoiceKind(kind)
        return (f"{kind.replace('_', ' ')}s of {year}",
                lambda n: payments_domain.document_number(invoice_kind, int(year), n))

    for service in services:
        database = Database(config["DATABASES"][service], stores[service].metadata, pool_size=1)
        try:
            database.create_schema(service)
            with database.transaction() as conn:
                if service == "registrations":
                    lines.append(skipped("registration ids (tickets T<id>, variable symbols 1<id>)", str,
                                         registrations_store.skip_ids(conn, gap)))
                elif service == "payments":
                    for register, following in payments_store.skip_numbers(conn, gap, years).items():
                        lines.append(skipped(*payments_register(register), following))
                else:
                    for year, following in documents_store.skip_numbers(conn, gap, years).items():
                        lines.append(skipped(f"certificates of {year}",
                                             lambda n, y=year: documents_domain.certificate_number(y, n), following))
            moved.append(service)
        except SQLAlchemyError as error:
            done = f" (those of {', '.join(moved)} were moved)" if moved else ""
            raise BackupError(f"the numbering of {service} could not be moved past the gap ({error}){done}; "
                              "run `python -m tools.backup gap FOLDER` (make restore-gap FROM=…) before the "
                              "services start") from error
        finally:
            database.dispose()
    return lines


def keep_in_log(folder: str, what: str, gap: int, lines: list[str]) -> list[str]:
    """``lines`` added to the backup folder's ``restores.log`` under a heading (when, what, the
    gap); a folder that cannot be written (a read-only copy) is said in the lines returned."""
    heading = f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC, {what} from {folder}, number gap {gap}:"
    try:
        with open(os.path.join(folder, RESTORE_LOG), "a", encoding="utf-8") as log:
            log.write("".join(f"{line}\n" for line in [heading, *(f"  {line}" for line in lines)]))
        where = f"numbering: written down in {os.path.join(folder, RESTORE_LOG)}; print it for the accountant"
    except OSError as error:
        where = f"numbering: NOT written down in the backup's folder ({error}): keep these lines yourself"
    return [*lines, where]


def skip_numbers_after_restore(config: Mapping[str, Any], folder: str, gap: int | str | None = None,
                               services_stopped: bool = False) -> list[str]:
    """``gap``: after a restore on PostgreSQL, once the server runs and before the services start,
    move every register past the gap (``skip_numbers``; the backup's time from its manifest)."""
    gap = number_gap(config, gap)
    manifest = read_manifest(folder)
    if not services_stopped:
        running = running_services(config["AMQP_URI"])
        if running:
            raise BackupError(f"the services are running ({', '.join(running)}): they may have numbered "
                              "something already; stop them, move the numbering, then start them")
    if not gap:
        return ["numbering: not moved (gap 0): what was numbered after the backup will be numbered again"]
    numbered = [s for s in NUMBERED if s in config["DATABASES"]]
    return keep_in_log(folder, "numbering moved after a restore", gap,
                       skip_numbers(config, datetime.fromisoformat(manifest["created_at"]), gap, numbered))


def running_services(amqp_uri: str) -> list[str]:
    """The services that consume their RPC queue at ``amqp_uri``: those that run."""
    from kombu import Connection
    from kombu.exceptions import OperationalError

    running = []
    try:
        with Connection(amqp_uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
            for service in SERVICES:
                channel = connection.channel()
                try:
                    if channel.queue_declare(f"rpc-{service}", passive=True).consumer_count:
                        running.append(service)
                except Exception:  # no such queue: the service never ran on this broker
                    pass
                finally:
                    try:
                        channel.close()
                    except Exception:  # a passive declare of a missing queue closed it already
                        pass
    except (OSError, OperationalError) as error:
        raise BackupError(f"RabbitMQ does not answer at {amqp_uri} ({error}), so it cannot be told whether the "
                          "services run; stop them and restore with SERVICES_STOPPED=yes "
                          "(--services-stopped)") from error
    return running


def _restore_sqlite(copy: str, target: str) -> None:
    """The copy written over ``target`` with SQLite's backup API (the target's WAL included)."""
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    with closing(sqlite3.connect(f"file:{os.path.abspath(copy)}?mode=ro&immutable=1", uri=True)) as source, \
            closing(sqlite3.connect(target)) as destination:
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=WAL")


def _restore_postgresql(config: Mapping[str, Any], folder: str, manifest: Mapping[str, Any],
                        urls: Mapping[str, str], to: str | None) -> list[str]:
    server = _one_server(urls)
    for service, url in urls.items():
        if pg_parts(url)["database"] != manifest["databases"][service]["database"]:
            raise BackupError(f"the {service} database is {pg_parts(url)['database']} now but "
                              f"{manifest['databases'][service]['database']} in the backup")
    if _answers(server):
        raise BackupError(f"PostgreSQL answers at {server['host']}:{server['port']}: stop it first (the whole "
                          "cluster is put back from the base backup)")
    pgdata = _setting(config, "BACKUP_PGDATA")
    if not pgdata:
        raise BackupError("set BACKUP_PGDATA to the PostgreSQL data directory to restore into")
    if os.path.isdir(pgdata) and os.listdir(pgdata):
        raise BackupError(f"{pgdata} is not empty: move it aside (or delete it, if it is what you are "
                          "replacing) and run the restore again")
    archive = _setting(config, "BACKUP_WAL_ARCHIVE")
    if to and not (archive and os.path.isdir(archive)):
        raise BackupError("a restore to a chosen time needs the WAL archive (BACKUP_WAL_ARCHIVE)")
    # the server's user owns the restored files (a restore run as root: the owner of the folder)
    owner = os.stat(pgdata if os.path.isdir(pgdata) else os.path.dirname(os.path.abspath(pgdata)))
    os.makedirs(pgdata, mode=0o700, exist_ok=True)
    shutil.copytree(os.path.join(folder, "postgresql"), pgdata, dirs_exist_ok=True)
    os.unlink(os.path.join(pgdata, "backup_manifest"))
    lines = [f"PostgreSQL cluster: {pgdata}"]
    if archive and os.path.isdir(archive):
        # Archive recovery always: the restored server then starts a new timeline, and the WAL it
        # archives never collides with what the lost one archived after the backup.
        settings = {"restore_command": f"cp '{os.path.abspath(archive)}/%f' '%p'",
                    "recovery_target_action": "promote", "recovery_target_timeline": "latest"}
        if to is None:
            settings["recovery_target"] = "immediate"
        elif to != "latest":
            settings["recovery_target_time"] = to
        with open(os.path.join(pgdata, "postgresql.auto.conf"), "a") as auto:
            auto.write("\n# tools.backup restore\n" + "".join(
                f"{key} = '{value.replace(chr(39), chr(39) * 2)}'\n" for key, value in settings.items()))
        open(os.path.join(pgdata, "recovery.signal"), "w").close()
        lines.append(f"  recovery to {'the backup' if to is None else to} from the WAL archive {archive}")
    for directory, _, names in os.walk(pgdata):
        for name in [None, *names]:
            path = directory if name is None else os.path.join(directory, name)
            if os.getuid() == 0:
                os.chown(path, owner.st_uid, owner.st_gid)
            if name is None:
                os.chmod(path, 0o700)
    return lines


def _answers(server: Mapping[str, Any]) -> bool:
    done = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h", str(server["host"]),
                           "-p", str(server["port"])], capture_output=True)
    return done.returncode in (0, 1)  # 0 accepting, 1 starting up or shutting down; 2 no answer


# --- retention -----------------------------------------------------------------------------------

def prune(config: Mapping[str, Any], keep: int | None = None, into: str | None = None) -> list[str]:
    """Delete all but the newest ``keep`` backups (``BACKUP_KEEP``), and the archived WAL older than
    the oldest one kept (``pg_archivecleanup``); returns the folders deleted."""
    keep = int(keep if keep is not None else _setting(config, "BACKUP_KEEP"))
    if keep < 1:
        raise BackupError("keep at least one backup")
    into = into or _setting(config, "BACKUP_DIR")
    found = backups_in(into)
    gone = found[:-keep]
    for folder in gone:
        shutil.rmtree(folder)
    archive = _setting(config, "BACKUP_WAL_ARCHIVE")
    kept = found[-keep:]
    if kept and archive and os.path.isdir(archive):
        oldest = read_manifest(kept[0]).get("postgresql")
        if oldest:
            _run([os.path.join(PG_BIN, "pg_archivecleanup"), archive, oldest["start_wal_file"]],
                 what="pg_archivecleanup")
    return gone


def age_hours(folder: str) -> float:
    created = datetime.fromisoformat(read_manifest(folder)["created_at"])
    return (datetime.now(UTC) - created).total_seconds() / 3600


# --- the command line ----------------------------------------------------------------------------

def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("backup", help="write one dated backup folder; its path is the last line")
    made.add_argument("--into", help="the folder of backups (BACKUP_DIR)")
    checked = commands.add_parser("verify", help="check a backup's manifest and open every database copy")
    checked.add_argument("folder", nargs="?", help="the backup (the newest in BACKUP_DIR when not given)")
    checked.add_argument("--max-age-hours", type=float, help="also fail when the backup is older than this")
    restored = commands.add_parser("restore", help="bring a stopped system back from a backup")
    restored.add_argument("folder")
    restored.add_argument("--to", help="PostgreSQL: a time to replay the WAL archive up to, or 'latest'")
    restored.add_argument("--services-stopped", action="store_true",
                          help="the broker is away: restore without asking it whether services run")
    restored.add_argument("--gap", help="how far every register's numbering jumps (RESTORE_NUMBER_GAP)")
    gapped = commands.add_parser("gap", help="PostgreSQL, after a restore, once it runs and before the services: "
                                             "move every register's numbering past the gap")
    gapped.add_argument("folder", help="the backup restored")
    gapped.add_argument("--gap", help="how far every register's numbering jumps (RESTORE_NUMBER_GAP)")
    gapped.add_argument("--services-stopped", action="store_true",
                        help="the broker is away: go on without asking it whether services run")
    pruned = commands.add_parser("prune", help="delete all but the newest BACKUP_KEEP backups")
    pruned.add_argument("--keep", type=int)
    arguments = parser.parse_args(list(argv) if argv is not None else None)
    config = load_config()
    try:
        if arguments.command == "backup":
            folder = backup(config, arguments.into)
            print(f"Backup written and checked: {len(verify(folder)['files'])} files.")
            print(folder)
        elif arguments.command == "verify":
            folder = arguments.folder or newest(_setting(config, "BACKUP_DIR"))
            manifest = verify(folder)
            hours = age_hours(folder)
            print(f"{folder}: good ({len(manifest['files'])} files, {len(manifest['databases'])} databases "
                  f"opened, taken {hours:.1f} h ago)")
            if arguments.max_age_hours is not None and hours > arguments.max_age_hours:
                raise BackupError(f"the newest backup is {hours:.1f} h old, more than {arguments.max_age_hours} h")
        elif arguments.command == "restore":
            for line in restore(config, arguments.folder, arguments.to, arguments.services_stopped, arguments.gap):
                print(line if line.startswith(("numbering: ", "  ")) else f"restored {line}")
            print(f"Restored from {arguments.folder}. What was written after the backup is not there: "
                  "see docs/operations.md, \"Restore from backup\".")
        elif arguments.command == "gap":
            for line in skip_numbers_after_restore(config, arguments.folder, arguments.gap,
                                                   arguments.services_stopped):
                print(line)
        else:
            for folder in prune(config, arguments.keep):
                print(f"deleted {folder}")
    except BackupError as error:
        print(f"{arguments.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
