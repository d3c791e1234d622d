"""Questionnaires: validation, edits by key, new question kinds in the survey, the freeze once answered,
the browser editor's edits, and an Excel dry run that writes nothing."""
import io

import openpyxl
import pytest
from sqlalchemy import select

from survey_app.domain.campaigns import spec as qs
from survey_app.domain.xlsx import questionnaire as qx
from survey_app.errors import Invalid, NotFound
from survey_app.domain.responses.survey import form_values, parse_form, save_response
from survey_app.models import Question, User, WordingChange

from ..factories import answer, form_for, households_of


def _with_new_kinds(campaign, db):
    spec = qs.spec_of(campaign)
    cleaning = spec.dimension("cleaning")
    cleaning.questions.append(qs.QuestionSpec(
        key="cleaning_problem", kind="choice", text="环境卫生最突出的问题是", text_en="The main cleaning problem",
        allow_na=True, options=[qs.OptionSpec("stairs", "楼道脏乱", "Dirty stairwells"),
                                qs.OptionSpec("bins", "垃圾桶满溢", "Overflowing bins")]))
    cleaning.questions.append(qs.QuestionSpec(key="cleaning_note", kind="text", text="关于卫生的其他意见",
                                              text_en="Other remarks on cleaning"))
    qs.apply(campaign, spec)
    db.session.commit()
    return (next(q for q in campaign.questions if q.key == "cleaning_problem"),
            next(q for q in campaign.questions if q.key == "cleaning_note"))


def test_the_standard_questionnaire_is_valid_and_weights_normalise(world):
    spec = qs.spec_of(world.campaign)
    assert qs.validate(spec) == []
    w = qs.normalised_weights(spec)
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["cleaning"] == pytest.approx(0.14 / 1.0)


def _problems(spec):
    return [str(p) for p in qs.validate(spec)]


def test_validation_names_every_problem(world):
    spec = qs.spec_of(world.campaign)
    spec.dimensions[0].weight = 0
    spec.dimensions[1].weight = "abc"
    spec.dimensions[2].key = "Bad Key"
    spec.dimensions[3].key = spec.dimensions[4].key
    spec.dimensions[5].questions[0].kind = "essay"
    spec.dimensions[5].questions[1].text = ""
    spec.dimensions[6].questions[0].kind = "text"  # parking now has no 5-point question
    spec.dimensions[7].questions.append(qs.QuestionSpec(key="fees_choice", kind="choice", text="收费问题",
                                                        options=[qs.OptionSpec("a", "不透明")]))
    spec.dimensions[8].questions[0].is_overall = False
    msgs = _problems(spec)
    assert any("客户服务" in m and "权重必须是大于 0 的数" in m for m in msgs)
    assert any("安全秩序" in m and "现为「abc」" in m for m in msgs)
    assert any("键「Bad Key」无效" in m for m in msgs)
    assert any(f"键「{spec.dimensions[4].key}」与维度" in m and "重复" in m for m in msgs)
    assert any("题型「essay」无效" in m for m in msgs)
    assert any("缺少中文题目" in m for m in msgs)
    assert any("停车管理」没有五级评分题" in m for m in msgs)
    assert any("单选题至少需要 2 个选项" in m for m in msgs)
    assert any("缺少总体满意度题" in m for m in msgs)
    spec = qs.spec_of(world.campaign)
    spec.dimensions[0].questions[0].is_overall = True
    spec.dimensions[1].questions[0].kind = "choice"
    spec.dimensions[1].questions[0].options = [qs.OptionSpec("a", "x"), qs.OptionSpec("a", "y\x07")]
    msgs = _problems(spec)
    assert any("总体满意度题只能有一道" in m for m in msgs)
    assert any("选项键「a」在本题中重复" in m for m in msgs)
    assert any("控制字符" in m for m in msgs)
    assert _problems(qs.Spec()) == ["问卷至少需要一个维度。"]


