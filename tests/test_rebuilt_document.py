"""Masking a document rebuilt from its chunks: the rebuild is the source where the chunks say so, and a
slice cut from the masked whole equals the whole's masking of that slice (property tests), and edits of a
second masking pass map back to the original text."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from indexers.rebuilt_document import cut, rebuild
from masking.edit_plan import merge_edits, splice

texts = st.text(alphabet="abc DEF.\n", min_size=1, max_size=80)


@st.composite
def chunked(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    """A text and chunks of it that cover it, possibly overlapping, in any order."""
    text = draw(texts)
    cuts = sorted(draw(st.sets(st.integers(1, len(text) - 1), max_size=6))) if len(text) > 1 else []
    bounds = [0, *cuts, len(text)]
    pieces = []
    for start, end in pairwise(bounds):
        # overlap with the chunk before
        back = draw(st.integers(0, start))
        pieces.append((start - back, end, text[start - back : end]))
    return text, draw(st.permutations(pieces))


@st.composite
def edited(draw: st.DrawFn, text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping replacements of ``text`` by tokens."""
    points = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    pairs = [(a, b) for a, b in zip(points[::2], points[1::2], strict=False) if a < b]
    return [(a, b, f"<T_{n:08x}>") for n, (a, b) in enumerate(pairs)]


@given(chunked())
def test_the_rebuild_is_the_source(case: tuple[str, list[tuple[int, int, str]]]) -> None:
    text, pieces = case
    assert rebuild(pieces) == text


def test_chunks_that_disagree_or_do_not_fit_give_no_rebuild() -> None:
    # they disagree where they overlap
    assert rebuild([(0, 5, "hello"), (3, 8, "XXabc")]) is None
    # the offsets do not fit the text
    assert rebuild([(0, 5, "hell")]) is None
    # a gap nobody would cut
    assert rebuild([(0, 2, "ab"), (10_000_000, 10_000_002, "cd")]) is None
    # a small gap: spaces
    assert rebuild([(0, 2, "ab"), (4, 6, "cd")]) == "ab  cd"


@given(st.data())
def test_slices_cut_at_a_boundary_join_back_to_the_masked_whole(data: st.DataObject) -> None:
    text = data.draw(texts)
    edits = data.draw(edited(text))
    boundary = data.draw(st.integers(0, len(text)))
    left, right = cut(text, edits, 0, boundary), cut(text, edits, boundary, len(text))
    crossing = [token for a, b, token in edits if a < boundary < b]
    # a value split by the boundary is its token on both sides
    if crossing:
        assert all(token in left and token in right for token in crossing)
        assert left + right == splice(text, edits).replace(crossing[0], crossing[0] * 2, 1)
    else:
        assert left + right == splice(text, edits)


@given(st.data())
def test_second_pass_edits_map_back_to_the_original(data: st.DataObject) -> None:
    text = data.draw(texts)
    first = data.draw(edited(text))
    once = splice(text, first)
    # second-pass ranges lie in the once-masked text, outside its tokens (as the leak check finds them)
    tokens = []
    shift = 0
    for a, b, token in first:
        tokens.append((a + shift, a + shift + len(token)))
        shift += len(token) - (b - a)
    second = [e for e in data.draw(edited(once)) if not any(e[0] < y and x < e[1] for x, y in tokens)]
    second = [(a, b, token.replace("T_", "S_")) for a, b, token in second]
    twice = splice(once, second)
    assert splice(text, merge_edits(first, second)) == twice
