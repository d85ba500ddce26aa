"""The clock as a dependency, so that tests can move time."""
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nameko.extensions import DependencyProvider

from .db import utcnow


class Clock(DependencyProvider):
    """Gives entrypoints a function that returns the aware current time in UTC."""

    def get_dependency(self, worker_ctx: Any) -> Callable[[], datetime]:
        return utcnow
