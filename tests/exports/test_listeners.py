"""`/plan export` end to end: the channel by default and without each person's scores, or a
private copy in the asker's direct messages, with them; two files with distinct titles; the
settle notes in."""

from io import BytesIO

from openpyxl import load_workbook

from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    create_plan,
    open_from_list,
    setup_channel,
    text_of,
)

CHANNEL = "C0EXPORT"


def cells(upload) -> list[str]:
    book = load_workbook(BytesIO(upload["content"]))
    return [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows()
            for c in row if c.value is not None]


def uploads_to(slack, channel, before=0):
    return [f for f in slack.emulator.files if f["channel"] == channel][before:]


def export_with(slack, user, values):
    """`/plan export`, then the modal's choices."""
    response = slack.driver.command(user, CHANNEL, "export")
    opened = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                     == response.trigger_id)[-1].params["view"]
    assert slack.driver.submit(user, values).json() is None
    return opened


def test_export_to_the_channel_by_default_or_a_private_copy_with_the_scores(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Export Co", language="en")
    portal, dinner = add_ideas(slack, CHANNEL, [(CLIENT, "Self-service portal"),
                                                (TEAMMATE, "Team dinner")])
    for user, score, pros in ((CLIENT, "3", "Fewer calls for us"), (TEAMMATE, "2", "Cheap")):
        open_from_list(slack, user, CHANNEL, f"evaluate:{portal.id}")
        slack.driver.submit(user, {"score": score, "pros": pros})
    open_from_list(slack, AM, CHANNEL, f"settle:{portal.id}")
    slack.driver.submit(AM, {"score": "3", "note": "The client asked for it twice"})
    open_from_list(slack, TEAMMATE, CHANNEL, f"evaluate:{dinner.id}")
    slack.driver.submit(TEAMMATE, {"score": "1", "pros": "Secret opinion"})  # not revealed

    # The default: the channel, without who scored what.
    view = export_with(slack, CLIENT, {})
    assert "(optional)" not in str(view) and "scores" in str(view)
    assert len(uploads_to(slack, CHANNEL)) == 2
    xlsx, markdown = sorted(uploads_to(slack, CHANNEL), key=lambda f: f["name"][-3:] != "lsx")
    assert xlsx["title"] != markdown["title"]
    assert "Excel" in xlsx["title"] and "Markdown" in markdown["title"]
    shown = cells(xlsx) + [markdown["content"].decode()]
    assert "The client asked for it twice" in cells(xlsx)  # the settle note
    assert "The client asked for it twice" in markdown["content"].decode()
    for private in ("Fewer calls for us", "Cheap", "Secret opinion", "Evaluated by"):
        assert not any(private in text for text in shown), private
    assert not uploads_to(slack, slack.emulator.dm_channel_id(CLIENT))

    # A private copy for the teammate, with each person's scores: in his direct messages,
    # nothing more in the channel; the unrevealed idea's scores stay out even so.
    export_with(slack, TEAMMATE, {"to": "me", "scores": ["yes"]})
    dm = slack.emulator.dm_channel_id(TEAMMATE)
    assert len(uploads_to(slack, dm)) == 2
    assert len(uploads_to(slack, CHANNEL)) == 2
    assert slack.emulator.calls_to("conversations.open")
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == TEAMMATE and "direct messages" in text_of(c.params))
    private = cells(next(f for f in uploads_to(slack, dm) if f["name"].endswith(".xlsx")))
    assert "Fewer calls for us" in private and "Cheap" in private
    assert "Secret opinion" not in private
    comment = [m for m in slack.emulator.messages(dm) if m.get("files")][-1]["text"]
    assert "private copy" in comment and "each person's scores" in comment

    # Said in words, no question asked: `/plan export me` (Spanish: `/plan exportar yo`).
    slack.driver.command(AM, CHANNEL, "exportar yo")
    assert len(uploads_to(slack, slack.emulator.dm_channel_id(AM))) == 2
    mine = uploads_to(slack, slack.emulator.dm_channel_id(AM))
    assert any("Plan de cuenta" in f["title"] for f in mine)  # in her language, Spanish
    assert not any("Fewer calls for us" in c for c in cells(next(
        f for f in mine if f["name"].endswith(".xlsx"))))
