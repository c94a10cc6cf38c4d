"""The whole foundation through the real HTTP endpoint: signed requests from the driver to
`rumbo serve`, Web API calls answered (and recorded) by the emulator."""

import json
import threading
import time

from sqlmodel import select

from storage.models import Answer, Idea, Plan, StrategySession
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    card,
    count,
    create_plan,
    db,
    end_session,
    eventually,
    reply_to,
    setup_channel,
    start_session,
    text_of,
    wait_card,
)

# --- help -----------------------------------------------------------------------------------

def test_help_lists_what_can_be_done_and_the_channel_status(slack):
    setup_channel(slack, "C0HELP")
    response = slack.driver.command(TEAMMATE, "C0HELP", "")
    assert response.status == 200 and response.text == ""  # ack at once; answer comes after
    help_message = reply_to(slack, response)
    assert help_message.get("response_type") == "ephemeral"
    assert "/plan new" in text_of(help_message) and "no account plan yet" in text_of(help_message)

    response = slack.driver.command(TEAMMATE, "C0HELP", "frobnicate <!channel>")
    unknown = text_of(reply_to(slack, response))
    assert "frobnicate &lt;!channel&gt;" in unknown and "<!channel>" not in unknown
    assert "/plan session" in unknown

    # A Spanish-speaking user gets Spanish.
    response = slack.driver.command(AM, "C0HELP", "ayuda")
    assert "/plan new" in text_of(reply_to(slack, response))
    assert "todavía no tiene" in text_of(reply_to(slack, response))


def test_requests_not_signed_by_slack_are_rejected(slack):
    setup_channel(slack, "C0SIGN")
    body = "command=%2Fplan&text=idea+sneaky&channel_id=C0SIGN&user_id=U0MATE&team_id=T0HOME"
    form = "application/x-www-form-urlencoded"
    slack.emulator.reset_calls()
    assert slack.driver.post(body, form, signature="v0=" + "0" * 64).status == 401
    assert slack.driver.post(body, form, signature="").status == 401
    old = int(time.time()) - 6 * 60
    assert slack.driver.post(body, form, timestamp=old).status == 401
    assert slack.emulator.calls == []
    with db(slack) as session:
        assert session.exec(select(Idea).where(Idea.text == "sneaky")).all() == []


# --- plan creation --------------------------------------------------------------------------

def test_plan_creation_validates_in_the_modal_and_announces_the_plan(slack):
    setup_channel(slack, "C0NEW")
    response = slack.driver.command(AM, "C0NEW", "new Acme <Iberia> & Co")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    modal = slack.emulator.top_view(AM)
    assert modal["callback_id"] == "plan_new"
    assert modal["title"]["text"] == "Nuevo plan de cuenta"  # the creator's Slack locale
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs["account_name"]["initial_value"] == "Acme <Iberia> & Co"
    assert inputs["timezone"]["initial_value"] == "Europe/Madrid"  # the creator's Slack tz
    assert inputs["facilitators"]["initial_users"] == [AM]

    answer = slack.driver.submit(AM, {"account_name": " ", "timezone": "Europe/Atlantis",
                                      "start_date": "2027-01-01", "end_date": "2026-12-01"})
    assert answer.json()["response_action"] == "errors"
    assert set(answer.errors) == {"account_name", "timezone", "end_date"}
    assert "Zona horaria desconocida" in answer.errors["timezone"]
    with db(slack) as session:
        assert session.exec(select(Plan).where(Plan.channel_id == "C0NEW")).all() == []

    answer = slack.driver.submit(AM, {
        "account_name": "Acme <Iberia> & Co", "timezone": "Europe/Madrid",
        "start_date": "2027-01-01", "end_date": None, "period": "six_months",
        "client_size": "small", "facilitators": [AM, TEAMMATE], "review_weekday": "2",
        "review_time": "10:30", "categories": "Finanzas\nClientes"})
    assert answer.status == 200 and answer.json() is None  # the modal closes
    announcement = slack.emulator.wait_for(
        "chat.postMessage", predicate=lambda c: c.params["channel"] == "C0NEW")[-1].params
    shown = text_of(announcement)
    header = announcement["blocks"][0]
    assert header["type"] == "header" and "Acme <Iberia> & Co" in header["text"]["text"]
    assert "Acme &lt;Iberia&gt; &amp; Co" in announcement["text"]  # notifications parse it
    assert "Cada 6 meses" in shown and "Finanzas" in shown and f"<@{TEAMMATE}>" in shown

    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == "C0NEW")).one()
        assert (plan.account_name, plan.language, plan.period, plan.client_size) == (
            "Acme <Iberia> & Co", "es", "six_months", "small")
        assert str(plan.start_date) == "2027-01-01" and str(plan.end_date) == "2027-06-30"
        assert plan.review_weekday == 2 and plan.review_time.strftime("%H:%M") == "10:30"
        assert plan.team_id == "T0HOME"


