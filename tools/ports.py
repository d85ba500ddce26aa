"""Ports for servers started by the tests and the benchmarks.

A port the kernel picks (bind to port 0) comes from the range it also gives
to outgoing connections: between the probe and the server's own bind, a
connection to RabbitMQ or PostgreSQL can take it (seen in CI as "Address
already in use"). Ports below that range are only ever taken by someone who
listens on purpose, and this process hands each out once.
"""

import random
import socket

_handed_out = set()


def free_port():
    low = _ephemeral_low()
    while True:
        port = random.randrange(20000, low)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            return int(ports.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
