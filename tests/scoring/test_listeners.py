"""Step 2 end to end: three participants evaluate and score ideas, a facilitator reveals
and settles (with an override), a scoring round walks the list, on-hold ideas come back,
forged payloads are refused. Signed requests to the app in the test's process, the Web
API emulator."""

import json

from sqlmodel import select

from storage.models import Evaluation, Idea, IdeaHistory
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    card,
    count,
    create_plan,
    db,
    ideas_of,
    open_from_list,
    reply_to,
    setup_channel,
    text_of,
)

CHANNEL = "C0SCORE"


def evaluate(slack, user, channel, idea_id, score, **fields):
    open_from_list(slack, user, channel, f"evaluate:{idea_id}")
    answer = slack.driver.submit(user, {"score": score, **fields})
    assert answer.json() is None, answer.text
    assert count(slack, Evaluation, idea_id=idea_id, user_id=user, score=score)


def test_three_participants_score_and_a_facilitator_settles(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Wayne", language="en", facilitators=[AM, TEAMMATE])
    portal, dinner, forecasts = add_ideas(slack, CHANNEL, [
        (CLIENT, "Self-service portal"), (AM, "Quarterly executive dinner"),
        (TEAMMATE, "AI forecasts")])

    # The list: grouped, not scored yet; a guest can evaluate and edit only their own idea.
    listing = reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "ideas"))
    shown = text_of(listing)
    assert "Not scored yet* (3)" in shown and "Self-service portal" in shown
    menus = [b["accessory"]["options"] for b in listing["blocks"]
             if b.get("accessory", {}).get("type") == "overflow"]
    assert [o["value"] for o in menus[0]] == [f"evaluate:{portal.id}", f"edit:{portal.id}"]
    assert [o["value"] for o in menus[1]] == [f"evaluate:{dinner.id}"]

    # Three evaluations; each sees only their own until a facilitator reveals.
    evaluate(slack, AM, CHANNEL, portal.id, "3", pros="Fewer tickets", need="need")
    evaluate(slack, TEAMMATE, CHANNEL, portal.id, "3", effort="hard")
    view = open_from_list(slack, CLIENT, CHANNEL, f"evaluate:{portal.id}").params["view"]
    assert "hidden" in text_of(view) and "<@U0AM> 3" not in text_of(view)
    slack.driver.submit(CLIENT, {"score": "1", "cons": "Our IT team is busy <!here>",
                                 "likelihood": "unlikely", "worth_it": "unsure"})
    assert count(slack, Evaluation, idea_id=portal.id) == 3
    # Changing one's mind: the modal comes back prefilled, and the evaluation is replaced,
    # still one per participant.
    evaluate(slack, CLIENT, CHANNEL, portal.id, "2")
    assert count(slack, Evaluation, idea_id=portal.id) == 3
    with db(slack) as session:
        mine = session.exec(select(Evaluation).where(Evaluation.idea_id == portal.id,
                                                     Evaluation.user_id == CLIENT)).one()
        assert (mine.score, mine.cons, mine.user_team_id) == (
            "2", "Our IT team is busy <!here>", "T0CLIENT")

    # Only facilitators settle.
    open_from_list(slack, CLIENT, CHANNEL, f"evaluate:{portal.id}")  # allowed
    reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "ideas"))
    refused = slack.driver.forge(
        slack.driver.click(CLIENT, "idea_menu", channel_id=CHANNEL, ephemeral=True,
                           selected=f"evaluate:{portal.id}"),
        lambda p: p["actions"][0]["selected_option"].update(value=f"settle:{portal.id}"))
    assert refused.status == 200
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))

    # The facilitator sees every score and the suggested consensus, and overrides it.
    settle_view = open_from_list(slack, AM, CHANNEL, f"settle:{portal.id}").params["view"]
    shown = text_of(settle_view)
    assert "<@U0AM>: *3*" in shown and "<@U0CLIENT>: *2*" in shown
    assert "Sugerida: *3*" in shown  # the facilitator's own language, Spanish
    assert "Our IT team is busy &lt;!here&gt;" in shown and "<!here>" not in shown
    radio = next(b for b in settle_view["blocks"] if b.get("block_id") == "score")
    assert radio["element"]["initial_option"]["value"] == "3"
    slack.driver.submit(AM, {"score": "2", "note": "Budget first"})
    assert ideas_of(slack, CHANNEL)[0].score == "2"
    with db(slack) as session:
        history = session.exec(select(IdeaHistory).where(IdeaHistory.idea_id == portal.id)
                               ).all()
        assert [(h.kind, h.before, h.after, h.user_id, h.note) for h in history] == [
            ("score", None, "2", AM, "Budget first")]

    # Once settled, the scores are revealed in the list.
    shown = text_of(reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "ideas")))
    assert "2 · Has potential* (1)" in shown and "<@U0AM> 3" in shown


