"""Scoring's rules (bot/scoring/rules.py): the scores, and the consensus a facilitator is
suggested."""

import pytest

from bot.scoring.rules import consensus


@pytest.mark.parametrize(
    ("scores", "suggested", "unanimous", "tie", "split"),
    [
        ([], None, False, None, None),
        (["3"], "3", True, None, None),
        (["3", "3", "3"], "3", True, None, None),
        (["3", "2", "3"], "3", False, None, None),
        (["3", "2"], "2", False, ("3", "2"), None),  # a tie: the cautious score
        (["3", "1"], "1", False, ("3", "1"), ("3", "1")),
        (["3", "3", "1", "1"], "1", False, ("3", "1"), ("3", "1")),
        (["2", "discard", "2"], "2", False, None, ("2", "discard")),
        (["discard", "discard", "1"], "discard", False, None, None),
        (["1", "2", "3", "3", "discard"], "2", False, None, ("3", "discard")),
    ],
)
def test_consensus(scores, suggested, unanimous, tie, split):
    result = consensus(scores)
    assert (result.suggested, result.unanimous, result.tie, result.split) == (
        suggested, unanimous, tie, split)
    assert result.count == len(scores)


def test_consensus_ignores_order():
    assert consensus(["1", "3", "2"]) == consensus(["3", "2", "1"])
