"""Step 3 of the method: the plan's objectives and initiatives, their vocabulary and the
rules the plan holds itself to."""

from dataclasses import dataclass
from datetime import date

from bot.platform.i18n import N_

HORIZONS: dict[str, str] = {
    "quick_win": N_("Quick win"),
    "medium": N_("Medium term"),
    "long": N_("Long term"),
}

# Statuses of objectives and initiatives, as reviews set them.
STATUSES: dict[str, str] = {
    "not_started": N_("Not started"),
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "off_track": N_("Off track"),
    "done": N_("Done"),
    "abandoned": N_("Abandoned"),
}


def outside_period(day: date | None, start: date, end: date | None) -> bool:
    """Whether a target or due date falls outside the plan's period."""
    if day is None:
        return False
    return day < start or (end is not None and day > end)


@dataclass(frozen=True)
class Gaps:
    """What the plan still lacks before its first review (the completeness check)."""

    empty_categories: list[str]
    objectives_without_initiatives: list[str]
    initiatives_without_owner: list[str]
    initiatives_without_due_date: list[str]

    @property
    def complete(self) -> bool:
        return not (self.empty_categories or self.objectives_without_initiatives
                    or self.initiatives_without_owner or self.initiatives_without_due_date)


def gaps(*, categories, objectives, initiatives) -> Gaps:
    """Categories with no objective, objectives with no initiative, initiatives with no
    owner or due date. Abandoned items are not gaps."""
    live = [o for o in objectives if o.status != "abandoned"]
    live_initiatives = [i for i in initiatives if i.status != "abandoned"]
    used = {o.category_id for o in live}
    with_initiatives = {i.objective_id for i in live_initiatives}
    return Gaps(
        empty_categories=[c.name for c in categories if c.id not in used],
        objectives_without_initiatives=[o.statement for o in live
                                        if o.id not in with_initiatives],
        initiatives_without_owner=[i.title for i in live_initiatives if not i.owner_id],
        initiatives_without_due_date=[i.title for i in live_initiatives if not i.due_date],
    )
