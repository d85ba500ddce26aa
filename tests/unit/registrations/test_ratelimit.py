"""Fixed windows: the limit holds within a window and starts afresh in the next."""
import pytest

from services.registrations.ratelimit import TooManyRequests, Window


def test_the_limit_holds_until_the_window_ends():
    now = [100.0]
    window = Window(2, 60, clock=lambda: now[0])
    window.hit("a"), window.hit("a")
    with pytest.raises(TooManyRequests) as refused:
        window.hit("a")
    assert refused.value.retry_after == 60 and refused.value.status == 429
    window.hit("b")  # another key has its own count
    now[0] += 59.5
    with pytest.raises(TooManyRequests) as refused:
        window.hit("a")
    assert refused.value.retry_after == 1
    now[0] += 0.5
    window.hit("a")


def test_a_hit_that_must_not_be_refused_still_counts():
    window = Window(1, 60, clock=lambda: 0.0)
    window.hit("a", refuse=False), window.hit("a", refuse=False)
    with pytest.raises(TooManyRequests):
        window.hit("a")
