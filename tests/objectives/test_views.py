"""Step 3 builders: the biggest plan stays within Slack's limits, split or paged, never cut."""

from datetime import date

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.driver import view_state
from bot.objectives import views as objectives_views
from bot.objectives.rules import gaps, outside_period
from bot.plans import views as plans_views
from bot.reviews.rules import review_dates
from tests.factories import EVIL, all_text, big_plan, plan


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_biggest_plan_is_split_into_valid_messages(lang):
    categories, objectives, initiatives = big_plan()
    messages = objectives_views.plan_messages(lang=lang, plan=plan(language=lang),
                                              categories=categories,
                                objectives=objectives, initiatives=initiatives,
                                facilitators=["U1"], next_review=date(2027, 4, 5))
    assert len(messages) > 1
    for message in messages:
        assert check_message(message["blocks"], message["text"]) == []
    text = "".join("".join(all_text(m) for m in messages).split())
    for item in objectives:
        assert f"Objective{item.id - 1}o" in text
    for item in initiatives:
        assert f"Initiative{item.id - 1}i" in text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_objectives_list_is_paged(lang):
    categories, objectives, initiatives = big_plan()
    seen, page = set(), 0
    while True:
        message = objectives_views.objectives_message(lang=lang, plan=plan(language=lang),
                                        categories=categories, objectives=objectives,
                                        initiatives=initiatives, to_promote=[], page=page)
        assert check_message(message["blocks"], message["text"]) == []
        seen |= {o["value"] for b in message["blocks"] if "accessory" in b
                 and b["accessory"].get("type") == "overflow"
                 for o in b["accessory"]["options"]}
        buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
                   for e in b["elements"]]
        if objectives_views.OBJECTIVES_NEXT not in buttons:
            break
        page += 1
    assert {f"edit:{o.id}" for o in objectives} | {f"edit:{i.id}" for i in initiatives} <= seen


@pytest.mark.parametrize("lang", ["en", "es"])
def test_modals_are_valid_and_escape_user_text(lang):
    categories, objectives, initiatives = big_plan(1, 1)
    objectives[0].statement = EVIL
    views = [
        objectives_views.objective_modal(lang=lang, categories=categories, objective=objectives[0],
                           private_metadata="{}"),
        objectives_views.objective_modal(lang=lang, categories=categories, private_metadata="{}"),
        objectives_views.initiative_modal(lang=lang, objective=objectives[0],
                                          private_metadata="{}"),
        objectives_views.initiative_modal(lang=lang, objective=objectives[0],
                                          initiative=initiatives[0],
                            private_metadata="{}"),
        plans_views.settings_modal(lang=lang, plan=plan(language=lang), categories=categories,
                          facilitators=["U1"], private_metadata="{}"),
    ]
    for view in views:
        assert check_view(view) == [], view["callback_id"]
        assert "<!channel>" not in all_text(view)


def test_an_objective_needs_a_target_and_a_measure_and_dates_within_the_period():
    view = objectives_views.objective_modal(lang="en", categories=big_plan(1, 0)[0],
                                            private_metadata="{}")
    meta = {"start": "2027-01-01", "end": "2027-12-31"}
    values = view_state(view, {"category": "1", "statement": "Portal", "target": " ",
                               "measure": " ", "target_date": "2028-01-15",
                               "baseline": "ten"}, strict=False)
    _result, errors = objectives_views.parse_objective(values, "en", meta)
    assert set(errors) == {"target", "measure", "target_date", "baseline"}
    values = view_state(view, {"category": "1", "statement": "Portal", "target": "Half",
                               "measure": "Share", "target_date": "2028-01-15",
                               "keep_dates": ["yes"], "baseline": "10.5"}, strict=False)
    result, errors = objectives_views.parse_objective(values, "en", meta)
    assert errors == {} and result["baseline"] == 10.5 and result["horizon"] == "medium"


def test_period_gaps_and_next_review():
    assert outside_period(date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31))
    assert not outside_period(date(2027, 12, 31), date(2027, 1, 1), date(2027, 12, 31))
    assert not outside_period(date(2099, 1, 1), date(2027, 1, 1), None)  # perpetual
    categories, objectives, initiatives = big_plan(2, 1)
    found = gaps(categories=categories, objectives=objectives, initiatives=initiatives)
    assert found.empty_categories == ["Category 2", "Category 3"]
    assert [s[:11] for s in found.objectives_without_initiatives] == ["Objective 1"]
    assert found.initiatives_without_owner == [initiatives[0].title]
    assert not found.complete
    # Quarterly for large clients, every 6 months for small ones, on the review weekday.
    large = plan(start_date=date(2027, 1, 1), client_size="large", review_weekday=0)
    assert review_dates(large, after=date(2027, 1, 2)) == date(2027, 4, 5)
    small = plan(start_date=date(2027, 1, 31), client_size="small", review_weekday=3)
    assert review_dates(small, after=date(2027, 8, 1)) == date(2027, 8, 5)  # Jul 31 → Thu