def test_a_scoring_round_walks_the_ideas_and_on_hold_ideas_come_back(slack):
    channel = "C0ROUND"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Acme", language="en", facilitators=[AM])
    first, second = add_ideas(slack, channel, [(CLIENT, "Shared roadmap"),
                                               (TEAMMATE, "Monthly demo")])

    response = slack.driver.command(CLIENT, channel, "score")
    assert "facilitators" in text_of(reply_to(slack, response))

    slack.driver.command(AM, channel, "score")
    posted = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == channel and "round_next" in text_of(c.params))[-1]
    ts = posted.response["ts"]
    shown = text_of(posted.params)
    assert "Idea 1 of 2" in shown and "Shared roadmap" in shown
    assert "Waiting for:" in shown and "<@U0CLIENT>" in shown

    # Participants score from the card; the card follows the count live.
    for user, score in ((AM, "1"), (CLIENT, "3"), (TEAMMATE, "1")):
        click = slack.driver.click(user, "round_evaluate", channel_id=channel, message_ts=ts)
        slack.emulator.wait_for("views.open", predicate=lambda c, t=click.trigger_id:
                                c.params["trigger_id"] == t)
        slack.driver.submit(user, {"score": score})
    slack.emulator.wait_for("chat.update", timeout=10, predicate=lambda c: c.params["ts"]
                            == ts and "Scored by 3 of 3" in text_of(c.params))

    # Only facilitators steer the round.
    slack.driver.click(CLIENT, "round_next", channel_id=channel, message_ts=ts)
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))

    slack.driver.click(AM, "round_reveal", channel_id=channel, message_ts=ts)
    revealed = slack.emulator.wait_for("chat.update", predicate=lambda c: c.params["ts"] == ts
                                       and "Suggested" in text_of(c.params))[-1]
    assert "split" in text_of(revealed.params)  # 3 against 1: worth a discussion

    click = slack.driver.click(AM, "round_settle", channel_id=channel, message_ts=ts)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    slack.driver.submit(AM, {})  # confirms the suggested score: 1, on hold
    assert ideas_of(slack, channel)[0].score == "1"

    slack.driver.click(AM, "round_next", channel_id=channel, message_ts=ts)
    moved = slack.emulator.wait_for("chat.update", predicate=lambda c: c.params["ts"] == ts
                                    and "Idea 2 of 2" in text_of(c.params))[-1]
    assert "Monthly demo" in text_of(moved.params) and "1 settled" in text_of(moved.params)

    slack.driver.click(AM, "round_nudge", channel_id=channel, message_ts=ts)
    nudge = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params.get(
        "thread_ts") == ts)[-1]
    assert "<@U0CLIENT>" in nudge.params["text"] and "Monthly demo" in nudge.params["text"]

    click = slack.driver.click(AM, "round_end", channel_id=channel, message_ts=ts)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    assert slack.driver.submit(AM).json() is None  # "End the round?" for facilitators only
    slack.emulator.wait_for("chat.update", predicate=lambda c: c.params["ts"] == ts
                            and "ended" in text_of(c.params))

    # Priorities: the on-hold idea is listed, and months later it is revisited.
    listing = reply_to(slack, slack.driver.command(AM, channel, "priorities"))
    shown = text_of(listing)
    assert "1 · Suena bien, pero es poco probable" in shown and "Shared roadmap" in shown
    assert "1 idea sin puntuar" in shown
    open_from_list(slack, AM, channel, f"settle:{first.id}")
    slack.driver.submit(AM, {"score": "3", "note": "The client reorganised"})
    assert ideas_of(slack, channel)[0].score == "3"
    with db(slack) as session:
        history = session.exec(select(IdeaHistory).where(IdeaHistory.idea_id == first.id)
                               .order_by(IdeaHistory.id)).all()
    assert [(h.before, h.after) for h in history if h.kind == "score"] == [
        (None, "1"), ("1", "3")]
    # Shared to the channel for everyone.
    reply_to(slack, slack.driver.command(AM, channel, "priorities"))
    slack.driver.click(AM, "priorities_share", channel_id=channel, ephemeral=True)
    shared = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == channel and "Priority list" in c.params["text"])[-1]
    assert "Shared roadmap" in text_of(shared.params)
    assert "priorities_share" not in text_of(shared.params)
    assert second.score is None


