"""The plan's Block Kit (bot/plans/views.py): the new-plan modal and what it parses, the
announcement and archive offer valid and escaped, the history as people read it (names,
words, times in each reader's zone)."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.driver import view_state
from bot.plans import views as plans_views
from bot.plans.views import history_message
from storage.models import PlanChange
from tests.factories import EVIL, LANGS, all_text, plan

AT = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)


def change(field, before, after, entity="plan", minutes=0):
    return PlanChange(id=1, team_id="T1", plan_id=7, entity=entity, entity_id=7, field=field,
                      before=before, after=after, user_id="U0AM",
                      at=AT + timedelta(minutes=minutes))


def history(lang, *changes):
    message = history_message(lang=lang, plan=plan(language=lang, timezone="Europe/Madrid"),
                              changes=list(changes), categories={4: "Tech & <Ops>"})
    assert check_message(message["blocks"], message["text"]) == []
    return all_text(message)


@pytest.mark.parametrize(("lang", "period"), [
    ("en", "period: Calendar year → 12 months"), ("es", "período: Año calendario → 12 meses")])
def test_coded_values_are_shown_in_words(lang, period):
    text = history(
        lang, change("period", "calendar_year", "twelve_months"),
        change("client_size", "small", "large"), change("review_weekday", "0", "4"),
        change("review_time", "09:00:00", "10:30:00"), change("end_date", "2026-12-31", None),
        change("status", "on_track", "done", entity="objective"),
        change("horizon", "medium", "quick_win", entity="objective"),
        change("category_id", "4", "99", entity="objective"),
        change("language", "es", "en"), change("cadence", None, "semiannual"))
    assert period in text
    for code in ("calendar_year", "twelve_months", "on_track", "quick_win", "semiannual",
                 "09:00:00", "2026-12-31", " → 4"):
        assert code not in text, code
    assert {"en": "Done", "es": "Hecho"}[lang] in text
    assert "Tech &amp; &lt;Ops&gt;" in text  # the category by its (escaped) name
    assert "09:00 → 10:30" in text and "English" in text
    assert {"en": "December 31, 2026 → –", "es": "31 de diciembre de 2026 → –"}[lang] in text


def test_people_are_mentioned_and_times_are_each_readers_own():
    text = history("en", change("facilitator", None, "U0MATE"),
                   change("owner_id", "U0MATE", "U0CLIENT", entity="objective"))
    assert "<@U0AM>" in text and "<@U0MATE>" in text and "<@U0CLIENT>" in text
    stamps = re.findall(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]+)>", text)
    assert [int(unix) for unix, _fallback in stamps] == [int(AT.timestamp())] * 2
    assert "18:30 (Europe/Madrid)" in stamps[0][1]  # the fallback: the plan's local time
    assert "UTC" not in text and "17:30" not in text


def test_additions_and_removals_read_as_such_and_user_text_is_escaped():
    text = history("en", change("created", None, EVIL, entity="objective"),
                   change("removed", "Old <b>", None, entity="category"),
                   change("name", "A", "B", entity="category"))
    assert "Objective added: Ping &lt;!channel&gt;" in text and "<!channel>" not in text
    assert "Category removed: Old &lt;b&gt;" in text
    assert "Category, name: A → B" in text
    assert "Nothing has changed yet." in history("en")


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


@pytest.mark.parametrize("lang", LANGS)
def test_the_new_plan_modal_is_valid(lang):
    view = plans_views.new_plan_modal(lang=lang, channel_id="C1", today=date(2026, 11, 30),
                                      timezone="Europe/Madrid", creator_id="U1",
                                      account_name="x" * 500)
    assert check_view(view) == [], view["blocks"][:2]


@pytest.mark.parametrize("lang", LANGS)
def test_messages_are_valid(lang):
    p = plan(language=lang)
    for message in (
        plans_views.archive_offer(lang=lang, plan=p),
        plans_views.plan_announcement(lang=lang, plan=p, categories=["Financial"] * 12,
                                      facilitators=["U1", "U2"]),
    ):
        assert check_message(message["blocks"], message["text"]) == []


def test_notification_text_is_escaped_and_headers_are_plain():
    p = plan(account_name="<!channel> Acme")
    message = plans_views.plan_announcement(lang="en", plan=p, categories=["A"],
                                            facilitators=["U1"])
    assert "<!channel>" not in message["text"] and "&lt;!channel&gt;" in message["text"]
    assert message["blocks"][0]["text"] == {"type": "plain_text", "emoji": True,
                                            "text": message["blocks"][0]["text"]["text"]}
    assert "<!channel> Acme" in message["blocks"][0]["text"]["text"]
