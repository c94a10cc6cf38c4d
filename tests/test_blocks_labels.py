"""Slack writes "(optional)" after an optional input's label by itself: no label says it
again, in any modal, in either language."""

import importlib
import inspect
import pkgutil
import re
from datetime import date

import pytest

import bot.blocks
from bot.blocks import checkins, exports, forms, ideas, messages, plan_form, plan_items, review
from bot.blocks.inputs import metadata
from storage.models import Answer, Evaluation, Idea
from tests.test_blocks import LANGS, NOW, plan
from tests.test_blocks_plan import big_plan

SAYS_OPTIONAL = re.compile(r"optional|opcional", re.IGNORECASE)
MODULES = [importlib.import_module(f"bot.blocks.{m.name}")
           for m in pkgutil.iter_modules(bot.blocks.__path__)]
NOT_FORMS = {"inputs.modal", "inputs.confirm_modal", "inputs.notice_modal"}  # the helpers


def every_modal(lang):
    """{builder: [views]}: each modal builder of bot.blocks, with inputs filled in."""
    p = plan(language=lang)
    categories, objectives, initiatives = big_plan(2, 3)
    idea = Idea(id=1, team_id="T1", plan_id=7, text="Portal", user_id="U1", created_at=NOW)
    evaluation = Evaluation(id=1, team_id="T1", idea_id=1, user_id="U1", score="3")
    answer = Answer(id=1, team_id="T1", plan_id=7, session_id=3, question=1, text="a",
                    user_id="U1")
    items = review.items_for_review(objectives, initiatives)
    return {
        "plan_form.modal": [plan_form.modal(lang=lang, channel_id="C1", today=date(2026, 12, 2),
                                            timezone="Europe/Madrid", creator_id="U1")],
        "forms.answers_modal": [forms.answers_modal(lang=lang, private_metadata="{}")],
        "forms.my_answers_modal": [forms.my_answers_modal(lang=lang, answers=[answer],
                                                          ideas=[idea], private_metadata="{}")],
        "forms.idea_modal": [forms.idea_modal(lang=lang, private_metadata="{}")],
        "ideas.evaluate_modal": [ideas.evaluate_modal(lang=lang, idea=idea, evaluation=None,
                                                      others=None, private_metadata="{}")],
        "ideas.settle_modal": [ideas.settle_modal(lang=lang, idea=idea, evaluations=[evaluation],
                                                  private_metadata="{}")],
        "ideas.edit_modal": [ideas.edit_modal(lang=lang, idea=idea, private_metadata="{}")],
        "ideas.end_round_modal": [ideas.end_round_modal(lang=lang, private_metadata="{}")],
        "ideas.merge_modal": [ideas.merge_modal(lang=lang, idea=idea, candidates=[idea],
                                                private_metadata="{}")],
        "checkins.checkin_modal": [checkins.checkin_modal(
            lang=lang, plan=p, due=date(2027, 3, 1), items=items, current={}, values={},
            private_metadata="{}")],
        "exports.export_modal": [exports.export_modal(lang=lang, private_metadata="{}")],
        "messages.end_session_modal": [messages.end_session_modal(
            lang=lang, private_metadata=metadata(session_id=3))],
        "plan_items.objective_modal": [
            plan_items.objective_modal(lang=lang, categories=categories, private_metadata="{}"),
            plan_items.objective_modal(lang=lang, categories=categories, idea=idea,
                                       objective=objectives[0], private_metadata="{}")],
        "plan_items.initiative_modal": [plan_items.initiative_modal(
            lang=lang, objective=objectives[0], initiative=initiatives[0],
            private_metadata="{}")],
        "plan_items.settings_modal": [plan_items.settings_modal(
            lang=lang, plan=p, categories=categories, facilitators=["U1"],
            private_metadata="{}")],
        "review.review_page": [review.review_page(
            lang=lang, plan=p, items=items, page=page, current={}, values={}, changes=[],
            private_metadata="{}") for page in range(review.pages_of(items))],
    }


def modal_builders() -> set[str]:
    """Every function of bot.blocks that builds a modal, by its name."""
    found = set()
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and (
                    name.endswith("_modal") or name in ("modal", "review_page")):
                found.add(f"{short}.{name}")
    return found - NOT_FORMS


@pytest.mark.parametrize("lang", LANGS)
def test_no_optional_input_says_optional_in_its_label(lang):
    built = every_modal(lang)
    assert set(built) == modal_builders()  # a new modal builder belongs here too
    checked = 0
    for builder, views in built.items():
        for view in views:
            for block in view["blocks"]:
                if block.get("type") == "input" and block.get("optional"):
                    checked += 1
                    assert not SAYS_OPTIONAL.search(block["label"]["text"]), (
                        builder, block["label"]["text"])
    assert checked > 20