def test_a_second_plan_is_never_overwritten_and_archiving_is_for_facilitators(slack):
    setup_channel(slack, "C0TWICE")
    first = create_plan(slack, "C0TWICE", "First")

    # The teammate is not a facilitator: told who can archive it, offered no button.
    response = slack.driver.command(TEAMMATE, "C0TWICE", "new Second")
    told = reply_to(slack, response)
    assert "First" in text_of(told) and "plan_archive" not in text_of(told)
    assert f"<@{AM}>" in text_of(told)
    opened = [c.params["trigger_id"] for c in slack.emulator.calls_to("views.open")]
    assert response.trigger_id not in opened

    # An offer she still sees (say, from before she stopped being a facilitator) is
    # refused on the server: nothing changes.
    offer = reply_to(slack, slack.driver.command(AM, "C0TWICE", "new Second"))
    slack.emulator.show_command_answer(response.response_url, offer)
    click = slack.driver.click(TEAMMATE, "plan_archive", channel_id="C0TWICE", ephemeral=True)
    assert click.status == 200
    refusal = reply_to(slack, click)
    assert "facilitators" in text_of(refusal) or "facilitador" in text_of(refusal)
    with db(slack) as session:
        assert session.get(Plan, first.id).status == "active"

    # The facilitator archives it and gets the new-plan modal straight away.
    reply_to(slack, slack.driver.command(AM, "C0TWICE", "new"))
    click = slack.driver.click(AM, "plan_archive", channel_id="C0TWICE", ephemeral=True)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    slack.driver.submit(AM, {"account_name": "Second"})
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == "C0TWICE" and "Second" in c.params["text"])
    with db(slack) as session:
        plans = session.exec(select(Plan).where(Plan.channel_id == "C0TWICE")
                             .order_by(Plan.id)).all()
        assert [(p.account_name, p.status) for p in plans] == [
            ("First", "archived"), ("Second", "active")]


# --- the strategy session -------------------------------------------------------------------

