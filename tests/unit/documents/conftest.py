"""The render pool the documents tests share: two spawned, warmed-up worker processes per test module."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from services.documents.render import warm_up


@pytest.fixture(scope="module")
def executor():
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=warm_up)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)
