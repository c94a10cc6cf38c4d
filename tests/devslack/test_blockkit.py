"""The Block Kit checks (bot/devslack/blockkit.py): Slack's limits, refused as Slack
refuses them."""

from bot.devslack import check_message, check_view
from tests.devslack.samples import APPROVE, modal


def test_check_message_limits():
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "actions", "block_id": "same", "elements": [button]},
        {"type": "actions", "block_id": "same", "elements": [
            {"type": "button", "action_id": "d", "text": {"type": "plain_text", "text": "1"}},
            {"type": "button", "action_id": "d", "text": {"type": "plain_text", "text": "2"}}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "s"}, "accessory": {
            "type": "overflow", "action_id": "o", "options": [
                {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)}
                for i in range(6)]}},
    ]
    problems = "\n".join(check_message(blocks, "t" * 40001))
    for expected in ("40001", "header", "more than 75", "duplicate block_id",
                     "duplicate action_id", "overflow takes 1 to 5"):
        assert expected in problems
    assert check_message(APPROVE, "ok") == []
    assert check_message(None, "ok") == []
    assert check_message([{"type": "nonsense"}], None)


def test_check_view_limits():
    assert check_view(modal()) == []
    no_submit = modal()
    del no_submit["submit"]
    assert "submit" in " ".join(check_view(no_submit))
    long_title = modal()
    long_title["title"]["text"] = "t" * 25
    assert "title" in " ".join(check_view(long_title))
    too_long = modal()
    too_long["blocks"][0]["element"]["max_length"] = 3001
    assert "max_length" in " ".join(check_view(too_long))
    many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert "101 blocks" in " ".join(check_view(many))