def test_a_strategy_session_with_two_participants(slack):
    setup_channel(slack, "C0MEET")
    create_plan(slack, "C0MEET", "Globex")
    ts = start_session(slack, "C0MEET", "60")
    posted = card(slack, "C0MEET", ts)
    shown = text_of(posted)
    assert "¿Dónde estamos?" in shown and "¿Cómo se debe medir el progreso?" in shown
    assert "60 minutos" in shown and "(Europe/Madrid)" in shown

    # The account manager answers two questions and adds ideas of every kind.
    slack.driver.click(AM, "session_add_answers", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_answers" in str(c.params))
    answer = slack.driver.submit(AM, {
        "q1": "Renewals are late <!channel>", "q3": "Stop the weekly report",
        "ideas_realistic": "Shared dashboard\nMonthly review", "ideas_someday": "AI forecasts"})
    assert answer.json() is None
    updated = wait_card(slack, "C0MEET", ts, f"<@{AM}> (2/3)")
    assert "*2* respuestas" in text_of(updated) and "*3* ideas" in text_of(updated)

    # The client, a guest from another organisation, contributes too.
    slack.driver.click(CLIENT, "session_add_answers", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_answers" in str(c.params)
                            and c.params.get("trigger_id", "").startswith(""), count=2)
    # Carla's Slack is in English: her form is too, in this Spanish plan.
    assert "Where do we want to go?" in text_of(slack.emulator.top_view(CLIENT))
    slack.driver.submit(CLIENT, {"q2": "A self-service portal", "ideas_ambitious": "Portal"})
    updated = wait_card(slack, "C0MEET", ts, f"<@{CLIENT}> (1/1)")
    assert "*3* respuestas" in text_of(updated)

    # The live board: during the session, the client reads what the others answered.
    board = slack.driver.click(CLIENT, "session_board", channel_id="C0MEET")
    shown = text_of(slack.emulator.wait_for("views.open", predicate=lambda c: c.params[
        "trigger_id"] == board.trigger_id)[-1].params["view"])
    assert "Renewals are late &lt;!channel&gt; — <@U0AM>" in shown
    assert "Where are we?" in shown  # in her language
    assert "A self-service portal" in shown and "AI forecasts" in shown
    assert shown.index("Renewals") < shown.index("self-service") < shown.index("weekly report")

    # A single idea from the card.
    slack.driver.click(CLIENT, "session_add_idea", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "idea_add" in str(c.params))
    slack.driver.submit(CLIENT, {"idea_text": "Quarterly executive dinner", "idea_tag":
                                 "realistic", "idea_question": "3"})
    wait_card(slack, "C0MEET", ts, f"<@{CLIENT}> (1/2)")

    # My answers: prefilled with what the account manager wrote, corrections saved.
    slack.driver.click(AM, "session_my_answers", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_my_answers"
                            in str(c.params))
    mine = slack.emulator.top_view(AM)
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in mine["blocks"]
                 if b["type"] == "input"}
    assert sorted(prefilled.values()) == ["Renewals are late <!channel>",
                                          "Stop the weekly report"]
    first_block = next(k for k, v in prefilled.items() if v.startswith("Renewals"))
    slack.driver.submit(AM, {first_block: "Renewals are late in Q4"})
    with db(slack) as session:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the correction is stored after the ack
            texts = {a.text for a in session.exec(select(Answer).where(Answer.user_id == AM))}
            if "Renewals are late in Q4" in texts:
                break
            session.expire_all()
            time.sleep(0.02)
        answers = session.exec(select(Answer).join(StrategySession).where(
            StrategySession.channel_id == "C0MEET").order_by(Answer.question)).all()
        assert [(a.question, a.text, a.user_id, a.user_team_id) for a in answers] == [
            (1, "Renewals are late in Q4", AM, "T0HOME"),
            (2, "A self-service portal", CLIENT, "T0CLIENT"),
            (3, "Stop the weekly report", AM, "T0HOME")]
        ideas = session.exec(select(Idea).join(Plan).where(Plan.channel_id == "C0MEET")
                             .order_by(Idea.id)).all()
        assert [(i.text, i.tag, i.user_id) for i in ideas] == [
            ("Shared dashboard", "realistic", AM), ("Monthly review", "realistic", AM),
            ("AI forecasts", "someday", AM), ("Portal", "ambitious", CLIENT),
            ("Quarterly executive dinner", "realistic", CLIENT)]
        assert ideas[-1].source_question == 3

    # Only facilitators end the session: the button sits apart under their label, and a
    # guest who clicks it is told at once, never asked to confirm first.
    blocks = card(slack, "C0MEET", ts)["blocks"]
    end_button = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "session_end"][0]
    assert "confirm" not in end_button
    label = blocks[[b.get("block_id") for b in blocks].index("session_facilitators") - 1]
    assert label["type"] == "context" and "Facilitadores" in text_of({"blocks": [label]})
    clicked = slack.driver.click(CLIENT, "session_end", channel_id="C0MEET")
    refusal = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c:
                                      c.params["user"] == CLIENT)[-1].params
    assert "facilitators" in text_of(refusal)  # in the client's own language, English
    assert not [c for c in slack.emulator.calls_to("views.open")
                if c.params["trigger_id"] == clicked.trigger_id]  # no confirmation for her
    with db(slack) as session:
        assert session.exec(select(StrategySession).where(
            StrategySession.channel_id == "C0MEET")).one().ended_at is None

    # The facilitator is asked to confirm, in a modal.
    end_session(slack, "C0MEET")
    recap = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                                    == "C0MEET" and "Resumen de la sesión" in c.params["text"])
    shown = text_of(recap[-1].params)
    assert shown.index("Renewals are late in Q4") < shown.index("A self-service portal") \
        < shown.index("Stop the weekly report")
    assert "&lt;!channel&gt;" not in shown  # the corrected answer replaced the original
    for idea in ("Shared dashboard", "AI forecasts", "Portal", "Quarterly executive dinner"):
        assert idea in shown
    assert "round_start" in text_of(recap[-1].params)  # next step: score the ideas
    ended = wait_card(slack, "C0MEET", ts, "terminó")
    assert "session_end" not in text_of(ended)  # no more buttons
    # Collapsed to a short summary (the prompts are gone), the answers one click away.
    assert len(text_of(ended)) < len(shown) and "¿Dónde estamos?" not in text_of(ended)
    assert "session_board" in text_of(ended)

    # From the recap, the facilitator goes straight to scoring the ideas.
    slack.driver.click(AM, "round_start", channel_id="C0MEET")
    round_card = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == "C0MEET" and "round_next" in text_of(c.params))[-1]
    assert "Shared dashboard" in text_of(round_card.params)  # the first unscored idea

    # A double click on the old card (or a late one) never posts a second recap.
    slack.driver.click(AM, "session_end", channel_id="C0MEET", message_ts=ts) \
        if "session_end" in text_of(card(slack, "C0MEET", ts)) else None
    assert len([c for c in slack.emulator.calls_to("chat.postMessage")
                if "Resumen de la sesión" in c.params["text"]]) == 1


