"""What `/plan export` sends through the outbox: the filled-in template, uploaded to the
channel or, as a private copy, to the asker's direct messages."""

from typing import TYPE_CHECKING

from bot.exports import views
from bot.outbox.kinds import Kind, Upload
from bot.platform.i18n import gettext_for
from bot.platform.slack import CHANNEL_ERRORS, channel_problem
from storage.models import Plan

if TYPE_CHECKING:
    from bot.outbox.sender import Sending


def _template(sending: "Sending") -> Upload:
    """XLSX and Markdown, told apart by their titles; a private copy in its reader's
    language, the channel's in the plan's."""
    # Imported here: openpyxl brings numpy and Pillow along where they are installed
    # (matplotlib needs them); only a process that exports pays for them.
    from bot.exports import document
    from storage import exports

    db, plan, payload = sending.db, sending.plan, sending.payload
    base, private = payload["base"], payload.get("private", False)
    names = {user_id: sending.users.name(sending.client, user_id)
             for user_id in exports.people_in(db, plan=plan)}
    doc = exports.collect(db, plan=plan, names=names,
                          lang=payload.get("lang") if private else None,
                          per_person=payload.get("per_person", False))
    xlsx_title, markdown_title = document.titles(doc)
    return Upload(views.upload_comment(lang=doc.lang, plan=plan, private=private,
                                       per_person=doc.per_person), [
        {"content": document.to_xlsx(doc), "filename": f"{base}.xlsx", "title": xlsx_title},
        {"content": document.to_markdown(doc).encode(), "filename": f"{base}.md",
         "title": markdown_title}])


def _not_exported(plan: Plan, error: str, slack) -> str:
    _ = gettext_for(plan.language)
    text = _("Slack did not take the export ({error}). Nothing in the plan changed: try "
             "`/plan export` again in a moment.").format(error=error)
    if error in CHANNEL_ERRORS:
        text += "\n" + channel_problem(slack, plan.language)
    return text


EXPORT = Kind("export", upload=_template, extensions=(".xlsx", ".md"), told=_not_exported)
KINDS = (EXPORT,)
