"""The canvas's markdown, a pure function of the plan's data: its sections in the plan's
language, user text shown as typed, owners as mentions, overdue flagged, digests that change
only with what a section shows."""

from datetime import date

from bot.canvas import views
from bot.canvas.views import CanvasData
from storage.models import Category, Idea, Initiative, Objective, Review
from tests.factories import NOW, plan


def data(**extra) -> CanvasData:
    the_plan = extra.pop("plan", None) or plan()
    values = dict(plan=the_plan, categories=[Category(id=1, name="Financial", position=0)],
                  objectives=[], initiatives=[], ideas=[], facilitators=["U1"],
                  next_review=date(2027, 3, 1), last_review=None, today=date(2027, 1, 10))
    values.update(extra)
    return CanvasData(**values)


def objective(**extra) -> Objective:
    values = dict(id=3, category_id=1, statement="Cut costs *now*", target="# 10%",
                  measure="Cost", owner_id="U2", status="on_track", target_date=date(2027, 1, 1),
                  horizon="medium", created_by="U1", team_id="T1", plan_id=7)
    values.update(extra)
    return Objective(**values)


def test_sections_in_order_with_headings_that_lookup_finds():
    drawn = views.sections(data())
    assert [(s.key, s.level, s.heading) for s in drawn] == [
        ("plan", 1, "Account plan"), ("objectives", 2, "Objectives and initiatives"),
        ("priorities", 2, "Priority list"), ("next_review", 2, "Next review"),
        ("last_review", 2, "Last review")]
    markdown = views.document(drawn)
    assert markdown.startswith("# Account plan\n") and "**Acme \\& \\<Sons\\>**" in markdown
    assert "![](@U1)" in markdown and "**March 1, 2027**, at 09:00" in markdown
    assert "_No objectives yet._" in markdown and "_No review held yet._" in markdown


def test_user_text_is_data_owners_are_mentions_and_overdue_is_flagged():
    late = Initiative(id=4, objective_id=3, title="1. Renegotiate", target="-", measure="x",
                      owner_id="U3", due_date=date(2027, 1, 5), status="not_started",
                      created_by="U1", team_id="T1", plan_id=7)
    done = objective(id=5, statement="Done one", status="done")
    markdown = views.document(views.sections(data(objectives=[objective(), done],
                                                  initiatives=[late])))
    assert "**Cut costs \\*now\\***" in markdown and "Target: \\# 10%" in markdown
    assert "Owner: ![](@U2)" in markdown and "Initiative: 1\\. Renegotiate" in markdown
    assert "January 5, 2027 ⚠️ **Overdue**" in markdown  # the initiative
    assert "January 1, 2027 ⚠️ **Overdue**" in markdown  # the objective, on track but late
    assert markdown.count("⚠️") == 2  # the done objective is not


def test_priority_list_and_last_review_in_spanish():
    ideas = [Idea(id=1, text="Portal", score="3", user_id="U1", team_id="T1", plan_id=7),
             Idea(id=2, text="Cena", score="1", user_id="U1", team_id="T1", plan_id=7)]
    review = Review(id=1, held_by="U1", closed_at=NOW, worked="Las llamadas", not_worked=None,
                    team_id="T1", plan_id=7)
    drawn = views.sections(data(plan=plan(language="es"), ideas=ideas, last_review=review))
    markdown = views.document(drawn)
    assert "# Plan de cuenta" in markdown and "## Última revisión" in markdown
    assert "### 3 · " in markdown and "(1)\n\n- Portal" in markdown and "- Cena" in markdown
    assert "> Las llamadas" in markdown and "Celebrada el" in markdown
    assert "se sobrescribe" in markdown


def test_a_digest_changes_with_its_section_only():
    before = {s.key: s.digest for s in views.sections(data())}
    after = {s.key: s.digest for s in views.sections(data(next_review=date(2027, 4, 5)))}
    assert [key for key in before if before[key] != after[key]] == ["next_review"]


def test_every_refusal_is_told_with_what_to_do():
    for error in views.REFUSALS:
        text = views.refused_note(lang="es", plan=plan(), error=error)
        assert "Acme &amp; &lt;Sons&gt;" in text and "`/plan canvas`" in text
    assert "(rate_limited)" in views.refused_note(lang="en", plan=plan(), error="rate_limited")
