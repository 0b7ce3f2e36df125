"""``_Dechunker.read_lines``: the watch's lines cut straight out of raw chunked reads, whatever
the chunk and read boundaries (lines across chunks and reads, several per chunk, empty)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings, strategies as st

from kmon.kube.dechunk import Dechunker as _Dechunker, WatchDecodeError


class Raw:
    """A raw reader handing out ``data`` in the given read sizes."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.buf = io.BytesIO(data)
        self.sizes = sizes or [1 << 20]
        self.i = 0

    def read1(self, n: int) -> bytes:
        size = self.sizes[self.i % len(self.sizes)]
        self.i += 1
        return self.buf.read(min(n, size))


def chunked(body: bytes, cuts: list[int]) -> bytes:
    out, pos = [], 0
    for c in sorted(set(x % (len(body) + 1) for x in cuts)) + [len(body)]:
        if c > pos:
            out.append(b"%x\r\n%s\r\n" % (c - pos, body[pos:c]))
            pos = c
    return b"".join(out) + b"0\r\n\r\n"


def read_all(d: _Dechunker) -> list[bytes]:
    lines: list[bytes] = []
    while (got := d.read_lines(1 << 16)) is not None:
        lines.extend(bytes(x) for x in got)
    return lines


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.binary(min_size=0, max_size=40).map(lambda b: b.replace(b"\n", b"x")), min_size=1, max_size=12),
    st.lists(st.integers(0, 10_000), max_size=10),
    st.lists(st.integers(1, 50), max_size=6),
)
def test_lines_survive_any_chunking_and_read_sizes(lines, cuts, sizes):
    body = b"".join(x + b"\n" for x in lines)
    d = _Dechunker(Raw(chunked(body, cuts), sizes))
    assert read_all(d) == lines
    assert d.partial_line() == b""


def test_an_unfinished_line_is_kept_as_partial_and_the_limit_is_enforced(monkeypatch):
    d = _Dechunker(Raw(b"5\r\n{\"a\":\r\n0\r\n\r\n", []))
    assert read_all(d) == []
    assert d.partial_line() == b'{"a":'
    import kmon.kube.dechunk as lw

    monkeypatch.setattr(lw, "MAX_LINE", 10)
    d = _Dechunker(Raw(b"14\r\n" + b"x" * 20 + b"\r\n0\r\n\r\n", []))
    with pytest.raises(WatchDecodeError):
        read_all(d)


def test_chunk_extensions_are_ignored():
    d = _Dechunker(Raw(b"4;name=value\r\nabc\n\r\n3 \r\nde\n\r\n0\r\n\r\n", [7]))
    assert read_all(d) == [b"abc", b"de"]


@pytest.mark.parametrize("size_line", [b"zz", b"-5", b"", b";x"])
def test_a_chunk_size_line_that_gives_no_size_ends_the_stream(size_line):
    """(a signed size once moved the reader backwards, for ever)"""
    from http.client import IncompleteRead

    d = _Dechunker(Raw(b"4\r\nabc\n\r\n" + size_line + b"\r\nxxxxx\r\n0\r\n\r\n", []))
    with pytest.raises(IncompleteRead, match="bad chunk size"):
        read_all(d)


def test_a_chunk_size_line_without_end_is_refused():
    from http.client import IncompleteRead

    d = _Dechunker(Raw(b"4\r\nabc\n\r\n" + b"1" * 5000, []))
    with pytest.raises(IncompleteRead, match="too long"):
        read_all(d)