def test_two_facilitators_settling_at_once_and_forged_payloads(slack):
    channel, other = "C0RACE", "C0ELSEWHERE"
    setup_channel(slack, channel)
    setup_channel(slack, other)
    create_plan(slack, channel, "Race", language="en", facilitators=[AM, TEAMMATE])
    create_plan(slack, other, "Elsewhere", language="en", facilitators=[AM])
    (idea,) = add_ideas(slack, channel, [(CLIENT, "Loyalty program")])
    (theirs,) = add_ideas(slack, other, [(AM, "Private idea")])

    # Both facilitators open Settle on the same version; the first to submit wins.
    open_from_list(slack, AM, channel, f"settle:{idea.id}")
    open_from_list(slack, TEAMMATE, channel, f"settle:{idea.id}")
    assert slack.driver.submit(AM, {"score": "3"}).json() is None
    assert ideas_of(slack, channel)[0].score == "3"  # stored before the ack
    late = slack.driver.submit(TEAMMATE, {"score": "discard"})
    assert late.json()["response_action"] == "errors"  # told on the form
    assert "changed" in str(late.errors) and "Loyalty program" in str(late.errors)
    assert ideas_of(slack, channel)[0].score == "3"
    assert count(slack, IdeaHistory, idea_id=idea.id, kind="score") == 1

    # An evaluation for another channel's idea (a forged id): refused, nothing stored.
    view = open_from_list(slack, CLIENT, channel, f"evaluate:{idea.id}").params["view"]
    submitted = slack.driver.submit(CLIENT, {"score": "2"})
    assert count(slack, Evaluation, idea_id=idea.id, user_id=CLIENT)

    def other_idea(payload):
        meta = json.loads(payload["view"]["private_metadata"])
        meta["idea_id"] = theirs.id
        payload["view"]["private_metadata"] = json.dumps(meta)
        payload["view"]["id"] = "V0FORGEDIDEA"  # the same view again would be a retry

    refused = slack.driver.forge(submitted, other_idea)
    assert "no longer belongs" in str(refused.json()["errors"])
    assert count(slack, Evaluation, idea_id=theirs.id) == 0
    assert view["callback_id"] == "idea_evaluate"

    # A score outside 3 / 2 / 1 / discard (a forged payload): a clear error, nothing stored.
    open_from_list(slack, CLIENT, channel, f"evaluate:{idea.id}")
    submitted = slack.driver.submit(CLIENT, {"score": "1"})
    assert count(slack, Evaluation, idea_id=idea.id, user_id=CLIENT, score="1")

    def score_four(payload):
        payload["view"]["id"] = "V0FOUR"
        payload["view"]["state"]["values"]["score"]["value"]["selected_option"] = {
            "text": {"type": "plain_text", "text": "4"}, "value": "4"}

    answer = slack.driver.forge(submitted, score_four)
    assert answer.json() == {"response_action": "errors",
                             "errors": {"score": "Choose one of the options."}}
    assert count(slack, Evaluation, idea_id=idea.id, user_id=CLIENT, score="1") == 1


