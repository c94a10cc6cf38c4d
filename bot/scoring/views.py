"""Channel and ephemeral messages. Each builder returns {"text": ..., "blocks": [...]}."""

from bot.objectives.views import OBJECTIVE_PROMOTE
from bot.platform.blocks import (
    TEXT_MAX,
    button,
    chunk_lines,
    confirm_modal,
    context,
    escape,
    header,
    mention,
    modal,
    option,
    radio_input,
    section,
    select_input,
    split_messages,
    text_input,
    value_of,
)
from bot.platform.i18n import N_, gettext_for, ngettext_for
from bot.platform.state import CHOOSE, REQUIRED, TOO_LONG, read_state
from bot.scoring.rules import (
    EFFORT,
    LIKELIHOOD,
    NEED,
    SCORE_LABELS,
    SCORES,
    STATUSES,
    URGENCY,
    WORTH_IT,
    consensus,
)
from bot.sessions.rules import IDEA_TAGS
from storage.scoring import IdeasPage

ROUND_START = "round_start"  # handled with the scoring round (listeners.py)
PAGE_SIZE = 15
IDEA_MENU = "idea_menu"

# Paging and the discarded toggle share one handler; ids differ (unique within a block).
IDEAS_PAGE_PREVIOUS, IDEAS_PAGE_NEXT = "ideas_page_previous", "ideas_page_next"
IDEAS_DISCARDED = "ideas_discarded"
IDEAS_PAGES = (IDEAS_PAGE_PREVIOUS, IDEAS_PAGE_NEXT, IDEAS_DISCARDED)
IDEAS_PRIORITIES = "ideas_priorities"
PRIORITIES_SHARE = "priorities_share"
ROUND_EVALUATE, ROUND_PREVIOUS, ROUND_NEXT = "round_evaluate", "round_previous", "round_next"
ROUND_REVEAL, ROUND_SETTLE, ROUND_NUDGE = "round_reveal", "round_settle", "round_nudge"
ROUND_END, ROUND_END_CALLBACK = "round_end", "round_end_confirm"
ROUND_SETTLE_SUGGESTED, ROUND_SETTLE_AGREED = "round_settle_suggested", "round_settle_agreed"

# One button per score, so that one click scores (ids are unique within a block).
ROUND_SCORES = {score: f"round_score_{score}" for score in SCORES}
EVALUATE_CALLBACK, SETTLE_CALLBACK = "idea_evaluate", "idea_settle"
EDIT_CALLBACK, MERGE_CALLBACK = "idea_edit", "idea_merge"

# Evaluation inputs, the seed's step 2 prompts: (block id, label, choices; None: free text).
EVALUATION_INPUTS = (
    ("pros", N_("What are the pros?"), None),
    ("cons", N_("What are the cons?"), None),
    ("likelihood", N_("How likely is it to succeed or fail?"), LIKELIHOOD),
    ("costs", N_("What are the costs?"), None),
    ("need", N_("Is it a need or a nice-to-have?"), NEED),
    ("time_resources", N_("How much time and how many resources will it take?"), None),
    ("urgency", N_("Is it urgent or important?"), URGENCY),
    ("effort", N_("Will it be easy or hard?"), EFFORT),
    ("worth_it", N_("Is the return on investment worth it?"), WORTH_IT),
)


def _score_label(score: str | None, lang: str) -> str:
    return gettext_for(lang)(SCORE_LABELS[score]) if score else "–"


def _idea_meta(idea, lang: str) -> list[str]:
    _ = gettext_for(lang)
    parts = []
    if idea.source_question:
        parts.append(_("Q{number}").format(number=idea.source_question))
    if idea.tag:
        parts.append(_(IDEA_TAGS[idea.tag]))
    parts.append(mention(idea.user_id))
    return parts


