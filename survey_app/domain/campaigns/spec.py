"""A questionnaire as plain values: read it, validate it, and write it back to a campaign.

Every change to a questionnaire — from the browser editor, an Excel import or a copy to a new
round — is made by editing a `Spec` and calling `apply`, so the rules live here once:
keys are stable and unique, weights are positive, there is exactly one overall question, and
once a campaign has a response (or is closed) only wording typo fixes pass, each recorded with
who, when and the old text.
"""
from __future__ import annotations

import copy
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import exists, select

from ...errors import Refusal
from ...extensions import db
from ...models.campaigns import SCORED_KIND
from ...models import Campaign, Dimension, Question, QuestionOption, Response, WordingChange
from ..clock import now

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
KINDS = ("scale", "choice", "text")
KIND_LABELS = {"scale": "五级评分", "choice": "单选", "text": "填空"}
MAX_DIMENSIONS = 30
MAX_QUESTIONS = 120
MAX_OPTIONS = 20
MAX_WEIGHT = 1000.0
LIMITS = {"name": 60, "name_en": 80, "text": 300, "text_en": 300, "label": 100, "label_en": 120}
FIELD_LABELS = {"name": "维度名称", "name_en": "英文名称", "text": "中文题目", "text_en": "英文题目",
                "label": "中文选项", "label_en": "英文选项"}
LOCKED_HINT = "该问卷已有答卷（或活动已结束），只能修正错别字；其他修改请复制为新一轮活动后在新问卷中进行。"


@dataclass
class OptionSpec:
    key: str
    label: str
    label_en: str = ""
    row: int | None = None  # where it came from in an imported sheet


@dataclass
class QuestionSpec:
    key: str
    kind: str
    text: str
    text_en: str = ""
    allow_na: bool = False
    is_overall: bool = False
    options: list[OptionSpec] = field(default_factory=list)
    row: int | None = None

    @property
    def scored(self) -> bool:
        return self.kind == SCORED_KIND


@dataclass
class DimSpec:
    key: str
    name: str
    name_en: str
    weight: float
    questions: list[QuestionSpec] = field(default_factory=list)
    row: int | None = None


@dataclass
class Spec:
    dimensions: list[DimSpec] = field(default_factory=list)

    @property
    def questions(self) -> list[QuestionSpec]:
        return [q for d in self.dimensions for q in d.questions]

    def dimension(self, key: str) -> DimSpec | None:
        return next((d for d in self.dimensions if d.key == key), None)

    def question(self, key: str) -> QuestionSpec | None:
        return next((q for q in self.questions if q.key == key), None)

    def dimension_of(self, qkey: str) -> DimSpec | None:
        return next((d for d in self.dimensions if any(q.key == qkey for q in d.questions)), None)

    def copy(self) -> "Spec":
        return copy.deepcopy(self)


@dataclass
class Problem:
    """One reason a questionnaire is refused, located by sheet and row when it came from Excel."""

    reason: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    item: str = ""  # names the dimension/question when there is no sheet row (browser editor)

    def __str__(self) -> str:
        if self.sheet and self.row:
            where = f"「{self.sheet}」表第 {self.row} 行" + (f"「{self.column}」列" if self.column else "")
        elif self.item:
            where = self.item
        else:
            return self.reason
        return f"{where}：{self.reason}"


class QuestionnaireRefused(Refusal):
    """A questionnaire change was refused; `problems` says why, item by item (409 when the
    questionnaire is frozen, 422 when the change itself is invalid)."""

    status = 422

    def __init__(self, problems: list[Problem], status: int | None = None):
        super().__init__("；".join(str(p) for p in problems[:5]), status)
        self.problems = problems


# ---------------------------------------------------------------- reading

def spec_of(campaign: Campaign) -> Spec:
    """The campaign's questionnaire as plain values."""
    return Spec(dimensions=[
        DimSpec(key=d.key, name=d.name, name_en=d.name_en or "", weight=d.weight, questions=[
            QuestionSpec(key=q.key, kind=q.kind or "scale", text=q.text, text_en=q.text_en or "",
                         allow_na=bool(q.allow_na), is_overall=bool(q.is_overall),
                         options=[OptionSpec(o.key, o.label, o.label_en or "") for o in q.options])
            for q in d.questions])
        for d in campaign.dimensions])


def normalised_weights(spec: Spec) -> dict[str, float]:
    """{dimension key: weight / total weight}; what each dimension counts in the index."""
    total = sum(d.weight for d in spec.dimensions if _is_number(d.weight) and d.weight > 0)
    return {d.key: (d.weight / total if total and _is_number(d.weight) else 0.0) for d in spec.dimensions}