def test_edit_and_merge(slack):
    channel = "C0MERGE"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Merge", language="en", facilitators=[AM])
    a, b = add_ideas(slack, channel, [(CLIENT, "Self service portal"),
                                      (TEAMMATE, "Customer portal")])

    open_from_list(slack, CLIENT, channel, f"edit:{a.id}")
    slack.driver.submit(CLIENT, {"idea_text": "Self-service portal", "idea_tag": "ambitious"})
    assert ideas_of(slack, channel)[0].text == "Self-service portal"

    # Someone else's idea: not the author, not a facilitator.
    reply_to(slack, slack.driver.command(CLIENT, channel, "ideas"))
    forged = slack.driver.click(CLIENT, "idea_menu", channel_id=channel, ephemeral=True,
                                selected=f"evaluate:{b.id}")
    slack.driver.forge(forged, lambda p: p["actions"][0]["selected_option"].update(
        value=f"edit:{b.id}"))
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "author" in text_of(c.params))

    open_from_list(slack, AM, channel, f"merge:{b.id}")
    slack.driver.submit(AM, {"into": str(a.id)})
    assert ideas_of(slack, channel)[1].merged_into_id == a.id
    # The list the merge was made from is redrawn in place: it never shows the old state.
    listed = [m for m in slack.emulator.ephemerals(channel, AM) if "idea_menu" in text_of(m)]
    assert ("+1 idea fusionada" in text_of(
        [m for m in slack.emulator.ephemerals(channel, AM) if "idea_menu" in text_of(m)][-1]))
    assert len([m for m in slack.emulator.ephemerals(channel, AM)
                if "idea_menu" in text_of(m)]) == len(listed)  # replaced, not added
    shown = text_of(reply_to(slack, slack.driver.command(AM, channel, "ideas")))
    assert "Customer portal" not in shown and "+1 idea fusionada" in shown
    assert count(slack, Idea, plan_id=a.plan_id) == 2  # nothing deleted


def test_discarded_ideas_are_hidden_and_restorable(slack):
    channel = "C0DISCARD"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Discard", language="en", facilitators=[AM])
    (idea,) = add_ideas(slack, channel, [(CLIENT, "Blockchain everything")])
    open_from_list(slack, AM, channel, f"settle:{idea.id}")
    slack.driver.submit(AM, {"score": "discard"})
    assert ideas_of(slack, channel)[0].score == "discard"

    shown = text_of(reply_to(slack, slack.driver.command(AM, channel, "ideas")))
    assert "1 descartada, oculta" in shown and "Blockchain everything" not in shown
    click = slack.driver.click(AM, "ideas_discarded", channel_id=channel, ephemeral=True)
    redrawn = reply_to(slack, click)
    assert redrawn["replace_original"] is True and "Blockchain everything" in text_of(redrawn)

    click = slack.driver.click(AM, "idea_menu", channel_id=channel, ephemeral=True,
                               selected=f"settle:{idea.id}")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    slack.driver.submit(AM, {"score": "2", "note": "New CTO likes it"})
    assert ideas_of(slack, channel)[0].score == "2"


def test_a_long_ideas_list_pages_through_every_idea(slack):
    channel = "C0PAGES"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Pages", language="en", facilitators=[AM])
    add_ideas(slack, channel, [(CLIENT, f"Numbered idea {n:02d}") for n in range(18)])
    first = text_of(reply_to(slack, slack.driver.command(AM, channel, "ideas")))
    assert "18 ideas · página 1 de 2" in first  # in her language
    assert "Numbered idea 14" in first and "Numbered idea 15" not in first
    click = slack.driver.click(AM, "ideas_page_next", channel_id=channel, ephemeral=True)
    second = reply_to(slack, click)
    assert second["replace_original"] is True and "página 2 de 2" in text_of(second)
    assert [n for n in range(18) if f"Numbered idea {n:02d}" in text_of(second)] == [
        15, 16, 17]


