"""Scheduled messages: review reminders, session timers, progress summaries."""

from bot.blocks.text import button, context, escape, long_date, mention, section, slack_date
from bot.i18n import gettext_for, ngettext_for
from bot.reminders import local_moment

REVIEW_START, REVIEW_POSTPONE, REVIEW_SKIP = "review_start", "review_postpone", "review_skip"


def review_moment(plan, day, lang=None) -> str:
    """A review's day and its time, as each reader's Slack shows it in their own timezone."""
    return slack_date(local_moment(day, plan.review_time, plan.timezone), plan.timezone,
                      lang or plan.language, "{date_long_pretty} {time}")


def review_reminder(*, lang, plan, kind, due, days=None, overdue_days=None) -> dict:
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    account = escape(plan.account_name)
    when = review_moment(plan, due, lang)
    if kind == "review_ahead":
        text = n_("The review of *{account}* is in {days} day, on {date}.",
                  "The review of *{account}* is in {days} days, on {date}.", days).format(
            account=account, days=days, date=when)
    elif kind == "review_due":
        text = _("It is time to review *{account}*: be critical about what worked and what "
                 "did not, tick off what is done.").format(account=account)
    else:
        text = n_("The review of *{account}* is overdue by {days} day (it was due on {date}).",
                  "The review of *{account}* is overdue by {days} days (it was due on "
                  "{date}).", overdue_days).format(account=account, days=overdue_days,
                                                   date=when)
    value = f"{plan.id}:{due.isoformat()}"
    blocks = [section(text), {"type": "actions", "elements": [
        button(_("Start review"), REVIEW_START, value, style="primary"),
        button(_("Postpone"), REVIEW_POSTPONE, value),
        button(_("Skip the next reminder"), REVIEW_SKIP, value),
    ]}, context(_("Postponing and skipping are for facilitators."))]
    return {"text": text, "blocks": blocks}


def deadline_reminder(*, lang, plan, initiative, mention_owner=False) -> dict:
    _ = gettext_for(lang)
    text = _("*{title}* (*{account}*) is due on {date}, and you own it. Where does it "
             "stand?").format(
        title=escape(initiative.title[:300]), account=escape(plan.account_name),
        date=long_date(initiative.due_date, lang))
    if mention_owner:
        text = f"{mention(initiative.owner_id)} " + text
    return {"text": text, "blocks": [section(text)]}


def session_timer(*, lang, plan, kind, facilitators, minutes=10) -> dict:
    _ = gettext_for(lang)
    if kind == "session_warning":
        n_ = ngettext_for(lang)
        text = n_("{minutes} minute left in the strategy session of *{account}*: time to add "
                  "the last ideas.", "{minutes} minutes left in the strategy session of "
                  "*{account}*: time to add the last ideas.", minutes).format(
            minutes=minutes, account=escape(plan.account_name))
    else:
        text = _("Time is up for the strategy session of *{account}*. {people}: end it from "
                 "the card to post the recap.").format(
            account=escape(plan.account_name),
            people=", ".join(mention(u) for u in facilitators))
    return {"text": text, "blocks": [section(text)]}


def channel_paused(*, lang, plan, error) -> dict:
    _ = gettext_for(lang)
    text = _("I can't post in <#{channel}> any more ({error}), so the reminders and "
             "summaries of *{account}* are paused. Invite me back with `/invite @Rumbo`, then "
             "run `/plan resume` there.").format(channel=plan.channel_id, error=error,
                                                 account=escape(plan.account_name))
    return {"text": text, "blocks": [section(text)]}
