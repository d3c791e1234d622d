"""The questionnaire as Excel: export, edit, import; bad rows reported by sheet, row and column; all or nothing."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from survey_app.domain.campaigns import spec as qs
from survey_app.domain.xlsx import questionnaire as qx
from survey_app.models import Question, QuestionOption, WordingChange

from ..factories import answer, households_of


def _book(campaign):
    return openpyxl.load_workbook(io.BytesIO(qx.export_workbook(campaign)))


def _bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(ws, key, column=2):
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, column).value == key)


def test_export_has_one_sheet_per_part_and_imports_back_unchanged(world, db):
    c = world.campaign
    wb = _book(c)
    assert wb.sheetnames == ["维度", "题目", "选项", "填写说明"]
    dims, questions = wb["维度"], wb["题目"]
    assert [x.value for x in dims[1]] == qx.DIM_HEADERS and [x.value for x in questions[1]] == qx.Q_HEADERS
    assert dims.freeze_panes == "A2" and dims.auto_filter.ref
    assert dims["A2"].value == "service" and dims["D2"].value == 0.12 and dims["E2"].value.startswith("=IF(")
    assert questions.max_row == 16 and questions["C2"].value == "五级评分" and questions["C16"].value == "多选"
    before = qs.spec_of(c)
    ids = {q.key: q.id for q in c.questions}
    result = qx.import_workbook(c, _bytes(wb))
    db.session.commit()
    assert result.ok and result.summary() == "导入完成：9 个维度，15 道题目，9 个选项。"
    assert qs.spec_of(c) == before and {q.key: q.id for q in c.questions} == ids


def test_edited_workbook_adds_kinds_options_and_generated_keys(world, db):
    c = world.campaign
    wb = _book(c)
    dims, questions, options = wb["维度"], wb["题目"], wb["选项"]
    dims.cell(_row(dims, "parking", 1), 4).value = "20%"  # percent weights are read as numbers
    dims.cell(_row(dims, "fees", 1), 2).value = "收费公示"
    questions.append(["cleaning", "cleaning_problem", "单选", "最突出的问题", "Main problem", "是", "否"])
    questions.append(["环境卫生", "", "填空", "其他卫生意见", "", "否", "否"])  # dimension by name, key left blank
    options.append(["cleaning_problem", "stairs", "楼道脏乱", "Dirty stairwells"])
    options.append(["cleaning_problem", "", "垃圾满溢", "=cmd|' /C calc'!A0"])
    options.cell(options.max_row, 4).data_type = "s"  # text that looks like a formula, as a resident might write
    result = qx.import_workbook(c, _bytes(wb))
    assert result.ok, [str(p) for p in result.problems]
    db.session.commit()
    cleaning = next(d for d in c.dimensions if d.key == "cleaning")
    kinds = [(q.kind, q.text) for q in cleaning.questions]
    assert kinds[-2:] == [("choice", "最突出的问题"), ("text", "其他卫生意见")]
    generated = cleaning.questions[-1].key
    assert generated.startswith("q_") and qs.KEY_RE.fullmatch(generated)
    problem = cleaning.questions[-2]
    assert [o.key for o in problem.options][0] == "stairs" and problem.options[1].key.startswith("o_")
    assert problem.options[1].label_en == "=cmd|' /C calc'!A0"  # stored as written
    assert next(d for d in c.dimensions if d.key == "parking").weight == pytest.approx(0.2)
    # Exported again, the formula-like text is inert and the new rows keep their keys.
    again = _book(c)
    cell = again["选项"].cell(3, 4)
    assert cell.value.startswith("'=") and cell.data_type == "s"
    assert again["题目"].cell(_row(again["题目"], generated), 3).value == "填空"


def test_bad_rows_are_all_reported_and_nothing_changes(world, db):
    c = world.campaign
    before = qs.spec_of(c)
    wb = _book(c)
    dims, questions, options = wb["维度"], wb["题目"], wb["选项"]
    dims.cell(2, 4).value = -1
    dims.cell(3, 4).value = "很多"
    dims.cell(4, 2).value = None
    dims.cell(5, 1).value = "Greening!"
    questions.cell(2, 3).value = "问答"
    questions.cell(3, 6).value = "也许"
    questions.cell(4, 1).value = "nowhere"
    questions.cell(5, 2).value = "service_attitude"  # duplicate key
    questions.append(["cleaning", "cleaning_pick", "单选", "问题类别", "", "否", "否"])  # one option only
    options.append(["cleaning_pick", "only", "唯一选项", ""])
    options.append(["service_attitude", "x", "不该有选项", ""])
    options.append(["ghost", "y", "没有这道题", ""])
    result = qx.import_workbook(c, _bytes(wb))
    assert not result.ok
    lines = [str(p) for p in result.problems]
    expect = [
        "「维度」表第 2 行「权重」列：权重必须大于 0，现为「-1」",
        "「维度」表第 3 行「权重」列：权重必须是数字，现为「很多」",
        "「维度」表第 4 行「维度名称」列：缺少维度名称",
        "「维度」表第 5 行「维度键」列：键「greening!」无效",
        "「题目」表第 2 行「题型」列：题型「问答」无效",
        "「题目」表第 3 行「可选“不适用”」列：应填“是”或“否”，现为「也许」",
        "「题目」表第 4 行「维度键」列：「维度」表中没有维度「nowhere」",
        "「题目」表第 5 行「题目键」列：键「service_attitude」与题目",
        "「题目」表第 17 行「题型」列：单选题至少需要 2 个选项（现有 1 个）",
        "「选项」表第 12 行「题目键」列：题目「service_attitude」不是单选题或多选题，不能有选项",
        "「选项」表第 13 行「题目键」列：「题目」表中没有题目「ghost」",
    ]
    for e in expect:
        assert any(line.startswith(e) for line in lines), (e, lines)
    db.session.rollback()
    assert qs.spec_of(c) == before
    assert db.session.scalar(select(func.count()).select_from(QuestionOption)) == 9  # the standard multiple choice


def test_unreadable_files_and_missing_parts_get_a_clear_error(world):
    with pytest.raises(qx.QuestionnaireFileError, match="无法作为 Excel"):
        qx.import_workbook(world.campaign, b"PK\x03\x04 not really")
    wb = _book(world.campaign)
    del wb["题目"]
    with pytest.raises(qx.QuestionnaireFileError, match="缺少工作表「题目」"):
        qx.import_workbook(world.campaign, _bytes(wb))
    wb = _book(world.campaign)
    wb["维度"].delete_cols(4)
    with pytest.raises(qx.QuestionnaireFileError, match="缺少这些列：权重"):
        qx.import_workbook(world.campaign, _bytes(wb))
    wb = _book(world.campaign)
    del wb["选项"]  # the standard multiple-choice question then has no options
    assert [str(p) for p in qx.import_workbook(world.campaign, _bytes(wb)).problems] == [
        "「题目」表第 16 行「题型」列：多选题至少需要 2 个选项（现有 0 个）"]
    wb["题目"].delete_rows(_row(wb["题目"], "improve"))  # no question with options: the sheet may be left out
    assert qx.import_workbook(world.campaign, _bytes(wb)).ok


def test_dry_run_checks_without_writing(world, db):
    c = world.campaign
    wb = _book(c)
    wb["题目"].cell(2, 4).value = "改过的题目"
    result = qx.import_workbook(c, _bytes(wb), dry_run=True)
    assert result.ok
    db.session.rollback()
    assert c.questions[0].text != "改过的题目"


def test_after_the_first_answer_an_import_may_only_fix_typos(world, db):
    c = world.campaign
    answer(c, households_of(world.k1)[0])
    wb = _book(c)
    wb["维度"].cell(2, 4).value = 0.3
    wb["题目"].append(["cleaning", "", "五级评分", "新增一道题", "", "否", "否"])
    result = qx.import_workbook(c, _bytes(wb))
    reasons = [str(p) for p in result.problems]
    assert result.problems[0].reason == qs.LOCKED_HINT
    assert any("「维度」表第 2 行「权重」列：不能修改维度「客户服务」的权重" in r for r in reasons)
    assert any("不能增删、移动或调整维度「环境卫生」中的题目" in r for r in reasons)
    db.session.rollback()
    wb = _book(c)
    old = wb["题目"].cell(2, 4).value
    wb["题目"].cell(2, 4).value = old.replace("仪容仪表", "仪容仪表。")
    result = qx.import_workbook(c, _bytes(wb))
    assert result.ok and result.locked and result.wording_fixes == 1
    assert "已修正措辞 1 处" in result.summary()
    db.session.commit()
    change = db.session.scalar(select(WordingChange))
    assert (change.target, change.old) == ("question:service_attitude", old)
    assert db.session.scalar(select(Question.text).where(Question.key == "service_attitude")).endswith("。")
