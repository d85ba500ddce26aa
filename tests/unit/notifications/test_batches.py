"""Emails in batches: queued together, claimed and recorded together, sent over two connections.

Each test holds what the handlers hand to the sender, then sends it as the sender's thread
would, with ``send_batch``; the SMTP server is the project's own sink, in a process of its own.
"""
import base64
import time
from collections import Counter
from datetime import timedelta
from unittest import mock

import eventlet
import pytest
from greenlet import GreenletExit
from sqlalchemy import event

from services.common.vocabulary import EmailKind, EmailStatus
from services.notifications import service, store, usecases
from services.notifications.mailer import Smtp
from services.notifications.service import LANES, SENT_RECORD_EVERY
from tests.conftest import SmtpSink, wait_for
from tests.unit.notifications.conftest import NOW
from tests.unit.notifications.test_delivery import confirmed
from tools.ports import free_port


def records(worker):
    return {m["to"]: m for m in worker.list_messages()}


def copies(sink):
    return Counter(m["To"] for m in sink.messages())


def killed_after(session, accepted):
    """``session`` whose connections die (the process killed: no QUIT, no record) once the server
    accepted ``accepted`` messages over any of them."""
    sent = []

    def opened_then_killed(*args, **kwargs):
        opened = session(*args, **kwargs)
        send = opened.send

        def send_then_die(message):
            if len(sent) == accepted:
                raise GreenletExit()
            send(message)
            sent.append(message)
        opened.send = send_then_die
        return opened
    return opened_then_killed


@pytest.fixture
def one_connection(monkeypatch):
    """A batch sent over one connection: what a connection does with the messages in turn."""
    monkeypatch.setattr(service, "LANES", 1)


def test_a_burst_of_confirmations_costs_a_few_commits_and_two_connections(notifications, sink):
    """Thirty handlers at once: their emails are recorded in one group's transaction, claimed in
    one and recorded in one; they go over two SMTP connections at once, each to its person once."""
    commits, inserts = [], []
    event.listen(notifications.db.engine, "commit", lambda connection: commits.append(1))
    event.listen(notifications.db.engine, "before_cursor_execute",
                 lambda *args: inserts.append(1) if args[2].startswith("INSERT INTO messages") else None)
    notifications.sender.hold()
    pool = eventlet.GreenPool(30)
    for n in range(1, 31):
        pool.spawn(notifications.on_registration_confirmed, confirmed(n))
    pool.waitall()
    queued = len(commits)
    assert len(notifications.sender.held) == 30
    assert len(inserts) == queued  # one insert per group
    updates = []
    event.listen(notifications.db.engine, "before_cursor_execute",
                 lambda *args: updates.append(1) if args[2].startswith("UPDATE messages") else None)
    notifications.sender.release()
    sent = len(commits) - queued
    assert copies(sink) == {f"jana{n}@obec.example": 1 for n in range(1, 31)}
    assert len(updates) == 1 + 30 // SENT_RECORD_EVERY  # the claim, then each record of ten in one
    assert LANES == 2 and sink.connections() == LANES
    assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 1)}
    # one group (a second one at most, had a handler come late), one claim, a record every ten sent
    assert queued <= 2 and sent == 1 + 30 // SENT_RECORD_EVERY, (queued, sent)


def test_what_deliver_due_finds_goes_in_one_batch(notifications, sink):
    sink.stop()
    for n in range(1, 8):
        notifications.on_registration_confirmed(confirmed(n))
    assert {m["status"] for m in notifications.list_messages()} == {"awaiting_retry"}
    sink.start()
    notifications.clock_state["now"] = NOW + timedelta(seconds=11)
    notifications.deliver_due()
    assert notifications.sender.batches[-1] == sorted(m["id"] for m in notifications.list_messages())
    assert copies(sink) == {f"jana{n}@obec.example": 1 for n in range(1, 8)} and sink.connections() == LANES


def test_a_refused_recipient_fails_alone_and_the_connection_goes_on(notifications, sink, one_connection):
    notifications.sender.hold()
    for n, address in enumerate(["jana1@obec.example", "refused@obec.example", "jana3@obec.example"], start=1):
        notifications.on_registration_confirmed(confirmed(n, email=address))
    notifications.sender.release()
    assert copies(sink) == {"jana1@obec.example": 1, "jana3@obec.example": 1}
    assert sink.connections() == 1
    kept = records(notifications)
    assert kept["refused@obec.example"]["status"] == "failed" and "550" in kept["refused@obec.example"]["last_error"]


