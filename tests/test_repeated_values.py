"""``repeated_values``: the duplicate search's candidate keys, found in NumPy on every core.

The 32-bit (instant, user) keys of every row are cut into value spans, one per thread; a
value's copies must all land in one span, so nothing is lost at a span's edge, and the
answer must not depend on how many spans there are.
"""

from __future__ import annotations

import numpy as np
import pytest

from xhsgrow.engines.duck_engine import repeated_values

#: Large enough for the threaded path (smaller arrays are sorted whole).
BIG = 1_200_000


def test_values_at_every_span_edge_are_found_once_each() -> None:
    """Over uint32 in two spans the edge is 2**31: 2**31 - 1 and 2**31 sit either side of
    it. Each is written twice, 0 and 2**32 - 1 three times; every other value once."""
    edge = 1 << 31
    filler = np.arange(10, 10 + BIG, dtype=np.uint32)  # (distinct, none of the values below)
    keys = np.concatenate(
        [
            filler,
            np.array([edge - 1, edge, 0, 2**32 - 1, edge, 0, edge - 1, 2**32 - 1, 0], np.uint32),
        ]
    )
    np.random.default_rng(1).shuffle(keys)
    for parts in (1, 2, 3, 4):
        assert repeated_values(keys.copy(), parts=parts).tolist() == [
            0,
            edge - 1,
            edge,
            2**32 - 1,
        ], parts


@pytest.mark.parametrize("dtype", [np.uint32, np.int32, np.int64])
def test_any_number_of_spans_gives_the_values_seen_more_than_once(dtype: type) -> None:
    """Random keys drawn from a range small enough that many repeat (and some three or
    more times): the answer is exactly the values whose count is above one, in order."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(7)
    keys = rng.integers(info.min, info.min + 4 * BIG, size=BIG, dtype=dtype)
    keys[: BIG // 2] += np.array(info.max - 4 * BIG, dtype=dtype)  # (both ends of the range)
    values, counts = np.unique(keys, return_counts=True)
    expected = values[counts > 1].tolist()
    assert len(expected) > 10_000  # (the test means something)
    for parts in (1, 2, 5):
        assert repeated_values(keys.copy(), parts=parts).tolist() == expected, parts


def test_no_repeats_and_no_keys() -> None:
    assert repeated_values(np.arange(BIG, dtype=np.uint32), parts=2).size == 0
    assert repeated_values(np.array([], dtype=np.uint32), parts=2).size == 0
