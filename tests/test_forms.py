"""Parsing and validating what users submit in the modals."""

from datetime import date, time

import pytest

from bot.devslack.driver import view_state
from bot.plans import views as plans_views
from bot.sessions import views as sessions_views


def plan_values(lang="en", **values):
    view = plans_views.new_plan_modal(lang=lang, channel_id="C1", today=date(2026, 11, 30),
                           timezone="Europe/Madrid", creator_id="U1")
    return view_state(view, {"account_name": "Acme", **values}, strict=False)


def test_the_defaults_make_a_valid_plan():
    data, errors = plans_views.parse_new_plan(plan_values(), "en")
    assert errors == {}
    assert data.account_name == "Acme" and data.client_size == "large"
    assert data.period == "twelve_months" and data.start_date == date(2026, 11, 30)
    assert data.categories == ["Financial (reducing costs)", "Customer experience",
                               "Process (improving efficiency)",
                               "Technology (optimising products and services)"]
    assert data.review_weekday == 0 and data.review_time == time(9, 0)
    assert data.timezone == "Europe/Madrid" and data.facilitators == ["U1"]


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        ({"account_name": "   "}, "account_name", "required"),
        ({"account_name": "x" * 101}, "account_name", "too long"),
        ({"end_date": "2026-11-01"}, "end_date", "end date must come after"),
        ({"end_date": "2026-11-30"}, "end_date", "end date must come after"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown timezone"),
        ({"categories": "A\n\n  \n"}, None, None),
        ({"categories": "  \n "}, "categories", "at least one category"),
        ({"categories": "A\na"}, "categories", "only once"),
        ({"categories": "x" * 76}, "categories", "at most 75"),
        ({"period": "forever"}, "period", "Choose one"),
    ],
)
def test_errors_land_on_the_right_field(values, block, message):
    raw = plan_values(**{k: v for k, v in values.items() if k != "period"})
    if "period" in values:  # a forged payload: an option the modal never offered
        raw["period"]["value"]["selected_option"] = {"value": values["period"]}
    data, errors = plans_views.parse_new_plan(raw, "en")
    if block is None:
        assert errors == {} and data is not None
    else:
        assert data is None and list(errors) == [block]
        assert message in errors[block]


def test_several_errors_come_back_together_and_in_spanish():
    data, errors = plans_views.parse_new_plan(
        plan_values(account_name="", timezone="Nowhere", end_date="2020-01-01"), "es")
    assert data is None and set(errors) == {"account_name", "timezone", "end_date"}
    assert errors["timezone"].startswith("Zona horaria desconocida")


def test_perpetual_plans_have_no_end():
    data, _ = plans_views.parse_new_plan(plan_values(period="perpetual", end_date="2020-01-01"),
                                         "en")
    assert data.end_date is None


def answers_values(**values):
    view = sessions_views.answers_modal(lang="en", private_metadata="{}")
    return view_state(view, values, strict=False)


def test_answers_and_tagged_ideas():
    answers, ideas, errors = sessions_views.parse_answers(answers_values(
        q1=" Renewals are late ", q3="Stop the weekly report",
        ideas_realistic="Shared dashboard\n\n• Monthly review", ideas_someday="AI forecasts"),
        "en")
    assert errors == {}
    assert answers == {1: "Renewals are late", 3: "Stop the weekly report"}
    assert ideas == [("Shared dashboard", "realistic", None), ("Monthly review", "realistic", None),
                     ("AI forecasts", "someday", None)]


def test_an_empty_or_forged_answers_submission_is_refused():
    assert sessions_views.parse_answers(answers_values(), "en")[2] == {
        "q1": "Write at least one answer or idea before saving."}
    errors = sessions_views.parse_answers(answers_values(q4="x" * 3001), "en")[2]
    assert list(errors) == ["q4"] and "3000" in errors["q4"]


def test_idea_form():
    view = sessions_views.idea_modal(lang="en", private_metadata="{}")
    idea, errors = sessions_views.parse_idea(view_state(view, {"idea_text": " Portal ", "idea_tag":
                                                      "ambitious", "idea_question": "3"}), "en")
    assert errors == {} and idea == ("Portal", "ambitious", 3)
    forged = view_state(view, {"idea_text": "Portal"})
    forged["idea_tag"]["value"]["selected_option"] = {"value": "certain"}
    assert sessions_views.parse_idea(forged, "en")[1] == {"idea_tag": "Choose one of the options."}
    assert "idea_text" in sessions_views.parse_idea(view_state(view, {}, strict=False), "en")[1]
