import os
import threading

import pytest

from services.common.signing import KeyFileExposed, derived_key, load_or_create_key, ticket_code, verify_ticket_code

KEY = b"unit-test-key"


def test_a_ticket_code_verifies_to_its_number():
    code = ticket_code(KEY, 42)
    assert code.startswith("T42-")
    assert verify_ticket_code(KEY, code) == 42
    assert verify_ticket_code(KEY, f"  {code.lower()} ") == 42  # typed by hand


def test_forged_and_garbled_codes_are_refused():
    code = ticket_code(KEY, 42)
    assert verify_ticket_code(b"another-key", code) is None
    assert verify_ticket_code(KEY, code.replace("T42-", "T43-")) is None
    assert verify_ticket_code(KEY, code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    for garbage in ("", None, "T0-AAAAAAAAAAAAAAAA", "42", "T42-", "<script>", "T" + "9" * 40 + "-AAAA"):
        assert verify_ticket_code(KEY, garbage) is None


def test_the_configured_key_wins(tmp_path):
    assert load_or_create_key("from-env", str(tmp_path / "key")) == b"from-env"
    assert not (tmp_path / "key").exists()


def test_a_generated_key_is_made_once_and_shared(tmp_path):
    path = str(tmp_path / "key")
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(load_or_create_key("", path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) >= 32
    assert load_or_create_key("", path) == keys[0]
    assert oct((tmp_path / "key").stat().st_mode)[-3:] == "600"


def test_the_key_file_is_private_from_its_creation_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        load_or_create_key("", str(tmp_path / "key"))
    finally:
        os.umask(previous)
    assert oct((tmp_path / "key").stat().st_mode)[-3:] == "600"


def test_a_key_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "key"
    load_or_create_key("", str(path))
    path.chmod(0o644)
    with pytest.raises(KeyFileExposed, match="can be read by other users"):
        load_or_create_key("", str(path))


def test_keys_derived_for_two_purposes_differ_from_each_other_and_the_key():
    assert len({derived_key(b"k", "csrf"), derived_key(b"k", "feedback"), b"k"}) == 3
    assert derived_key(b"k", "csrf") == derived_key(b"k", "csrf")
