"""`/plan import`: a plan brought in from a spreadsheet. The file's modal, then a preview
of what it would create or change, then, confirmed, all of it stored in one transaction.

The preview's submission downloads and reads the file in its ack (Slack waits 3 seconds):
its size is known before the download (files.info), the download has a timeout and a cap,
and the reading runs in a limited child (workbook.py). The confirmation reads the same file
again (its digest must match what was previewed) and stores it before its ack, keyed: a
double confirm stores once, and a second import of the same file finds nothing to change.
"""

import hashlib
import logging
import re
import urllib.request
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.imports import rules, views, workbook
from bot.outbox.schedule import request
from bot.plans import deliveries as plan_deliveries
from bot.platform.blocks import local_date, metadata
from bot.platform.i18n import N_
from bot.platform.request import WENT_WRONG, Interaction, Refusal, Reply
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, counted_ack, submission
from bot.platform.slack import slack_error
from bot.reviews.deliveries import reschedule_plan
from storage import imports, objectives, plans
from storage.models import Plan

log = logging.getLogger("rumbo")

ONLY_FACILITATORS = N_("Only the plan's facilitators ({people}) can import into it.")
MEMBERS_ONLY = N_("Only members of the channel can import its plan.")
NO_FILE = N_("Attach the workbook (.xlsx) to import.")
FILE_GONE = N_("I couldn't get the file from Slack ({error}). Attach it again.")
FILE_CHANGED = N_("The file changed since the preview. Start the import again.")
CHANNEL_GOT_A_PLAN = N_("This channel got a plan while you were importing. Start the import "
                        "again to add to it.")
DOWNLOAD_TIMEOUT = 2.0  # seconds; the ack waits for it
NAME_LOOKUPS = 200  # channel members whose names are looked up at most
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def import_command(act: Interaction, db: Session):
    """`/plan import`: the file's modal (facilitators, when the channel has a plan)."""
    plan = act.channel_plan(db)
    if plan is not None:
        act.require_facilitator(db, plan, ONLY_FACILITATORS)
    return lambda: open_import(act, plan)


def open_import(act: Interaction, plan: Plan | None) -> None:
    """The import's modal, wherever it is asked for: the command, App Home, the help."""
    lang = act.lang(plan)
    act.open(views.import_modal(lang=lang, has_plan=plan is not None, private_metadata=metadata(
        plan_id=plan.id if plan else None, channel_id=plan.channel_id if plan
        else act.channel_id, lang=lang)))


def import_clicked(act: Interaction) -> None:
    """The help's *Import a plan from a spreadsheet* (in a channel with no plan yet)."""
    with act.deps.db() as db:
        plan = act.channel_plan(db)
        if plan is not None:
            act.require_facilitator(db, plan, ONLY_FACILITATORS)
    open_import(act, plan)


# --- the file, and what it would do -----------------------------------------------------


def preview(ack, body, context, client):
    """The file's submission: read it and answer with the preview (or why not, on the
    file's field). Nothing is stored."""
    act = Interaction.of(body, context, client)
    ack = counted_ack(ack, act)
    lang = act.meta.get("lang", "en")
    try:
        files = views.uploaded(act.values)
        if not files:
            raise Refusal(NO_FILE)
        with act.deps.db() as db:
            plan = _plan_to_import_into(act, db)
        data, name = _download(act, files[0]["id"])
        sheet = _sheet(data)
        named = sheet.people(new_plan=plan is None)
        people = match_people(act, named)
        with act.deps.db() as db:
            changes, problems = _changes(act, db, plan, sheet, people, lang)
    except Exception as error:  # a Refusal says why; anything else, that it went wrong
        if not isinstance(error, Refusal):
            log.exception("an import's preview failed")
        refusal = error if isinstance(error, Refusal) else Refusal(WENT_WRONG)
        ack(response_action="errors", errors={views.FILE: refusal.text(lang) or ""})
        return
    meta = {"plan_id": plan.id if plan else None, "channel_id": act.channel_id, "lang": lang,
            "file": files[0]["id"], "digest": _digest(data)}
    if len(metadata(**meta, people=people)) <= 3000:  # else the confirmation asks again
        meta["people"] = people
    account = None if plan else rules.plan_settings(
        sheet.plan, today=act.deps.clock().date(), timezone="UTC", lang=lang)["account_name"]
    ack(response_action="update", view=views.preview_modal(
        lang=lang, filename=name, sheet=sheet, changes=changes,
        problems=sheet.problems + problems, new_account=account,
        unmatched=[p for p in named if p not in people],
        private_metadata=metadata(**meta)))


