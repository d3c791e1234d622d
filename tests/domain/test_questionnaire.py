"""Questionnaires: validation, edits by key, new question kinds in the survey, and the freeze once answered."""
import pytest
from sqlalchemy import select

from survey_app.domain.campaigns import spec as qs
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
