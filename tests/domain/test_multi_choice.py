"""Multiple-choice questions: the standard one, their rules, Excel round trip, copy to a new round, how ticks
are stored and replaced, what is refused, and the share of respondents naming each category."""
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from survey_app.domain.campaigns import lifecycle as camp, spec as qs
from survey_app.domain.clock import now
from survey_app.domain.responses import totals
from survey_app.domain.responses.questionnaire import is_required
from survey_app.domain.responses.survey import (ParsedSurvey, dimension_specs, form_values, parse_form,
                                                save_response)
from survey_app.domain.stats.categories import CategoryShare, category_shares
from survey_app.domain.xlsx import questionnaire as qx
from survey_app.errors import Invalid
from survey_app.models import Answer, AnswerChoice, Response

from ..factories import answer, form_for, households_of


def _improve(campaign):
    return next(q for q in campaign.questions if q.kind == "multi")


def _ticks(db, response_id, question_id):
    return db.session.scalars(
        select(AnswerChoice.option_key).join(Answer, Answer.id == AnswerChoice.answer_id)
        .where(Answer.response_id == response_id, Answer.question_id == question_id)
        .order_by(AnswerChoice.option_key)).all()


def _form(campaign, ticks):
    form = MultiDict(form_for(campaign))
    form.setlist(f"q{_improve(campaign).id}", ticks)
    return form


def _book(campaign):
    return openpyxl.load_workbook(io.BytesIO(qx.export_workbook(campaign)))


def _bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_standard_questionnaire_ends_with_which_most_need_improving(world):
    c = world.campaign
    q = c.questions[-1]
    assert (q.kind, q.key, q.text) == ("multi", "improve", "您认为小区物业服务最需要改进的是哪些方面？（可多选）")
    services = [d for d in c.dimensions if d.key != "overall"]
    assert len(services) == 8
    assert [(o.key, o.label, o.label_en) for o in q.options] == \
        [(d.key, d.name, d.name_en) for d in services] + [("other", "其他", "Other")]
    assert not q.scored and not q.is_overall and not q.allow_na and not is_required(q)
    assert q.id not in {qid for d in dimension_specs(c) for qid in d.question_ids}
    assert [x.key for x in c.questions if x.is_overall] == ["overall"]
    assert qs.validate(qs.spec_of(c)) == []


def test_a_multi_question_needs_two_options_with_unique_keys(world):
    spec = qs.spec_of(world.campaign)
    improve = spec.question("improve")
    improve.options = improve.options[:1]
    assert any("多选题至少需要 2 个选项（现有 1 个）" in str(p) for p in qs.validate(spec))
    improve.options = [qs.OptionSpec("a", "甲"), qs.OptionSpec("a", "乙")]
    assert any("选项键「a」在本题中重复" in str(p) for p in qs.validate(spec))
    improve.options = [qs.OptionSpec("a", "甲"), qs.OptionSpec("b", "乙")]
    assert qs.validate(spec) == []
    spec.question("overall").options = [qs.OptionSpec("c", "丙")]
    assert any("只有单选题和多选题可以有选项" in str(p) for p in qs.validate(spec))


def test_excel_round_trip_keeps_multi_questions_and_reads_the_kind_by_its_name(world, db):
    c = world.campaign
    wb = _book(c)
    questions, options = wb["题目"], wb["选项"]
    improve_row = next(r for r in range(2, questions.max_row + 1) if questions.cell(r, 2).value == "improve")
    assert questions.cell(improve_row, 3).value == "多选"
    assert [options.cell(r, 2).value for r in range(2, options.max_row + 1)
            if options.cell(r, 1).value == "improve"] == [o.key for o in _improve(c).options]
    before = qs.spec_of(c)
    assert qx.import_workbook(c, _bytes(wb)).ok
    db.session.commit()
    assert qs.spec_of(c) == before
    # A new multiple-choice question typed into the file: the kind by its name, an option key left blank.
    questions.append(["cleaning", "cleaning_issues", "多选题", "卫生方面的问题", "Cleaning problems", "否", "否"])
    options.append(["cleaning_issues", "stairs", "楼道脏乱", "Dirty stairwells"])
    options.append(["cleaning_issues", "", "垃圾满溢", ""])
    result = qx.import_workbook(c, _bytes(wb))
    assert result.ok, [str(p) for p in result.problems]
    db.session.commit()
    added = next(q for q in c.questions if q.key == "cleaning_issues")
    assert added.kind == "multi" and [o.label for o in added.options] == ["楼道脏乱", "垃圾满溢"]
    assert added.options[0].key == "stairs" and qs.KEY_RE.fullmatch(added.options[1].key)
    again = _book(c)
    row = next(r for r in range(2, again["题目"].max_row + 1) if again["题目"].cell(r, 2).value == "cleaning_issues")
    assert again["题目"].cell(row, 3).value == "多选"
    edited = qs.spec_of(c)
    assert qx.import_workbook(c, _bytes(again)).ok
    db.session.commit()
    assert qs.spec_of(c) == edited


def test_options_on_a_question_of_another_kind_are_refused_in_the_file(world, db):
    wb = _book(world.campaign)
    wb["选项"].append(["overall", "x", "不该有选项", ""])
    result = qx.import_workbook(world.campaign, _bytes(wb))
    assert any(str(p).endswith("题目「overall」不是单选题或多选题，不能有选项") for p in result.problems)


