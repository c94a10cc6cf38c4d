"""`/plan history` end to end: settings changed through the modal read back in words, with
names and times each reader's Slack shows in their own timezone."""

import re

from tests.scenario import AM, TEAMMATE, create_plan, eventually, reply_to, setup_channel, text_of


def test_the_history_shows_names_words_and_local_times(slack):
    channel = "C0HISTORY"
    setup_channel(slack, channel)
    create_plan(slack, channel, "History Co", language="en", client_size="small")
    response = slack.driver.command(AM, channel, "settings")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    assert slack.driver.submit(AM, {"client_size": "large", "facilitators": [AM, TEAMMATE],
                                    "review_weekday": "4"}).json() is None

    def shown():
        return text_of(reply_to(slack, slack.driver.command(TEAMMATE, channel, "history")))

    text = eventually(lambda: "review day" in shown() and shown())
    assert "client size: Smaller client (reviews every 6 months) → Large client" in text
    assert "review day: Monday → Friday" in text
    assert f"facilitator: – → <@{TEAMMATE}>" in text and f"<@{AM}>" in text
    assert re.search(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>", text)
    assert "large" not in text.replace("Large", "") and "small" not in text