def _plan_to_import_into(act: Interaction, db: Session) -> Plan | None:
    """The channel's active plan (its facilitators may import into it), or None for a
    channel with none (its members may create it)."""
    if not act.channel_id or not act.in_channel(act.channel_id):
        raise Refusal(MEMBERS_ONLY)
    plan = act.channel_plan(db)
    if plan is not None:
        act.require_facilitator(db, plan, ONLY_FACILITATORS)
    return plan


def _download(act: Interaction, file_id: str) -> tuple[bytes, str]:
    """(content, name) of an uploaded file: its size checked first (files.info), fetched
    with the bot token from Slack's own host only, within a timeout and a cap."""
    try:
        found = act.client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        code = slack_error(error)
        raise Refusal(lambda _: _(FILE_GONE).format(error=code)) from None
    if int(found.get("size") or 0) > workbook.MAX_BYTES:
        raise _refused(workbook.Refused(workbook.TOO_BIG))
    url = found.get("url_private_download") or found.get("url_private") or ""
    if not _slack_host(url, act.client.base_url):
        raise Refusal(lambda _: _(FILE_GONE).format(error="url"))
    fetch = urllib.request.Request(  # noqa: S310 (http(s) to Slack's host, checked above)
        url, headers={"Authorization": f"Bearer {act.client.token}"})
    try:
        with urllib.request.urlopen(fetch, timeout=DOWNLOAD_TIMEOUT) as answer:  # noqa: S310
            data = answer.read(workbook.MAX_BYTES + 1)
    except OSError as error:
        log.info("file %s not downloaded: %s", file_id, error)
        raise Refusal(lambda _: _(FILE_GONE).format(error="download")) from None
    return data, str(found.get("name") or found.get("title") or file_id)


def _slack_host(url: str, api_url: str) -> bool:
    """Whether the bot token may go there: the Web API's own host (SLACK_API_URL: the
    emulator in tests) or its files host (files.slack.com for slack.com), over https
    unless it is the Web API's own scheme."""
    target, api = urlsplit(url), urlsplit(api_url)
    host = api.hostname or ""
    if target.hostname == host and target.port == api.port:
        return target.scheme == api.scheme
    return target.scheme == "https" and target.hostname == f"files.{host}"


def _refused(refused: workbook.Refused) -> Refusal:
    return Refusal(lambda _: _(rules.refusal(refused.code)).format(detail=refused.detail))


def _sheet(data: bytes) -> rules.Sheet:
    try:
        return rules.read_sheet(workbook.cells(data))
    except workbook.Refused as refused:
        raise _refused(refused) from None
    except rules.LayoutUnknown:
        raise Refusal(rules.REFUSALS[rules.UNKNOWN_LAYOUT]) from None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def match_people(act: Interaction, written: list[str]) -> dict[str, str]:
    """{as written: user id} for the people a sheet names: emails by users.lookupByEmail,
    names among the channel's members (their real, display or user names), a member's
    id as itself. Whoever is not found is left out (and kept as text)."""
    found: dict[str, str] = {}
    wanted = {rules.normal(name): name for name in written if "@" not in name}
    for email in (name for name in written if "@" in name):
        try:
            found[email] = act.client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as error:
            log.info("no Slack user for an imported email: %s", slack_error(error))
    if not wanted or not act.channel_id:
        return found
    members = sorted(act.deps.members.of(act.client, act.channel_id))
    for name in wanted.values():
        if _USER_ID.match(name) and name in members:
            found[name] = name
    for user_id in members[:NAME_LOOKUPS]:
        if not set(wanted) - {rules.normal(n) for n in found}:
            break
        for known in act.deps.users.names(act.client, user_id):
            if rules.normal(known) in wanted:
                found.setdefault(wanted[rules.normal(known)], user_id)
    return found


