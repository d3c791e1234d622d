"""The residents' side of rectification: follow-up requests saved with the survey, the compound's items
in plain words, "has it been fixed?" asked once per submission, the counts the officer sees."""
import pytest
from sqlalchemy import func, select

from survey_app import access
from survey_app.domain.rectification import residents, workflow
from survey_app.domain.rectification.residents import FollowUp
from survey_app.domain.responses.survey import ParsedSurvey, parse_form, save_response
from survey_app.errors import Invalid
from survey_app.models import (RectificationConfirmation, RectificationEvent, RectificationItem, RectificationRequest,
                               User)

from ..factories import answer, form_for, households_of


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _ask(db, campaign, household, key, text, value=4):
    """Save the household's survey with "please follow up" ticked (or unticked when key is None)."""
    answers = {q.id: value for q in campaign.questions if q.scored}
    followup = FollowUp(key, text) if key else None
    save_response(campaign, household.id, ParsedSurvey(answers=answers, followup=followup, followup_asked=True))
    db.session.commit()


def _item(db, campaign, compound, key):
    return db.session.scalar(select(RectificationItem).where(
        RectificationItem.campaign_id == campaign.id, RectificationItem.compound_id == compound.id,
        RectificationItem.category_key == key))


def _submit(db, item, note="已更换楼道灯"):
    for action in ("assign", "start") if item.status == "open" else ("start",):
        workflow.act(item, action)
    workflow.act(item, "submit", note=note)
    db.session.commit()


