"""The review summary's progress picture: each objective's measure from its baseline through
every review towards its target, as the share of the way there (so measures in different
units share an axis), one panel per category.

What to draw is read in the sender's process (`chart_data`, plain JSON); drawing happens in
a short-lived child (`python -m bot.reviews.chart`, JSON in, PNG out) so that matplotlib and its
memory never stay in `rumbo serve` or `rumbo worker`."""

import json
import subprocess
import sys

from bot.platform.blocks import local_date
from bot.platform.i18n import gettext_for
from bot.reviews.rules import measure_progress

RENDER_TIMEOUT = 60  # seconds; the outbox retries a delivery that fails


def chart_data(*, lang, plan, categories, objectives, history) -> dict | None:
    """What the picture shows (each review on the day it was held, in the plan's timezone);
    None when no objective has a measure to follow (a baseline, a target value and at least
    one review's value)."""
    _ = gettext_for(lang)
    panels = []
    for category in categories:
        lines = []
        for objective in objectives:
            if objective.category_id != category.id or objective.status == "abandoned":
                continue
            points = [(local_date(closed, plan.timezone).isoformat(), measure_progress(
                objective.baseline, objective.target_value, values[objective.id]))
                for closed, values in history if objective.id in values]
            points = [(day, share) for day, share in points if share is not None]
            if not points:
                continue
            lines.append({"label": objective.statement[:60],
                          "points": [(plan.start_date.isoformat(), 0.0), *points]})
        if lines:
            panels.append({"title": category.name[:60], "lines": lines})
    if not panels:
        return None
    return {"title": _("Progress: {account}").format(account=plan.account_name)[:100],
            "ylabel": _("Share of the way from baseline to target (%)"), "target": _("Target"),
            "panels": panels}


def render_png(data: dict) -> bytes:
    """The picture, drawn in a child process (so the caller's memory does not grow)."""
    done = subprocess.run([sys.executable, "-m", "bot.reviews.chart"],
                          input=json.dumps(data).encode(),
                          capture_output=True, timeout=RENDER_TIMEOUT, check=False)
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise RuntimeError(f"the chart did not render: {done.stderr.decode()[-500:]}")
    return done.stdout


def draw(data: dict) -> bytes:
    """Matplotlib is imported here only, with the Agg backend (no display)."""
    from datetime import date
    from io import BytesIO

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    panels = data["panels"]
    figure, axes = pyplot.subplots(len(panels), 1, figsize=(8, 2.8 * len(panels) + 0.6),
                                   squeeze=False, sharex=True)
    for axis, panel in zip(axes[:, 0], panels, strict=True):
        for line in panel["lines"]:
            days = [date.fromisoformat(day) for day, _share in line["points"]]
            axis.plot(days, [share for _day, share in line["points"]], marker="o",
                      label=line["label"])
        axis.axhline(100, linestyle="--", color="grey", linewidth=1, label=data["target"])
        axis.set_title(panel["title"], loc="left", fontsize=10)
        axis.set_ylabel("%")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="upper left")
    figure.suptitle(data["title"])
    figure.supylabel(data["ylabel"], fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = BytesIO()
    figure.savefig(out, format="png", dpi=110)
    pyplot.close(figure)
    return out.getvalue()


def main() -> None:
    sys.stdout.buffer.write(draw(json.load(sys.stdin)))


if __name__ == "__main__":
    main()
