"""The App Home tab."""

from bot.blocks.text import button, context, divider, escape, header, section
from bot.i18n import gettext_for

HOME_PLANS_MAX = 90  # a Home tab holds at most 100 blocks
HOME_EXPORT = "home_export"


def home_view(*, lang: str, plans) -> dict:
    _ = gettext_for(lang)
    blocks = [
        header(_("Rumbo: strategic account planning")),
        section(_("Plan with your clients where you already talk to them: type `/plan` in "
                  "an account's channel to create its plan and run the strategy session.")),
        divider(),
    ]
    if plans:
        title = _("Plans you facilitate")
        blocks.append(section(f"*{title}*"))
        for plan in plans[:HOME_PLANS_MAX]:
            blocks.append(section(f"*{escape(plan.account_name)}* · <#{plan.channel_id}>",
                                  accessory=button(_("Export"), HOME_EXPORT, str(plan.id))))
    else:
        blocks.append(context(_("You don't facilitate any plan yet.")))
    return {"type": "home", "blocks": blocks}
