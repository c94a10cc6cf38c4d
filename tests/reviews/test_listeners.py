"""Reviews, end to end: the next review's date set in the plan's modals and its reminder
at that moment, owners' check-ins at their working hour, the calendar file, a paged review
with its summary and progress picture, the reminder's postpone and skip buttons. The app's
clock is a FakeClock: a test moves it and sends the outbox itself (`slack.outbox`), as the
scheduler would, so time moves without sleeping."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlmodel import select

from bot.platform.slack import make_client
from bot.reviews.views import review_reminder
from storage import objectives, outbox, plans
from storage.models import Delivery, Initiative, Objective, Plan, PlanChange, Review
from tests.factories import stored_objective
from tests.inprocess import BOT_TOKEN
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    create_plan,
    db,
    reply_to,
    setup_channel,
    text_of,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
CHANNEL = "C0REVIEW"


def reminders(slack, channel):
    return [c for c in slack.emulator.calls_to("chat.postMessage")
            if c.params["channel"] == channel and "review_start" in text_of(c.params)]


def daytime_zone(now: datetime) -> str:
    """A timezone where it is daytime now, so that "in a few minutes" is still today."""
    for name in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"):
        if 1 <= now.astimezone(ZoneInfo(name)).hour <= 21:
            return name
    raise AssertionError("no daytime zone")


def test_a_next_review_minutes_ahead_is_reminded_then_and_moves_with_the_date(slack):
    channel = "C0NEXTREVIEW"
    setup_channel(slack, channel)
    slack.clock.now = slack.clock.now.replace(second=0, microsecond=0)
    now = slack.clock()
    zone = daytime_zone(now)
    at = (now + timedelta(minutes=5)).astimezone(ZoneInfo(zone))
    today = at.date()
    # A date before the plan's start, or in the past, is refused on its field.
    response = slack.driver.command(AM, channel, "new Soon SA")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    refused = slack.driver.submit(AM, {"language": "en", "timezone": zone,
                                       "start_date": today.isoformat(),
                                       "next_review_on": (today - timedelta(days=1)).isoformat()})
    assert set(refused.errors) == {"next_review_on"}
    slack.emulator.clear_views(AM)
    plan = create_plan(slack, channel, "Soon SA", language="en", timezone=zone,
                       start_date=(today - timedelta(days=10)).isoformat(),
                       review_time=at.strftime("%H:%M"), next_review_on=today.isoformat())
    assert plan.next_review_on == today

    help_text = text_of(reply_to(slack, slack.driver.command(TEAMMATE, channel, "help")))
    assert f"at {at:%H:%M} ({zone})" in help_text and "Next review" in help_text

    slack.clock.now = at.astimezone(UTC) - timedelta(minutes=1)
    slack.outbox.run_once()
    assert reminders(slack, channel) == []  # no "in 7 days" for a review today
    slack.clock.advance(timedelta(minutes=1))
    slack.outbox.run_once()
    [reminder] = reminders(slack, channel)
    assert "Soon SA" in text_of(reminder.params)

    # Moved to a week later in /plan settings: the reminders follow, history records it.
    response = slack.driver.command(AM, channel, "settings")
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == response.trigger_id)[-1].params["view"]
    field = next(b for b in view["blocks"] if b.get("block_id") == "next_review_on")
    assert field["label"]["text"] == "Fecha de la próxima revisión"  # in Ana's Spanish
    assert field["element"]["initial_date"] == today.isoformat()
    later = today + timedelta(days=7)
    assert slack.driver.submit(AM, {"next_review_on": later.isoformat()}).json() is None

    def pending():
        with db(slack) as session:
            return {d.key.split(":", 2)[-1]: d.due_at for d in session.exec(select(
                Delivery).where(Delivery.plan_id == plan.id, Delivery.status == "pending",
                                Delivery.kind.startswith("review")))}

    moved = pending()
    assert f"{later}:due" in moved
    assert not [k for k in moved if k.startswith(today.isoformat())]
    assert moved[f"{later}:due"] == datetime.combine(later, at.time(), at.tzinfo)
    with db(slack) as session:
        assert session.get(Plan, plan.id).next_review_on == later
    shown = text_of(reply_to(slack, slack.driver.command(TEAMMATE, channel, "show")))
    assert f"at {at:%H:%M} ({zone})" in shown


# --- owners' check-ins ------------------------------------------------------------------------

MEXICO = "U0MEX"  # an owner in Mexico City, of the plan's own workspace
REVIEW_DAY = date(2027, 1, 15)  # a Friday: the check-in day is Tuesday 12 January


def direct_messages(slack, user_id):
    """The check-in asks a user got in a direct message."""
    return [c for c in slack.emulator.calls_to("chat.postMessage")
            if c.params["channel"] == user_id and c.response.get("ok")
            and "checkin_update" in text_of(c.params)]


def test_owners_check_in_at_their_working_hour_and_the_review_opens_with_it(slack_each_db):
    slack, channel = slack_each_db, "C0CHECKIN"
    setup_channel(slack, channel)
    slack.emulator.add_user(MEXICO, "mia", locale="es-MX", tz="America/Mexico_City")
    slack.emulator.add_channel(channel, "c0checkin", members=[AM, TEAMMATE, CLIENT, MEXICO])
    plan = create_plan(slack, channel, "Check Co", language="en", timezone="Europe/Madrid",
                       start_date="2026-12-01", review_time="10:00",
                       next_review_on=REVIEW_DAY.isoformat())
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        assert plan.checkin_days == 3
        category = plans.categories(session, plan=plan)[0]
        portal = objectives.add_objective(session, plan=plan, idea_id=None, user_id=AM, now=NOW,
                                          values=dict(category_id=category.id,
                                                      statement="Self-service portal",
                                                      target="Half the tickets", measure="Share",
                                                      unit="%", baseline=10, target_value=50,
                                                      horizon="medium", owner_id=AM))
        owned = {owner: objectives.add_initiative(
            session, plan=plan, objective=portal, user_id=AM, now=NOW,
            values=dict(title=f"Step of {owner}", target="Done", measure="Shipped",
                        owner_id=owner)) for owner in (TEAMMATE, MEXICO, CLIENT)}
        session.commit()
        owned = {owner: item.id for owner, item in owned.items()}

    clock = slack.clock
    clock.now = datetime(2027, 1, 11, 0, 0, tzinfo=UTC)
    sent_at: dict[str, list[datetime]] = {}

    def due_now():
        with db(slack) as session:
            return bool(outbox.due(session, now=clock.now, limit=1))

    def tick_until(end):
        """The scheduler's passes every 30 minutes (a pass with nothing due does nothing:
        skipped)."""
        while clock.now < end:
            before = {u: len(direct_messages(slack, u)) for u in (AM, TEAMMATE, MEXICO, CLIENT)}
            if due_now():
                slack.outbox.run_once()
                slack.outbox.run_once()  # what the first pass planned and is due already
                slack.settle()
            for user, count in before.items():
                sent_at.setdefault(user, []).extend(
                    [clock.now] * (len(direct_messages(slack, user)) - count))
            clock.advance(timedelta(minutes=30))

    tick_until(datetime(2027, 1, 12, 12, 0, tzinfo=UTC))
    # A restart in between (the app and the outbox's sender): nothing goes out twice.
    slack.restart()
    tick_until(datetime(2027, 1, 14, 0, 0, tzinfo=UTC))

    for user, zone in ((AM, "Europe/Madrid"), (TEAMMATE, "America/New_York"),
                       (MEXICO, "America/Mexico_City")):
        [moment] = sent_at[user]  # one direct message each
        local = moment.astimezone(ZoneInfo(zone))
        assert local.date() == date(2027, 1, 12) and 9 <= local.hour < 17, (user, local)
    assert sent_at[CLIENT] == []  # a guest from another organisation: asked in the channel
    [spanish] = direct_messages(slack, AM)
    assert "¿Cómo van tus elementos?" in spanish.params["text"]
    [english] = direct_messages(slack, TEAMMATE)
    assert "Where do your items stand?" in english.params["text"]
    assert "Step of U0MATE" in text_of(english.params)
    assert "Self-service portal" not in text_of(english.params)  # only their own items
    in_channel = [c.params for c in slack.emulator.calls_to("chat.postMessage")
                  if c.params["channel"] == channel and c.response.get("ok")
                  and "check-in" in c.params["text"].lower()]
    parent, ask = in_channel
    assert ask["thread_ts"] and f"<@{CLIENT}>" in ask["text"] and "thread_ts" not in parent

    # The owners update through the modal: their own items only.
    def update(user, channel_id, values):
        click = slack.driver.click(user, "checkin_update", channel_id=channel_id)
        view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params[
            "trigger_id"] == click.trigger_id)[-1].params["view"]
        assert {b.get("block_id") for b in view["blocks"]} >= set(values)
        answer = slack.driver.submit(user, values)
        assert answer.json()["response_action"] == "update", answer.text
        return view

    view = update(TEAMMATE, TEAMMATE, {f"i{owned[TEAMMATE]}_status": "at_risk",
                                       f"i{owned[TEAMMATE]}_note": "Waiting for legal"})
    assert f"o{portal.id}_status" not in {b.get("block_id") for b in view["blocks"]}
    update(MEXICO, MEXICO, {f"i{owned[MEXICO]}_status": "on_track"})
    update(CLIENT, channel, {f"i{owned[CLIENT]}_status": "done"})

    # The review opens prefilled and names who did not check in; the nudge reaches them only.
    response = slack.driver.command(AM, channel, "review")
    page = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == response.trigger_id)[-1].params["view"]
    fields = {b.get("block_id"): b.get("element", {}) for b in page["blocks"]}
    assert fields[f"i{owned[TEAMMATE]}_status"]["initial_option"]["value"] == "at_risk"
    assert fields[f"i{owned[TEAMMATE]}_note"]["initial_value"] == "Waiting for legal"
    assert fields[f"i{owned[CLIENT]}_status"]["initial_option"]["value"] == "done"
    shown = text_of(page)
    assert f"Not yet: <@{AM}>" in shown
    assert all(f"<@{u}>" in shown.split("Not yet")[0] for u in (TEAMMATE, MEXICO, CLIENT))
    slack.driver.click(AM, "checkin_nudge")
    assert len(direct_messages(slack, AM)) == 2
    assert "todavía" in direct_messages(slack, AM)[-1].params["text"]
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == AM
                            and f"Nudged: <@{AM}>" in c.params["text"])
    tick_until(datetime(2027, 1, 16, 0, 0, tzinfo=UTC))
    assert [len(direct_messages(slack, u)) for u in (AM, TEAMMATE, MEXICO)] == [2, 1, 1]


# --- /plan calendar ---------------------------------------------------------------------------

def calendar_file(slack, channel):
    """/plan calendar, and the .ics it uploaded to the channel, parsed."""
    before = len(slack.emulator.files)
    assert slack.driver.command(AM, channel, "calendar").status == 200
    upload = [f for f in slack.emulator.files[before:]
              if f["channel"] == channel and f["name"].endswith(".ics")]
    assert upload
    return Calendar.from_ical(upload[-1]["content"])


def test_the_calendar_file_keeps_its_event_ids_across_a_postponement(slack):
    channel = "C0CALENDAR"
    setup_channel(slack, channel)
    plan = create_plan(slack, channel, "Cal Corp", language="en", timezone="America/New_York",
                       start_date="2027-01-04", period="twelve_months", client_size="large",
                       review_time="15:30", next_review_on="2027-03-01")
    first = calendar_file(slack, channel)
    events = first.walk("VEVENT")
    assert [e.decoded("dtstart").date() for e in events] == [
        date(2027, 3, 1), date(2027, 4, 5), date(2027, 7, 5), date(2027, 10, 4),
        date(2028, 1, 3)]  # the last on the plan's last day: none after its end
    start = events[0].decoded("dtstart")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=-5)
    assert (start.hour, start.minute) == (15, 30)
    assert events[0]["dtstart"].params["TZID"] == "America/New_York"
    assert [t["tzid"] for t in first.walk("VTIMEZONE")] == ["America/New_York"]
    assert str(events[0]["summary"]) == "Review: Cal Corp"

    # Postponed: re-imported, the same event moves (same UID, a later SEQUENCE).
    with db(slack) as session:
        from bot.reviews.deliveries import reschedule_plan

        moved = session.get(Plan, plan.id)
        plans.set_next_review(session, plan=moved, day=date(2027, 3, 15), user_id=AM,
                              now=NOW)
        reschedule_plan(session, plan=moved, now=NOW)
        session.commit()
    second = calendar_file(slack, channel)
    again = second.walk("VEVENT")
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in events]
    assert again[0].decoded("dtstart").date() == date(2027, 3, 15)
    assert int(again[0]["sequence"]) > int(events[0]["sequence"])
    assert len({str(e["uid"]) for e in again}) == len(again)


# --- the progress picture ---------------------------------------------------------------------

def test_the_review_summary_comes_with_the_progress_picture_in_its_thread(slack):
    channel = "C0PICTURE"
    setup_channel(slack, channel)
    plan = create_plan(slack, channel, "Pic Co", language="en", start_date="2026-10-01",
                       period="twelve_months", client_size="large")
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        category = plans.categories(session, plan=plan)[0]
        portal = objectives.add_objective(session, plan=plan, idea_id=None, user_id=AM, now=NOW,
                                          values=dict(category_id=category.id,
                                                      statement="Self-service portal",
                                                      target="Half", measure="Share", unit="%",
                                                      baseline=10, target_value=50,
                                                      horizon="medium"))
        session.commit()
    response = slack.driver.command(AM, channel, "review")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    answer = slack.driver.submit(AM, {f"o{portal.id}_status": "on_track",
                                      f"o{portal.id}_value": "30"})
    assert answer.json() is None
    summary = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == channel and "Review: Pic Co" in c.params["text"])[-1]
    upload = slack.emulator.wait_for(
        "files.completeUploadExternal", timeout=30,
        predicate=lambda c: c.params.get("channel_id") == channel)[-1]
    assert upload.params["thread_ts"] == summary.response["ts"]
    [picture] = [f for f in slack.emulator.files if f["name"].endswith("-progress.png")]
    assert picture["content"].startswith(b"\x89PNG") and picture["size"] > 10_000


def test_a_paged_review_posts_its_summary_and_moves_the_next_review(slack):
    setup_channel(slack, CHANNEL)
    plan = create_plan(slack, CHANNEL, "Review Co", language="en", facilitators=[AM],
                       client_size="large", start_date="2026-10-01", period="twelve_months")
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        portal = stored_objective(session, plan, "Self-service portal", baseline=10,
                                  target_value=50, unit="%")
        steps = [objectives.add_initiative(session, plan=plan, objective=portal, now=NOW,
                                           user_id=AM, values=dict(
                                             title=f"Step {n}", target="Done",
                                             measure="Shipped", owner_id=CLIENT))
                 for n in range(15)]
        dinner = stored_objective(session, plan, "Quarterly dinner")
        session.commit()
        first_due = plan.next_review_on
    assert first_due == date(2027, 1, 4)

    refused = reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "review"))
    assert "facilitators" in text_of(refused)

    response = slack.driver.command(AM, CHANNEL, "review")
    page = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == response.trigger_id)[-1].params["view"]
    shown = text_of(page)
    assert "Page 1 of 2" in shown and "Since the last review" in shown
    assert "New: Self-service portal" in shown and "New: Quarterly dinner" in shown
    blocks = {b.get("block_id") for b in page["blocks"]}
    assert f"o{portal.id}_status" in blocks and f"o{dinner.id}_status" not in blocks
    answer = slack.driver.submit(AM, {
        f"o{portal.id}_status": "on_track", f"o{portal.id}_value": "30",
        f"i{steps[0].id}_status": "done", f"i{steps[1].id}_status": "at_risk",
        f"i{steps[1].id}_note": "Waiting for the client's IT"})
    assert answer.json()["response_action"] == "update"  # page 1 stored, page 2 at once
    page_two = answer.json()["view"]
    assert "Page 2 of 2" in text_of(page_two)
    assert f"o{dinner.id}_status" in {b.get("block_id") for b in page_two["blocks"]}
    answer = slack.driver.submit(AM, {
        f"o{dinner.id}_status": "abandoned", f"o{dinner.id}_note": "The client prefers calls",
        "worked": "Weekly calls", "not_worked": "Too many initiatives"})
    assert answer.json() is None

    summary = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == CHANNEL and "Review: Review Co" in c.params["text"])[-1].params
    shown = text_of(summary)
    assert "Weekly calls" in shown and "Too many initiatives" in shown
    assert "50% of the way (30 of 50)" in shown
    assert "~Step 0~ ✅" in shown  # done items are ticked off and celebrated
    assert "Step 1" in shown and "At risk" in shown
    assert "Abandoned: Quarterly dinner — The client prefers calls" in shown

    with db(slack) as session:
        assert session.get(Objective, portal.id).status == "on_track"
        assert session.get(Objective, dinner.id).status == "abandoned"  # kept, not deleted
        assert session.get(Initiative, steps[0].id).status == "done"
        review = session.exec(select(Review).where(Review.plan_id == plan.id)).one()
        assert review.closed_at is not None and review.due_on == first_due
        assert session.get(Plan, plan.id).next_review_on == date(2027, 4, 5)
        history = {(c.entity, c.entity_id, c.field, c.after) for c in session.exec(
            select(PlanChange).where(PlanChange.plan_id == plan.id))}
        assert ("objective", dinner.id, "status", "abandoned") in history
        pending = [d.key for d in session.exec(select(Delivery).where(
            Delivery.plan_id == plan.id, Delivery.status == "pending"))]
        assert not [k for k in pending if first_due.isoformat() in k]  # old reminders gone
        assert any("2027-04-05" in k for k in pending)

    on_demand = text_of(reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "summary")))
    assert "Progress: Review Co" in on_demand and "50% of the way" in on_demand


def test_postpone_and_skip_from_the_reminder(slack):
    channel = "C0POSTPONE"
    setup_channel(slack, channel)
    plan = create_plan(slack, channel, "Later Ltd", language="en", facilitators=[AM],
                       start_date="2026-10-01", period="twelve_months")
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        due = plan.next_review_on
    # The scheduler posts a reminder (the e2e server runs without it; post it as it would).
    client = make_client(token=BOT_TOKEN, base_url=slack.emulator.api_url)
    client.chat_postMessage(channel=channel, **review_reminder(
        lang="en", plan=plan, kind="review_ahead", due=due, days=7))

    slack.driver.click(CLIENT, "review_postpone", channel_id=channel)
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))

    click = slack.driver.click(AM, "review_skip", channel_id=channel)
    skipped = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params[
        "user"] == AM and "Skipped the reminder" in text_of(c.params))
    assert click.status == 200 and skipped
    with db(slack) as session:
        statuses = {d.key.split(":", 3)[-1]: d.status for d in session.exec(select(
            Delivery).where(Delivery.plan_id == plan.id, Delivery.kind.startswith("review")))}
    assert statuses["ahead:7"] == "skipped" and statuses["ahead:1"] == "pending"

    click = slack.driver.click(AM, "review_postpone", channel_id=channel)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    answer = slack.driver.submit(AM, {"date": "2020-01-01"})
    assert "date" in answer.errors  # not in the past
    answer = slack.driver.submit(AM, {"date": "2027-02-15"})
    assert answer.json() is None
    moved = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == channel and "moved the review" in c.params["text"])[-1].params["text"]
    assert "<!date^" in moved and "{date_long_pretty} {time}|" in moved  # the reader's zone
    with db(slack) as session:
        assert session.get(Plan, plan.id).next_review_on == date(2027, 2, 15)
        pending = [d.key for d in session.exec(select(Delivery).where(
            Delivery.plan_id == plan.id, Delivery.status == "pending"))]
    assert any("2027-02-15:due" in k for k in pending)
    assert not any(due.isoformat() in k for k in pending)
