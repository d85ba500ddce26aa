"""The fault suite: people register while every part of the system breaks once, and nothing is lost.

The five services run as separate `nameko run` processes, restarted like a
supervisor restarts them; clients in a process of their own register with an
Idempotency-Key and retry on 503 or a dropped connection. During the load,
one after another: each service is killed with SIGKILL and restarted, the
SMTP server hangs (accepts connections, answers nothing), the broker
restarts, and the databases go away (SQLite: another writer holds the
registrations' and the notifications' files; PostgreSQL: the server
restarts). Then: every accepted registration is in the register once, every
accepted person got exactly one first email (with the PDF ticket and the
payment's QR Platba when confirmed) and each confirmed one exactly one invoice,
every invoice number is unique and the register has no gap, confirmed ≤
capacity, waitlist places 1..N without gaps, and no
answer was a 500. "Exactly one" up to the window SMTP itself leaves (RFC 5321,
6.1): notifications killed after the server took an email and before it
recorded that sends it again once its claim lapses, with the same Message-ID;
any other second copy fails the test.
"""
import email
import email.policy
import glob
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import DATABASE, ROOT, SERVICE_NAMES, wait_for
from tests.faults import broker_restart, database_away, hung, postgres_restart
from tests.helpers import pdf_attachment, pdf_text, spd_codes, ticket_codes
from tests.integration.test_system import published_event

PEOPLE = 150
CAPACITY = 100
LOAD_SECONDS = 75
SUBJECTS = {"confirmed": "Potvrzení přihlášky: ", "waitlisted": "Jste na čekací listině: "}
INVOICE = "Faktura FV-"