def ideas_message(*, lang, plan, listed: IdeasPage, viewer, is_facilitator,
                  show_discarded=False):
    """One page of the channel's ideas, grouped by status (never cut short)."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    total, discarded = sum(listed.counts.values()), listed.counts.get("discard", 0)
    page, pages = listed.page, listed.pages

    summary = n_("{count} idea", "{count} ideas", total).format(count=total)
    if discarded and not show_discarded:
        summary += " · " + n_("{count} discarded, hidden", "{count} discarded, hidden",
                              discarded).format(count=discarded)
    if pages > 1:
        summary += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
    blocks = [header(_("Ideas: {account}").format(account=plan.account_name)),
              context(summary)]
    if not total:
        blocks.append(section(_("No ideas yet. Add one with `/plan idea <text>` or in a "
                                "strategy session.")))
    group = object()
    for row in listed.rows:
        if row.idea.score != group:
            group = row.idea.score
            blocks.append(section(f"*{_(STATUSES[group])}* ({listed.counts[group]})"))
        blocks.append(_idea_section(row, lang, viewer, is_facilitator))

    elements = []
    if page > 0:
        elements.append(button(_("Previous page"), IDEAS_PAGE_PREVIOUS,
                               value_of(page - 1, int(show_discarded))))
    if page < pages - 1:
        elements.append(button(_("Next page"), IDEAS_PAGE_NEXT,
                               value_of(page + 1, int(show_discarded))))
    if discarded:
        label = _("Hide discarded") if show_discarded else _("Show discarded")
        elements.append(button(label, IDEAS_DISCARDED, value_of(0, int(not show_discarded))))
    elements.append(button(_("Priority list"), IDEAS_PRIORITIES, value_of(plan.id)))
    if is_facilitator:
        elements.append(button(_("Start a scoring round"), ROUND_START, value_of(plan.id),
                               style="primary"))
    blocks.append({"type": "actions", "elements": elements})
    return {"text": escape(_("Ideas: {account}").format(account=plan.account_name)),
            "blocks": blocks}


def _idea_section(row, lang, viewer, is_facilitator) -> dict:
    _ = gettext_for(lang)
    idea = row.idea
    meta = _idea_meta(idea, lang)
    if row.merged:
        n_ = ngettext_for(lang)
        meta.append(n_("+{count} merged idea", "+{count} merged ideas", row.merged).format(
            count=row.merged))
    meta.append(_("scored by {count}").format(count=len(row.scorers)))
    if viewer in row.scorers:
        meta.append(_("your score: {score}").format(score=_score_label(row.scorers[viewer],
                                                                       lang)))
    lines = [f"*{escape(idea.text)}*", " · ".join(meta)]
    if idea.revealed_at and row.scorers:
        lines.append(_("Scores: {scores}").format(scores=", ".join(
            f"{mention(user)} {_score_label(score, lang)}"
            for user, score in list(row.scorers.items())[:30])))
    options = [option(_("Evaluate and score"), value_of("evaluate", idea.id))]
    if is_facilitator:
        options.append(option(_("Settle or move"), value_of("settle", idea.id)))
    if is_facilitator or viewer == idea.user_id:
        options.append(option(_("Edit"), value_of("edit", idea.id)))
    if is_facilitator:
        options.append(option(_("Merge into another idea"), value_of("merge", idea.id)))
    text = "\n".join(lines)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]},
            "accessory": {"type": "overflow", "action_id": IDEA_MENU, "options": options}}


def priorities_messages(*, lang, plan, rows, show_discarded=False, shared=False) -> list[dict]:
    """Ideas by settled score: 3s first, 2s to evaluate further, 1s on hold; discarded
    ones out of sight unless asked for. As many messages as Slack's limits need."""
    _ = gettext_for(lang)
    title = _("Priority list: {account}").format(account=plan.account_name)
    blocks = [header(title)]
    groups = ["3", "2", "1"] + (["discard"] if show_discarded else [])
    none = _("None.")
    for score in groups:
        members = [r for r in rows if r.idea.score == score]
        lines = [f"*{_(STATUSES[score])}* ({len(members)})"]
        lines += [f"• {escape(r.idea.text)} _({' · '.join(_idea_meta(r.idea, lang))})_"
                  for r in members] or [f"_{none}_"]
        blocks += [section(chunk) for chunk in chunk_lines(lines)]
    unscored = sum(1 for r in rows if r.idea.score is None)
    discarded = sum(1 for r in rows if r.idea.score == "discard")
    n_ = ngettext_for(lang)
    notes = []
    if unscored:
        notes.append(n_("{count} idea not scored yet", "{count} ideas not scored yet",
                        unscored).format(count=unscored))
    if discarded and not show_discarded:
        notes.append(n_("{count} discarded idea, hidden", "{count} discarded ideas, hidden",
                        discarded).format(count=discarded))
    if notes:
        blocks.append(context(" · ".join(notes)))
    if not shared:
        elements = [button(_("Post to the channel"), PRIORITIES_SHARE, value_of(plan.id))]
        if discarded:
            label = _("Hide discarded") if show_discarded else _("Show discarded")
            elements.append(button(label, IDEAS_PRIORITIES,
                                   value_of(plan.id, int(not show_discarded))))
        blocks.append({"type": "actions", "elements": elements})
    return [{"text": escape(title), "blocks": part} for part in split_messages(blocks)]


