"""`make run` as a user meets it: the launcher starts everything, the curl it
prints registers someone, the email with the PDF ticket lands in the mail
folder, and Ctrl-C leaves no process behind."""
import os
import re
import signal
import subprocess
import sys
import threading

from tests.conftest import ROOT, SmtpSink, free_port, wait_for
from tests.helpers import pdf_attachment, pdf_text, ticket_codes


def _process_groups(pid):
    """The process groups of the launcher's children (each child leads its own)."""
    groups = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            groups.update(int(child) for child in children.read().split())
    return groups


def _cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read()


def _living_members(group):
    """Processes of the group that still run (zombies, already dead, do not count)."""
    living = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            living.append(int(pid))
    return living


def _csrf(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def a_new_user_runs_a_seminar(console, public, one_time, sink):
    """As the issue's new user: the printed password, a new one, TOTP, a seminar made and published in
    the console, a registration on the public page, and its ticket checked in at the door page."""
    import pyotp
    import requests

    browser = requests.Session()
    setup = browser.post(f"{console}/prihlaseni", data={
        "csrf": _csrf(browser.get(f"{console}/prihlaseni")), "email": "spravce@smopk.example", "password": one_time})
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup.text).group(1)
    changing = browser.post(f"{console}/prihlaseni/nastavit-kod", data={
        "csrf": _csrf(setup), "secret": secret, "code": pyotp.TOTP(secret).now()})
    home = browser.post(f"{console}/heslo", data={"csrf": _csrf(changing), "old_password": one_time,
                                                  "password": "Nové heslo správce 2026"})
    assert "Přehled" in home.text
    form = browser.get(f"{console}/akce/nova")
    created = browser.post(f"{console}/akce/nova", data={
        "csrf": _csrf(form), "title": "Nový seminář ze zkoušky", "kind": "seminar", "topic": "zkouška",
        "venue": "Plzeň", "starts": "2026-12-30T09:00", "ends": "2026-12-30T12:00", "capacity": "10",
        "waitlist_enabled": "ano"})
    event_id = created.url.rsplit("/", 1)[1]
    assert "zveřejněna" in browser.post(f"{console}/akce/{event_id}/zverejnit",
                                        data={"csrf": _csrf(created), "confirmed": "ano"}).text

    visitor = requests.Session()
    page = visitor.get(f"{public}/events/{event_id}")
    registered = visitor.post(f"{public}/events/{event_id}", data={
        "csrf": _csrf(page), "first_name": "Ema", "last_name": "Zkoušková", "email": "ema@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": "ano"})
    assert registered.status_code == 200 and "Zkoušková" in registered.text
    [email] = wait_for(lambda: [m for m in sink.messages() if m["To"] == "ema@obec.example"],
                       message="Ema's confirmation")
    [code] = ticket_codes(pdf_attachment(email)[1])

    door = browser.get(f"{console}/vstup/{event_id}")
    early = browser.post(f"{console}/vstup/{event_id}", data={"csrf": _csrf(door), "code": code})
    assert "Akce je až 30. 12. 2026 – opravdu vpustit?" in early.text  # not today: asked first
    admitted = browser.post(f"{console}/vstup/{event_id}", data={"csrf": _csrf(door), "code": code, "confirmed": "ano"})
    assert "Vstup povolen: Ema Zkoušková" in admitted.text


def test_make_run_registers_and_mails_and_stops_cleanly(rabbit_config, database_urls, tmp_path):
    port, smtp_port, console_port = free_port(), free_port(), free_port()
    mail = tmp_path / "mail"
    env = dict(
        os.environ,
        AMQP_URI=rabbit_config["AMQP_URI"], WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", SMTP_PORT=str(smtp_port), MAIL_DIR=str(mail),
        BACKOFFICE_ADDRESS=f"127.0.0.1:{console_port}",
        TICKET_SIGNING_KEY_FILE=str(tmp_path / "signing.key"),
        **{f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
    )
    env.pop("TICKET_SIGNING_KEY", None)
    launcher = subprocess.Popen([sys.executable, "-m", "tools.run_local"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    reader = threading.Thread(target=lambda: output.extend(launcher.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("Ready." in line for line in output), timeout=90, interval=0.2,
                 message="the launcher to say it is ready")
        groups = _process_groups(launcher.pid)
        assert len(groups) == 7  # the SMTP sink and the six services

        text = "".join(output)
        # the console on its own address, with a first administrator and a one-time password
        assert f"The staff console: http://127.0.0.1:{console_port}/" in text
        one_time = re.search(r"first login: spravce@smopk.example, one-time password (\S{16})", text).group(1)
        a_new_user_runs_a_seminar(f"http://127.0.0.1:{console_port}", f"http://127.0.0.1:{port}", one_time,
                                  SmtpSink(mail, port=smtp_port))
        curl = re.search(r"(curl -s -X POST .*?\n.*?)\n\n", text, re.S).group(1).replace("\\\n", " ")
        answer = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, check=True).stdout
        assert '"status": "confirmed"' in answer, answer
        ticket_code = re.search(r'"ticket_code": "([^"]+)"', answer).group(1)

        [message] = wait_for(lambda: [m for m in SmtpSink(mail, port=smtp_port).messages()
                                      if m["To"].startswith("jana.novakova+")
                                      and m["Subject"].startswith("Potvrzení přihlášky")],
                             message="the curl's confirmation")
        assert message["Subject"].startswith("Potvrzení přihlášky: ")
        _, pdf = pdf_attachment(message)
        assert "Jana Nováková" in pdf_text(pdf)
        assert ticket_codes(pdf) == [ticket_code]

        # `make shell` on the same configuration answers the staff's first question
        shell = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nameko"), "shell", "--config",
                                "deploy/config.yaml"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                               input='print([e["title"] for e in n.rpc.registrations.list_events()])\n')
        assert "Veřejné zakázky malého rozsahu v praxi obcí" in shell.stdout, shell.stdout + shell.stderr

        # a service that dies is started again, as a supervisor would start it
        [documents] = [group for group in groups if b"services.documents" in _cmdline(group)]
        os.killpg(documents, signal.SIGKILL)
        wait_for(lambda: "[documents] stopped on its own" in "".join(output), message="the launcher to notice")
        wait_for(lambda: len(_process_groups(launcher.pid) - groups) == 1, message="documents started again")
        groups |= _process_groups(launcher.pid)
    finally:
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(60) == 0, "".join(output[-30:])
        reader.join(5)
    assert "Stopped." in "".join(output)
    assert not [pid for group in groups for pid in _living_members(group)]