class Supervisor:
    """Restarts a service process that died, as systemd or Kubernetes would; counts the crashes."""

    def __init__(self, processes):
        self.processes = processes
        self.crashes = Counter()
        self.killed_at = {}

    def watch(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.process.poll() is not None:
                    self.crashes[name] += 1
                    print(f"{name} exited with {process.process.returncode}:", process.output()[-12000:])
                    process.restart()
            time.sleep(0.25)

    def kill(self, name):
        self.killed_at[name] = time.time()
        self.processes[name].kill_and_restart()


def one_email_each(delivered, killed_at):
    """Each person's messages, with every copy checked: a second copy is allowed only in SMTP's own
    window (RFC 5321, 6.1): notifications killed after the server took the email and before it
    recorded that, so the claim lapsed and it went again, with the same Message-ID (mail programs
    show one). Anything else doubled fails."""
    by_person = defaultdict(list)
    for arrived, message in delivered:
        by_person[message["To"]].append((arrived, message))
    once = {}
    for person, copies in by_person.items():
        copies.sort(key=lambda copy: copy[0])
        (first_arrived, first), *again = copies
        for arrived, message in again:
            assert message["Message-ID"] == first["Message-ID"] and first_arrived <= killed_at < arrived, (
                f"{person} got {len(copies)} emails, not the same one resent after notifications was killed",
                [(c[0], c[1]["Subject"], c[1]["Message-ID"]) for c in copies], killed_at)
        assert len(copies) <= 2, (person, len(copies))
        once[person] = first
    return once


def delivered(sink):
    """What the SMTP sink kept, each with when it arrived (the file's time, written before the 250)."""
    found = []
    for path in sorted(glob.glob(os.path.join(sink.directory, "*.eml"))):
        with open(path, "rb") as eml:
            found.append((os.path.getmtime(path), email.message_from_bytes(eml.read(), policy=email.policy.default)))
    return found


@pytest.mark.alone  # it restarts RabbitMQ (and PostgreSQL in that pass)
def test_no_fault_loses_or_doubles_anything(service_processes, service_config, smtp_sink, tmp_path):
    env = {"EVENT_RETRY_DELAYS": json.dumps([0.5, 1] + [2] * 30), "SQLITE_LOCK_WAIT_SECONDS": "1",
           "SMTP_TIMEOUT": "2", "RPC_TIMEOUT_SECONDS": "5", "WEB_RPC_TIMEOUT_SECONDS": "2"}
    processes = {name: service_processes(name, **env) for name in SERVICE_NAMES}
    for process in processes.values():
        process.wait_healthy()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = published_event(cluster, capacity=CAPACITY, title="Zákon o odpadech v praxi")
    people = [{"first_name": "Jana", "last_name": f"Zkoušková {n}", "email": f"jana{n}@obec-{n % 17}.example",
               "organisation_name": f"Obec {n % 17}", "gdpr_consent": True} for n in range(1, PEOPLE + 1)]
    answers = tmp_path / "outcomes.json"
    with open(answers, "w") as out:  # a file, not a pipe: nobody reads it until the clients are done
        clients = subprocess.Popen([sys.executable, "-m", "tests.retrying_clients"], cwd=ROOT,
                                   stdin=subprocess.PIPE, stdout=out)
    clients.stdin.write(json.dumps({
        "url": f"{processes['registrations'].base}/api/events/{event['id']}/registrations", "people": people,
        "seconds": LOAD_SECONDS, "workers": 32, "give_up_after": 180}).encode())
    clients.stdin.close()

    supervisor = Supervisor(processes)
    try:
        for name in ("notifications", "documents", "registrations", "payments", "members"):
            supervisor.watch(4)
            supervisor.kill(name)
        supervisor.watch(3)
        with hung(smtp_sink.process):
            supervisor.watch(8)
        supervisor.watch(3)
        broker_restart()
        supervisor.watch(5)
        if DATABASE == "sqlite":
            with database_away(service_config["DATABASES"]["registrations"]), \
                    database_away(service_config["DATABASES"]["notifications"]):
                supervisor.watch(12)
        else:
            postgres_restart(down_seconds=10)
        while clients.poll() is None:
            supervisor.watch(1)
        outcomes = json.loads(answers.read_text())
    finally:
        if clients.poll() is None:
            clients.kill()
    load_ended = time.monotonic()

    tries = Counter(str(t) for outcome in outcomes for t in outcome["tries"])
    assert "500" not in tries, tries
    accepted = {o["email"]: o["body"] for o in outcomes if o["status"] == 201}
    assert len(accepted) == PEOPLE, [o for o in outcomes if o["status"] != 201][:3]

    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        register = cluster.registrations.list_registrations(event["id"])
    assert sorted(r["email"] for r in register) == sorted(accepted)  # each accepted person once, no one else
    assert {r["id"] for r in register} == {answer["id"] for answer in accepted.values()}
    status = {r["email"]: r["status"] for r in register}
    assert all(status[email] == answer["status"] for email, answer in accepted.items())
    confirmed = [r for r in register if r["status"] == "confirmed"]
    assert len(confirmed) == CAPACITY
    places = sorted(r["waitlist_position"] for r in register if r["status"] == "waitlisted")
    assert places == list(range(1, PEOPLE - CAPACITY + 1))

    def everyone_mailed():
        mailed = {message["To"] for message in smtp_sink.messages() if not message["Subject"].startswith(INVOICE)}
        return mailed >= set(accepted)
    wait_for(everyone_mailed, timeout=240, interval=1, message="a first email to every accepted person")
    every_email_after = time.monotonic() - load_ended

    def every_invoice_mailed():
        return sum(message["Subject"].startswith(INVOICE) for message in smtp_sink.messages()) >= CAPACITY
    wait_for(every_invoice_mailed, timeout=240, interval=1, message="an invoice to every confirmed person")
    time.sleep(4)  # a double would come now

    copies = delivered(smtp_sink)
    messages = [message for _, message in copies]
    killed_at = supervisor.killed_at["notifications"]
    by_person = one_email_each([c for c in copies if not c[1]["Subject"].startswith(INVOICE)], killed_at)
    invoices = one_email_each([c for c in copies if c[1]["Subject"].startswith(INVOICE)], killed_at)
    assert set(by_person) == set(accepted)
    for email_address, message in by_person.items():
        assert message["Subject"].startswith(SUBJECTS[status[email_address]])
        if status[email_address] == "confirmed":
            filename, pdf = pdf_attachment(message)
            assert accepted[email_address]["last_name"] in pdf_text(pdf)
    assert sorted(invoices) == sorted(r["email"] for r in confirmed)
    numbers = sorted(message["Subject"].split(":")[0].split()[-1] for message in invoices.values())
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(range(1, CAPACITY + 1))  # gapless
    for registration in confirmed[:3]:
        message = by_person[registration["email"]]
        ticket = pdf_attachment(message)[1]
        assert ticket_codes(ticket) == [registration["ticket_code"]] and len(spd_codes(ticket)) == 1

    figures = {"database": DATABASE, "accepted": len(accepted), "confirmed": len(confirmed), "waitlisted": len(places),
               "requests": sum(tries.values()), "retried": sum(tries.values()) - PEOPLE, "answers": dict(tries),
               "crashes": dict(supervisor.crashes), "emails": len(messages),
               "resent_after_the_kill": len(messages) - len(by_person) - len(invoices),
               "every_email_seconds_after_the_load": round(every_email_after, 1)}
    print("fault suite:", json.dumps(figures, ensure_ascii=False))
