"""Who may do what, end to end: people are shown what they can do, and are not invited to
try what they cannot (a guest is never asked to confirm what she may not do)."""

from storage.models import Plan
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    card,
    create_plan,
    db,
    reply_to,
    setup_channel,
    start_session,
    text_of,
)

FACILITATOR_COMMANDS = ["`/plan score`", "`/plan settings`", "`/plan review`", "`/plan resume`"]


def test_help_shows_each_person_what_they_can_do_with_the_spanish_commands(slack):
    setup_channel(slack, "C0ROLES")
    # Before there is a plan, everyone may create it and will pick its facilitators.
    before = text_of(reply_to(slack, slack.driver.command(CLIENT, "C0ROLES", "help")))
    assert all(command in before for command in FACILITATOR_COMMANDS)

    create_plan(slack, "C0ROLES", "Roles", language="en")
    guest = text_of(reply_to(slack, slack.driver.command(CLIENT, "C0ROLES", "help")))
    facilitator = text_of(reply_to(slack, slack.driver.command(AM, "C0ROLES", "ayuda")))
    for command in FACILITATOR_COMMANDS + ["`/plan new"]:
        assert command not in guest and command in facilitator
    assert f"<@{AM}>" in guest  # she learns who runs them
    for shown in (guest, facilitator):
        assert "/plan ideas" in shown and "/plan session" in shown
    # Each command with its Spanish name, as the router takes it.
    assert "`/plan session [minutes]` · `/plan sesión`" in guest
    assert "`/plan export [channel|me] [scores]` · `/plan exportar`" in guest
    assert "`/plan ajustes` · `/plan settings`" in facilitator  # hers is Spanish: first
    assert "`/plan sesion`" not in guest  # the unaccented spelling works, but is not listed
    assert "/plan ajustes" in facilitator and "/plan ajustes" not in guest

    # A teammate who is no facilitator is not offered to archive the plan.
    refused = reply_to(slack, slack.driver.command(TEAMMATE, "C0ROLES", "new"))
    assert "plan_archive" not in text_of(refused) and f"<@{AM}>" in text_of(refused)
    offered = reply_to(slack, slack.driver.command(AM, "C0ROLES", "new"))
    assert "plan_archive" in text_of(offered)


def test_a_guest_clicking_end_session_is_told_at_once(slack):
    setup_channel(slack, "C0GUEST")
    create_plan(slack, "C0GUEST", "Guest Co", language="en")
    ts = start_session(slack, "C0GUEST")
    clicked = slack.driver.click(CLIENT, "session_end", channel_id="C0GUEST")
    told = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                                   == CLIENT and c.params["channel"] == "C0GUEST")[-1]
    assert "Only the plan's facilitators" in text_of(told.params)
    assert not [c for c in slack.emulator.calls_to("views.open")
                if c.params["trigger_id"] == clicked.trigger_id]
    assert "session_end" in text_of(card(slack, "C0GUEST", ts))  # still running

    # The facilitator gets the question in a modal (in her language); closing it changes
    # nothing.
    clicked = slack.driver.click(AM, "session_end", channel_id="C0GUEST")
    opened = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                     == clicked.trigger_id)[-1].params
    assert opened["view"]["title"]["text"] == "¿Finalizar la sesión?"
    assert "resumen" in text_of(opened["view"])
    slack.driver.close(AM)
    assert "session_end" in text_of(card(slack, "C0GUEST", ts))


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


def test_a_confirmation_that_can_no_longer_be_done_says_why_in_its_place(slack):
    setup_channel(slack, "C0GONE")
    plan = create_plan(slack, "C0GONE", "Gone Co", language="en")
    start_session(slack, "C0GONE")
    clicked = slack.driver.click(AM, "session_end", channel_id="C0GONE")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == clicked.trigger_id)
    with db(slack) as session:  # meanwhile the plan is archived
        archived = session.get(Plan, plan.id)
        archived.status = "archived"
        session.add(archived)
        session.commit()
    answer = slack.driver.submit(AM).json()
    assert answer["response_action"] == "update"  # no input to show an error on
    assert "ya no está activo" in text_of(answer["view"])  # in her language, Spanish
    assert "submit" not in answer["view"]
    assert slack.emulator.top_view(AM)["title"] == answer["view"]["title"]
