"""`/plan help` end to end: people are shown what they can do, in their language, with the
channel's plan and status, and are not invited to try what they cannot."""


from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    create_plan,
    reply_to,
    setup_channel,
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
