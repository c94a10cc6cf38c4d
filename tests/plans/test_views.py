"""The plan's history as people read it: names, words, and times in each reader's zone."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.devslack.blockkit import check_message
from bot.plans.views import history_message
from storage.models import PlanChange
from tests.factories import EVIL, all_text, plan

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
