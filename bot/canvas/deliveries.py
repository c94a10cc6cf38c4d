"""The channel's canvas through the outbox: one kind of delivery, collapsed per plan, so a
burst of changes makes one edit.

Sending it draws the whole canvas from the database and compares each section's digest with
the one last written (kept on the plan). The first time it creates the channel canvas; then
one changed section is looked up by its heading and replaced; several changed sections, or
a canvas whose headings are not all there any more (edited by hand), are written whole with
one `replace`. Every edit writes what the database holds, so an edit repeated after a crash
(the process died after Slack took it, before the digests were stored) writes the same
content again: the canvas stays as it is. A canvas created just before such a crash is
recognised by Rumbo's own note in it and taken up, not refused as someone else's.
"""

import json
import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.canvas import views
from bot.canvas.views import CanvasData, Section
from bot.outbox.kinds import Kind
from bot.platform.blocks import local_date, notice
from bot.platform.i18n import gettext_for
from bot.platform.slack import slack_error, tell_user
from bot.reviews.rules import review_dates
from storage import canvas, objectives, plans
from storage.models import Plan

if TYPE_CHECKING:
    from bot.outbox.sender import Sending

log = logging.getLogger("rumbo")

# What Slack answers when the plan cannot have its canvas: the facilitator is told once and
# nothing tries again until `/plan canvas`. A channel archived or gone is told by the
# pause of the plan's nudges (bot/outbox/sender.py), not twice.
UNTOLD = {"channel_not_found", "is_archived"}
REFUSED = {*views.REFUSALS, "canvas_disabled_user_team", "restricted_action",
           "not_allowed_token_type", *UNTOLD}
GONE = {"canvas_not_found", "canvas_deleted"}  # deleted in Slack: a new one is made


def canvas_data(db: Session, *, plan: Plan, today) -> CanvasData:
    return CanvasData(
        plan=plan, categories=plans.categories(db, plan=plan),
        objectives=objectives.objectives(db, plan=plan),
        initiatives=objectives.initiatives(db, plan=plan),
        ideas=canvas.ranked_ideas(db, plan=plan, scores=views.PRIORITIES),
        facilitators=plans.facilitators_of(db, plan=plan),
        next_review=plan.next_review_on or review_dates(plan, after=today),
        last_review=canvas.last_review(db, plan=plan), today=today)


def _send(sending: "Sending") -> bool:
    db, plan = sending.db, sending.plan
    if not plan.canvas_on or plan.canvas_refused:
        return False
    if canvas.another_sending(db, delivery=sending.delivery, now=sending.now):
        raise RuntimeError("another process is editing this canvas")  # retried after it
    drawn = views.sections(canvas_data(db, plan=plan,
                                       today=local_date(sending.now, plan.timezone)))
    try:
        _write(sending, drawn)
    except SlackApiError as error:
        code = slack_error(error)
        if code not in REFUSED:
            raise  # the sender retries it, with backoff
        log.warning("Slack refused plan %s's canvas: %s", plan.id, code)
        if canvas.refuse(db, plan=plan, error=code) and code not in UNTOLD:
            _tell_facilitator(sending, code)
        return False
    return True


def _write(sending: "Sending", drawn: list[Section]) -> None:
    db, plan, client = sending.db, sending.plan, sending.client
    if plan.canvas_id is None:
        canvas.written(db, plan=plan, canvas_id=_create(sending, drawn),
                       digest=views.digests(drawn))
        return
    before = json.loads(plan.canvas_digest or "{}")
    changed = [section for section in drawn if before.get(section.key) != section.digest]
    if not changed and set(before) == {section.key for section in drawn}:
        return
    try:
        section_id = _only_changed_section(sending, drawn, changed)
        if section_id is not None:
            change = {"operation": "replace", "section_id": section_id,
                      "document_content": _content(changed[0].markdown)}
        else:  # rebuilt whole: several sections changed, or the canvas was edited by hand
            change = {"operation": "replace", "document_content": _content(
                views.document(drawn))}
        client.canvases_edit(canvas_id=plan.canvas_id, changes=[change])
    except SlackApiError as error:
        if slack_error(error) not in GONE:
            raise
        canvas.forget(db, plan=plan)
        canvas.written(db, plan=plan, canvas_id=_create(sending, drawn),
                       digest=views.digests(drawn))
        return
    canvas.written(db, plan=plan, canvas_id=plan.canvas_id, digest=views.digests(drawn))


