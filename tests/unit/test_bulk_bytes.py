"""The suite's bulk_bytes (tests/conformance/support.py): on a board the size comes from its free
heap, and the buffer cases view it as arrays of 1- to 8-byte items, so it must be a whole number of
8-byte items (a 27709-byte limit made the emulated Pico W's ``array('i')`` 27708 bytes, and the
case compared those with 27709)."""

import array
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _bulk_bytes():
    import sys

    sys.path.insert(0, os.path.dirname(HERE))
    try:
        from conformance.support import bulk_bytes
    finally:
        sys.path.pop(0)
    return bulk_bytes


class Board:
    def __init__(self, limit):
        self.bulk_limit = limit


def test_a_heap_bound_size_fills_every_item_width():
    bulk_bytes = _bulk_bytes()
    for limit in (27709, 27711, 27712, 100003):
        n = bulk_bytes(Board(limit), 2 * 1024 * 1024)
        assert limit - 8 < n <= limit
        for tc in "bhilqd":
            a = array.array(tc, bytes(n))
            assert len(a) * a.itemsize == n


def test_without_a_limit_the_wanted_size_is_kept():
    bulk_bytes = _bulk_bytes()
    assert bulk_bytes(Board(None), 12345) == 12345
    assert bulk_bytes(Board(10 ** 9), 12345) == 12345
