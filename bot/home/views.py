"""The App Home tab: the user's plans across channels, next and overdue reviews, the items
they own that are at risk, and what they can do about each."""

from bot.objectives.rules import STATUSES
from bot.platform.blocks import (
    context,
    divider,
    escape,
    header,
    long_date,
    option,
    section,
    value_of,
)
from bot.platform.i18n import gettext_for, ngettext_for
from bot.reviews.views import review_when

HOME_PLANS_MAX = 60  # a Home tab holds at most 100 blocks
HOME_MENU = "home_menu"


def home_view(*, lang: str, plans, today, at_risk, overdue=()) -> dict:
    """`plans` is [(plan, is_facilitator)]; `today(plan)` the plan's today; `at_risk`
    [(plan, title, status)]; `overdue` [(plan, title, due date)] of the user's initiatives."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    blocks = [
        header(_("Rumbo: strategic account planning")),
        section(_("Plan with your clients where you already talk to them: type `/plan` in "
                  "an account's channel to create its plan and run the strategy session.")),
        divider(),
    ]
    if plans:
        title = _("Your plans")
        blocks.append(section(f"*{title}*"))
    for plan, facilitates in plans[:HOME_PLANS_MAX]:
        lines = [f"*{escape(plan.account_name)}* · <#{plan.channel_id}>"]
        due, plan_today = plan.next_review_on, today(plan)
        if due and due < plan_today:
            days = (plan_today - due).days
            lines.append("⚠️ " + n_("Review overdue by {days} day (due {date})",
                                    "Review overdue by {days} days (due {date})", days).format(
                days=days, date=long_date(due, lang)))
        elif due:
            lines.append(_("Next review: {date}").format(date=review_when(plan, lang)))
        options = [option(_("Progress summary"), value_of("summary", plan.id))]
        if plan.canvas_on:
            options.append(option(_("Refresh the channel's canvas"), value_of("canvas", plan.id)))
        if facilitates:
            options = [option(_("Start review"), value_of("review", plan.id)), *options,
                       option(_("Export"), value_of("export", plan.id)),
                       option(_("Import from a spreadsheet"), value_of("import", plan.id))]
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": "\n".join(lines)[:3000]},
                       "accessory": {"type": "overflow", "action_id": HOME_MENU,
                                     "options": options}})
    if not plans:
        blocks.append(context(_("No plans yet: create one with `/plan new` in an account's "
                                "channel.")))
    if at_risk:
        blocks.append(divider())
        title = _("Items you own that are at risk")
        lines = [f"*{title}*"] + [
            f"• {escape(item[:200])} — {_(STATUSES[status])} · {escape(plan.account_name)}"
            for plan, item, status in at_risk[:30]]
        blocks.append(section("\n".join(lines)[:3000]))
    if overdue:
        blocks.append(divider())
        title = _("Your initiatives past their due date")
        lines = [f"*{title}*"] + [
            "• ⚠️ " + _("{title} — due {date} · {account}").format(
                title=escape(item[:200]), date=long_date(due, lang),
                account=escape(plan.account_name)) for plan, item, due in overdue[:30]]
        blocks.append(section("\n".join(lines)[:3000]))
    return {"type": "home", "blocks": blocks}