def _only_changed_section(sending: "Sending", drawn: list[Section], changed: list[Section]
                          ) -> str | None:
    """The id of the one section that changed, while the canvas holds all of Rumbo's
    headings and that one once; None: the canvas is to be written whole."""
    if len(changed) != 1:
        return None
    headings = _lookup(sending, {"section_types": ["h1", "h2"]})
    found = _lookup(sending, {"section_types": [f"h{changed[0].level}"],
                              "contains_text": changed[0].heading})
    if len(headings) != len(drawn) or len(found) != 1:
        return None
    return found[0]


def _lookup(sending: "Sending", criteria: dict) -> list[str]:
    answer = sending.client.canvases_sections_lookup(canvas_id=sending.plan.canvas_id or "",
                                                     criteria=criteria)
    return [section["id"] for section in answer.get("sections") or []]


def _create(sending: "Sending", drawn: list[Section]) -> str:
    """A new channel canvas with the plan; one Rumbo made just before a crash is taken up."""
    client, plan = sending.client, sending.plan
    _ = gettext_for(plan.language)
    try:
        made = client.conversations_canvases_create(
            channel_id=plan.channel_id, document_content=_content(views.document(drawn)),
            title=_("Account plan: {account}").format(account=plan.account_name))
        return made["canvas_id"]
    except SlackApiError as error:
        if slack_error(error) != "channel_canvas_already_exists":
            raise
        existing = _channel_canvas(sending)
        if existing is None or not _is_rumbos(sending, existing, drawn):
            raise
        log.warning("taking up plan %s's canvas %s, made before a crash", plan.id, existing)
        client.canvases_edit(canvas_id=existing, changes=[{
            "operation": "replace", "document_content": _content(views.document(drawn))}])
        return existing


def _channel_canvas(sending: "Sending") -> str | None:
    channel = sending.client.conversations_info(channel=sending.plan.channel_id)["channel"]
    return ((channel.get("properties") or {}).get("canvas") or {}).get("file_id")


def _is_rumbos(sending: "Sending", canvas_id: str, drawn: list[Section]) -> bool:
    """Does the canvas carry Rumbo's note (the first lines of its first section)?"""
    note = drawn[0].body.rsplit("> ", 1)[-1][:60]
    answer = sending.client.canvases_sections_lookup(canvas_id=canvas_id,
                                                     criteria={"contains_text": note})
    return bool(answer.get("sections"))


def _content(markdown: str) -> dict:
    return {"type": "markdown", "markdown": markdown}


def _tell_facilitator(sending: "Sending", error: str) -> None:
    """The one notice of a refusal: to whoever asked or changed the plan, if they are a
    facilitator, else to the plan's creator; in their own language."""
    db, plan = sending.db, sending.plan
    asker = sending.payload.get("user_id")
    user_id = asker if asker and plans.is_facilitator(db, plan=plan, user_id=asker) \
        else plan.created_by
    lang = sending.users.profile(sending.client, user_id)[0]
    tell_user(sending.client, channel_id=plan.channel_id, user_id=user_id,
              message=notice(views.refused_note(lang=lang, plan=plan, error=error)))


CANVAS = Kind(canvas.KIND, send=_send, counted=False,
              group=lambda delivery: f"canvas:{delivery.plan_id}")
KINDS = (CANVAS,)
