"""The allocator's free memory back to the system (glibc's malloc_trim), or nothing."""

import sys

import pytest

from kmon.cache import heap_trim


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's call")
def test_trim_gives_free_pages_back_where_glibc_is_the_c_library():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert heap_trim.available()
    blocks = [bytearray(6000) for _ in range(20_000)]  # ~120 MB of 6 KB allocations, as wire bytes are
    del blocks
    assert heap_trim.trim() in (True, False)  # runs; whether pages were free depends on the heap


def test_without_the_call_trim_does_nothing(monkeypatch):
    monkeypatch.setattr(heap_trim, "_LIBC", None)
    assert not heap_trim.available() and heap_trim.trim() is False and heap_trim.fix_mmap_threshold() is False