# --- retries, double clicks, forged ids ------------------------------------------------------

def test_retries_and_double_submits_never_duplicate(slack):
    setup_channel(slack, "C0RETRY")
    plan = create_plan(slack, "C0RETRY", "Initech")

    # A slash command retried by Slack (same trigger, X-Slack-Retry-Num) adds one idea.
    first = slack.driver.command(TEAMMATE, "C0RETRY", "idea Shared <b>roadmap</b>")
    reply = reply_to(slack, first)
    assert "Shared &lt;b&gt;roadmap&lt;/b&gt;" in text_of(reply)
    assert slack.driver.resend(first, retry_num=1).status == 200
    assert slack.driver.resend(first, retry_num=2).status == 200
    ts = start_session(slack, "C0RETRY")
    assert count(slack, Idea, plan_id=plan.id) == 1

    # A view submission sent twice (a double submit or a retry) stores its answers once.
    slack.driver.click(TEAMMATE, "session_add_answers", channel_id="C0RETRY")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_answers" in str(c.params)
                            and "C0RETRY" in str(c.params))
    submitted = slack.driver.submit(TEAMMATE, {"q1": "Fine", "ideas_ambitious": "Moonshot"})
    slack.driver.resend(submitted, retry_num=None)
    slack.driver.resend(submitted, retry_num=1)
    wait_card(slack, "C0RETRY", ts, f"<@{TEAMMATE}> (1/1)")
    # /plan session retried: still one session, one card.
    assert count(slack, Answer, plan_id=plan.id) == 1
    assert count(slack, Idea, plan_id=plan.id) == 2
    assert count(slack, StrategySession, plan_id=plan.id) == 1

    # A double submit of End session's confirmation posts one recap.
    end = end_session(slack, "C0RETRY")
    slack.driver.resend(end, retry_num=None)
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == "C0RETRY" and "Resumen" in c.params["text"])
    wait_card(slack, "C0RETRY", ts, "terminó")
    slack.driver.resend(end, retry_num=None)
    recaps = [c for c in slack.emulator.calls_to("chat.postMessage")
              if c.params["channel"] == "C0RETRY" and "Resumen" in c.params["text"]]
    assert len(recaps) == 1


