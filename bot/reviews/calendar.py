"""/plan calendar: the coming reviews and a running strategy session as an iCalendar file,
in the plan's timezone. Each review's UID is its number in the plan's life (the 3rd review
of plan 12), so importing the file again after a postponement moves the event instead of
adding one; SEQUENCE grows with the plan's history so calendars take the newer one."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session

from bot.platform.i18n import gettext_for
from bot.reviews.rules import review_dates
from storage import plans, reviews, sessions
from storage.models import Plan

REVIEWS_AHEAD = 8  # at most this many coming reviews
REVIEW_LENGTH = timedelta(hours=1)


def coming_reviews(plan: Plan, *, limit: int = REVIEWS_AHEAD) -> list:
    """The next review and those after it on the cadence, until the plan's end."""
    if plan.next_review_on is None:
        return []
    days = [plan.next_review_on]
    while len(days) < limit:
        following = review_dates(plan, after=days[-1])
        if following is None:  # the plan's end
            break
        days.append(following)
    return days


def plan_calendar(db: Session, *, plan: Plan, now: datetime) -> bytes:
    _ = gettext_for(plan.language)
    zone = ZoneInfo(plan.timezone)
    held = len(reviews.closed_reviews(db, plan=plan))
    sequence = plans.changes_to_plan(db, plan=plan)
    calendar = Calendar()
    calendar.add("prodid", "-//Rumbo//Account plans//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Account plan: {account}").format(
        account=plan.account_name))
    domain = f"{plan.team_id.lower()}.rumbo"
    for number, day in enumerate(coming_reviews(plan), start=held + 1):
        start = datetime.combine(day, plan.review_time, zone)
        calendar.add_component(_event(
            uid=f"plan-{plan.id}-review-{number}@{domain}", start=start,
            end=start + REVIEW_LENGTH, stamp=now, sequence=sequence,
            summary=_("Review: {account}").format(account=plan.account_name),
            description=_("Review of the account plan in Slack: `/plan review` in its "
                          "channel. Be critical: what worked, what did not.")))
    running = sessions.running_session(db, plan=plan)
    if running is not None:
        calendar.add_component(_event(
            uid=f"plan-{plan.id}-session-{running.id}@{domain}",
            start=running.started_at.astimezone(zone), end=running.ends_at.astimezone(zone),
            stamp=now, sequence=sequence,
            summary=_("Strategy session: {account}").format(account=plan.account_name),
            description=_("The strategy session's card is in the plan's channel.")))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(*, uid, start, end, stamp, sequence, summary, description) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    return event
