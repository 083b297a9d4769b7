"""B-cubed on hand-made clusterings whose values are worked out by hand in each test."""
from __future__ import annotations

import pytest

from services.incidents.bcubed import bcubed


def test_identical_clusterings_score_one():
    s = bcubed([{"a", "b"}, {"c"}], [{"b", "a"}, {"c"}], "abc")
    assert (s.precision, s.recall, s.f1, s.items) == (1.0, 1.0, 1.0, 3)


def test_the_textbook_case():
    # gold {a,b,c} {d,e}; predicted {a,b} {c,d,e}
    # precision: a 2/2, b 2/2, c 1/3, d 2/3, e 2/3 -> 11/15; recall: a 2/3, b 2/3, c 1/3, d 1, e 1 -> 11/15
    s = bcubed([{"a", "b"}, {"c", "d", "e"}], [{"a", "b", "c"}, {"d", "e"}], "abcde")
    assert s.precision == pytest.approx(11 / 15)
    assert s.recall == pytest.approx(11 / 15)


def test_one_big_cluster_keeps_recall_and_loses_precision():
    # gold {a,b} {c} {d}; predicted {a,b,c,d}: precision (2+2+1+1)/4/4 = 0.375, recall 1
    s = bcubed([{"a", "b", "c", "d"}], [{"a", "b"}], "abcd")
    assert s.precision == pytest.approx(0.375)
    assert s.recall == 1.0
    assert s.f1 == pytest.approx(2 * 0.375 / 1.375)


def test_all_singletons_keep_precision_and_lose_recall():
    # gold {a,b} {c}; predicted nothing placed (all singletons): recall (1/2 + 1/2 + 1) / 3
    s = bcubed([], [{"a", "b"}, {"c"}], "abc")
    assert s.precision == 1.0
    assert s.recall == pytest.approx(2 / 3)


def test_clusters_are_cut_down_to_the_scored_items():
    # x is not scored: gold {a,b}, predicted {a} {b} over a and b -> recall 1/2
    s = bcubed([{"a", "x"}, {"b"}], [{"a", "b", "x"}], ["a", "b"])
    assert (s.precision, s.recall, s.items) == (1.0, 0.5, 2)


def test_no_items_scores_one_and_an_item_in_two_clusters_is_an_error():
    assert bcubed([{"a"}], [{"a"}], []).items == 0
    with pytest.raises(ValueError, match="two clusters"):
        bcubed([{"a", "b"}, {"a"}], [{"a", "b"}], "ab")