def test_a_server_that_drops_the_connection_mid_batch_gets_every_email_once(notifications, tmp_path,
                                                                           one_connection):
    """The server cuts each connection after three messages (at the next MAIL, nothing said):
    the batch opens a new one and goes on with the message it was on; nothing is lost or doubled."""
    dropping = SmtpSink(tmp_path / "dropping", options=["--drop-after", "3"])
    dropping.start()
    try:
        notifications.smtp = Smtp({"PORT": dropping.port, "TIMEOUT": 5})
        notifications.sender.hold()
        for n in range(1, 11):
            notifications.on_registration_confirmed(confirmed(n))
        notifications.sender.release()
        assert copies(dropping) == {f"jana{n}@obec.example": 1 for n in range(1, 11)}
        assert dropping.connections() == 4  # 3 + 3 + 3 + 1
        assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 1)}
        notifications.clock_state["now"] = NOW + timedelta(hours=1)
        notifications.deliver_due()
        assert len(dropping.messages()) == 10
    finally:
        dropping.stop()


def test_a_server_that_drops_every_connection_is_given_up_for_the_batch(notifications, tmp_path):
    """Two connections lost with nothing accepted in between: the rest of the batch is not
    knocked through one by one; every message waits for its retry, none is lost."""
    dropping = SmtpSink(tmp_path / "dropping", options=["--drop-after", "0"])
    dropping.start()
    try:
        notifications.smtp = Smtp({"PORT": dropping.port, "TIMEOUT": 5})
        notifications.sender.hold()
        for n in range(1, 6):
            notifications.on_registration_confirmed(confirmed(n))
        opened = []
        session = notifications.smtp.session

        def counted(*args, **kwargs):
            opened.append(session(*args, **kwargs))
            return opened[-1]
        notifications.smtp.session = counted
        notifications.sender.release()
        # each connection lost twice, then the other, and the rest failed at once
        assert dropping.messages() == [] and [session.connections for session in opened] == [2] * LANES
        assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("awaiting_retry", 1)}
    finally:
        dropping.stop()


def test_a_server_that_takes_one_connection_at_a_time_gets_the_whole_batch_over_it(notifications, sink):
    """The batch's second connection cannot be opened (a server that says 421 to a second
    connection from one client, here nothing listening): the first sends every email, each once,
    and none counts a failed attempt."""
    session, opened = notifications.smtp.session, []

    def second_refused(*args, **kwargs):
        opened.append(session(*args, **kwargs) if not opened else Smtp({"PORT": free_port(), "TIMEOUT": 2}).session())
        return opened[-1]
    notifications.smtp.session = second_refused
    notifications.sender.hold()
    for n in range(1, 11):
        notifications.on_registration_confirmed(confirmed(n))
    notifications.sender.release()
    assert len(opened) == LANES and opened[1].given_up and sink.connections() == 1
    assert copies(sink) == {f"jana{n}@obec.example": 1 for n in range(1, 11)}
    assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 1)}


def test_a_connection_that_gives_up_mid_batch_leaves_the_rest_to_the_other(notifications, sink, tmp_path):
    """One of the batch's two connections goes to a server that drops every connection: it loses
    two in a row and gives up with the email it had (retried later); the other sends the rest."""
    dropping = SmtpSink(tmp_path / "dropping", options=["--drop-after", "0"])
    dropping.start()
    try:
        session, opened = notifications.smtp.session, []

        def first_dropped(*args, **kwargs):
            opened.append(Smtp({"PORT": dropping.port, "TIMEOUT": 2}).session() if not opened
                          else session(*args, **kwargs))
            if len(opened) == 2:  # the second opens once the first waits for an email: the first takes one
                open_second = opened[1].open
                opened[1].open = lambda: (wait_for(lambda: opened[0].connections == 1, message="the first"),
                                          open_second())
            return opened[-1]
        notifications.smtp.session = first_dropped
        notifications.sender.hold()
        for n in range(1, 11):
            notifications.on_registration_confirmed(confirmed(n))
        notifications.sender.release()
        assert opened[0].given_up and opened[0].connections == 2 and dropping.messages() == []
        assert Counter((m["status"], m["attempts"]) for m in notifications.list_messages()) == {
            ("sent", 1): 9, ("awaiting_retry", 1): 1}
        assert len(copies(sink)) == 9 and sink.connections() == 1
    finally:
        dropping.stop()


