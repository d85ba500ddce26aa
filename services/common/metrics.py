"""Metrics in the Prometheus text format.

Each service answers ``metrics()`` over RPC with its samples; the HTTP service
serves them all at ``/metrics``. A sample is ``[name, type, help, labels, value]``.
"""
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, func, select

# name, type, help, labels, value
Sample = list[Any]


def sample(name: str, kind: str, help_text: str, value: float | None, **labels: object) -> Sample:
    return [name, kind, help_text, labels, value]


def outbox_backlog(conn: Connection, outbox: Table, service: str) -> Sample:
    """Events written but not yet published: a growing number means the broker is away."""
    count = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))).scalar()
    return sample("smopk_outbox_backlog", "gauge", "Events in the outbox not yet published.", count, service=service)


def render(samples: Iterable[Sample]) -> str:
    """The Prometheus exposition text of ``samples``, one HELP and TYPE per metric name."""
    lines: list[str] = []
    described: set[str] = set()
    for name, kind, help_text, labels, value in samples:
        if name not in described:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
            described.add(name)
        label_text = ",".join(f'{key}="{str(val)}"' for key, val in sorted(labels.items()))
        lines.append(f"{name}{{{label_text}}} {value}" if label_text else f"{name} {value}")
    return "\n".join(lines) + "\n"
