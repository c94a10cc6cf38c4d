"""The objectives' Block Kit (bot/objectives/views.py): the biggest plan stays within
Slack's limits, split or paged, never cut; the modals valid and what they parse."""

from datetime import date

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.driver import view_state
from bot.objectives import views as objectives_views
from bot.plans import views as plans_views
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
        message = objectives_views.objectives_message(
            lang=lang, plan=plan(language=lang), categories=categories, objectives=objectives,
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
