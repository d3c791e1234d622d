"""Campaign life: every state transition and refusal, settings by state, copy to a new round, the freeze."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey_app.domain.campaigns import lifecycle as camp, spec as qs
from survey_app.access import Area
from survey_app.domain.clock import now
from survey_app.domain.responses.survey import ParsedSurvey, SurveyClosed, parse_form, save_response
from survey_app.models import Answer, AuditEvent, Campaign, Response, User

from ..factories import answer, form_for, households_of


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _settings(name="2027年上半年测评", scope=None, days=(1, 30), **kw):
    base = now().replace(second=0)
    values = dict(name=name, scope=scope or Area("city"), opens_at=base + timedelta(days=days[0]),
                  closes_at=base + timedelta(days=days[1]), min_responses=10, min_coverage=0.1)
    values.update(kw)
    return camp.Settings(**values)


def _draft(db, user=None, **kw):
    c = camp.create(_settings(**kw), user)
    db.session.commit()
    return c


# ---------------------------------------------------------------- transitions

def test_a_new_campaign_is_a_draft_with_the_standard_questionnaire(world, db):
    c = _draft(db, _user(db, "city"))
    assert c.status == "draft" and len(c.dimensions) == 9 and len(c.questions) == 15
    assert [d.key for d in c.dimensions] == [d.key for d in world.campaign.dimensions]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == f"campaign:{c.id}")) \
        == "campaign.create"


def test_draft_opens_then_closes_and_each_step_is_audited(world, db):
    city = _user(db, "city")
    c = _draft(db, city)
    camp.transition(c, "open", city)
    db.session.commit()
    assert c.status == "open"
    camp.transition(c, "closed", city)
    db.session.commit()
    assert c.status == "closed"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"campaign:{c.id}")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["campaign.create", "campaign.open", "campaign.closed"]


@pytest.mark.parametrize("start,to,message", [
    ("draft", "closed", "草稿尚未开启，不能直接结束"),
    ("draft", "draft", "已经是“草稿”"),
    ("open", "draft", "进行中的活动不能退回草稿"),
    ("open", "open", "已经是“进行中”"),
    ("closed", "open", "活动已结束，数据已冻结，不能重新开启"),
    ("closed", "draft", "活动已结束，数据已冻结"),
    ("closed", "closed", "已经是“已结束”"),
    ("draft", "archived", "不能从“草稿”变为“archived”"),
])
def test_illegal_transitions_are_refused_with_the_reason(world, db, start, to, message):
    c = _draft(db)
    if start in ("open", "closed"):
        camp.transition(c, "open")
    if start == "closed":
        camp.transition(c, "closed")
    db.session.commit()
    with pytest.raises(camp.CampaignError, match=message) as e:
        camp.transition(c, to)
    assert e.value.status == 409
    db.session.rollback()
    assert db.session.get(Campaign, c.id).status == start


def test_a_draft_with_a_broken_questionnaire_or_a_past_end_does_not_open(world, db):
    c = _draft(db)
    c.closes_at = now() - timedelta(minutes=1)
    c.opens_at = now() - timedelta(days=3)
    with pytest.raises(camp.CampaignError, match="结束时间.*已过"):
        camp.transition(c, "open")
    db.session.rollback()
    c = _draft(db, name="没有总体题")
    overall = next(q for q in c.questions if q.is_overall)
    overall.is_overall = False
    db.session.commit()
    with pytest.raises(camp.CampaignError, match="问卷还不完整.*缺少总体满意度题"):
        camp.transition(c, "open")


def test_open_and_close_need_the_right_to_manage_the_scope(world, db):
    district, city = _user(db, "district"), _user(db, "city")
    c = _draft(db, city)  # city-wide
    with pytest.raises(camp.CampaignError) as e:
        camp.transition(c, "open", district)
    assert e.value.status == 403
    mine = _draft(db, district, scope=Area("street", world.s1.id))
    camp.transition(mine, "open", district)
    with pytest.raises(camp.CampaignError, match="不在您的管理范围"):
        camp.create(_settings(scope=Area("district", world.west.id)), district)
    with pytest.raises(camp.CampaignError, match="不在您的管理范围"):
        camp.create(_settings(scope=Area("city")), district)
    with pytest.raises(camp.CampaignError, match="没有这个测评范围") as e:
        camp.create(_settings(scope=Area("street", 999999)), city)
    assert e.value.status == 400


# ---------------------------------------------------------------- settings by state

def test_settings_change_freely_in_a_draft_and_partly_while_open(world, db):
    city = _user(db, "city")
    c = _draft(db, city)
    changes = camp.update_settings(c, _settings(name="改名", scope=Area("district", world.east.id), min_responses=3),
                                   city)
    assert c.name == "改名" and c.scope_level == "district" and c.min_responses == 3 and len(changes) == 3
    camp.transition(c, "open", city)
    later = c.closes_at + timedelta(days=7)
    camp.update_settings(c, _settings(name="改名", scope=Area("district", world.east.id), min_responses=3,
                                      days=(1, 37)), city)
    assert c.closes_at == later
    with pytest.raises(camp.CampaignError, match="不能修改测评范围"):
        camp.update_settings(c, _settings(name="改名", scope=Area("city"), days=(1, 37)), city)
    with pytest.raises(camp.CampaignError, match="结束时间必须晚于现在"):
        camp.update_settings(c, _settings(name="改名", scope=Area("district", world.east.id), days=(-9, -1)), city)


def test_an_answered_campaign_keeps_its_opening_time(world, db):
    answer(world.campaign, households_of(world.k1)[0])
    s = camp.Settings(world.campaign.name, Area("city"), world.campaign.opens_at - timedelta(days=1),
                      world.campaign.closes_at, 5, 0.1)
    with pytest.raises(camp.CampaignError, match="不能修改开始时间"):
        camp.update_settings(world.campaign, s)


def test_settings_form_is_parsed_with_a_message_per_bad_field():
    ok, errors = camp.parse_settings({"name": " 2027 测评 ", "scope": "street:3", "opens_at": "2027-01-05T09:00",
                                      "closes_at": "2027-01-31 18:00", "min_responses": "8", "min_coverage": "12.5%"})
    assert errors == {} and ok.name == "2027 测评" and ok.scope == Area("street", 3)
    assert ok.min_responses == 8 and ok.min_coverage == pytest.approx(0.125)
    bad, errors = camp.parse_settings({"name": "", "scope": "moon:1", "opens_at": "明天", "closes_at": "2027-01-01",
                                       "min_responses": "0", "min_coverage": "nan"})
    assert bad is None
    assert set(errors) == {"name", "scope", "opens_at", "min_responses", "min_coverage"}
    _, errors = camp.parse_settings({"name": "x", "scope": "city:", "opens_at": "2027-02-01", "closes_at": "2027-01-01",
                                     "min_responses": "5", "min_coverage": "10"})
    assert errors == {"closes_at": "结束时间必须晚于开始时间。"}


# ---------------------------------------------------------------- the freeze of a closed campaign

def test_a_closed_campaign_stores_no_answers_and_changes_no_figures(world, db):
    households = households_of(world.k1)
    resp = answer(world.campaign, households[0], value=4)
    camp.transition(world.campaign, "closed")
    db.session.commit()
    # The survey path refuses before writing...
    parsed = parse_form(world.campaign, form_for(world.campaign, "2"))
    with pytest.raises(SurveyClosed):
        save_response(world.campaign, households[1].id, parsed)
    # ...and every other path is refused when it flushes.
    resp = db.session.get(Response, resp.id)
    resp.answers[0].value = 1
    with pytest.raises(camp.CampaignFrozen, match="已结束，数据已冻结"):
        db.session.flush()
    db.session.rollback()
    resp = db.session.get(Response, resp.id)
    resp.status = "held"
    with pytest.raises(camp.CampaignFrozen):
        db.session.commit()
    db.session.rollback()
    db.session.add(Response(campaign_id=world.campaign.id, household_id=households[2].id,
                            compound_id=world.k1.id, submitted_at=now(), updated_at=now(), score=0.0))
    with pytest.raises(camp.CampaignFrozen):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Answer, resp.answers[0].id))
    with pytest.raises(camp.CampaignFrozen):
        db.session.commit()
    db.session.rollback()
    c = db.session.get(Campaign, world.campaign.id)
    c.min_responses = 1
    with pytest.raises(camp.CampaignFrozen):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(camp.CampaignFrozen, match="设置不能再修改"):
        camp.update_settings(c, camp.Settings(c.name, Area("city"), c.opens_at, c.closes_at, 1, 0.0))
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert {a.value for a in db.session.get(Response, resp.id).answers} == {4}
    assert db.session.get(Response, resp.id).status == "published"


def test_an_open_campaign_still_takes_and_updates_answers(world, db):
    h = households_of(world.k1)[0]
    answer(world.campaign, h, value=2)
    answer(world.campaign, h, value=5)
    assert db.session.scalar(select(Response.score)) == 100.0


# ---------------------------------------------------------------- copy to a new round

def test_copy_to_a_new_round_keeps_keys_wording_and_thresholds(world, db):
    city = _user(db, "city")
    src = world.campaign
    src.dimensions[0].questions[0].text = src.dimensions[0].questions[0].text + "（含前台）"
    db.session.commit()
    new = camp.copy_round(src, "2027年上半年", now() + timedelta(days=30), now() + timedelta(days=60), city)
    db.session.commit()
    assert new.status == "draft" and new.copied_from_id == src.id and new.id != src.id
    assert (new.scope_level, new.scope_id, new.min_responses, new.min_coverage) == \
        (src.scope_level, src.scope_id, src.min_responses, src.min_coverage)
    assert qs.spec_of(new) == qs.spec_of(src)
    assert {q.id for q in new.questions}.isdisjoint({q.id for q in src.questions})
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == f"campaign:{new.id}",
                                                             AuditEvent.action == "campaign.copy"))
    # The copy may change freely: it has no answers, even though the original has.
    answer(src, households_of(world.k1)[0])
    spec = qs.spec_of(new)
    spec.dimensions.pop(1)
    qs.apply(new, spec)
    db.session.commit()
    assert len(new.dimensions) == 8 and len(src.dimensions) == 9


def test_copy_defaults_suggest_the_next_window(world):
    d = camp.next_round_defaults(world.campaign)
    assert d["name"].endswith("（下一轮）")
    assert d["opens_at"] >= world.campaign.closes_at.strftime("%Y-%m-%dT00:00")


def test_a_district_admin_cannot_copy_a_city_campaign(world, db):
    with pytest.raises(camp.CampaignError) as e:
        camp.copy_round(world.campaign, "副本", now(), now() + timedelta(days=3), _user(db, "district"))
    assert e.value.status == 403


# ---------------------------------------------------------------- drafts

def test_only_an_unused_draft_may_be_deleted(world, db):
    c = _draft(db)
    cid = c.id
    camp.delete_draft(c)
    db.session.commit()
    assert db.session.get(Campaign, cid) is None
    with pytest.raises(camp.CampaignError, match="只能删除草稿"):
        camp.delete_draft(world.campaign)
    c = _draft(db)
    from survey_app.domain.responses import codes as tokens

    tokens.issue_codes(c.id, [households_of(world.k1)[0].id])
    db.session.commit()
    with pytest.raises(camp.CampaignError, match="已发放过住户二维码"):
        camp.delete_draft(c)


def test_scoring_ignores_choice_and_text_questions(world, db):
    """A response's index and the overall answer come from the 5-point questions only."""
    spec = qs.spec_of(world.campaign)
    spec.dimensions[0].questions.append(qs.QuestionSpec(
        key="service_problem", kind="choice", text="主要问题", allow_na=True,
        options=[qs.OptionSpec("attitude", "态度"), qs.OptionSpec("speed", "速度")]))
    spec.dimensions[0].questions.append(qs.QuestionSpec(key="service_note", kind="text", text="补充"))
    qs.apply(world.campaign, spec)
    db.session.commit()
    c = world.campaign
    choice = next(q for q in c.questions if q.kind == "choice")
    text = next(q for q in c.questions if q.kind == "text")
    answers = {q.id: 5 for q in c.questions if q.kind == "scale"}
    parsed = ParsedSurvey(answers=answers, choices={choice.id: "speed"}, texts={text.id: "=HYPERLINK(\"x\")"})
    resp = save_response(c, households_of(world.k1)[0].id, parsed)
    assert resp.score == 100.0 and resp.overall == 5
    stored = {a.question_id: a for a in resp.answers}
    assert stored[choice.id].choice == "speed" and stored[choice.id].value is None
    assert stored[text.id].text == "=HYPERLINK(\"x\")"