def test_edits_keep_rows_by_key_and_a_question_may_move(world, db):
    c = world.campaign
    ids = {q.key: q.id for q in c.questions}
    spec = qs.spec_of(c)
    moved = spec.dimension("service").questions.pop()
    spec.dimension("repair").questions.insert(0, moved)
    spec.dimensions.reverse()
    spec.dimension("fees").name = "收费公示"
    qs.apply(c, spec)
    db.session.commit()
    db.session.expire_all()
    assert [d.key for d in c.dimensions][0] == "overall"
    assert c.dimensions[-1].key == "service" and len(c.dimensions[-1].questions) == 1
    repair = next(d for d in c.dimensions if d.key == "repair")
    assert repair.questions[0].key == moved.key and repair.questions[0].id == ids[moved.key]
    assert {q.key: q.id for q in c.questions} == ids
    assert qs.spec_of(c) == spec
    assert db.session.scalar(select(WordingChange.id)) is None  # not frozen: no history needed


def test_choice_and_text_questions_in_the_survey(world, db):
    choice, text = _with_new_kinds(world.campaign, db)
    c = world.campaign
    form = form_for(c, "4")
    form[f"q{text.id}"] = ""  # free text is optional
    form[f"q{choice.id}"] = "4"  # a 5-point answer is not one of the options
    parsed = parse_form(c, form)
    assert parsed.errors[f"q{choice.id}"] == f"第 {c.questions.index(choice) + 1} 题的答案无效，请在选项中选择。"
    form[f"q{choice.id}"] = ""
    assert "未作答" in parse_form(c, form).errors[f"q{choice.id}"]
    form[f"q{choice.id}"] = "bins"
    form[f"q{text.id}"] = "x" * 501
    assert "不能超过 500 字" in parse_form(c, form).errors[f"q{text.id}"]
    form[f"q{text.id}"] = "  垃圾站太臭  "
    parsed = parse_form(c, form)
    assert parsed.ok and parsed.choices == {choice.id: "bins"} and parsed.texts == {text.id: "垃圾站太臭"}
    assert choice.id not in parsed.answers and text.id not in parsed.answers
    h = households_of(world.k1)[0]
    resp = save_response(c, h.id, parsed)
    assert resp.score == 75.0
    values = form_values(c, resp)
    assert values[f"q{choice.id}"] == "bins" and values[f"q{text.id}"] == "垃圾站太臭"
    # "None of these" is a choice; clearing the text removes it.
    form[f"q{choice.id}"] = "na"
    form[f"q{text.id}"] = ""
    resp = save_response(c, h.id, parse_form(c, form))
    values = form_values(c, resp)
    assert values[f"q{choice.id}"] == "na" and f"q{text.id}" not in values


def test_once_answered_only_typo_fixes_pass_and_they_keep_a_history(world, db):
    c = world.campaign
    answer(c, households_of(world.k1)[0])
    user = db.session.scalar(select(User).where(User.username == "city"))
    assert qs.lock_reason(c) == "活动已收到答卷，问卷已冻结。"
    for change in (
        lambda s: s.dimensions.pop(),
        lambda s: setattr(s.dimensions[0], "weight", 0.5),
        lambda s: s.dimensions.reverse(),
        lambda s: s.dimensions[0].questions.reverse(),
        lambda s: setattr(s.dimensions[3].questions[0], "allow_na", False),
        lambda s: setattr(s.dimensions[0].questions[0], "kind", "text"),
        lambda s: setattr(s.dimensions[0].questions[0], "text", "完全不同的一道新题目，问的是别的事情"),
        lambda s: s.dimensions[0].questions.append(qs.QuestionSpec(key="new_q", kind="scale", text="新题")),
    ):
        spec = qs.spec_of(c)
        change(spec)
        with pytest.raises(qs.QuestionnaireRefused) as e:
            qs.apply(c, spec, user)
        assert e.value.problems[0].reason == qs.LOCKED_HINT
        assert "复制为新一轮" in str(e.value)
        db.session.rollback()
    spec = qs.spec_of(c)
    q = spec.dimensions[0].questions[0]
    old = q.text
    q.text = old.replace("服务态度", "服务态渡")  # one character
    spec.dimensions[1].name_en = "Security and Order"
    result = qs.apply(c, spec, user)
    db.session.commit()
    assert result.locked and result.wording_fixes == 2
    history = qs.wording_history(c)
    assert {(h.target, h.field, h.old) for h in history} == {
        (f"question:{q.key}", "text", old), ("dimension:security", "name_en", "Security and order")}
    assert all(h.user_id == user.id for h in history)
    assert db.session.scalar(select(Question.text).where(Question.key == q.key)) == q.text


