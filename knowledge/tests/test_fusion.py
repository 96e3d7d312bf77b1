import pytest

from knowledge.search import RRF_K, reciprocal_rank_fusion


def test_rrf_rewards_items_ranked_by_both_lists():
    vector = {1: 1, 2: 2, 3: 3}
    text = {3: 1, 4: 2}

    scores = reciprocal_rank_fusion([vector, text])

    assert scores[3] == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))
    assert max(scores, key=scores.__getitem__) == 3
    assert scores[1] > scores[2] == scores[4]


def test_rrf_of_nothing_is_empty():
    assert reciprocal_rank_fusion([{}, {}]) == {}


def test_rrf_ranks_an_item_both_lists_like_above_the_top_of_one_list():
    vector = {10: 1, 20: 2}
    text = {30: 1, 20: 2}

    scores = reciprocal_rank_fusion([vector, text])

    assert sorted(scores, key=scores.__getitem__, reverse=True)[0] == 20
