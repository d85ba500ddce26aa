"""Ports for servers started by the tests and the benchmarks.

A port the kernel picks (bind to port 0) comes from the range it also gives
to outgoing connections: between the probe and the server's own bind, a
connection to RabbitMQ or PostgreSQL can take it (seen in CI as "Address
already in use"). Ports below that range are only ever taken by someone who
listens on purpose, and this process hands each out once.

Under pytest-xdist each worker hands out its own share of that range
(``PYTEST_XDIST_WORKER`` "gw0", "gw1", … of ``PYTEST_XDIST_WORKER_COUNT``):
two workers never hand out the same port, so neither binds a port the other
probed a moment ago. (The services' servers bind with SO_REUSEPORT, so two
of them on one port would both start and split its connections.)
"""

import os
import random
import socket

LOWEST = 20000

_handed_out = set()


def free_port():
    low, high = _share(LOWEST, _ephemeral_low())
    while True:
        port = random.randrange(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def _share(low, high):
    """This process's part of ``range(low, high)``: all of it, or its xdist worker's share."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2:
        return low, high
    size = (high - low) // count
    start = low + int(worker[2:]) * size
    return start, start + size


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            return int(ports.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