def test_a_copy_to_a_new_round_keeps_the_multi_question(world, db):
    new = camp.copy_round(world.campaign, "第二轮", now() + timedelta(days=20), now() + timedelta(days=40))
    db.session.commit()
    assert qs.spec_of(new).question("improve") == qs.spec_of(world.campaign).question("improve")
    assert _improve(new).kind == "multi" and _improve(new).id != _improve(world.campaign).id


def test_ticks_are_stored_in_option_order_and_an_edit_replaces_them(world, db):
    c = world.campaign
    q = _improve(c)
    h = households_of(world.k1)[0]
    parsed = parse_form(c, _form(c, ["parking", "repair"]))
    assert parsed.ok and parsed.multi == {q.id: ["repair", "parking"]} and q.id not in parsed.answers
    resp = save_response(c, h.id, parsed)
    db.session.commit()
    assert _ticks(db, resp.id, q.id) == ["parking", "repair"]
    assert resp.score == 75.0  # every 5-point answer 4: the ticks count for nothing
    assert form_values(c, resp)[f"q{q.id}"] == ["repair", "parking"]
    resp = save_response(c, h.id, parse_form(c, _form(c, ["parking"])))
    db.session.commit()
    assert _ticks(db, resp.id, q.id) == ["parking"]
    # Ticking nothing is an answer: the answer stays, with no ticks.
    resp = save_response(c, h.id, parse_form(c, _form(c, [])))
    db.session.commit()
    stored = db.session.scalars(select(Answer).where(Answer.response_id == resp.id, Answer.question_id == q.id)).all()
    assert len(stored) == 1 and stored[0].value is None and _ticks(db, resp.id, q.id) == []
    assert form_values(c, resp)[f"q{q.id}"] == []


@pytest.mark.parametrize("ticks, message", [
    (["repair", "nope"], "只能勾选列出的选项"),
    (["repair", "repair"], "同一选项只能勾选一次"),
    ([""], "只能勾选列出的选项"),
])
def test_a_tick_no_form_offers_is_refused_with_a_400(world, ticks, message):
    c = world.campaign
    number = c.questions.index(_improve(c)) + 1
    with pytest.raises(Invalid) as refused:
        parse_form(c, _form(c, ticks))
    assert refused.value.status == 400 and refused.value.message == f"第 {number} 题的答案无效：{message}。"


def test_ticks_of_a_closed_campaign_stay_as_they_were(world, db):
    c = world.campaign
    q = _improve(c)
    resp = save_response(c, households_of(world.k1)[0].id, parse_form(c, _form(c, ["repair"])))
    db.session.commit()
    camp.transition(c, "closed")
    db.session.commit()
    a = db.session.scalar(select(Answer).where(Answer.response_id == resp.id, Answer.question_id == q.id))
    a.choices.append(AnswerChoice(option_key="parking"))
    with pytest.raises(camp.CampaignFrozen):
        db.session.flush()
    db.session.rollback()
    a = db.session.scalar(select(Answer).where(Answer.response_id == resp.id, Answer.question_id == q.id))
    a.choices.clear()
    with pytest.raises(camp.CampaignFrozen):
        db.session.flush()
    db.session.rollback()
    assert _ticks(db, resp.id, q.id) == ["repair"]


def test_category_shares_count_published_respondents_asked_the_question(world, db):
    c = world.campaign
    dims = dimension_specs(c)

    def respond(compound, i, ticks, status="published"):
        resp = save_response(c, households_of(compound)[i].id, parse_form(c, _form(c, ticks)))
        if status != "published":
            totals.set_status(resp, status, dims)
        db.session.commit()

    for i, ticks in enumerate([["repair", "parking"], ["repair"], [], ["parking", "other"]]):
        respond(world.k1, i, ticks)
    respond(world.k1, 4, ["repair", "cleaning"], status="held")  # held for review: not counted at all
    respond(world.k2, 0, ["other"])
    respond(world.k2, 1, ["repair"])
    answer(c, households_of(world.k3)[0])  # stored without an answer to the question: not asked, not counted
    shares = category_shares(c.id, [world.k1.id, world.k2.id, world.k3.id])
    assert set(shares) == {world.k1.id, world.k2.id, world.k3.id}
    k1, k2, k3 = shares[world.k1.id], shares[world.k2.id], shares[world.k3.id]
    assert list(k1) == [o.key for o in _improve(c).options]
    assert k1["repair"] == CategoryShare(n=4, named=2, share=0.5)
    assert k1["parking"] == CategoryShare(4, 2, 0.5) and k1["other"] == CategoryShare(4, 1, 0.25)
    assert k1["cleaning"] == CategoryShare(4, 0, 0.0)
    assert k2["other"] == CategoryShare(2, 1, 0.5) and k2["repair"] == CategoryShare(2, 1, 0.5)
    assert k2["parking"] == CategoryShare(2, 0, 0.0)
    assert all(s == CategoryShare(0, 0, None) for s in k3.values())
    assert category_shares(c.id, []) == {}
    # Published again, the held response counts.
    held = db.session.scalar(select(Response).where(Response.status == "held"))
    totals.set_status(held, "published", dims)
    db.session.commit()
    again = category_shares(c.id, [world.k1.id])[world.k1.id]
    assert again["repair"] == CategoryShare(5, 3, 0.6) and again["cleaning"] == CategoryShare(5, 1, 0.2)
