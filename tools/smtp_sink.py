"""A local SMTP server that keeps every message it receives as an .eml file.

``make run`` starts it so that a new user sees the confirmation emails without
configuring a mail server; the tests start it to receive real messages. Beside the
messages, ``connections.log`` says which connection (the client's address and port)
brought each one.

The message data is read in blocks (``BulkDataSMTP``), not line by line as aiosmtpd reads it:
the same bytes kept and the same answers given (tests/unit/test_smtp_sink.py; one exception in
``BulkDataSMTP``). The sink runs on
the machine that also runs the services (``make run``, the tests, ``make bench``), and a 63 kB
confirmation with its ticket took 4.5 ms of its CPU, 1.7 ms read in blocks: it was costing more
than the notifications service spent on the email, where a real mail server spends a fraction.

    python -m tools.smtp_sink --port 8025 --directory var/mail
"""
import argparse
import asyncio
import os
import signal
import ssl
import threading
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, syntax

CONNECTIONS_LOG = "connections.log"


END = b".\r\n"  # after a line's end, the end of the data (RFC 5321 4.1.1.4)


class BulkDataSMTP(SMTP):
    """aiosmtpd's server, with the data read in blocks: up to each ``.<CRLF>``, or all that has
    come when none has (aiosmtpd's own loop reads and checks one line at a time). What it keeps
    and answers is aiosmtpd 1.4's ``smtp_DATA``: the data without the final ``.``, each line's
    leading dot taken away (RFC 5321 4.5.2); 552 above ``data_size_limit``, 500 for a line
    longer than ``line_length_limit``, both only once the data has ended. One difference: data
    both too large and with a line too long is answered 552, where aiosmtpd answers for the one
    it met first."""

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        data, size, before = bytearray(), 0, b"\r\n"  # ``before``: the last two bytes read
        while self.transport is not None:
            try:
                block = await self._reader.readuntil(END)
            except asyncio.LimitOverrunError as error:  # no ``.<CRLF>`` in what has come
                block = await self._reader.read(error.consumed)
            except asyncio.CancelledError:  # the connection reset during the data
                self._writer.close()
                raise
            ended = block.endswith(END) and (before + block[:-3])[-2:] == b"\r\n"
            size += len(block) - (len(END) if ended else 0)
            before = (before + block)[-2:]
            if size <= (self.data_size_limit or size):
                data += block[:-3] if ended else block
            else:
                data.clear()  # too much: not kept, the rest drained
            if ended:
                break
        if self.data_size_limit and size > self.data_size_limit:
            await self.push("552 Error: Too much mail data")
            self._set_post_data_state()
            return
        if data and max(map(len, data.split(b"\r\n"))) + 2 > self.line_length_limit:
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
            self._set_post_data_state()
            return
        original_content = bytes(data[1:] if data.startswith(b".") else data).replace(b"\r\n.", b"\r\n")
        content: str | bytes = original_content
        if self._decode_data:
            if self.enable_SMTPUTF8:
                content = original_content.decode("utf-8", errors="surrogateescape")
            else:
                try:
                    content = original_content.decode("ascii", errors="strict")
                except UnicodeDecodeError:
                    await self.push("500 Error: strict ASCII mode")
                    return
        self.envelope.content = content
        self.envelope.original_content = original_content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)


class BulkDataController(Controller):
    def factory(self):
        return BulkDataSMTP(self.handler, **self.SMTP_kwargs)


class KeepAsEml:
    """Writes each message atomically: a reader never sees half a file."""

    def __init__(self, directory, reject=(), refuse_senders=False, accept_delay=0.0, drop_after=None):
        self.directory = directory
        self.reject = {address.lower() for address in reject}
        self.refuse_senders = refuse_senders
        self.accept_delay = accept_delay
        self.drop_after = drop_after
        self._accepted = {}  # per connection (its client's address): messages taken on it

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop_after is not None and self._accepted.get(session.peer, 0) >= self.drop_after:
            server.transport.close()  # gone without a word, as a server that restarts or cuts long sessions
            return "421 4.7.0 closing"
        if self.refuse_senders:
            return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}"
        partial = os.path.join(self.directory, f".{name}.part")
        with open(partial, "wb") as eml:
            eml.write(envelope.original_content or envelope.content)
        os.replace(partial, os.path.join(self.directory, f"{name}.eml"))
        self._accepted[session.peer] = self._accepted.get(session.peer, 0) + 1
        with open(os.path.join(self.directory, CONNECTIONS_LOG), "a") as log:  # which connection brought it
            log.write(f"{session.peer[0]}:{session.peer[1]} {name}.eml\n")
        await asyncio.sleep(self.accept_delay)  # a slow server: it has the message, the answer comes later
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--directory", default="var/mail")
    parser.add_argument("--reject", action="append", default=[],
                        help="answer 550 for this recipient (for tests of permanent failures)")
    parser.add_argument("--refuse-senders", action="store_true",
                        help="answer 553 to every sender (for tests of a misconfigured server)")
    parser.add_argument("--accept-delay", type=float, default=0.0,
                        help="keep each message, then answer only after this many seconds (for tests of a slow server)")
    parser.add_argument("--drop-after", type=int,
                        help="close each connection, without an answer, at the MAIL after this many messages")
    parser.add_argument("--tls-cert", help="offer STARTTLS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's key (PEM)")
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    handler = KeepAsEml(args.directory, args.reject, args.refuse_senders, args.accept_delay, args.drop_after)
    controller = BulkDataController(handler, hostname=args.host, port=args.port, tls_context=tls)
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, keeping messages in {args.directory}", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
