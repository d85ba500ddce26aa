"""A pool of worker processes for rendering, owned by the service's container.

WeasyPrint is CPU-bound: in the service's own process one render stalls every
other request and the AMQP heartbeats. The pool uses the ``spawn`` start
method (no forked eventlet state) and is shut down in ``stop`` and ``kill``,
without which ``nameko run`` hangs on SIGTERM.
"""
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker

import eventlet
from nameko.extensions import DependencyProvider

from services.common.settings import setting

from . import render, stamp
from . import seal as sealing
from .settings import load as load_settings

POLL_SECONDS = 0.005
WARM_UP_SECONDS = 30  # at most, then requests are taken anyway (a cold worker is slow, not broken)
PR_SET_PDEATHSIG = 1  # prctl(2)


class Renderer:
    """What an entrypoint sees: ``pdf(template, context)`` that yields while it waits; with
    ``sealed=True``, the PDF carries the electronic seal when one is configured (``seal``, a
    ``seal.SealKey`` or None)."""

    def __init__(self, executor, timings=None, seal=None, seal_described=None):
        self._executor = executor
        self._timings = timings if timings is not None else new_timings()
        self.seal = seal
        if seal_described is None and seal is not None:
            seal_described = sealing.describe(seal)
        self.seal_described = seal_described

    def pdf(self, template: str, context: dict, sealed: bool = False) -> bytes:
        return self._run(render.render_pdf, template, context, self.seal if sealed else None)

    def stamped(self, kind: str, document: dict) -> bytes:
        """A ticket or an invoice (``kind``, see ``stamp.KINDS``) stamped on its base page in a
        worker, or rendered in full there where the stamp could differ; each way counted."""
        data, way = self._run(stamp.render_document, kind, document)
        self._timings[way] += 1
        return data

    def stamped_many(self, requests: list[tuple[str, dict]]) -> list[bytes | str]:
        """``stamped`` for each ``(kind, document)``, in one task of one worker; in order, each the
        PDF, or why that document could not be made (``str``: its failure alone)."""
        made = self._run(stamp.render_documents, requests, count=len(requests))
        for data, way in made:
            if data is not None:
                self._timings[way] += 1
        return [way if data is None else data for data, way in made]

    def _run(self, function, *args, count=1):
        started = time.perf_counter()
        future = self._executor.submit(function, *args)
        # The future is completed by a real OS thread of the executor; polling
        # keeps this green thread from blocking the hub while it waits.
        while not future.done():
            eventlet.sleep(POLL_SECONDS)
        result = future.result()
        self._timings["count"] += count
        self._timings["seconds"] += time.perf_counter() - started
        return result

    @property
    def timings(self):
        return dict(self._timings)


def new_timings():
    """What a pool counts: PDFs and seconds; tickets and invoices stamped, and rendered in full."""
    return {"count": 0, "seconds": 0.0, stamp.STAMPED: 0, stamp.FULL: 0}


# multiprocessing tells its resource tracker about every semaphore over one pipe per
# process. eventlet's green os.write parks a writer that must wait, and refuses a
# second one on the same pipe; the messages are a few bytes (atomic on a pipe), so
# the tracker gets the real os module, and pools start and stop one at a time.
resource_tracker.os = eventlet.patcher.original("os")
_pool_lifecycle = threading.Lock()


def make_executor(processes):
    """Worker processes for rendering: spawned (no forked eventlet state), warmed up, at low priority,
    and ended with their service: a service killed outright (SIGKILL) leaves no workers behind."""
    with _pool_lifecycle:
        return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(os.getpid(),))


def _start_worker(service_pid):
    """A worker would otherwise wait on its queue forever once the service is gone: it holds the
    queue's write end itself, so no end of file ever comes. Linux signals it when its parent
    dies (PR_SET_PDEATHSIG); a parent gone before that was set is seen by the worker itself."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: only a stop shuts the pool down
        pass
    if os.getppid() != service_pid:
        os._exit(0)
    render.warm_up()
    stamp.warm_up()


def shut_down(executor, wait):
    """Stop the pool. Without ``wait`` (the service killed) its workers are ended at once too: a
    pool killed while its workers were still starting was seen to keep them, idle, and the
    executor's thread with them, so that the process never exited."""
    with _pool_lifecycle:
        workers = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=wait, cancel_futures=True)
        if not wait:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()


class RenderPool(DependencyProvider):
    def setup(self):
        """A seal that is configured but cannot be used stops the service here (``seal``)."""
        self.processes = int(setting(self.container.config, "DOCUMENTS_RENDER_PROCESSES"))
        self.executor = None
        self.timings = new_timings()
        self.seal = sealing.configured(load_settings(self.container.config))
        self.seal_described = sealing.describe(self.seal) if self.seal is not None else None

    def start(self):
        """The service takes requests once every render worker is started and warm: a worker is
        spawned at its first task, and its start (Python, WeasyPrint, fonts) takes longer than the
        web's 2 s wait for a ticket."""
        self.executor = make_executor(self.processes)
        started = [self.executor.submit(os.getpid) for _ in range(self.processes)]
        deadline = time.monotonic() + WARM_UP_SECONDS
        while not all(future.done() for future in started) and time.monotonic() < deadline:
            eventlet.sleep(POLL_SECONDS)

    def stop(self):
        if self.executor is not None:
            shut_down(self.executor, wait=True)

    def kill(self):
        if self.executor is not None:
            shut_down(self.executor, wait=False)

    def get_dependency(self, worker_ctx):
        return Renderer(self.executor, self.timings, self.seal, self.seal_described)