def round_card(*, lang, plan, scoring_round, row, position, total, participants, settled,
               agreed=0, promotable=()):
    """The round's one card: the idea in play, a one-click score for everyone, and the
    facilitators' controls apart. Once ended: what came of it, and the 3s to promote."""
    _ = gettext_for(lang)
    title = _("Scoring round: {account}").format(account=plan.account_name)
    blocks = [header(title)]
    if scoring_round.ended_at is not None:
        blocks.append(section(_("This scoring round has ended: {settled} of {total} ideas "
                                "settled.").format(settled=settled, total=total)))
        if promotable:
            blocks.append(section(_("*Next step:* turn the ideas settled at 3 into objectives.")))
        for idea in promotable[:40]:
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": escape(idea.text)[:3000]},
                           "accessory": button(_("Promote"), OBJECTIVE_PROMOTE, value_of(idea.id),
                                               style="primary")})
        return {"text": escape(title), "blocks": blocks}
    if row is None:
        blocks.append(section(_("There are no ideas to score.")))
        return {"text": escape(title), "blocks": blocks}
    idea = row.idea
    blocks.append(context(_("Idea {position} of {total} · {settled} settled").format(
        position=position + 1, total=total, settled=settled)))
    lines = [f"*{escape(idea.text)}*", " · ".join(_idea_meta(idea, lang))]
    if idea.score:
        lines.append(_("Settled: {status}").format(status=_(STATUSES[idea.score])))
    blocks.append(section("\n".join(lines)))
    scored = _("Scored by {count} of {total}").format(
        count=len(row.scorers), total=len(set(participants) | set(row.scorers)))
    if row.scorers:
        scored += ": " + ", ".join(mention(user) for user in list(row.scorers)[:40])
    blocks.append(section(scored))
    waiting = [user for user in participants if user not in row.scorers]
    if waiting and not idea.score:
        blocks.append(context(_("Waiting for: {people}").format(
            people=", ".join(mention(user) for user in waiting[:40]))))
    scores = list(row.scorers.values())
    if idea.revealed_at and row.scorers:
        blocks.append(section(_consensus_text(scores, lang) + "\n"
                              + ", ".join(f"{mention(u)} {_score_label(s, lang)}"
                                          for u, s in list(row.scorers.items())[:40])))
    elif not idea.score:
        blocks.append(context(_("Click your score: only you see it until a facilitator "
                                "reveals them all, so nobody anchors on the first vote. "
                                "Click another to change it.")))
    value = value_of(scoring_round.id, idea.id)
    if not idea.score:
        blocks.append({"type": "actions", "block_id": "round_scores", "elements": [
            *(button(_(SCORES[score][0]), ROUND_SCORES[score], value) for score in SCORES),
            button(_("Full evaluation"), ROUND_EVALUATE, value),
        ]})
    blocks.append(context(_("*Facilitators*")))
    controls = []
    suggested = consensus(scores).suggested
    if suggested and not idea.score:
        controls.append(button(_("Settle as {score}").format(score=_score_label(suggested,
                                                                                lang)),
                               ROUND_SETTLE_SUGGESTED, value_of(value, suggested),
                               style="primary"))
    if agreed:
        n_ = ngettext_for(lang)
        controls.append(button(n_("Settle {count} agreed idea", "Settle all {count} agreed "
                                  "ideas", agreed).format(count=agreed),
                               ROUND_SETTLE_AGREED, value))
    controls.append(button(_("Settle…"), ROUND_SETTLE, value))
    if not idea.revealed_at:
        controls.append(button(_("Reveal scores"), ROUND_REVEAL, value))
    controls += [button(_("Previous"), ROUND_PREVIOUS, value),
                 button(_("Next"), ROUND_NEXT, value)]
    if waiting and not idea.score:
        controls.append(button(_("Nudge who is missing"), ROUND_NUDGE, value))
    # Its confirmation opens only for facilitators (end_round_modal), not Slack's dialog.
    controls.append(button(_("End round"), ROUND_END, value, style="danger"))
    blocks.append({"type": "actions", "block_id": "round_actions", "elements": controls})
    return {"text": escape(title), "blocks": blocks}


