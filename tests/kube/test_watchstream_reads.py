"""How much a watch stream asks of each raw read (kmon.kube.watchstream.next_read_size)."""

from kmon.kube.watchstream import _READ_MAX, _READ_MIN, next_read_size


def test_a_stream_that_fills_its_reads_is_read_in_bigger_ones_and_then_smaller_again():
    size = _READ_MIN
    sizes = []
    for _ in range(4):  # an initial list: every read comes back full
        size = next_read_size(size, size)
        sizes.append(size)
    assert sizes == [_READ_MIN * 4, _READ_MIN * 16, _READ_MAX, _READ_MAX] and _READ_MAX == 4 << 20
    assert next_read_size(_READ_MAX, 1 << 20) == _READ_MAX  # a quarter full: keep it
    size = _READ_MAX
    for _ in range(3):  # following changes: a few events per read
        size = next_read_size(size, 20_000)
    assert size == _READ_MIN
    assert next_read_size(_READ_MIN, 0) == _READ_MIN
