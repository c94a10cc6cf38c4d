"""Step 2 of the method: scores, what they mean for an idea, and the consensus rule."""

from dataclasses import dataclass

from bot.platform.i18n import N_

# The seed's scores, best first: (what it says, where the idea goes).
SCORES: dict[str, tuple[str, str]] = {
    "3": (N_("3 · Obvious winner"), N_("Goes to the top of the priority list")),
    "2": (N_("2 · Has potential"), N_("Needs further evaluation")),
    "1": (N_("1 · Sounds good, unlikely right now"), N_("On hold, revisited later")),
    "discard": (N_("Discard"), N_("Will never work: hidden, still recoverable")),
}

SCORE_LABELS: dict[str, str] = {"3": "3", "2": "2", "1": "1", "discard": N_("discard")}

# An idea's status is its settled score, in the score's own words; None: not scored yet.
STATUSES: dict[str | None, str] = {None: N_("Not scored yet"),
                                   **{score: name for score, (name, _where) in SCORES.items()}}

STATUS_ORDER: tuple[str | None, ...] = (None, "3", "2", "1", "discard")
_RANK = {"discard": 0, "1": 1, "2": 2, "3": 3}
_SCORE_OF_RANK = {rank: score for score, rank in _RANK.items()}


@dataclass(frozen=True)
class Consensus:
    suggested: str | None  # None when nobody has scored
    count: int
    unanimous: bool
    tie: tuple[str, str] | None  # the two middle scores, when an even count splits them
    split: tuple[str, str] | None  # lowest and highest, when they are two steps apart or more


def consensus(scores: list[str]) -> Consensus:
    """The median score. With an even count and different middle scores, the more
    cautious one is suggested and the tie is called out; a spread of two steps or more
    (3 against 1, 2 against discard) is called out as a split."""
    if not scores:
        return Consensus(None, 0, False, None, None)
    ranks = sorted(_RANK[score] for score in scores)
    low, high = ranks[(len(ranks) - 1) // 2], ranks[len(ranks) // 2]
    tie = (_SCORE_OF_RANK[high], _SCORE_OF_RANK[low]) if low != high else None
    spread = ranks[-1] - ranks[0]
    split = (_SCORE_OF_RANK[ranks[-1]], _SCORE_OF_RANK[ranks[0]]) if spread >= 2 else None
    return Consensus(_SCORE_OF_RANK[low], len(ranks), spread == 0, tie, split)


def agreed(scores: list[str]) -> str | None:
    """The score everyone who scored gave, when at least two did: an idea a facilitator
    may settle with the others in one click."""
    return scores[0] if len(scores) >= 2 and len(set(scores)) == 1 else None


def agreed_ideas(rows) -> list:
    """(idea, score) for the unsettled ideas of `rows` (storage.scoring.IdeaRow) that
    everyone who scored agrees on."""
    return [(r.idea, score) for r in rows if r.idea.score is None
            and (score := agreed(list(r.scorers.values())))]


# The evaluation prompts of step 2 that have a few natural answers.
LIKELIHOOD: dict[str, str] = {
    "likely": N_("Likely to succeed"),
    "uncertain": N_("Could go either way"),
    "unlikely": N_("Likely to fail"),
}

NEED: dict[str, str] = {"need": N_("A need"), "nice": N_("A nice-to-have")}

URGENCY: dict[str, str] = {
    "urgent": N_("Urgent"),
    "important": N_("Important"),
    "both": N_("Urgent and important"),
    "neither": N_("Neither"),
}

EFFORT: dict[str, str] = {"easy": N_("Easy"), "hard": N_("Hard")}
WORTH_IT: dict[str, str] = {"yes": N_("Yes"), "no": N_("No"), "unsure": N_("Not sure yet")}