def end_round_modal(*, lang, private_metadata) -> dict:
    _ = gettext_for(lang)
    return confirm_modal(
        ROUND_END_CALLBACK, title=_("End the round?"),
        text=_("Unsettled ideas keep their scores and can be settled later."),
        confirm=_("End round"), deny=_("Keep scoring"), private_metadata=private_metadata)


def _consensus_text(scores: list[str], lang: str) -> str:
    _ = gettext_for(lang)
    result = consensus(scores)
    if result.suggested is None:
        return _("Nobody has scored this idea yet.")
    parts = [_("Suggested: *{score}* (the median of {count} scores).").format(
        score=_score_label(result.suggested, lang), count=result.count)]
    if result.unanimous:
        parts.append(_("Everyone agrees."))
    if result.tie:
        parts.append(_("Tie between {high} and {low}: the more cautious score is suggested.")
                     .format(high=_score_label(result.tie[0], lang),
                             low=_score_label(result.tie[1], lang)))
    if result.split:
        parts.append(_("Opinions are split, from {low} to {high}: worth a discussion.").format(
            low=_score_label(result.split[1], lang), high=_score_label(result.split[0], lang)))
    return " ".join(parts)


def nudge_message(*, lang, idea, waiting) -> dict:
    _ = gettext_for(lang)
    text = _("{people}: your score for “{idea}” is still missing: one click on the round "
             "card.").format(people=", ".join(mention(u) for u in waiting),
                             idea=escape(idea.text[:200]))
    return {"text": text, "blocks": [section(text[:3000])]}


def _idea_context(idea, lang) -> dict:
    return context(f"*{escape(idea.text[:2000])}*\n" + " · ".join(_idea_meta(idea, lang)))


def _score_options(lang) -> list[dict]:
    _ = gettext_for(lang)
    return [option(_(name), score, _(meaning)) for score, (name, meaning) in SCORES.items()]


