"""Step 4 and what keeps the plan alive between reviews: the cadence, when Rumbo nudges
(reminders, check-ins, deadlines, summaries), working hours, and how a measure progresses.
Pure functions of a plan's settings and dates; times are local to the plan's timezone (a
09:00 review stays at 09:00 across daylight-saving changes) and stored in UTC."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.outbox.schedule import Planned
from bot.plans.rules import add_months
from bot.platform.blocks import local_date
from bot.platform.i18n import N_, gettext_for, ngettext_for

CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6}

# The cadence's words: `cadence_words` is the one place a plan's cadence is put into words
# (messages, settings, exports); "weeks" is worded with its count.
CADENCE_NAMES = {"monthly": N_("Monthly"), "quarterly": N_("Quarterly"),
                 "semiannual": N_("Every 6 months")}

SUMMARY_MONTHS = {"monthly": 1, "quarterly": 3}


def local_moment(day: date, at: time, timezone: str) -> datetime:
    """`day` at `at` in the plan's timezone, as a UTC moment. A time that does not exist
    that day (the spring-forward gap) moves forward with the clocks."""
    zone = ZoneInfo(timezone)
    moment = datetime.combine(day, at, tzinfo=zone)
    # Round-trip through UTC: a non-existent wall time normalises to a real one.
    return moment.astimezone(UTC)


def cadence_of(plan) -> str:
    """quarterly for large clients, every six months for small ones, unless set."""
    return plan.cadence or ("quarterly" if plan.client_size == "large" else "semiannual")


def cadence_words(plan, lang: str) -> str:
    """How often the plan is reviewed, in words ("Monthly", "Every 4 weeks")."""
    cadence = cadence_of(plan)
    if cadence == "weeks":
        weeks = plan.cadence_weeks or 12
        n_ = ngettext_for(lang)
        return n_("Every {count} week", "Every {count} weeks", weeks).format(count=weeks)
    _ = gettext_for(lang)
    return _(CADENCE_NAMES[cadence])


def review_dates(plan, *, after: date) -> date | None:
    """The first review on the plan's cadence after `after`, counted from its start (so a
    quarterly review on the 31st stays on month ends), on the review weekday or after.
    Never after the plan's end: the last review is held in its last week (on the review
    weekday on or before the end); None once that has passed."""
    cadence = cadence_of(plan)
    step = 1
    while True:
        if cadence == "weeks":
            due = plan.start_date + timedelta(weeks=(plan.cadence_weeks or 12) * step)
        else:
            due = add_months(plan.start_date, CADENCE_MONTHS[cadence] * step)
        due += timedelta(days=(plan.review_weekday - due.weekday()) % 7)
        if plan.end_date is not None and due > plan.end_date:
            last = plan.end_date - timedelta(days=(plan.end_date.weekday()
                                                   - plan.review_weekday) % 7)
            return last if last > after else None
        if due > after:
            return due
        step += 1


def next_on_cadence(plan, *, now: datetime) -> date | None:
    """The first review on the cadence from the plan's today on: a plan written down for a
    period that started months ago is not born overdue."""
    today = local_date(now, plan.timezone)
    return review_dates(plan, after=max(plan.start_date, today - timedelta(days=1)))


def review_reminders(plan, due: date) -> list[Planned]:
    """Ahead of the review (default 7 and 1 days before), at its time, then overdue every
    few days (default every 3 days, at most 3) until it is held."""
    planned = []
    base = f"review:{plan.id}:{due.isoformat()}"
    ahead = sorted({int(d) for d in plan.reminder_days.split(",") if d.strip().isdigit()},
                   reverse=True)
    for days in ahead:
        planned.append(Planned(f"{base}:ahead:{days}", "review_ahead",
                               local_moment(due - timedelta(days=days), plan.review_time,
                                            plan.timezone), {"due": due.isoformat(),
                                                             "days": days}))
    planned.append(Planned(f"{base}:due", "review_due",
                           local_moment(due, plan.review_time, plan.timezone),
                           {"due": due.isoformat()}))
    for n in range(1, plan.overdue_max + 1):
        day = due + timedelta(days=plan.overdue_every_days * n)
        planned.append(Planned(f"{base}:overdue:{n}", "review_overdue",
                               local_moment(day, plan.review_time, plan.timezone),
                               {"due": due.isoformat(), "n": n}))
    return planned


# The check-ins start when the earliest timezone's check-in day does (UTC+14): each owner's
# own working hour is then worked out from their Slack timezone (bot/reviews/deliveries.py).
EARLIEST_ZONE_AHEAD = timedelta(hours=14)


def day_begins_somewhere(plan, day: date) -> datetime:
    """No later than `day` begins in the earliest timezone: when an owner's nudge for that
    day is planned, at their own working hour (`owner_moment`)."""
    return local_moment(day, time(0), plan.timezone) - EARLIEST_ZONE_AHEAD


def checkins_start(plan, due: date) -> Planned:
    """When to ask the owners for their check-ins before the review on `due`."""
    day = due - timedelta(days=plan.checkin_days)
    return Planned(f"checkin:{plan.id}:{due.isoformat()}", "checkins",
                   day_begins_somewhere(plan, day),
                   {"due": due.isoformat(), "day": day.isoformat()})


def owner_moment(day: date, timezone: str, *, now: datetime) -> datetime:
    """When an owner is nudged on `day` (a check-in, a deadline): the first working hour of
    that day in their own timezone, or the next one from now when that has passed."""
    return working_moment(max(now, local_moment(day, WORK_START, timezone)), timezone)


DEADLINE_AHEAD = timedelta(days=3)  # an initiative's owner is reminded this long before


def deadline_reminders(plan, initiatives, *, now: datetime) -> list[Planned]:
    """A reminder to each initiative's owner ahead of its due date: planned when that day
    begins somewhere (or now, when it has), it reaches the owner at a working hour of
    theirs (bot/reviews/deliveries.py); none once it is due in the plan's timezone."""
    planned = []
    for item in initiatives:
        if (not item.due_date or not item.owner_id or item.status in ("done", "abandoned")
                or item.due_date <= local_date(now, plan.timezone)):
            continue
        day = item.due_date - DEADLINE_AHEAD
        planned.append(Planned(f"deadline:{plan.id}:{item.id}:{item.due_date.isoformat()}",
                               "deadline", max(day_begins_somewhere(plan, day), now),
                               {"initiative_id": item.id, "due": item.due_date.isoformat()}))
    return planned