def test_a_ticked_request_raises_an_item_and_a_second_household_joins_it(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    first, second = households_of(world.k1)[:2]
    _ask(db, campaign, first, key, "楼道灯坏了一个月")
    item = _item(db, campaign, world.k1, key)
    assert item.source == "request" and item.status == "open"
    request = db.session.scalar(select(RectificationRequest))
    assert (request.household_id, request.item_id, request.text) == (first.id, item.id, "楼道灯坏了一个月")
    _ask(db, campaign, second, key, "三楼的灯也不亮")
    assert _count(db, RectificationItem) == 1 and _count(db, RectificationRequest) == 2
    assert {r.item_id for r in db.session.scalars(select(RectificationRequest))} == {item.id}


def test_editing_replaces_moves_and_withdraws_the_request(world, db):
    campaign = world.campaign
    first_key, other_key = campaign.dimensions[0].key, campaign.dimensions[1].key
    h = households_of(world.k1)[0]
    _ask(db, campaign, h, first_key, "第一次的描述")
    _ask(db, campaign, h, first_key, "改过的描述")
    request = db.session.scalar(select(RectificationRequest))
    assert _count(db, RectificationRequest) == 1 and request.text == "改过的描述"
    assert residents.followup_values(campaign, h) == {"followup": "1", "followup_category": first_key,
                                                      "followup_text": "改过的描述"}
    _ask(db, campaign, h, other_key, "其实是另一类问题")  # moves to the item of the new category
    old, new = _item(db, campaign, world.k1, first_key), _item(db, campaign, world.k1, other_key)
    assert db.session.scalar(select(RectificationRequest.item_id)) == new.id
    assert residents.WITHDRAWN in [e.note for e in old.events]
    _ask(db, campaign, h, None, "")  # unticked: withdrawn, the items stay
    assert _count(db, RectificationRequest) == 0 and _count(db, RectificationItem) == 2
    assert residents.WITHDRAWN in [e.note for e in new.events]
    assert residents.followup_values(campaign, h) == {}


def test_answers_saved_without_the_form_leave_the_request_alone(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    h = households_of(world.k1)[0]
    _ask(db, campaign, h, key, "楼道灯坏了")
    answer(campaign, h, 3)  # built by hand (not from the form): followup_asked stays False
    assert _count(db, RectificationRequest) == 1


def test_the_form_part_is_checked(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    missing = parse_form(campaign, form_for(campaign, followup="1", followup_category=key, followup_text="  "))
    assert "请简要描述" in missing.errors["followup"]
    no_category = parse_form(campaign, form_for(campaign, followup="1", followup_text="门禁坏了"))
    assert "问题类别" in no_category.errors["followup"]
    unticked = parse_form(campaign, form_for(campaign, followup_category="nonsense", followup_text="x" * 5000))
    assert unticked.ok and unticked.followup is None and unticked.followup_asked
    for bad in ({"followup_category": "nonsense", "followup_text": "门禁坏了"},
                {"followup_category": key, "followup_text": "长" * 1001},
                {"followup": "yes", "followup_category": key, "followup_text": "门禁坏了"}):
        with pytest.raises(Invalid):
            parse_form(campaign, form_for(campaign, **{"followup": "1", **bad}))
    ok = parse_form(campaign, form_for(campaign, followup="1", followup_category="other", followup_text=" 门禁坏了 "))
    assert ok.ok and ok.followup == FollowUp("other", "门禁坏了")


def test_respondents_and_the_requester_are_asked_once_per_submission(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    requester, respondent, silent = households_of(world.k1)[:3]
    outsider = households_of(world.k2)[0]
    _ask(db, campaign, requester, key, "楼道灯坏了")
    answer(campaign, respondent, 2)
    answer(campaign, outsider, 2)
    item = _item(db, campaign, world.k1, key)
    assert residents.pending_confirmations(campaign, respondent) == []  # not submitted yet
    _submit(db, item)
    assert residents.pending_confirmations(campaign, respondent) == [item]
    assert residents.pending_confirmations(campaign, requester) == [item]
    assert residents.pending_confirmations(campaign, silent) == []  # no response, no request
    assert residents.pending_confirmations(campaign, outsider) == []  # another compound
    assert residents.record_confirmations(campaign, respondent, {item.id: "not_fixed"}) == 1
    db.session.commit()
    assert residents.pending_confirmations(campaign, respondent) == []
    assert residents.record_confirmations(campaign, respondent, {item.id: "not_fixed"}) == 0  # a replay
    db.session.commit()
    assert _count(db, RectificationConfirmation) == 1
    workflow.act(item, "return", note="灯仍然不亮")
    db.session.commit()
    assert residents.pending_confirmations(campaign, respondent) == []  # nothing to confirm while returned
    _submit(db, item, "已更换线路")
    assert item.submissions == 2
    assert residents.pending_confirmations(campaign, respondent) == [item]
    residents.record_confirmations(campaign, respondent, {item.id: "fixed"})
    db.session.commit()
    rows = db.session.execute(select(RectificationConfirmation.submission, RectificationConfirmation.answer)
                              .order_by(RectificationConfirmation.submission)).all()
    assert [tuple(r) for r in rows] == [(1, "not_fixed"), (2, "fixed")]


def test_confirmations_outside_what_is_asked_are_refused_and_nothing_is_stored(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    h, other_compound = households_of(world.k1)[0], households_of(world.k2)[0]
    _ask(db, campaign, h, key, "楼道灯坏了")
    _ask(db, campaign, other_compound, key, "门禁坏了")
    item, theirs = _item(db, campaign, world.k1, key), _item(db, campaign, world.k2, key)
    _submit(db, item)
    _submit(db, theirs)
    for answers in ({theirs.id: "fixed"}, {item.id: "maybe"}, {item.id: "fixed", 999999: "fixed"}):
        with pytest.raises(Invalid):
            residents.record_confirmations(campaign, h, answers)
    for form in ({"item-abc": "fixed"}, {f"item-{item.id}": "yes"}, {"item-99999999999999999999": "fixed"}):
        with pytest.raises(Invalid):
            residents.parse_confirmations(form)
    assert residents.parse_confirmations({f"item-{item.id}": "unsure", "csrf_token": "x"}) == {item.id: "unsure"}
    db.session.rollback()
    assert _count(db, RectificationConfirmation) == 0


def test_counts_and_the_warning_follow_the_current_submission(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    hs = households_of(world.k1)[:5]
    _ask(db, campaign, hs[0], key, "楼道灯坏了")
    for h in hs[1:]:
        answer(campaign, h, 2)
    item = _item(db, campaign, world.k1, key)
    assert residents.confirmation_counts(item) == residents.ConfirmationCounts(0, 0, 0, 0, False)
    _submit(db, item)
    for h, a in zip(hs, ("not_fixed", "not_fixed", "fixed", "unsure")):
        residents.record_confirmations(campaign, h, {item.id: a})
    db.session.commit()
    assert residents.confirmation_counts(item) == residents.ConfirmationCounts(1, 2, 1, 4, False)  # 2 of 4: no majority
    residents.record_confirmations(campaign, hs[4], {item.id: "not_fixed"})
    db.session.commit()
    counts = residents.confirmation_counts(item)
    assert (counts.not_fixed, counts.total, counts.warning) == (3, 5, True)
    workflow.act(item, "return", note="仍不亮")
    _submit(db, item, "再次维修")
    assert residents.confirmation_counts(item) == residents.ConfirmationCounts(0, 0, 0, 0, False)


def test_compound_items_show_states_and_never_anyones_words_or_address(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    neighbour, h = households_of(world.k1)[:2]
    _ask(db, campaign, neighbour, key, "我家漏水，电话13812345678")
    answer(campaign, h, 4)
    item = _item(db, campaign, world.k1, key)
    workflow.act(item, "close", note="不属于物业责任")
    db.session.commit()
    shown = residents.compound_items(campaign, h)
    assert len(shown) == 1 and shown[0].state == "未整改，已关闭" and not shown[0].mine
    text = repr(shown)
    assert "漏水" not in text and "138" not in text and neighbour.room not in text and "不属于" not in text
    assert residents.compound_items(campaign, neighbour)[0].mine
    assert residents.compound_items(campaign, households_of(world.k2)[0]) == []


def test_requests_of_gives_the_address_and_who_may_see_it(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    h = households_of(world.k1)[3]
    _ask(db, campaign, h, key, "楼道灯坏了，电话13812345678")
    item = _item(db, campaign, world.k1, key)
    (row,) = residents.requests_of(item)
    assert row.address == f"金色花园 {h.label}" and h.room in row.address
    assert "楼道灯坏了" in row.text and "13812345678" not in row.text  # masked as everywhere
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert access.may_see_requesters(users["company1"], item)  # the item's company (甲)
    assert not access.may_see_requesters(users["company2"], item)
    assert access.may_see_requesters(users["street1"], item)  # 文化路街道: the item's street
    assert not access.may_see_requesters(users["street3"], item)  # another district


def test_the_event_says_nothing_of_the_resident_when_withdrawn(world, db):
    campaign, key = world.campaign, world.campaign.dimensions[0].key
    h = households_of(world.k1)[0]
    _ask(db, campaign, h, key, "楼道灯坏了")
    _ask(db, campaign, h, None, "")
    event = db.session.scalar(select(RectificationEvent).order_by(RectificationEvent.id.desc()))
    assert event.note == residents.WITHDRAWN and event.actor == "resident" and h.room not in event.note
