"""Reviews and check-ins in storage (storage/reviews.py), on SQLite and PostgreSQL: an owner
checks in on their own items only, until the review that reads them closes."""

from datetime import date

from storage import objectives, plans
from tests.factories import make_plan, utc


def test_an_owner_checks_in_on_their_own_items_only_until_the_review_closes(db):
    from storage import reviews

    plan = plans.create_plan(db, plan=make_plan(), categories=["Financial"],
                             facilitators=[])
    category = plans.categories(db, plan=plan)[0]
    values = dict(category_id=category.id, target="More", measure="EUR", horizon="medium")
    mine = objectives.add_objective(db, plan=plan, idea_id=None, user_id="U1", now=utc(2027, 1, 1),
                                    values=dict(values, statement="Mine", owner_id="U2"))
    other = objectives.add_objective(db, plan=plan, idea_id=None, user_id="U1",
                                     now=utc(2027, 1, 1),
                                     values=dict(values, statement="Theirs", owner_id="U3"))
    items = [{"entity": "objective", "entity_id": item.id, "status": "at_risk", "value": 5.0,
              "note": "forged?"} for item in (mine, other)]
    assert reviews.save_checkins(db, plan=plan, user_id="U2", items=items, now=utc(2027, 1, 2)) == 1
    assert reviews.save_checkins(db, plan=plan, user_id="U2", items=items, now=utc(2027, 1, 3)) == 1
    assert set(reviews.open_checkins(db, plan=plan)) == {("objective", mine.id)}
    assert reviews.who_checked_in(db, plan=plan) == (["U2"], ["U3"])
    review = reviews.open_review(db, plan=plan, due_on=date(2027, 3, 1), user_id="U1",
                                 now=utc(2027, 3, 1))
    reviews.close_review(db, plan=plan, review=review, worked=None, not_worked=None,
                         user_id="U1", now=utc(2027, 3, 1))
    assert reviews.open_checkins(db, plan=plan) == {}  # the review read them
    assert reviews.held(db, plan=plan, due=date(2027, 3, 1))
    assert reviews.who_checked_in(db, plan=plan) == ([], ["U2", "U3"])
