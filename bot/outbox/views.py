"""What the outbox itself says: that it cannot post a plan's nudges in its channel any more."""

from bot.platform.blocks import escape, section
from bot.platform.i18n import gettext_for


def channel_paused(*, lang, plan, error) -> dict:
    _ = gettext_for(lang)
    text = _("I can't post in <#{channel}> any more ({error}), so the reminders and "
             "summaries of *{account}* are paused. Invite me back with `/invite @Rumbo`, then "
             "run `/plan resume` there.").format(channel=plan.channel_id, error=error,
                                                 account=escape(plan.account_name))
    return {"text": text, "blocks": [section(text)]}