def test_a_sender_killed_after_the_server_took_some_resends_only_those_with_the_same_message_id(
        notifications, sink, one_connection):
    """Killed after the server accepted two of five and before the batch's record: nothing is
    recorded, the claim holds (nobody sends meanwhile), then lapses and the batch goes again. The
    two already delivered arrive a second time with the same Message-ID (RFC 5321 §6.1: mail
    programs show one); the other three arrive once; nothing comes a third time."""
    notifications.sender.hold()
    for n in range(1, 6):
        notifications.on_registration_confirmed(confirmed(n))
    session = notifications.smtp.session
    notifications.smtp.session = killed_after(session, 2)
    with pytest.raises(GreenletExit):
        notifications.send_batch(notifications.sender.held)
    notifications.sender.held = None
    notifications.smtp.session = session
    first = {m["To"]: m["Message-ID"] for m in sink.messages()}
    assert sorted(first) == ["jana1@obec.example", "jana2@obec.example"]
    assert {m["status"] for m in notifications.list_messages()} == {"sending"}

    notifications.clock_state["now"] = NOW + timedelta(seconds=usecases.CLAIM_SECONDS - 1)
    notifications.deliver_due()  # the claim holds: nobody takes them
    assert len(sink.messages()) == 2
    notifications.clock_state["now"] = NOW + timedelta(seconds=usecases.CLAIM_SECONDS + 1)
    notifications.deliver_due()
    notifications.deliver_due()
    assert copies(sink) == {"jana1@obec.example": 2, "jana2@obec.example": 2, "jana3@obec.example": 1,
                            "jana4@obec.example": 1, "jana5@obec.example": 1}
    for message in sink.messages():
        if message["To"] in first:
            assert message["Message-ID"] == first[message["To"]]
    assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 1)}


def test_a_sender_killed_late_in_a_batch_resends_only_those_accepted_since_the_last_record(notifications, sink,
                                                                                         one_connection):
    """The accepted emails are recorded as sent every ``SENT_RECORD_EVERY`` in the middle of a
    batch: killed after the server took twelve of fifteen, the first ten are recorded, and only
    the eleventh and twelfth arrive a second time (with their Message-ID) once the claim lapses."""
    assert SENT_RECORD_EVERY == 10
    notifications.sender.hold()
    for n in range(1, 16):
        notifications.on_registration_confirmed(confirmed(n))
    session = notifications.smtp.session
    notifications.smtp.session = killed_after(session, 12)
    with pytest.raises(GreenletExit):
        notifications.send_batch(notifications.sender.held)
    notifications.sender.held = None
    notifications.smtp.session = session
    assert Counter(m["status"] for m in notifications.list_messages()) == {"sent": 10, "sending": 5}
    notifications.clock_state["now"] = NOW + timedelta(seconds=usecases.CLAIM_SECONDS + 1)
    notifications.deliver_due()
    notifications.deliver_due()
    got = copies(sink)
    assert sorted(n for n in range(1, 16) if got[f"jana{n}@obec.example"] == 2) == [11, 12]
    assert all(got[f"jana{n}@obec.example"] >= 1 for n in range(1, 16)) and sum(got.values()) == 17
    assert {m["status"] for m in notifications.list_messages()} == {"sent"}


