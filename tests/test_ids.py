"""Public ids: their shape, and that the base62 characters are drawn uniformly."""

from __future__ import annotations

import re
from collections import Counter

from support_project.ids import BASE62, new_id, new_session_id, random_base62


def test_an_id_is_its_prefix_and_22_base62_characters():
    assert re.fullmatch(r"tkt_[0-9A-Za-z]{22}", new_id("tkt"))
    assert re.fullmatch(r"[0-9a-f]{32}", new_session_id())
    assert len({new_id("evt") for _ in range(10_000)}) == 10_000


def test_every_length_comes_out_exactly():
    assert [len(random_base62(n)) for n in (0, 1, 22, 300)] == [0, 1, 22, 300]


def test_the_characters_are_uniform_over_the_alphabet():
    # 62 × 2,000 draws: each character's count is Binomial(124000, 1/62), mean 2,000, sd ≈ 44.4.
    # A bias like `byte % 62` over all 256 byte values would put the first 8 characters at ≈ 2,418.
    counts = Counter("".join(random_base62(124) for _ in range(1_000)))
    assert set(counts) == set(BASE62)
    assert all(1_780 < counts[c] < 2_220 for c in BASE62), counts.most_common(3)  # ± 5 sd
