"""The summary sentence is what Atlantis and tfcmt parse: it must match their regex exactly."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.plan.model import Counts
from reconciler.render.common import summary_sentence

ATLANTIS = re.compile(
    r"Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy"
    r"(?:, (\d+) to forget)?\."
)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_every_count_combination_matches_the_atlantis_regex(
    imported: int, added: int, forgotten: int
) -> None:
    sentence = summary_sentence(Counts(imported, added, forgotten))
    match = ATLANTIS.fullmatch(sentence)
    assert match is not None, sentence
    assert match[1] == (str(imported) if imported else None)
    assert (match[2], match[3], match[4]) == (str(added), "0", "0")
    assert match[5] == (str(forgotten) if forgotten else None)


@pytest.mark.parametrize(
    ("counts", "sentence"),
    [
        (Counts(0, 1, 0), "Plan: 1 to add, 0 to change, 0 to destroy."),
        (Counts(0, 2, 1), "Plan: 2 to add, 0 to change, 0 to destroy, 1 to forget."),
        (Counts(3, 0, 0), "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."),
        (Counts(1, 2, 3), "Plan: 1 to import, 2 to add, 0 to change, 0 to destroy, 3 to forget."),
        (Counts(0, 0, 0), "Plan: 0 to add, 0 to change, 0 to destroy."),
    ],
)
def test_the_sentence_verbatim(counts: Counts, sentence: str) -> None:
    assert summary_sentence(counts) == sentence