def test_killed_while_the_accepted_are_recorded_the_other_connection_had_started_no_send(notifications, sink):
    """Two connections: the sender killed while the first ten accepted are being recorded (the
    database slow to answer), then slow to close its connection. Meanwhile the other connection
    finished at most the send it had under way and started none; once the claim lapses, what was
    not recorded goes again, so at most ``SENT_RECORD_EVERY + LANES - 1`` arrive twice, each with
    its Message-ID."""
    notifications.sender.hold()
    for n in range(1, 21):
        notifications.on_registration_confirmed(confirmed(n))

    def slow_then_killed(outcomes, claim_lapses):
        eventlet.sleep(0.5)  # a send takes a few milliseconds: the other connection had time for many
        raise GreenletExit()
    notifications._record = slow_then_killed
    session = notifications.smtp.session

    def slow_to_quit(*args, **kwargs):  # and after the failed record, as long again for the QUIT
        opened = session(*args, **kwargs)
        close = opened.close
        opened.close = lambda: (eventlet.sleep(0.5), close())
        return opened
    notifications.smtp.session = slow_to_quit
    with pytest.raises(GreenletExit):
        notifications.send_batch(notifications.sender.held)
    del notifications._record
    notifications.smtp.session = session
    notifications.sender.held = None
    first = {m["To"]: m["Message-ID"] for m in sink.messages()}
    assert SENT_RECORD_EVERY <= len(first) <= SENT_RECORD_EVERY + LANES - 1, sorted(first)
    assert {m["status"] for m in notifications.list_messages()} == {"sending"}
    notifications.clock_state["now"] = NOW + timedelta(seconds=usecases.CLAIM_SECONDS + 1)
    notifications.deliver_due()
    notifications.deliver_due()
    assert copies(sink) == {f"jana{n}@obec.example": 2 if f"jana{n}@obec.example" in first else 1
                            for n in range(1, 21)}
    for message in sink.messages():
        if message["To"] in first:
            assert message["Message-ID"] == first[message["To"]]
    assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 1)}


def test_messages_not_reached_before_the_claims_time_runs_out_are_put_back_untried(
        notifications, sink, monkeypatch):
    """A batch never hands the server a message whose slowest answer could outlast its claim:
    those its builds had not reached by then go back to the queue, no attempt counted, and the
    sender takes them up again at once."""
    notifications.smtp = Smtp({"PORT": sink.port, "TIMEOUT": 0.5, "DATA_TIMEOUT": 0.5})
    # the last start: 1.5 s after the claim (the record's margin and the slowest answer after it)
    monkeypatch.setattr(usecases, "CLAIM_SECONDS", 10 + notifications.smtp.longest_message_seconds + 1.5)
    pdf = {"filename": "vstupenka.pdf", "content_type": "application/pdf",
           "data": base64.b64encode(b"%PDF-1.7\n").decode()}

    def slow_ticket(payload):
        time.sleep(1.0)  # green: the six builds wait together
        return pdf
    notifications.documents.render_ticket.side_effect = slow_ticket
    notifications.sender.hold()
    for n in range(1, 9):
        notifications.on_registration_confirmed(confirmed(n))
    put_back = notifications.send_batch(notifications.sender.held)
    sent = {m["To"] for m in sink.messages()}
    assert len(sent) == 6 and len(put_back) == 2
    kept = {m["id"]: m for m in notifications.list_messages()}
    assert {(kept[i]["status"], kept[i]["attempts"]) for i in put_back} == {("queued", 0)}
    assert {kept[i]["to"] for i in put_back}.isdisjoint(sent)
    notifications.documents.render_ticket.side_effect = None
    notifications.documents.render_ticket.return_value = pdf
    notifications.sender.held = None
    notifications.deliver_due()  # due at once
    assert copies(sink) == {f"jana{n}@obec.example": 1 for n in range(1, 9)}


def test_an_overtaken_message_is_superseded_in_the_batchs_claim(notifications, sink):
    notifications.sender.hold()
    notifications.on_registration_confirmed(confirmed(1))
    notifications.on_registration_cancelled(confirmed(1))
    notifications.on_registration_confirmed(confirmed(2))
    notifications.sender.release()
    assert sorted((m["To"], m["Subject"].split(":")[0]) for m in sink.messages()) == [
        ("jana1@obec.example", "Přihláška zrušena"), ("jana2@obec.example", "Potvrzení přihlášky")]
    assert Counter(m["status"] for m in notifications.list_messages()) == {"sent": 2, "superseded": 1}


def test_substitution_records_both_emails_in_one_transaction(notifications, sink, monkeypatch):
    """The second email failing to be recorded takes the first back with it: the event comes
    back whole, and its redelivery records (and sends) both."""
    payload = confirmed(2)
    payload["replaced"] = confirmed(1)["registration"]
    message_row = usecases.message_row

    def second_fails(uow, kind, *args, **kwargs):
        if kind == "registration_substituted":
            raise ValueError("a payload it cannot store")
        return message_row(uow, kind, *args, **kwargs)
    monkeypatch.setattr(usecases, "message_row", second_fails)
    with pytest.raises(ValueError):
        notifications.on_registration_substituted(payload)
    assert notifications.list_messages() == [] and sink.messages() == []
    monkeypatch.setattr(usecases, "message_row", message_row)
    notifications.on_registration_substituted(payload)
    assert sorted(m["To"] for m in sink.messages()) == ["jana1@obec.example", "jana2@obec.example"]


