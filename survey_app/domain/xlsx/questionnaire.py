"""A questionnaire as an Excel workbook: export, edit in Excel, import back (all or nothing).

One sheet per part — 维度 (dimensions), 题目 (questions), 选项 (options of single- and
multiple-choice questions) — plus a sheet of
instructions. Row order is the order on the phone. Every bad row is reported with its sheet,
row and column, like the roster import; a file with any error changes nothing.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook

from ... import access
from ...database import begin_write
from ...errors import Invalid
from ...models import Campaign
from ..campaigns import spec as qs
from ..campaigns.lifecycle import apply_questionnaire
from ..documents import in_chinese
from .common import to_bytes, write_table
from .reading import open_workbook, sheet_rows
from ..campaigns.spec import DimSpec, OptionSpec, Problem, QuestionSpec, Spec

DIM_SHEET, Q_SHEET, OPT_SHEET, NOTES_SHEET = "维度", "题目", "选项", "填写说明"
DIM_HEADERS = ["维度键", "维度名称", "英文名称", "权重", "归一化权重"]
Q_HEADERS = ["维度键", "题目键", "题型", "中文题目", "英文题目", "可选“不适用”", "总体满意度题"]
OPT_HEADERS = ["题目键", "选项键", "中文选项", "英文选项"]
KIND_BY_LABEL = {"五级评分": "scale", "5级评分": "scale", "评分": "scale", "scale": "scale",
                 "单选": "choice", "单选题": "choice", "选择": "choice", "choice": "choice",
                 "多选": "multi", "多选题": "multi", "复选": "multi", "multi": "multi", "multiple": "multi",
                 "填空": "text", "文字": "text", "填空题": "text", "text": "text"}
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", ""}
MAX_ROWS = 1000


class QuestionnaireFileError(Invalid):
    """The file as a whole cannot be read (not Excel, a sheet or a column is missing, too many rows)."""


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    spec: Spec | None = None
    dimensions: int = 0
    questions: int = 0
    options: int = 0
    wording_fixes: int = 0
    locked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """What the import did, in the user's language (for a flash message or the terminal)."""
        if self.locked:
            return _("问卷已冻结，结构未变；已修正措辞 %(n)s 处（均记入修改记录）。", n=self.wording_fixes)
        return _("导入完成：%(dimensions)s 个维度，%(questions)s 道题目，%(options)s 个选项。",
                 dimensions=self.dimensions, questions=self.questions, options=self.options)


# ---------------------------------------------------------------- export

def export_workbook(campaign: Campaign) -> bytes:
    """The campaign's questionnaire as an editable workbook (keys included, so rounds stay comparable)."""
    spec = qs.spec_of(campaign)
    with in_chinese():  # the kinds as the Chinese file names them, whatever the page's language
        kinds = {k: str(v) for k, v in qs.KIND_LABELS.items()}
    wb = Workbook()
    ws = wb.active
    ws.title = DIM_SHEET
    write_table(ws, DIM_HEADERS, ([d.key, d.name, d.name_en, d.weight, None] for d in spec.dimensions),
                widths=[16, 18, 26, 10, 14], formats={5: "0.0%"})
    last = len(spec.dimensions) + 1
    for r in range(2, last + 1):
        # A live formula, so an edited weight shows its share at once; ignored on import.
        ws.cell(row=r, column=5).value = f"=IF(SUM($D$2:$D${last})>0,D{r}/SUM($D$2:$D${last}),0)"
    qws = wb.create_sheet(Q_SHEET)
    write_table(qws, Q_HEADERS, (
        [d.key, q.key, kinds[q.kind], q.text, q.text_en, "是" if q.allow_na else "否",
         "是" if q.is_overall else "否"]
        for d in spec.dimensions for q in d.questions), widths=[16, 22, 10, 48, 48, 14, 14])
    ows = wb.create_sheet(OPT_SHEET)
    write_table(ows, OPT_HEADERS, ([q.key, o.key, o.label, o.label_en] for q in spec.questions for o in q.options),
                widths=[22, 18, 30, 36])
    notes = wb.create_sheet(NOTES_SHEET)
    write_table(notes, ["项目", "说明"], [
        ("顺序", "各表中行的顺序就是住户手机上显示的顺序。"),
        ("键", "维度键、题目键、选项键是跨轮次比较的依据：保留原有的键，新增的行可以留空，系统自动生成新键。"
               "键只能用小写英文字母、数字和下划线，以字母开头。"),
        ("维度", "每个维度需要名称和大于 0 的权重；权重按所有维度之和归一化（“归一化权重”列仅供参考，导入时忽略）。"
                 "每个维度至少要有一道五级评分题。"),
        ("题型", "五级评分（非常满意…非常不满意，计分）；单选（在“选项”表中列出问题类别，不计分）；"
                 "多选（在“选项”表中列出问题类别，住户可勾选多项，也可一项不选，不计分）；填空（文字，选填，不计分）。"),
        ("不适用", "五级评分题填“是”时住户可选“不适用/不了解”；单选题填“是”时多一个“都没有/不适用”选项；"
                   "多选题和填空题本身可以不答，此列忽略。"),
        ("总体满意度题", "恰好一道，且必须是五级评分题。"),
        ("题目的维度", "“维度键”列可以填维度键，也可以填维度名称。"),
        ("冻结", "活动收到第一份答卷后（或结束后），问卷只能修正错别字（会记录修改人、时间和原文）；"
                 "其他修改请复制为新一轮活动。"),
        ("全部或不导入", "任何一行有错误，整份文件都不导入，并列出每个错误所在的表、行和列。"),
    ], widths=[16, 100])
    return to_bytes(wb)


