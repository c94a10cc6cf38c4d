"""The progress summary: on demand (`/plan summary`), on a schedule, and after a review."""

from bot.blocks.text import chunk_lines, context, escape, header, section, split_messages
from bot.i18n import gettext_for
from bot.planning import STATUSES, measure_progress, trend

TREND_MARKS = {"up": "↗", "down": "↘", "flat": "→", "": ""}
COUNTED = ("done", "on_track", "at_risk", "off_track")


def progress_messages(*, lang, plan, categories, objectives, initiatives, values,
                      changes=None, title=None) -> list[dict]:
    """Per category: objectives done / on track / at risk / off track, each measure's
    progress from baseline to target and its trend since the last review; items at risk;
    done items celebrated. `values` is {objective id: (current, previous)}."""
    _ = gettext_for(lang)
    title = title or _("Progress: {account}").format(account=plan.account_name)
    blocks = [header(title)]
    if changes:
        blocks += [section(chunk) for chunk in chunk_lines(changes)]
    for category in categories:
        mine = [o for o in objectives if o.category_id == category.id]
        counts = " · ".join(f"{sum(1 for o in mine if o.status == s)} {_(STATUSES[s]).lower()}"
                            for s in COUNTED)
        lines = [f"*{escape(category.name)}* — {counts}"]
        for o in mine:
            lines.append(_objective_progress(o, values.get(o.id, (None, None)), lang))
        blocks += [section(chunk) for chunk in chunk_lines(lines)]
    at_risk = [o.statement for o in objectives if o.status in ("at_risk", "off_track")]
    at_risk += [i.title for i in initiatives if i.status in ("at_risk", "off_track")]
    if at_risk:
        heading = _("At risk or off track")
        blocks += [section(chunk) for chunk in chunk_lines(
            [f"⚠️ *{heading}*"] + [f"• {escape(x)}" for x in at_risk])]
    done = [o.statement for o in objectives if o.status == "done"]
    done += [i.title for i in initiatives if i.status == "done"]
    if done:
        heading = _("Done: nothing more satisfying")
        blocks += [section(chunk) for chunk in chunk_lines(
            [f"🎉 *{heading}*"] + [f"• ~{escape(x)}~ ✅" for x in done])]
    if not objectives:
        blocks.append(context(_("No objectives yet: `/plan objectives` turns the 3s into "
                                "objectives.")))
    return [{"text": escape(title), "blocks": part} for part in split_messages(blocks)]


def _objective_progress(objective, values, lang) -> str:
    _ = gettext_for(lang)
    current, previous = values
    statement = escape(objective.statement)
    if objective.status == "done":
        statement = f"~{statement}~ ✅"
    line = f"• {statement} — {_(STATUSES[objective.status])}"
    percent = measure_progress(objective.baseline, objective.target_value, current)
    if percent is not None:
        rising = (objective.target_value or 0) >= (objective.baseline or 0)
        mark = TREND_MARKS[trend(current, previous, rising_is_good=rising)]
        line += " · " + _("{percent}% of the way ({value} of {target})").format(
            percent=round(percent), value=f"{current:g}", target=f"{objective.target_value:g}")
        if mark:
            line += f" {mark}"
    return line