def test_ids_from_another_channel_or_workspace_are_refused(slack):
    setup_channel(slack, "C0MINE")
    setup_channel(slack, "C0THEIRS")
    create_plan(slack, "C0MINE", "Mine")
    theirs = create_plan(slack, "C0THEIRS", "Theirs")
    ts = start_session(slack, "C0THEIRS")
    with db(slack) as session:
        their_session = session.exec(select(StrategySession).where(
            StrategySession.channel_id == "C0THEIRS")).one()

    # A legitimate click in C0THEIRS...
    click = slack.driver.click(AM, "session_add_idea", channel_id="C0THEIRS")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)

    # ...replayed as an End session click from C0MINE: refused, nothing ended.
    def to_my_channel(payload):
        payload["channel"] = {"id": "C0MINE", "name": "c0mine"}
        payload["container"]["channel_id"] = "C0MINE"
        payload["actions"][0]["value"] = str(their_session.id)
        payload["actions"][0]["action_id"] = "session_end"

    forged = slack.driver.forge(click, to_my_channel)
    assert forged.status == 200
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["channel"]
                            == "C0MINE" and "canal" in text_of(c.params))

    # A modal whose metadata points at another channel's session stores nothing.
    slack.driver.click(CLIENT, "session_add_answers", channel_id="C0THEIRS")
    slack.emulator.wait_for("views.open", predicate=lambda c: "C0THEIRS" in str(c.params)
                            and "session_answers" in str(c.params))
    submitted = slack.driver.submit(CLIENT, {"q1": "legit"})

    def other_workspace(payload):
        meta = json.loads(payload["view"]["private_metadata"])
        meta["channel_id"] = "C0MINE"
        payload["view"]["private_metadata"] = json.dumps(meta)
        payload["view"]["id"] = "V0FORGED"
        payload["view"]["state"]["values"]["q1"]["value"]["value"] = "forged"

    refused = slack.driver.forge(submitted, other_workspace)
    assert refused.json()["response_action"] == "errors"  # the text stays in the modal
    wait_card(slack, "C0THEIRS", ts, f"<@{CLIENT}> (1/0)")
    with db(slack) as session:
        texts = [a.text for a in session.exec(select(Answer))]
    assert "legit" in texts and "forged" not in texts
    with db(slack) as session:
        assert session.get(StrategySession, their_session.id).ended_at is None
        assert session.get(Plan, theirs.id).status == "active"


# --- Slack failures ---------------------------------------------------------------------------

def test_rate_limits_are_retried_and_channel_errors_explained(slack):
    setup_channel(slack, "C0LIMIT")
    create_plan(slack, "C0LIMIT", "Umbrella")
    slack.emulator.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    start_session(slack, "C0LIMIT")
    cards = [c for c in slack.emulator.calls_to("chat.postMessage")
             if c.params["channel"] == "C0LIMIT" and "session_end" in text_of(c.params)]
    assert [c.http_status for c in cards] == [429, 200]  # Retry-After honoured, then posted
    assert count(slack, StrategySession, channel_id="C0LIMIT") == 1


def test_a_channel_rumbo_cannot_post_in_keeps_the_plan_and_tells_the_user(slack):
    setup_channel(slack, "C0NOBOT", bot_is_member=False)
    response = slack.driver.command(AM, "C0NOBOT", "new Hooli")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    slack.driver.submit(AM, {"account_name": "Hooli"})
    told = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                                   == AM and "/invite @Rumbo" in text_of(c.params))
    assert "Hooli" in text_of(told[-1].params)
    assert count(slack, Plan, channel_id="C0NOBOT") == 1  # the user's input is kept

    # The session cannot start without a card: explained, and no half-started session.
    slack.driver.command(AM, "C0NOBOT", "session")
    slack.emulator.wait_for("chat.postMessage", count=2, predicate=lambda c: c.params[
        "channel"] == AM and "/invite @Rumbo" in text_of(c.params))
    eventually(lambda: count(slack, StrategySession, channel_id="C0NOBOT", ended_at=None) == 0)


def test_answers_for_a_plan_archived_meanwhile_are_given_back(slack):
    setup_channel(slack, "C0GONE")
    create_plan(slack, "C0GONE", "Vandelay")
    start_session(slack, "C0GONE")
    slack.driver.click(CLIENT, "session_add_answers", channel_id="C0GONE")
    slack.emulator.wait_for("views.open", predicate=lambda c: "C0GONE" in str(c.params)
                            and "session_answers" in str(c.params))
    # Meanwhile the facilitator archives the plan.
    reply_to(slack, slack.driver.command(AM, "C0GONE", "new"))
    click = slack.driver.click(AM, "plan_archive", channel_id="C0GONE", ephemeral=True)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    refused = slack.driver.submit(CLIENT, {"q5": "Net promoter score every quarter"})
    # Told on the form itself, which keeps what they wrote: nothing is lost.
    assert refused.json()["response_action"] == "errors"
    assert "no longer exists" in str(refused.errors)  # in the client's language
    assert count(slack, Answer, text="Net promoter score every quarter") == 0


# --- App Home ---------------------------------------------------------------------------------

