"""The emulator's channel canvases with slack_sdk's own client: created once per channel,
looked up by heading and text, edited one change per call (a heading's section takes what
is under it), refused as Slack refuses (a free workspace, a channel canvas already there,
a channel the bot is not in, bad arguments), shown in conversations.info."""

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.devslack import SlackEmulator

DOC = "# Plan\n\nIntro\n\n## Objectives\n\n### Financial\n\n- Cut costs\n\n## Priorities\n\n- A\n"


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        emulator.add_channel("C1", "acme")
        emulator.add_channel("C2", "outside", bot_is_member=False)
        yield emulator, WebClient(token="xoxb-test", base_url=emulator.api_url)


def content(markdown: str) -> dict:
    return {"type": "markdown", "markdown": markdown}


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def test_create_lookup_and_replace_a_section_with_what_is_under_it(slack):
    emulator, client = slack
    canvas_id = client.conversations_canvases_create(channel_id="C1",
                                                     document_content=content(DOC))["canvas_id"]
    info = client.conversations_info(channel="C1")["channel"]
    assert info["properties"]["canvas"]["file_id"] == canvas_id
    headings = client.canvases_sections_lookup(canvas_id=canvas_id, criteria={
        "section_types": ["h1", "h2"]})["sections"]
    assert len(headings) == 3
    (objectives,) = client.canvases_sections_lookup(canvas_id=canvas_id, criteria={
        "section_types": ["h2"], "contains_text": "objectives"})["sections"]
    client.canvases_edit(canvas_id=canvas_id, changes=[{
        "operation": "replace", "section_id": objectives["id"],
        "document_content": content("## Objectives\n\n- Grow")}])
    markdown = emulator.canvas("C1").markdown
    assert "Cut costs" not in markdown and "Financial" not in markdown  # its h3 went too
    assert markdown.index("- Grow") < markdown.index("## Priorities") and "Intro" in markdown
    # The edited section has a new id; the old one is gone.
    assert error_of(lambda: client.canvases_edit(canvas_id=canvas_id, changes=[{
        "operation": "delete", "section_id": objectives["id"]}])) == "canvas_editing_failed"
    client.canvases_edit(canvas_id=canvas_id, changes=[{"operation": "replace",
                                                        "document_content": content("# New")}])
    assert emulator.canvas("C1").markdown == "# New\n" and emulator.canvas("C1").edits == 2


def test_refused_as_slack_refuses(slack):
    emulator, client = slack
    assert error_of(lambda: client.conversations_canvases_create(
        channel_id="C2", document_content=content("x"))) == "not_in_channel"
    assert error_of(lambda: client.conversations_canvases_create(
        channel_id="C9", document_content=content("x"))) == "channel_not_found"
    canvas_id = client.conversations_canvases_create(
        channel_id="C1", document_content=content(DOC))["canvas_id"]
    assert error_of(lambda: client.conversations_canvases_create(
        channel_id="C1", document_content=content("x"))) == "channel_canvas_already_exists"
    two = [{"operation": "insert_at_end", "document_content": content("a")}] * 2
    assert error_of(lambda: client.canvases_edit(canvas_id=canvas_id, changes=two)) == \
        "invalid_arguments"  # one change per call
    assert error_of(lambda: client.canvases_edit(canvas_id=canvas_id, changes=[{
        "operation": "replace", "document_content": {"type": "html", "markdown": "x"}}])) == \
        "invalid_arguments"
    assert error_of(lambda: client.canvases_edit(canvas_id="F404", changes=[{
        "operation": "replace", "document_content": content("x")}])) == "canvas_not_found"
    assert error_of(lambda: client.canvases_sections_lookup(
        canvas_id=canvas_id, criteria={"section_types": ["h4"]})) == "invalid_arguments"


@pytest.mark.parametrize(("tab_taken", "error"), [
    (False, "team_tier_cannot_create_channel_canvases"),
    (True, "free_team_canvas_tab_already_exists")])
def test_a_free_workspace(slack, tab_taken, error):
    emulator, client = slack
    emulator.free_tier(tab_taken=tab_taken)
    assert error_of(lambda: client.conversations_canvases_create(
        channel_id="C1", document_content=content("x"))) == error
    assert emulator.canvas("C1") is None


def test_a_hand_edit_and_a_canvas_someone_else_made(slack):
    emulator, client = slack
    made = emulator.edit_canvas_by_hand("C1", "# Notes\n\nMine", user_id="U9")
    assert made.made_by == "U9" and emulator.canvas("C1").markdown == "# Notes\n\nMine\n"
    assert client.canvases_sections_lookup(canvas_id=made.id, criteria={
        "contains_text": "mine"})["sections"]