def has_responses(campaign: Campaign) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.campaign_id == campaign.id))))


def lock_reason(campaign: Campaign) -> str | None:
    """Why the questionnaire accepts only typo fixes, or None when it may change freely."""
    if campaign.status == "closed":
        return "活动已结束，数据已冻结。"
    if campaign.id is not None and has_responses(campaign):
        return "活动已收到答卷，问卷已冻结。"
    return None


# ---------------------------------------------------------------- keys

def new_key(prefix: str, taken: set[str]) -> str:
    """A fresh key that no dimension/question/option of the campaign uses (and that no earlier round shares)."""
    while True:
        key = f"{prefix}_{secrets.token_hex(3)}"
        if key not in taken:
            taken.add(key)
            return key


def taken_keys(spec: Spec) -> set[str]:
    keys = {d.key for d in spec.dimensions} | {q.key for q in spec.questions}
    keys |= {o.key for q in spec.questions for o in q.options}
    return keys


def clean_text(value) -> str:
    """Text as a person meant it: Unicode-normalised (NFC), whitespace runs collapsed, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    return re.sub(r"[\s\u200b\ufeff]+", " ", text).strip()


# ---------------------------------------------------------------- validation

def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _where(item, sheet: str, column: str, label: str) -> dict:
    """Locate a problem by sheet row when the item came from Excel, else name the item in the text."""
    if getattr(item, "row", None):
        return {"sheet": sheet, "row": item.row, "column": column}
    return {"sheet": sheet, "item": label}


def _check_text(problems, item, attr, sheet, column, label, required):
    value = getattr(item, attr)
    limit = LIMITS[attr]
    if required and not value:
        problems.append(Problem(f"缺少{FIELD_LABELS[attr]}", **_where(item, sheet, column, label)))
    elif len(value) > limit:
        problems.append(Problem(f"{FIELD_LABELS[attr]}过长（{len(value)} 字，最多 {limit} 字）",
                                **_where(item, sheet, column, label)))
    elif any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        problems.append(Problem(f"{FIELD_LABELS[attr]}含有不可见的控制字符", **_where(item, sheet, column, label)))


def validate(spec: Spec) -> list[Problem]:
    """Every structural problem of the questionnaire (empty when it may be used)."""
    problems: list[Problem] = []
    if not spec.dimensions:
        return [Problem("问卷至少需要一个维度。", sheet="维度")]
    if len(spec.dimensions) > MAX_DIMENSIONS:
        problems.append(Problem(f"维度过多（{len(spec.dimensions)} 个，最多 {MAX_DIMENSIONS} 个）。", sheet="维度"))
    if len(spec.questions) > MAX_QUESTIONS:
        problems.append(Problem(f"题目过多（{len(spec.questions)} 道，最多 {MAX_QUESTIONS} 道）。", sheet="题目"))
    seen: dict[tuple[str, str], str] = {}  # (sheet, key) → what first used it

    def key_ok(item, sheet, label, column):
        key = item.key
        if not KEY_RE.fullmatch(key or ""):
            problems.append(Problem(f"键「{key}」无效：只能用小写英文字母、数字和下划线，以字母开头，最长 40 位",
                                    **_where(item, sheet, column, label)))
        elif (sheet, key) in seen:
            problems.append(Problem(f"键「{key}」与{seen[sheet, key]}重复", **_where(item, sheet, column, label)))
        else:
            seen[sheet, key] = label
        return key

    for d in spec.dimensions:
        label = f"维度「{d.name or d.key}」"
        key_ok(d, "维度", label, "维度键")
        _check_text(problems, d, "name", "维度", "维度名称", label, True)
        _check_text(problems, d, "name_en", "维度", "英文名称", label, False)
        if not _is_number(d.weight) or d.weight <= 0 or d.weight > MAX_WEIGHT:
            problems.append(Problem(f"权重必须是大于 0 的数（不超过 {MAX_WEIGHT:g}），现为「{d.weight}」",
                                    **_where(d, "维度", "权重", label)))
    overall = []
    for d in spec.dimensions:
        if not d.questions:
            problems.append(Problem(f"维度「{d.name or d.key}」没有题目", **_where(d, "维度", "维度键", "")))
        elif not any(q.scored for q in d.questions):
            problems.append(Problem(f"维度「{d.name or d.key}」没有五级评分题，无法计分",
                                    **_where(d, "维度", "维度键", "")))
        for q in d.questions:
            label = f"题目「{(q.text or q.key)[:20]}」"
            key_ok(q, "题目", label, "题目键")
            if q.kind not in KINDS:
                problems.append(Problem(f"题型「{q.kind}」无效，应为：{'、'.join(KIND_LABELS.values())}",
                                        **_where(q, "题目", "题型", label)))
            _check_text(problems, q, "text", "题目", "中文题目", label, True)
            _check_text(problems, q, "text_en", "题目", "英文题目", label, False)
            if q.is_overall:
                overall.append(q)
                if not q.scored:
                    problems.append(Problem("总体满意度题必须是五级评分题", **_where(q, "题目", "总体满意度题", label)))
            if q.kind == "choice":
                if len(q.options) < 2:
                    problems.append(Problem(f"单选题至少需要 2 个选项（现有 {len(q.options)} 个）",
                                            **_where(q, "题目", "题型", label)))
                if len(q.options) > MAX_OPTIONS:
                    problems.append(Problem(f"选项过多（{len(q.options)} 个，最多 {MAX_OPTIONS} 个）",
                                            **_where(q, "题目", "题型", label)))
                opt_seen: dict[str, int] = {}
                for o in q.options:
                    olabel = f"{label}的选项「{o.label or o.key}」"
                    if not KEY_RE.fullmatch(o.key or ""):
                        problems.append(Problem(f"选项键「{o.key}」无效：只能用小写英文字母、数字和下划线，以字母开头",
                                                **_where(o, "选项", "选项键", olabel)))
                    elif o.key in opt_seen:
                        problems.append(Problem(f"选项键「{o.key}」在本题中重复", **_where(o, "选项", "选项键", olabel)))
                    opt_seen.setdefault(o.key, 1)
                    _check_text(problems, o, "label", "选项", "中文选项", olabel, True)
                    _check_text(problems, o, "label_en", "选项", "英文选项", olabel, False)
            elif q.options:
                problems.append(Problem("只有单选题可以有选项", **_where(q.options[0], "选项", "题目键", label)))
    if not overall:
        problems.append(Problem("问卷缺少总体满意度题（需要恰好一道）。", sheet="题目"))
    for q in overall[1:]:
        problems.append(Problem("总体满意度题只能有一道", **_where(q, "题目", "总体满意度题",
                                                                    f"题目「{(q.text or q.key)[:20]}」")))
    return problems


# ---------------------------------------------------------------- the freeze

def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def is_typo_fix(old: str, new: str, english: bool = False) -> bool:
    """A small correction: at most max(2, 10%) characters changed; an English wording may be filled in."""
    if not new:
        return False
    if english and not old:
        return True  # adding the missing translation of an unchanged Chinese wording
    return levenshtein(old, new) <= max(2, len(old) // 10)


@dataclass
class Wording:
    target: str
    field: str
    old: str
    new: str
    obj: object = None  # the model row to update


def locked_diff(campaign: Campaign, new: Spec) -> tuple[list[Wording], list[Problem]]:
    """Compare a frozen questionnaire with a proposed one: only typo-sized wording changes may pass."""
    old = spec_of(campaign)
    problems: list[Problem] = []
    wording: list[Wording] = []

    def refuse(msg, item=None, sheet="", column=""):
        problems.append(Problem(msg, **(_where(item, sheet, column, "") if item is not None and item.row else {})))

    def words(kind, key, obj, o_item, n_item, fields):
        for f in fields:
            a, b = getattr(o_item, f), getattr(n_item, f)
            if a == b:
                continue
            if is_typo_fix(a, b, english=f.endswith("_en")):
                wording.append(Wording(f"{kind}:{key}", f, a, b, obj))
            else:
                sheet = {"dimension": "维度", "question": "题目", "option": "选项"}[kind]
                refuse(f"「{a or '（空）'}」改为「{b or '（空）'}」改动过大或为空，不属于错别字修正", n_item, sheet,
                       FIELD_LABELS[f])

    if [d.key for d in old.dimensions] != [d.key for d in new.dimensions]:
        added = [d.name for d in new.dimensions if old.dimension(d.key) is None]
        dropped = [d.name for d in old.dimensions if new.dimension(d.key) is None]
        if added:
            refuse(f"不能新增维度：{'、'.join(added)}")
        if dropped:
            refuse(f"不能删除维度：{'、'.join(dropped)}")
        if not added and not dropped:
            refuse("不能调整维度的顺序")
    models_d = {d.key: d for d in campaign.dimensions}
    models_q = {q.key: q for q in campaign.questions}
    for nd in new.dimensions:
        od = old.dimension(nd.key)
        if od is None:
            continue
        if not (_is_number(nd.weight) and math.isclose(od.weight, nd.weight, rel_tol=1e-9, abs_tol=1e-12)):
            refuse(f"不能修改维度「{od.name}」的权重（{od.weight:g} → {nd.weight}）", nd, "维度", "权重")
        words("dimension", nd.key, models_d[nd.key], od, nd, ("name", "name_en"))
        if [q.key for q in od.questions] != [q.key for q in nd.questions]:
            refuse(f"不能增删、移动或调整维度「{od.name}」中的题目")
            continue
        for oq, nq in zip(od.questions, nd.questions):
            changed = [lbl for attr, lbl in (("kind", "题型"), ("allow_na", "“不适用”选项"),
                                             ("is_overall", "总体满意度题")) if getattr(oq, attr) != getattr(nq, attr)]
            if changed:
                refuse(f"不能修改题目「{oq.text[:20]}」的{'、'.join(changed)}", nq, "题目", changed[0])
            words("question", nq.key, models_q[nq.key], oq, nq, ("text", "text_en"))
            if [o.key for o in oq.options] != [o.key for o in nq.options]:
                refuse(f"不能增删或调整题目「{oq.text[:20]}」的选项")
                continue
            opts = {o.key: o for o in models_q[nq.key].options}
            for oo, no in zip(oq.options, nq.options):
                words("option", f"{nq.key}/{no.key}", opts[no.key], oo, no, ("label", "label_en"))
    if problems:
        problems.insert(0, Problem(LOCKED_HINT))
    return wording, problems


# ---------------------------------------------------------------- writing

@dataclass
class ApplyResult:
    locked: bool
    wording_fixes: int = 0


def apply(campaign: Campaign, spec: Spec, user=None) -> ApplyResult:
    """Make the campaign's questionnaire equal to `spec`, or raise QuestionnaireRefused (nothing written).

    The caller commits.
    """
    for q in spec.questions:
        if q.kind == "text":
            q.allow_na = False  # free text is always optional; "not applicable" means nothing there
    if lock_reason(campaign):
        # Frozen: say so first; only then whether the fixed wording is itself valid.
        fixes, problems = locked_diff(campaign, spec)
        if problems or (problems := validate(spec)):
            raise QuestionnaireRefused(problems, 409)
        when = now()
        for w in fixes:
            setattr(w.obj, w.field, w.new)
            db.session.add(WordingChange(campaign_id=campaign.id, at=when, user_id=getattr(user, "id", None),
                                         target=w.target[:100], field=w.field, old=w.old, new=w.new))
        return ApplyResult(locked=True, wording_fixes=len(fixes))
    problems = validate(spec)
    if problems:
        raise QuestionnaireRefused(problems)
    _sync(campaign, spec)
    return ApplyResult(locked=False)


def _sync(campaign: Campaign, spec: Spec) -> None:
    """Update rows in place by key (ids stay), add new ones, delete the ones the spec dropped."""
    dims = {d.key: d for d in campaign.dimensions}
    questions = {q.key: q for q in campaign.questions}
    new_dims = []
    for pos, ds in enumerate(spec.dimensions):
        d = dims.get(ds.key) or Dimension(key=ds.key)
        d.name, d.name_en, d.weight, d.position = ds.name, ds.name_en, float(ds.weight), pos
        new_dims.append(d)
    campaign.dimensions = new_dims
    for d, ds in zip(new_dims, spec.dimensions):
        new_qs = []
        for qpos, qs in enumerate(ds.questions):
            q = questions.get(qs.key) or Question(key=qs.key)
            q.kind, q.text, q.text_en, q.position = qs.kind, qs.text, qs.text_en, qpos
            q.allow_na = bool(qs.allow_na)
            q.is_overall = bool(qs.is_overall)
            opts = {o.key: o for o in q.options}
            new_opts = []
            for opos, os_ in enumerate(qs.options if qs.kind == "choice" else []):
                o = opts.get(os_.key) or QuestionOption(key=os_.key)
                o.label, o.label_en, o.position = os_.label, os_.label_en, opos
                new_opts.append(o)
            q.options = new_opts
            new_qs.append(q)
        d.questions = new_qs
    db.session.flush()


def wording_history(campaign: Campaign) -> list[WordingChange]:
    return db.session.scalars(select(WordingChange).where(WordingChange.campaign_id == campaign.id)
                              .order_by(WordingChange.at.desc(), WordingChange.id.desc())).all()