def test_app_home_lists_the_users_plans_and_event_retries_are_ignored(slack):
    setup_channel(slack, "C0HOME")
    create_plan(slack, "C0HOME", "Stark")
    before = len(slack.emulator.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": AM, "channel": "D0AM", "tab": "home",
             "event_ts": str(time.time())}
    first = slack.driver.event(event)
    assert first.status == 200
    slack.emulator.wait_for("views.publish", count=before + 1)
    assert "Stark" in text_of(slack.emulator.home(AM))
    slack.driver.event(event, event_id=first.event_id, retry_num=1, retry_reason="http_timeout")
    time.sleep(0.3)  # give a wrongly handled retry the chance to show up
    assert len(slack.emulator.calls_to("views.publish")) == before + 1


# --- ack first --------------------------------------------------------------------------------

def test_acks_do_not_wait_for_a_slow_slack_or_a_locked_database(slack):
    setup_channel(slack, "C0SLOW")
    create_plan(slack, "C0SLOW", "Soylent")

    # The help now shows the plan and its first review.
    shown = text_of(reply_to(slack, slack.driver.command(TEAMMATE, "C0SLOW", "help")))
    assert "Soylent" in shown and "Next review" in shown  # Tom's English, in a Spanish plan

    # Slack answers users.info (the user's language) slowly: still acknowledged at once.
    setup_channel(slack, "C0SLOWHELP")
    slack.emulator.add_user("U0NEWBIE", "nina", locale="es-MX", tz="America/Mexico_City")
    slack.emulator.slow_next("users.info", 3.5)
    response = slack.driver.command("U0NEWBIE", "C0SLOWHELP", "help")
    assert response.status == 200 and response.elapsed < 3
    help_message = slack.emulator.wait_for("response_url", timeout=10, predicate=lambda c:
                                           c.url == response.response_url)[-1].params
    assert "todavía no tiene" in text_of(help_message)
    assert [c.params["user"] for c in slack.emulator.calls_to("users.info")][-1] == "U0NEWBIE"

    # Another writer holds the database a moment: the write waits for it, and is stored
    # before the ack.
    with slack.engine.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        threading.Timer(0.5, connection.exec_driver_sql, ("ROLLBACK",)).start()
        response = slack.driver.command(AM, "C0SLOW", "idea Written while the database was busy")
    assert response.status == 200 and response.elapsed < 3
    assert count(slack, Idea, text="Written while the database was busy") == 1
    assert "Written while" in text_of(reply_to(slack, response))

    # Held longer than a write may wait: the user is told at once, where they are (the
    # command's answer, the modal's field), and nothing is half-written.
    opened = slack.driver.command(AM, "C0SLOW", "idea")  # the idea form
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == opened.trigger_id)
    with slack.engine.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        command = slack.driver.command(AM, "C0SLOW", "idea Never half-written")
        form = slack.driver.submit(AM, {"idea_text": "Not lost either"})
        connection.exec_driver_sql("ROLLBACK")
    assert command.status == 200 and command.elapsed < 3
    assert "ocupada" in command.text  # Spanish: the database is busy
    assert form.json()["response_action"] == "errors" and "ocupada" in str(form.errors)
    assert count(slack, Idea, text="Never half-written") == 0
    assert count(slack, Idea, text="Not lost either") == 0



def test_the_facilitator_steps_through_the_questions_one_at_a_time(slack):
    setup_channel(slack, "C0STEPS")
    create_plan(slack, "C0STEPS", "Vandelay", language="en")
    ts = start_session(slack, "C0STEPS", "60")
    assert "Where are we?" in text_of(card(slack, "C0STEPS", ts))

    slack.driver.click(CLIENT, "session_focus", channel_id="C0STEPS")  # a guest: refused
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))
    slack.driver.click(AM, "session_focus", channel_id="C0STEPS")
    first = wait_card(slack, "C0STEPS", ts, "question 1 of 5")
    assert "about 12 minutes" in text_of(first)  # 60 minutes, five questions
    assert "Next question" in text_of(first)
    slack.driver.click(AM, "session_focus", channel_id="C0STEPS")
    second = wait_card(slack, "C0STEPS", ts, "question 2 of 5")
    shown = text_of(second)
    # The question in focus has its prompts; the others only their titles.
    from bot.sessions.rules import QUESTIONS
    assert QUESTIONS[1].prompts[0] in shown and QUESTIONS[0].prompts[0] not in shown
    assert "1. Where are we?" in shown  # still named, for reference
    with db(slack) as session:
        running = session.exec(select(StrategySession).where(
            StrategySession.channel_id == "C0STEPS")).one()
    assert running.focus_question == 2