def test_one_click_scores_a_settle_moves_the_round_on_and_the_end_offers_promotion(slack):
    channel = "C0CLICK"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Oscorp", language="en", facilitators=[AM])
    portal, demo, dinner = add_ideas(slack, channel, [
        (CLIENT, "Self-service portal"), (TEAMMATE, "Monthly demo"), (AM, "Team dinner")])
    slack.driver.command(AM, channel, "score")
    posted = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == channel and "round_score_3" in json.dumps(c.params))[-1]
    ts = posted.response["ts"]
    scores = next(b for b in posted.params["blocks"] if b.get("block_id") == "round_scores")
    assert [e["text"]["text"] for e in scores["elements"]][:4] == [
        "3 · Obvious winner", "2 · Has potential", "1 · Sounds good, unlikely right now",
        "Discard"]

    def card():
        return text_of(slack.emulator.message(channel, ts))

    def score(user, value, idea_text):
        before = len(slack.emulator.ephemerals(channel, user))
        click = slack.driver.click(user, f"round_score_{value}", channel_id=channel,
                                   message_ts=ts)
        assert click.status == 200
        told = slack.emulator.ephemerals(channel, user)[before:]
        assert told
        said = text_of(told[-1])  # in the clicker's own language
        assert idea_text in said and ("Only you see it" in said or "Solo tú la ves" in said)

    # One click each; a second click changes one's mind; nobody else sees the score.
    score(CLIENT, "2", "Self-service portal")
    score(CLIENT, "3", "Self-service portal")
    score(TEAMMATE, "3", "Self-service portal")
    assert "Scored by 2 of 3" in card()
    assert "Waiting for: <@U0AM>" in card() and "<@U0CLIENT> 3" not in card()
    assert count(slack, Evaluation, idea_id=portal.id) == 2
    assert count(slack, Evaluation, idea_id=portal.id, user_id=CLIENT, score="3") == 1
    score(AM, "3", "Self-service portal")
    assert "Settle as 3" in card()

    # A guest cannot settle; the facilitator settles with one click and the round moves on.
    slack.driver.click(CLIENT, "round_settle_suggested", channel_id=channel, message_ts=ts)
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))
    slack.driver.click(AM, "round_settle_suggested", channel_id=channel, message_ts=ts)
    assert "Idea 2 of 3" in card() and "Monthly demo" in card()
    assert ideas_of(slack, channel)[0].score == "3"

    # Two ideas everyone agrees on: settled together, and the round ends with its 3s.
    for user in (AM, CLIENT):
        score(user, "2", "Monthly demo")
    slack.driver.click(AM, "round_next", channel_id=channel, message_ts=ts)
    assert "Team dinner" in card()
    for user in (AM, TEAMMATE):
        score(user, "discard", "Team dinner")
    assert "Settle all 2 agreed ideas" in card()
    slack.driver.click(AM, "round_settle_agreed", channel_id=channel, message_ts=ts)
    assert "ended: 3 of 3 ideas settled" in card()
    assert [i.score for i in ideas_of(slack, channel)] == ["3", "2", "discard"]
    ended = slack.emulator.message(channel, ts)
    promote = [b["accessory"]["value"] for b in ended["blocks"]
               if b.get("accessory", {}).get("action_id") == "objective_promote"]
    assert promote == [str(portal.id)]
    click = slack.driver.click(CLIENT, "objective_promote", channel_id=channel, message_ts=ts,
                               value=str(portal.id))
    opened = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                     == click.trigger_id)[-1]
    assert "Self-service portal" in json.dumps(opened.params["view"])

    # A late click on the card as it was (a settled idea, an ended round) stores nothing.
    before = len(slack.emulator.ephemerals(channel, TEAMMATE))
    late = slack.driver.click(TEAMMATE, "round_score_1", channel_id=channel, message_ts=ts,
                              shown={**posted.params, "ts": ts})
    assert late.status == 200
    told = slack.emulator.ephemerals(channel, TEAMMATE)[before:]
    assert told
    assert "no longer being scored" in text_of(told[-1])
    assert count(slack, Evaluation, idea_id=portal.id, user_id=TEAMMATE, score="3") == 1


def test_a_guest_clicking_end_round_is_told_at_once(slack):
    setup_channel(slack, "C0GUESTROUND")
    create_plan(slack, "C0GUESTROUND", "Round Co", language="en")
    add_ideas(slack, "C0GUESTROUND", [(CLIENT, "Self-service portal")])
    slack.driver.command(AM, "C0GUESTROUND", "score")
    ts = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                                 == "C0GUESTROUND" and "round_end" in text_of(c.params)
                                 and (c.response or {}).get("ok"))[-1].response["ts"]
    blocks = card(slack, "C0GUESTROUND", ts)["blocks"]
    end = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
           if e["action_id"] == "round_end"][0]
    assert "confirm" not in end
    clicked = slack.driver.click(CLIENT, "round_end", channel_id="C0GUESTROUND", message_ts=ts)
    told = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                                   == CLIENT and c.params["channel"] == "C0GUESTROUND")[-1]
    assert "Only the plan's facilitators" in text_of(told.params)
    assert not [c for c in slack.emulator.calls_to("views.open")
                if c.params["trigger_id"] == clicked.trigger_id]
    assert "round_end" in text_of(card(slack, "C0GUESTROUND", ts))  # still running
