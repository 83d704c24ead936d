"""The scrub plan groups point ids by document on disk: every id once, under its document, documents in the
order they first appear, integer and uuid ids kept apart; the file holds no document key and is gone after."""

from __future__ import annotations

import stat
import uuid

from hypothesis import given
from hypothesis import strategies as st

from indexers.scrub_plan import ScrubPlan

point_ids = st.one_of(st.integers(min_value=0, max_value=2**63 - 1), st.uuids().map(str))


@given(st.lists(st.tuples(st.sampled_from([f"doc_{n}" for n in range(6)]), point_ids), max_size=60))
def test_ids_come_back_grouped_by_document_in_first_seen_order(rows: list[tuple[str, int | str]]) -> None:
    with ScrubPlan() as plan:
        plan.add(rows)
        groups = list(plan)
        assert plan.documents() == len(groups)
    assert [doc for doc, _ in groups] == list(dict.fromkeys(doc for doc, _ in rows))
    for doc, ids in groups:
        expected = [pid for d, pid in rows if d == doc]
        # same ids, same types (7 is not "7")
        assert sorted(map(repr, ids)) == sorted(map(repr, expected))


def test_the_plan_file_is_private_and_removed() -> None:
    with ScrubPlan() as plan:
        plan.add([("doc_a", str(uuid.uuid4())), ("doc_a", 7)])
        folder = plan.path.parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert plan.path.exists()
    assert not folder.exists()