def next_summary(plan, *, after: datetime) -> Planned | None:
    """The next periodic progress summary after `after`, at the review time; None when
    summaries are off."""
    frequency = plan.summary_frequency
    if frequency == "off":
        return None
    step = 1
    while True:
        if frequency == "weekly":
            day = plan.start_date + timedelta(weeks=step)
        else:
            day = add_months(plan.start_date, SUMMARY_MONTHS.get(frequency, 1) * step)
        moment = local_moment(day, plan.review_time, plan.timezone)
        if moment > after:
            return Planned(f"summary:{plan.id}:{day.isoformat()}", "summary", moment,
                           {"day": day.isoformat()})
        step += 1


WORK_START, WORK_END = time(9), time(17)  # a working hour: 09:00–17:00 local, Monday–Friday


def working_moment(earliest: datetime, timezone: str) -> datetime:
    """The first moment from `earliest` on that is a working hour in `timezone` (in UTC):
    nobody is asked for a check-in at night or at the weekend."""
    zone = ZoneInfo(timezone)
    local = earliest.astimezone(zone)
    for _day in range(8):
        if local.weekday() < 5:
            if local.time() < WORK_START:
                return datetime.combine(local.date(), WORK_START, zone).astimezone(UTC)
            if local.time() < WORK_END:
                return local.astimezone(UTC)
        local = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
    raise AssertionError("a week always has a working hour")


def measure_progress(baseline: float | None, target: float | None,
                     value: float | None) -> float | None:
    """How far a measure has come from its baseline to its target, in percent (may pass
    100 or go below 0); None when it cannot be told."""
    if baseline is None or target is None or value is None or target == baseline:
        return None
    return (value - baseline) / (target - baseline) * 100


def trend(current: float | None, previous: float | None, *, rising_is_good: bool) -> str:
    """"up", "down" or "flat" for the better, since the previous review; "" unknown."""
    if current is None or previous is None:
        return ""
    if current == previous:
        return "flat"
    return "up" if (current > previous) == rising_is_good else "down"


def overdue(item, today: date) -> bool:
    """An initiative past its due date and neither done nor abandoned: flagged, not silent."""
    return bool(item.due_date and item.due_date < today
                and item.status not in ("done", "abandoned"))
