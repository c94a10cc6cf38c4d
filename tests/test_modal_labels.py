"""Slack writes "(optional)" after an optional input's label by itself: no label says it
again, in any modal, in either language."""

import importlib
import inspect
import pkgutil
import re
from datetime import date
from pathlib import Path

import pytest

import bot
from bot.exports import views as exports_views
from bot.objectives import views as objectives_views
from bot.plans import views as plans_views
from bot.platform.blocks import metadata
from bot.reviews import views as reviews_views
from bot.scoring import views as scoring_views
from bot.sessions import views as sessions_views
from storage.models import Answer, Evaluation, Idea
from tests.factories import LANGS, NOW, big_plan, plan

SAYS_OPTIONAL = re.compile(r"optional|opcional", re.IGNORECASE)

# Every capability's views, and the shared pieces.
MODULES = [importlib.import_module(f"bot.{m.name}.views")
           for m in pkgutil.iter_modules(bot.__path__)
           if (Path(bot.__path__[0]) / m.name / "views.py").exists()]
MODULES.append(importlib.import_module("bot.platform.blocks"))
NOT_FORMS = {"blocks.modal", "blocks.confirm_modal", "blocks.notice_modal"}  # the helpers


def every_modal(lang):
    """{builder: [views]}: each modal builder, with inputs filled in."""
    p = plan(language=lang)
    categories, objectives, initiatives = big_plan(2, 3)
    idea = Idea(id=1, team_id="T1", plan_id=7, text="Portal", user_id="U1", created_at=NOW)
    evaluation = Evaluation(id=1, team_id="T1", idea_id=1, user_id="U1", score="3")
    answer = Answer(id=1, team_id="T1", plan_id=7, session_id=3, question=1, text="a",
                    user_id="U1")
    items = reviews_views.items_for_review(objectives, initiatives)
    return {
        "plans.new_plan_modal": [plans_views.new_plan_modal(
            lang=lang, channel_id="C1", today=date(2026, 12, 2), timezone="Europe/Madrid",
            creator_id="U1")],
        "sessions.answers_modal": [sessions_views.answers_modal(lang=lang, private_metadata="{}")],
        "sessions.my_answers_modal": [sessions_views.my_answers_modal(
            lang=lang, answers=[answer], ideas=[idea], private_metadata="{}")],
        "sessions.idea_modal": [sessions_views.idea_modal(lang=lang, private_metadata="{}")],
        "scoring.evaluate_modal": [scoring_views.evaluate_modal(
            lang=lang, idea=idea, evaluation=None, others=None, private_metadata="{}")],
        "scoring.settle_modal": [scoring_views.settle_modal(lang=lang, idea=idea,
                                                            evaluations=[evaluation],
                                                            private_metadata="{}")],
        "scoring.edit_modal": [scoring_views.edit_modal(lang=lang, idea=idea,
                                                        private_metadata="{}")],
        "scoring.end_round_modal": [scoring_views.end_round_modal(lang=lang,
                                                                  private_metadata="{}")],
        "scoring.merge_modal": [scoring_views.merge_modal(lang=lang, idea=idea, candidates=[idea],
                                                          private_metadata="{}")],
        "reviews.checkin_modal": [reviews_views.checkin_modal(
            lang=lang, plan=p, due=date(2027, 3, 1), items=items, current={}, values={},
            private_metadata="{}")],
        "exports.export_modal": [exports_views.export_modal(lang=lang, private_metadata="{}")],
        "reviews.postpone_modal": [reviews_views.postpone_modal(lang=lang, plan=p,
                                                                private_metadata="{}")],
        "sessions.end_session_modal": [sessions_views.end_session_modal(
            lang=lang, private_metadata=metadata(session_id=3))],
        "objectives.objective_modal": [
            objectives_views.objective_modal(lang=lang, categories=categories,
                                             private_metadata="{}"),
            objectives_views.objective_modal(lang=lang, categories=categories, idea=idea,
                                             objective=objectives[0], private_metadata="{}")],
        "objectives.initiative_modal": [objectives_views.initiative_modal(
            lang=lang, objective=objectives[0], initiative=initiatives[0],
            private_metadata="{}")],
        "plans.settings_modal": [plans_views.settings_modal(
            lang=lang, plan=p, categories=categories, facilitators=["U1"],
            private_metadata="{}")],
        "reviews.review_page": [reviews_views.review_page(
            lang=lang, plan=p, items=items, page=page, current={}, values={}, changes=[],
            private_metadata="{}") for page in range(reviews_views.pages_of(items))],
    }


def modal_builders() -> set[str]:
    """Every function of the views that builds a modal, by its name."""
    found = set()
    for module in MODULES:
        short = module.__name__.split(".")[1] if module.__name__.endswith(".views") \
            else module.__name__.rsplit(".", 1)[-1]
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