def _three_together(notifications, payloads=None):
    """The outcomes of three handlers of confirmations that come together (one group), in order."""
    notifications.sender.hold()
    pool = eventlet.GreenPool(3)
    threads = [pool.spawn(notifications.on_registration_confirmed, payload)
               for payload in payloads or [confirmed(n) for n in (1, 2, 3)]]
    outcomes = []
    for thread in threads:
        try:
            outcomes.append(thread.wait())
        except Exception as error:
            outcomes.append(error)
    notifications.sender.release()
    return [type(outcome).__name__ for outcome in outcomes]


@pytest.mark.parametrize("where", ["made", "stored"])
def test_a_group_member_that_fails_alone_does_not_hold_back_the_others(notifications, sink, monkeypatch, where):
    """Failing while its row is made, or refused by the database (the group's one insert fails and
    the group is recorded again one by one), the second handler gets its error; the others commit."""
    message_row = usecases.message_row
    inserts = []
    event.listen(notifications.db.engine, "before_cursor_execute",
                 lambda *args: inserts.append(1) if args[2].startswith("INSERT INTO messages") else None)

    def one_fails(uow, kind, payload, *args, **kwargs):
        row = message_row(uow, kind, payload, *args, **kwargs)
        if payload["registration"]["id"] == 2:
            if where == "made":
                raise ValueError("a payload it cannot store")
            row["recipient"] = None  # NOT NULL
        return row
    monkeypatch.setattr(usecases, "message_row", one_fails)
    assert _three_together(notifications) == ["NoneType", "ValueError" if where == "made" else "IntegrityError",
                                              "NoneType"]
    assert sorted(m["To"] for m in sink.messages()) == ["jana1@obec.example", "jana3@obec.example"]
    with notifications.db.transaction() as tx:
        assert len(store.list_messages(tx)) == 2
    assert len(inserts) == (1 if where == "made" else 4)  # the group's insert, or it and one each


def test_an_email_twice_in_one_group_is_recorded_and_sent_once(notifications, sink):
    """A confirmation redelivered while its first delivery waits in the same group: one row, one
    email; the redelivery is told it was queued before, and so is a later one."""
    assert _three_together(notifications, [confirmed(1), confirmed(2), confirmed(1)]) == ["NoneType"] * 3
    notifications.on_registration_confirmed(confirmed(2))
    assert copies(sink) == {"jana1@obec.example": 1, "jana2@obec.example": 1}
    with notifications.db.transaction() as tx:
        assert len(store.list_messages(tx)) == 2


def test_each_email_goes_out_as_soon_as_it_is_built_while_the_others_are_being_built(notifications, sink):
    """Twenty tickets, six made at a time: the server has the first emails of the batch before the
    last tickets are even asked for; the batch sends what is ready rather than waiting for all of
    it (the first people get their email first)."""
    pdf = {"filename": "vstupenka.pdf", "content_type": "application/pdf",
           "data": base64.b64encode(b"%PDF-1.7\n").decode()}
    delivered_when_asked = {}

    def ticket(payload):
        delivered_when_asked[payload["registration"]["id"]] = len(sink.messages())
        eventlet.sleep(0.2)  # documents rendering it
        return pdf
    notifications.documents.render_ticket.side_effect = ticket
    notifications.sender.hold()
    for n in range(1, 21):
        notifications.on_registration_confirmed(confirmed(n))
    notifications.sender.release()
    assert delivered_when_asked[1] == 0 and delivered_when_asked[20] >= 1, delivered_when_asked
    assert copies(sink) == {f"jana{n}@obec.example": 1 for n in range(1, 21)} and sink.connections() == LANES


def test_the_sender_holds_an_id_once_while_it_waits_and_while_its_batch_runs():
    from services.notifications.sender import Sender

    sender = Sender(batch=2)
    sender.setup()
    sender.hand([1, 2, 2])
    sender.hand([1, 3])
    assert sender.backlog == 3
    sender._in_batch = {4}
    sender.hand([4, 5])  # 4 is being sent: deliver_due finding it queued adds nothing
    assert list(sender._waiting) == [1, 2, 3, 5]


