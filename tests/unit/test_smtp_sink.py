"""The SMTP sink's block reading of the data against aiosmtpd's own, line by line: the same
conversation through both gives the same answers and keeps the same bytes."""
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import wait_for
from tools.ports import free_port

# Both servers in one process of their own (the tests' process has eventlet's green threads,
# which aiosmtpd's event loop thread does not run under): aiosmtpd's SMTP and the sink's.
SERVERS = """
import sys, threading
from aiosmtpd.controller import Controller
from tools.smtp_sink import BulkDataController, KeepAsEml
plain, bulk, limit = sys.argv[1:4]
for controller, port, directory in ((Controller, plain, sys.argv[4]), (BulkDataController, bulk, sys.argv[5])):
    controller(KeepAsEml(directory), hostname="127.0.0.1", port=int(port), data_size_limit=int(limit)).start()
threading.Event().wait()
"""
LIMIT = 300_000


@pytest.fixture
def servers(tmp_path):
    ports = (free_port(), free_port())
    folders = (tmp_path / "plain", tmp_path / "bulk")
    for folder in folders:
        folder.mkdir()
    process = subprocess.Popen([sys.executable, "-c", SERVERS, *map(str, ports), str(LIMIT), *map(str, folders)],
                               cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

    def answers(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    wait_for(lambda: all(answers(port) for port in ports), message="both SMTP servers")
    yield list(zip(ports, folders, strict=True))
    process.terminate()
    process.wait(10)


def reply(connection):
    """One whole reply (its last line has a space after the code), as bytes."""
    answer = b""
    while not (answer.endswith(b"\r\n") and answer.split(b"\r\n")[-2][3:4] == b" "):
        chunk = connection.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def converse(port, datas):
    """One connection: each of ``datas`` (a list of pieces, sent apart) as one message's DATA;
    every answer the server gave, in order."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        answers.append(reply(connection)[:3])
        connection.sendall(b"EHLO test\r\n")
        reply(connection)
        for pieces in datas:
            for command in (b"MAIL FROM:<a@example.cz>\r\n", b"RCPT TO:<b@example.cz>\r\n", b"DATA\r\n"):
                connection.sendall(command)
                answers.append(reply(connection))
            for piece in pieces:
                connection.sendall(piece)
                time.sleep(0.05)  # each piece a read of its own
            answers.append(reply(connection))
        connection.sendall(b"QUIT\r\n")
        answers.append(reply(connection))
    return answers


def kept(folder):
    names = sorted(name for name in os.listdir(folder) if name.endswith(".eml"))
    times = [os.stat(folder / name).st_mtime_ns for name in names]
    return [(folder / name).read_bytes() for _, name in sorted(zip(times, names, strict=True))]


def test_the_sink_keeps_and_answers_as_aiosmtpd_does(servers):
    base64_lines = b"".join(b"QUJD" * 19 + b"\r\n" for _ in range(3000))  # ~230 kB, no dot in it
    datas = [
        [b"Subject: dots\r\n\r\n..a line that began with a dot\r\nends with a dot.\r\n..\r\n...\r\nx.\r\n.\r\n"],
        [b"Subject: big\r\n\r\n" + base64_lines + b".\r\n"],
        [b".\r\n"],  # no data at all
        [b"\r\n.\r\n"],  # one empty line
        [b"Subject: in pieces\r\n\r\nfirst\r", b"\n.", b".second\r\n", b"third.\r", b"\n", b"fourth", b".\r\n",
         b"fifth\r\n", b".", b"\r\n"],
        [b"Subject: long\r\n\r\n" + b"y" * 1200 + b"\r\nafter\r\n.\r\n"],  # 500, then the connection goes on
        [b"Subject: long, a dot at its end\r\n\r\n" + b"y" * 1200 + b".\r\nafter\r\n.\r\n"],
        [b"Subject: just long enough\r\n\r\n" + b"z" * 999 + b"\r\n.\r\n"],
        [b"Subject: just too long\r\n\r\n" + b"z" * 1000 + b"\r\n.\r\n"],
        [b"Subject: too much\r\n\r\n" + base64_lines * 2 + b".\r\n"],  # 552, then the connection goes on
        [b"Subject: last\r\n\r\nbody\r\n.\r\n"],
    ]
    (plain_port, plain_folder), (bulk_port, bulk_folder) = servers
    expected = converse(plain_port, datas)
    at_the_end = [expected[4 * number + 4][:3] for number in range(len(datas))]  # after each one's data
    assert at_the_end == [b"250"] * 5 + [b"500", b"500", b"250", b"500", b"552", b"250"]
    assert converse(bulk_port, datas) == expected
    assert kept(bulk_folder) == kept(plain_folder)
    assert len(kept(plain_folder)) == 7
