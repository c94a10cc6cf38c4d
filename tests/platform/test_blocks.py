"""The Block Kit pieces every capability uses (bot/platform/blocks.py): escaping, cutting and
splitting text without breaking an entity, Slack's date and time formats."""

from bot.platform.blocks import chunk_lines, escape, slack_date, slack_time
from tests.factories import NOW


def test_fit_never_cuts_an_escape_sequence():
    from bot.platform.blocks import escape, fit

    text = escape("&" * 1000)
    cut = fit(text, 3000)
    assert len(cut) <= 3000 and cut.endswith("&amp;…")
    assert fit("short", 3000) == "short"


def test_slack_formats_the_moment_and_falls_back_on_the_plans_local_time():
    unix = int(NOW.timestamp())
    assert slack_time(NOW, "Europe/Madrid", "en") == (
        f"<!date^{unix}^{{time}}|16:00 (Europe/Madrid)>")
    assert slack_date(NOW, "America/Mexico_City", "es", "{date_long_pretty} {time}") == (
        f"<!date^{unix}^{{date_long_pretty}} {{time}}|lunes, 30 de noviembre de 2026, "
        "09:00 (America/Mexico_City)>")


def test_escape_only_touches_the_three_characters():
    assert escape("a & b < c > d *bold* _it_") == "a &amp; b &lt; c &gt; d *bold* _it_"


def test_chunk_lines_never_splits_an_entity():
    line = "a" * 2998 + "&amp;" + "b" * 10
    chunks = chunk_lines([line], limit=3000)
    assert all(len(c) <= 3000 for c in chunks)
    assert chunks[0].endswith("a") and chunks[1].startswith("&amp;")
    assert "".join(chunks) == line