def evaluate_modal(*, lang, idea, evaluation, others, private_metadata) -> dict:
    """The seed's evaluation prompts and the score. `others` is [(user, score)] once a
    facilitator has revealed the scores, None before: each sees only their own."""
    _ = gettext_for(lang)
    blocks = [_idea_context(idea, lang)]
    for block_id, label, choices in EVALUATION_INPUTS:
        current = getattr(evaluation, block_id, None) if evaluation else None
        if choices is None:
            blocks.append(text_input(block_id, _(label), initial=current))
        else:
            options = [option(_(text), value) for value, text in choices.items()]
            blocks.append(radio_input(block_id, _(label), options, current))
    blocks.append(radio_input("score", _("Your score"), _score_options(lang),
                              evaluation.score if evaluation else None, optional=False))
    if others is None:
        blocks.append(context(_("Others' scores stay hidden until a facilitator reveals "
                                "them.")))
    elif others:
        blocks.append(context(_("Scores so far: {scores}").format(scores=", ".join(
            f"{mention(u)} {_score_label(s, lang)}" for u, s in others[:40]))))
    return modal(EVALUATE_CALLBACK, lang=lang, title=_("Evaluate idea"), submit=_("Save"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_evaluation(values: dict, lang: str):
    """({field: value}, errors by block id)."""
    _ = gettext_for(lang)
    raw = read_state(values)
    result, errors = {}, {}
    for block_id, _label, choices in EVALUATION_INPUTS:
        value = raw.get(block_id)
        if isinstance(value, str):
            value = value.strip() or None
        if choices is None and value and len(value) > TEXT_MAX:
            errors[block_id] = _(TOO_LONG).format(max_length=TEXT_MAX)
        elif choices is not None and value is not None and value not in choices:
            errors[block_id] = _(CHOOSE)
        result[block_id] = value
    score = raw.get("score")
    if score is None:
        errors["score"] = _(REQUIRED)
    elif score not in SCORES:
        errors["score"] = _(CHOOSE)
    result["score"] = score
    return result, errors


def settle_modal(*, lang, idea, evaluations, private_metadata) -> dict:
    """Every participant's score, the suggested consensus, and the final score to
    confirm or override (any status, so an idea can also be moved or restored)."""
    _ = gettext_for(lang)
    scores = [e.score for e in evaluations]
    suggested = consensus(scores).suggested
    blocks = [_idea_context(idea, lang)]
    if evaluations:
        lines = []
        for e in evaluations:
            line = f"{mention(e.user_id)}: *{_score_label(e.score, lang)}*"
            notes = [escape(x[:150]) for x in (e.pros, e.cons) if x]
            if notes:
                line += " — " + " / ".join(notes)
            lines.append(line)
        blocks += [section(chunk) for chunk in chunk_lines(lines)][:40]
    blocks.append(section(_consensus_text(scores, lang)))
    if idea.score:
        blocks.append(context(_("Currently: {status}").format(status=_(STATUSES[idea.score]))))
    options = _score_options(lang) + [option(_("Not scored yet"), "none")]
    blocks.append(radio_input("score", _("Final score"), options,
                              idea.score or suggested, optional=False))
    blocks.append(text_input("note", _("Why"), multiline=False,
                             hint=_("Kept in the idea's history.")))
    return modal(SETTLE_CALLBACK, lang=lang, title=_("Settle the score"), submit=_("Settle"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_settle(values: dict, lang: str):
    """((score or None, note), errors)."""
    _ = gettext_for(lang)
    raw = read_state(values)
    score, note = raw.get("score"), (raw.get("note") or "").strip() or None
    if score is None:
        return None, {"score": _(REQUIRED)}
    if score != "none" and score not in SCORES:
        return None, {"score": _(CHOOSE)}
    if note and len(note) > TEXT_MAX:
        return None, {"note": _(TOO_LONG).format(max_length=TEXT_MAX)}
    return (None if score == "none" else score, note), {}


def edit_modal(*, lang, idea, private_metadata) -> dict:
    _ = gettext_for(lang)
    tags = [option(_(label), tag) for tag, label in IDEA_TAGS.items()]
    blocks = [
        text_input("idea_text", _("Idea"), initial=idea.text, optional=False),
        radio_input("idea_tag", _("Kind"), tags, idea.tag),
    ]
    return modal(EDIT_CALLBACK, lang=lang, title=_("Edit idea"), submit=_("Save"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_edit(values: dict, lang: str):
    """((text, tag), errors)."""
    _ = gettext_for(lang)
    raw = read_state(values)
    text, tag = (raw.get("idea_text") or "").strip(), raw.get("idea_tag")
    if not text:
        return None, {"idea_text": _(REQUIRED)}
    if len(text) > TEXT_MAX:
        return None, {"idea_text": _(TOO_LONG).format(max_length=TEXT_MAX)}
    if tag is not None and tag not in IDEA_TAGS:
        return None, {"idea_tag": _(CHOOSE)}
    return (text, tag), {}


def merge_modal(*, lang, idea, candidates, private_metadata) -> dict:
    _ = gettext_for(lang)
    options = [option(c.text[:75], str(c.id)) for c in candidates[:100]]
    blocks = [_idea_context(idea, lang)]
    if options:
        blocks.append(select_input("into", _("Merge into"), options,
                                   placeholder=_("Choose the idea that says the same")))
        blocks.append(context(_("The merged idea is kept, hidden behind the other one, with "
                                "its evaluations.")))
    else:
        blocks.append(section(_("There is no other idea to merge into.")))
    return modal(MERGE_CALLBACK, lang=lang, title=_("Merge idea"), submit=_("Merge"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_merge(values: dict, lang: str):
    """(target idea id, errors)."""
    _ = gettext_for(lang)
    into = read_state(values).get("into")
    if into is None or not str(into).isdigit():
        return None, {"into": _(REQUIRED)}
    return int(into), {}
