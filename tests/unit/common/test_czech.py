from datetime import UTC, datetime

from services.common import czech


def test_dates_read_as_czech_readers_write_them():
    winter = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # 9:00 in Prague, CET
    assert czech.date_time(winter) == "8. 12. 2026 9:00"
    assert czech.weekday_date_time(winter) == "út 8. 12. 2026 v 9:00"
    summer = datetime(2026, 6, 1, 7, 30, tzinfo=UTC)  # 9:30 in Prague, CEST
    assert czech.date_time(summer) == "1. 6. 2026 9:30"


def test_plurals():
    assert [czech.plural(n, "osoba", "osoby", "osob") for n in (1, 2, 4, 5, 21)] == [
        "1 osoba", "2 osoby", "4 osoby", "5 osob", "21 osob"]


def test_prices():
    assert czech.price(0) == "zdarma"
    assert czech.price(1200) == "1\u00a0200\u00a0Kč"


def test_file_sizes_read_as_czech_write_them():
    sizes = {0: "0 B", 33: "33 B", 1023: "1023 B", 1024: "1 kB", 1536: "1,5 kB", 12 * 1024: "12 kB",
             10239: "10 kB", 1047552: "1023 kB", 1048575: "1 MB", 1468006: "1,4 MB", 10 * 1048576: "10 MB",
             5 * 1024 ** 3: "5 GB"}
    assert {size: czech.file_size(size).replace("\u00a0", " ") for size in sizes} == sizes
    assert czech.file_size(12 * 1024) == "12\u00a0kB"  # the number never parts from its unit