def test_a_missing_english_wording_may_be_added_after_the_freeze(world, db):
    c = world.campaign
    c.dimensions[0].questions[0].text_en = ""
    db.session.commit()
    answer(c, households_of(world.k1)[0])
    spec = qs.spec_of(c)
    spec.dimensions[0].questions[0].text_en = "How friendly and tidy are the property staff?"
    assert qs.apply(c, spec).wording_fixes == 1
    spec.dimensions[0].questions[0].text_en = ""
    with pytest.raises(qs.QuestionnaireRefused, match="改动过大或为空"):
        qs.apply(c, spec)


def test_typo_fix_bounds():
    assert qs.is_typo_fix("小区门岗值守和出入管理", "小区门岗值守与出入管理")
    assert not qs.is_typo_fix("小区门岗值守和出入管理", "小区停车收费是否合理")
    assert not qs.is_typo_fix("满意", "")
    assert qs.is_typo_fix("", "Parking", english=True)
    assert qs.levenshtein("kitten", "sitting") == 3


# ---------------------------------------------------------------- the browser editor's edits

def test_editor_adds_a_dimension_with_its_first_question(world):
    spec = qs.spec_of(world.campaign)
    edited, message = qs.add_dimension(spec, {"name": " 智慧 物业 ", "name_en": "Smart", "weight": "0.1",
                                              "text": "线上报修是否方便", "allow_na": "yes"})
    assert message == "已新增维度「智慧 物业」。"
    d = edited.dimensions[-1]
    assert (d.name, d.name_en, d.weight) == ("智慧 物业", "Smart", 0.1)
    assert [(q.kind, q.text, q.allow_na) for q in d.questions] == [("scale", "线上报修是否方便", True)]
    assert d.key not in qs.taken_keys(spec) and len(spec.dimensions) == 9  # the stored spec is untouched
    assert qs.validate(edited) == []
    bad, _message = qs.add_dimension(spec, {"name": "x", "weight": "heavy", "text": "y"})
    assert any("现为「heavy」" in str(p) for p in qs.validate(bad))


def test_editor_moves_saves_and_deletes_a_dimension(world):
    spec = qs.spec_of(world.campaign)
    up, message = qs.edit_dimension(spec, "security", {"action": "up"})
    assert [d.key for d in up.dimensions][:2] == ["security", "service"] and message == "已调整维度顺序。"
    first, _m = qs.edit_dimension(spec, "service", {"action": "up"})  # already first: stays
    assert [d.key for d in first.dimensions] == [d.key for d in spec.dimensions]
    gone, message = qs.edit_dimension(spec, "parking", {"action": "delete"})
    assert gone.dimension("parking") is None and message == "已删除维度「停车管理」及其题目。"
    saved, message = qs.edit_dimension(spec, "fees", {"action": "save", "name": "收费公示", "name_en": "Fees",
                                                      "weight": "0.2"})
    assert (saved.dimension("fees").name, saved.dimension("fees").weight) == ("收费公示", 0.2)
    assert message == "已保存维度「收费公示」。"
    wording, _m = qs.edit_dimension(spec, "fees", {"name": "收费公示", "name_en": ""})  # no weight field: kept
    assert wording.dimension("fees").weight == spec.dimension("fees").weight
    with pytest.raises(NotFound):
        qs.edit_dimension(spec, "nope", {"action": "save"})
    with pytest.raises(Invalid):
        qs.edit_dimension(spec, "fees", {"action": "explode"})


def test_editor_adds_questions_and_refuses_a_missing_dimension(world):
    spec = qs.spec_of(world.campaign)
    edited, message = qs.add_question(spec, {"dimension": "cleaning", "kind": "choice", "text": "主要问题",
                                             "options": "楼道脏乱 | Dirty stairwells\n垃圾满溢\n\n"})
    q = edited.dimension("cleaning").questions[-1]
    assert message == "已新增题目。" and q.kind == "choice"
    assert [(o.label, o.label_en) for o in q.options] == [("楼道脏乱", "Dirty stairwells"), ("垃圾满溢", "")]
    scale, _m = qs.add_question(spec, {"dimension": "cleaning", "kind": "scale", "text": "t", "options": "a\nb"})
    assert scale.dimension("cleaning").questions[-1].options == []
    with pytest.raises(qs.QuestionnaireRefused) as e:
        qs.add_question(spec, {"dimension": "nope", "text": "x"})
    assert e.value.status == 422 and "请选择题目所属的维度" in str(e.value)