def test_messages_sent_after_different_numbers_of_tries_are_recorded_each_with_its_own(notifications):
    with notifications.db.transaction() as tx:
        uow = mock.Mock(conn=tx, now=NOW)
        ids = usecases.queue_rows(uow, [usecases.message_row(uow, "registration_confirmed", confirmed(n),
                                                             f"jana{n}@obec.example", f"<{n}@smopk>")
                                        for n in (1, 2, 3)])
        usecases.record_all_sent(uow, [{"id": ids[0], "attempts": 0}, {"id": ids[1], "attempts": 2},
                                       {"id": ids[2], "attempts": 0}])
    assert sorted((m["to"], m["status"], m["attempts"]) for m in notifications.list_messages()) == [
        ("jana1@obec.example", "sent", 1), ("jana2@obec.example", "sent", 3), ("jana3@obec.example", "sent", 1)]


def test_a_batchs_tickets_come_a_few_emails_at_a_time_and_a_ticket_not_made_fails_its_email_alone(
        notifications, sink):
    """Twenty-four emails in one batch ask documents for their tickets in six calls, four tickets
    each; the ticket documents could not make (an error in its place of the answer) fails its own
    email, which waits for its retry, and the other twenty-three go out with their tickets."""
    pdf = {"filename": "vstupenka.pdf", "content_type": "application/pdf",
           "data": base64.b64encode(b"%PDF-1.7\n").decode()}
    asked = []

    def render_documents(requests):
        asked.append([request["ticket"]["registration"]["id"] for request in requests])
        return [{"error": "ValueError: no moment"} if request["ticket"]["registration"]["id"] == 7
                else dict(pdf, filename=f"vstupenka-{request['ticket']['registration']['id']}.pdf")
                for request in requests]
    notifications.documents.render_documents.side_effect = render_documents
    notifications.sender.hold()
    for n in range(1, 25):
        notifications.on_registration_confirmed(confirmed(n))
    notifications.sender.release()
    assert sorted(len(ids) for ids in asked) == [4] * 6
    assert sorted(n for ids in asked for n in ids) == sorted(confirmed(n)["registration"]["id"] for n in range(1, 25))
    sent = {m["To"]: m for m in sink.messages()}
    assert sorted(sent) == sorted(f"jana{n}@obec.example" for n in range(1, 25) if n != 7)
    for n in (1, 24):
        [ticket] = [part for part in sent[f"jana{n}@obec.example"].iter_attachments()
                    if part.get_content_type() == "application/pdf"]
        assert ticket.get_filename() == f"vstupenka-{confirmed(n)['registration']['id']}.pdf"
    failed = records(notifications)["jana7@obec.example"]
    assert (failed["status"], failed["attempts"]) == (EmailStatus.AWAITING_RETRY, 1)
    assert "no moment" in failed["last_error"]



def test_an_email_whose_documents_cannot_even_be_asked_for_fails_alone(notifications):
    """A message whose data says nothing of its seat (a restored registration without its
    status) cannot ask for its ticket: that is its own failure, and the others of its call get
    their documents."""
    good = {"kind": EmailKind.REGISTRATION_CONFIRMED, "payload": confirmed(1)}
    bad = {"kind": EmailKind.REGISTRATION_RESTORED, "payload": confirmed(2)}
    notifications.documents.render_documents.reset_mock()
    got = notifications._documents([good, bad, good])
    assert isinstance(got[1], KeyError)
    assert got[0] == got[2] == [notifications.documents.render_ticket.return_value]
    [call] = notifications.documents.render_documents.call_args_list
    assert call.args[0] == [{"ticket": good["payload"]}] * 2


def test_a_documents_process_from_before_render_documents_is_asked_for_each_document_alone(notifications):
    """Notifications upgraded before documents: the batch call is unknown there, so each
    document is asked for alone, as before, and one that fails is its email's failure alone."""
    from nameko.exceptions import MethodNotFound

    notifications.documents.render_documents.side_effect = MethodNotFound("render_documents")
    pdf = notifications.documents.render_ticket.return_value
    notifications.documents.render_ticket.side_effect = [pdf, ValueError("no moment"), pdf]
    got = notifications._documents([{"kind": EmailKind.REGISTRATION_CONFIRMED, "payload": confirmed(n)}
                                    for n in (1, 2, 3)])
    assert got == [[pdf], [{"error": "ValueError: no moment"}], [pdf]]
    assert [call.args[0]["registration"]["id"] for call in notifications.documents.render_ticket.call_args_list] == [
        1, 2, 3]