def _changes(act: Interaction, db: Session, plan: Plan | None, sheet: rules.Sheet,
             people: dict[str, str], lang: str):
    existing = rules.Existing() if plan is None else rules.Existing.of(
        categories={c.id: c.name for c in plans.categories(db, plan=plan)},
        objectives=objectives.objectives(db, plan=plan),
        initiatives=objectives.initiatives(db, plan=plan))
    return rules.changes(sheet, existing, people=people,
                         lang=plan.language if plan else sheet.lang or lang)


# --- confirmed: stored ---------------------------------------------------------------------


def parse_confirm(values: dict, lang: str, meta: dict):
    return meta, {}


def confirm_import(act: Interaction, db: Session, meta: dict):
    """Read the previewed file again and store all of it, or nothing."""
    lang = meta.get("lang", "en")
    # Slack first, the database after: no transaction stays open while the file comes.
    data, _name = _download(act, str(meta.get("file")))
    if _digest(data) != meta.get("digest"):
        raise Refusal(FILE_CHANGED)
    sheet = _sheet(data)
    plan = _plan_to_import_into(act, db)
    if (plan.id if plan else None) != meta.get("plan_id"):
        raise Refusal(CHANNEL_GOT_A_PLAN)
    people = meta["people"] if isinstance(meta.get("people"), dict) else match_people(
        act, sheet.people(new_plan=plan is None))
    changes, _problems = _changes(act, db, plan, sheet, people, lang)
    now = act.deps.clock()
    then = None
    if plan is None:
        plan = _new_plan(act, db, sheet, changes, people, lang)
        announcement = request(db, plan=plan, kind=plan_deliveries.ANNOUNCEMENT,
                               key=f"announce:{plan.id}", now=now, user_id=act.user_id)
        then = announcement
    imports.apply(db, plan=plan, changes=changes, user_id=act.user_id, now=now)
    reschedule_plan(db, plan=plan, now=now)  # new items' deadlines and owners' check-ins
    note = views.imported_note(lang=lang, changes=changes, account=plan.account_name)

    def after():
        if then is not None:
            act.deps.outbox.deliver(then)
        act.tell(note)

    return Reply(then=after)


def _new_plan(act: Interaction, db: Session, sheet: rules.Sheet, changes, people, lang):
    """The channel's plan, made from the sheet's settings (the export writes them), the
    importer as its first facilitator and the sheet's facilitators found in Slack."""
    _lang, timezone = act.deps.users.profile(act.client, act.user_id)
    now = act.deps.clock()
    settings = rules.plan_settings(sheet.plan, today=local_date(now, timezone),
                                   timezone=timezone, lang=sheet.lang or lang)
    plan = Plan(team_id=act.team_id, channel_id=act.channel_id or "", created_by=act.user_id,
                created_at=now, **settings)
    facilitators = [people[name] for name in sheet.plan.get("facilitators", []) if name in people]
    try:
        return plans.create_plan(db, plan=plan, facilitators=facilitators,
                                 categories=[c.category for c in changes
                                             if c.kind == "category"],
                                 enterprise_id=act.enterprise_id)
    except plans.ChannelHasPlan:
        raise Refusal(CHANNEL_GOT_A_PLAN) from None


def register(app: Routes) -> None:
    app.action(views.IMPORT_BUTTON)(after_ack(import_clicked))
    app.view(views.CALLBACK)(preview)
    app.view(views.CONFIRM_CALLBACK)(submission(parse_confirm, confirm_import,
                                                with_metadata=True))