def test_editor_saves_a_question_with_its_structure_and_options(world):
    spec, _m = qs.add_question(qs.spec_of(world.campaign), {
        "dimension": "cleaning", "kind": "choice", "text": "主要问题", "options": "楼道脏乱\n垃圾满溢"})
    q = spec.dimension("cleaning").questions[-1]
    o1, o2 = q.options
    edited, message = qs.edit_question(spec, q.key, {
        "action": "save", "text": "最突出的问题", "text_en": "", "kind": "choice", "dimension": "repair",
        "allow_na": "yes", f"opt_{o1.key}_label": "楼道脏", f"opt_{o2.key}_delete": "yes",
        "new_0_label": "噪音", "new_0_label_en": "Noise", "new_3_label": " "})
    moved = edited.question(q.key)
    assert message == "题目已保存。" and edited.dimension_of(q.key).key == "repair"
    assert edited.dimension("repair").questions[-1] is moved
    assert (moved.text, moved.allow_na) == ("最突出的问题", True)
    assert [(o.key == o1.key, o.label, o.label_en) for o in moved.options] == [(True, "楼道脏", ""),
                                                                             (False, "噪音", "Noise")]
    # Overall: one question only; choosing another kind drops the options.
    overall, _m = qs.edit_question(spec, "cleaning_public", {"action": "save", "text": "t", "kind": "scale",
                                                             "dimension": "cleaning", "is_overall": "yes"})
    assert [x.key for x in overall.questions if x.is_overall] == ["cleaning_public"]
    as_text, _m = qs.edit_question(spec, q.key, {"action": "save", "text": "t", "kind": "text",
                                                 "dimension": "cleaning"})
    assert as_text.question(q.key).options == []
    # Without the structural fields (a frozen questionnaire's page) only wording changes.
    wording, _m = qs.edit_question(spec, q.key, {"action": "save", "text": "主要的问题",
                                                 f"opt_{o2.key}_delete": "yes", "new_0_label": "噪音",
                                                 f"opt_{o1.key}_label_en": "Dirty"})
    w = wording.question(q.key)
    assert (w.kind, w.text) == ("choice", "主要的问题") and len(w.options) == 2 and w.options[0].label_en == "Dirty"
    assert wording.dimension_of(q.key).key == "cleaning"
    with pytest.raises(qs.QuestionnaireRefused, match="请选择题目所属的维度"):
        qs.edit_question(spec, q.key, {"action": "save", "text": "t", "kind": "scale", "dimension": ""})


def test_editor_moves_and_deletes_a_question(world):
    spec = qs.spec_of(world.campaign)
    down, message = qs.edit_question(spec, "service_attitude", {"action": "down"})
    assert [q.key for q in down.dimension("service").questions] == ["service_info", "service_attitude"]
    assert message == "已调整题目顺序。"
    gone, message = qs.edit_question(spec, "service_info", {"action": "delete"})
    assert gone.question("service_info") is None and message == "已删除题目。"
    assert spec.question("service_info") is not None
    with pytest.raises(NotFound):
        qs.edit_question(spec, "nope", {"action": "save"})
    with pytest.raises(Invalid):
        qs.edit_question(spec, "service_info", {"action": "explode"})


# ---------------------------------------------------------------- an Excel dry run writes nothing

def _edited_workbook(campaign, answered: bool) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(qx.export_workbook(campaign)))
    wb["题目"].cell(2, 4).value = qs.spec_of(campaign).questions[0].text + "。"  # a typo fix: passes the freeze
    if not answered:
        wb["维度"].cell(2, 3).value = "Customer care"
        wb["维度"].cell(2, 4).value = 0.3
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("answered", [False, True])
def test_an_excel_dry_run_leaves_the_session_clean_and_the_questionnaire_unchanged(world, db, answered):
    c = world.campaign
    if answered:
        answer(c, households_of(world.k1)[0])
    db.session.commit()
    before = qs.spec_of(c)
    result = qx.import_workbook(c, _edited_workbook(c, answered), dry_run=True)
    assert result.ok and result.locked == answered and result.wording_fixes == (1 if answered else 0)
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    db.session.commit()  # what a request's successful end does
    db.session.expire_all()
    assert qs.spec_of(c) == before
    assert db.session.scalar(select(WordingChange.id)) is None

