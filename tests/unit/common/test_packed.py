import base64
import gzip

import pytest

from services.common.packed import Refused, pack, unpack

STATEMENT = ("<Ntry><Amt Ccy=\"CZK\">900.00</Amt><Ustrd>Školení, VS 2026000001</Ustrd></Ntry>\n" * 5000).encode()


def test_a_packed_file_comes_back_as_it_was_and_much_smaller():
    text = pack(STATEMENT)
    assert unpack(text, len(STATEMENT)) == STATEMENT
    assert len(text) < len(STATEMENT) / 20


def test_a_file_sent_as_plain_base64_is_taken_as_it_is():
    assert unpack(base64.b64encode(STATEMENT).decode(), len(STATEMENT)) == STATEMENT


def test_a_file_larger_than_the_limit_is_refused_gzipped_or_plain():
    for text in (pack(STATEMENT), base64.b64encode(STATEMENT).decode()):
        with pytest.raises(Refused) as refused:
            unpack(text, len(STATEMENT) - 1)
        assert refused.value.reason == "too_large"


def test_a_gzip_bomb_is_refused_without_being_unpacked_whole():
    bomb = base64.b64encode(gzip.compress(b"\0" * (200 * 1024 * 1024))).decode()
    assert len(bomb) < 300_000
    with pytest.raises(Refused) as refused:
        unpack(bomb, 1024 * 1024)
    assert refused.value.reason == "too_large"


@pytest.mark.parametrize("text", [
    "not base64 at all!",
    "QUJ",  # not a whole base64 quantum
    pack(STATEMENT)[:1000],  # cut off in the middle of the gzip stream
    base64.b64encode(b"\x1f\x8b" + b"not a gzip stream").decode(),
])
def test_what_is_not_a_packed_file_is_invalid(text):
    with pytest.raises(Refused) as refused:
        unpack(text, len(STATEMENT))
    assert refused.value.reason == "invalid"