# ---------------------------------------------------------------- import

def _clean(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return qs.clean_text(value)


def _key(value) -> str:
    return unicodedata.normalize("NFKC", _clean(value)).lower()


def _sheet_rows(wb, title: str, headers: list[str], required: bool = True):
    """(row number, {header: value}) for each non-blank data row of the sheet."""
    ws = wb[title] if title in wb.sheetnames else None
    if ws is None:
        if required:
            raise QuestionnaireFileError(_("缺少工作表「%(sheet)s」。请先导出问卷，在导出的文件上修改后再导入。", sheet=title))
        return []
    rows = sheet_rows(ws, QuestionnaireFileError)
    head = next(rows, None) or ()
    names = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", _clean(h))) for h in head]
    index = {}
    for h in headers:
        norm = re.sub(r"\s+", "", unicodedata.normalize("NFKC", h))
        if norm in names:
            index[h] = names.index(norm)
    needed = [h for h in headers if h != "归一化权重"]
    missing = [h for h in needed if h not in index]
    if missing:
        raise QuestionnaireFileError(_("工作表「%(sheet)s」缺少这些列：%(columns)s。", sheet=title,
                                       columns="、".join(missing)))
    out = []
    for n, raw in enumerate(rows, start=2):
        values = {h: (raw[j] if j < len(raw) else None) for h, j in index.items()}
        if all(_clean(v) == "" for v in values.values()):
            continue
        if len(out) >= MAX_ROWS:
            raise QuestionnaireFileError(_("工作表「%(sheet)s」超过 %(max)s 行。", sheet=title, max=MAX_ROWS))
        out.append((n, values))
    return out


def _flag(value, problems, sheet, row, column) -> bool:
    v = _clean(value).lower()
    if v in YES:
        return True
    if v not in NO:
        problems.append(Problem(_("应填“是”或“否”，现为「%(value)s」", value=_clean(value)), sheet, row, column))
    return False


def _weight(value, problems, row) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        w = float(value)
    else:
        text = _clean(value).rstrip("%％")
        try:
            w = float(text) / (100.0 if _clean(value).endswith(("%", "％")) else 1.0)
        except ValueError:
            problems.append(Problem(_("权重必须是数字，现为「%(value)s」", value=_clean(value)), DIM_SHEET, row, "权重"))
            return 1.0
    if not math.isfinite(w) or w <= 0:
        problems.append(Problem(_("权重必须大于 0，现为「%(value)s」", value=_clean(value)), DIM_SHEET, row, "权重"))
        return 1.0
    return w


def read_workbook(data: bytes) -> tuple[Spec, list[Problem]]:
    """Read the three sheets into a Spec; collect problems of form (keys, kinds, flags, references)."""
    wb = open_workbook(data, QuestionnaireFileError)
    problems: list[Problem] = []
    spec = Spec()
    dim_rows = _sheet_rows(wb, DIM_SHEET, DIM_HEADERS)
    q_rows = _sheet_rows(wb, Q_SHEET, Q_HEADERS)
    opt_rows = _sheet_rows(wb, OPT_SHEET, OPT_HEADERS, required=False)
    wb.close()
    # Keys typed in the file are reserved first, so generated keys never collide with them.
    taken = {_key(v["维度键"]) for _n, v in dim_rows} | {_key(v["题目键"]) for _n, v in q_rows}
    taken |= {_key(v["选项键"]) for _n, v in opt_rows}
    by_ref: dict[str, DimSpec] = {}
    for n, v in dim_rows:
        key = _key(v["维度键"]) or qs.new_key("d", taken)
        d = DimSpec(key=key, name=_clean(v["维度名称"]), name_en=_clean(v["英文名称"]),
                    weight=_weight(v["权重"], problems, n), row=n)
        spec.dimensions.append(d)
        by_ref.setdefault(key, d)
        if d.name:
            by_ref.setdefault(d.name, d)
    q_by_key: dict[str, QuestionSpec] = {}
    for n, v in q_rows:
        ref = _clean(v["维度键"])
        d = by_ref.get(_key(ref)) or by_ref.get(ref)
        kind_raw = _clean(v["题型"])
        kind = KIND_BY_LABEL.get(kind_raw.lower() if kind_raw.isascii() else kind_raw)
        q = QuestionSpec(key=_key(v["题目键"]) or qs.new_key("q", taken), kind=kind or kind_raw or "scale",
                         text=_clean(v["中文题目"]), text_en=_clean(v["英文题目"]),
                         allow_na=_flag(v["可选“不适用”"], problems, Q_SHEET, n, "可选“不适用”"),
                         is_overall=_flag(v["总体满意度题"], problems, Q_SHEET, n, "总体满意度题"), row=n)
        if not ref:
            problems.append(Problem(_("缺少维度键（题目属于哪个维度）"), Q_SHEET, n, "维度键"))
        elif d is None:
            problems.append(Problem(_("「维度」表中没有维度「%(ref)s」", ref=ref), Q_SHEET, n, "维度键"))
        else:
            d.questions.append(q)
        q_by_key.setdefault(q.key, q)
    for n, v in opt_rows:
        ref = _key(v["题目键"])
        q = q_by_key.get(ref)
        o = OptionSpec(key=_key(v["选项键"]) or qs.new_key("o", taken), label=_clean(v["中文选项"]),
                       label_en=_clean(v["英文选项"]), row=n)
        if not ref:
            problems.append(Problem(_("缺少题目键（选项属于哪道题）"), OPT_SHEET, n, "题目键"))
        elif q is None:
            problems.append(Problem(_("「题目」表中没有题目「%(ref)s」", ref=ref), OPT_SHEET, n, "题目键"))
        elif q.kind not in qs.OPTION_KINDS:
            problems.append(Problem(_("题目「%(ref)s」不是单选题或多选题，不能有选项", ref=ref), OPT_SHEET, n, "题目键"))
        else:
            q.options.append(o)
    return spec, problems


def _sort_key(p: Problem):
    order = {DIM_SHEET: 1, Q_SHEET: 2, OPT_SHEET: 3}
    return (order.get(p.sheet, 0), p.row or 0, p.column)


def import_workbook(campaign: Campaign, data: bytes, user=None, dry_run: bool = False) -> ImportResult:
    """Validate the whole file, then replace the questionnaire — or, once frozen, apply only typo fixes.

    Nothing is written unless the whole file is accepted; a dry run writes nothing. The caller commits.
    """
    if user is not None:
        access.require_manage_campaign(user, campaign)
    spec, problems = read_workbook(data)
    begin_write()  # the file is read; the write lock is taken only now (see database.parses_first)
    problems += qs.validate(spec)
    # One problem per place is enough: the reader and the validator may both notice a bad weight.
    seen, unique = set(), []
    for p in sorted(problems, key=_sort_key):
        if (p.sheet, p.row, p.column, p.reason) not in seen:
            seen.add((p.sheet, p.row, p.column, p.reason))
            unique.append(p)
    result = ImportResult(problems=unique, spec=spec, dimensions=len(spec.dimensions),
                          questions=len(spec.questions), options=sum(len(q.options) for q in spec.questions))
    if unique:
        return result
    if dry_run:
        reason = qs.lock_reason(campaign)
        if reason:
            fixes, locked_problems = qs.locked_diff(campaign, spec)
            result.problems, result.locked, result.wording_fixes = locked_problems, True, len(fixes)
        return result
    try:
        applied = apply_questionnaire(campaign, spec, user)
    except qs.QuestionnaireRefused as e:
        result.problems = e.problems
        return result
    result.locked, result.wording_fixes = applied.locked, applied.wording_fixes
    return result
