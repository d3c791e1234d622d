"""A questionnaire as plain values: read it, validate it, and write it back to a campaign.

Every change to a questionnaire — from the browser editor, an Excel import or a copy to a new
round — is made by editing a `Spec` and calling `apply`, so the rules live here once:
keys are stable and unique, weights are positive, there is exactly one overall question, and
once a campaign has a response (or is closed) only wording typo fixes pass, each recorded with
who, when and the old text. The browser editor's own steps (add a dimension or a question; move,
delete or save one) are here too, as functions from the stored Spec and the form's values to the
edited Spec: the page only reads the form and shows the outcome.
"""
from __future__ import annotations

import copy
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import exists, select

from ...errors import Invalid, NotFound, Refusal
from ...extensions import db
from ...models.campaigns import SCORED_KIND
from ...models import Campaign, Dimension, Question, QuestionOption, Response, WordingChange
from ..clock import now

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
KINDS = ("scale", "choice", "multi", "text")
KIND_LABELS = {"scale": "五级评分", "choice": "单选", "multi": "多选", "text": "填空"}
OPTION_KINDS = ("choice", "multi")  # the kinds that have options (single and multiple choice)
MAX_DIMENSIONS = 30
MAX_QUESTIONS = 120
MAX_OPTIONS = 20
MAX_WEIGHT = 1000.0
LIMITS = {"name": 60, "name_en": 80, "text": 300, "text_en": 300, "label": 100, "label_en": 120}
FIELD_LABELS = {"name": "维度名称", "name_en": "英文名称", "text": "中文题目", "text_en": "英文题目",
                "label": "中文选项", "label_en": "英文选项"}
LOCKED_HINT = _l("该问卷已有答卷（或活动已结束），只能修正错别字；其他修改请复制为新一轮活动后在新问卷中进行。")


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
            where = (_("「%(sheet)s」表第 %(row)s 行「%(column)s」列", sheet=self.sheet, row=self.row, column=self.column)
                     if self.column else _("「%(sheet)s」表第 %(row)s 行", sheet=self.sheet, row=self.row))
        elif self.item:
            where = self.item
        else:
            return self.reason
        return _("%(where)s：%(reason)s", where=where, reason=self.reason)


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
        return _("活动已结束，数据已冻结。")
    if campaign.id is not None and has_responses(campaign):
        return _("活动已收到答卷，问卷已冻结。")
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
        problems.append(Problem(_("缺少%(field)s", field=FIELD_LABELS[attr]), **_where(item, sheet, column, label)))
    elif len(value) > limit:
        problems.append(Problem(_("%(field)s过长（%(n)s 字，最多 %(limit)s 字）", field=FIELD_LABELS[attr], n=len(value),
                                  limit=limit),
                                **_where(item, sheet, column, label)))
    elif any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        problems.append(Problem(_("%(field)s含有不可见的控制字符", field=FIELD_LABELS[attr]),
                                **_where(item, sheet, column, label)))


def validate(spec: Spec) -> list[Problem]:
    """Every structural problem of the questionnaire (empty when it may be used)."""
    problems: list[Problem] = []
    if not spec.dimensions:
        return [Problem(_("问卷至少需要一个维度。"), sheet="维度")]
    if len(spec.dimensions) > MAX_DIMENSIONS:
        problems.append(Problem(_("维度过多（%(n)s 个，最多 %(max)s 个）。", n=len(spec.dimensions), max=MAX_DIMENSIONS),
                                sheet="维度"))
    if len(spec.questions) > MAX_QUESTIONS:
        problems.append(Problem(_("题目过多（%(n)s 道，最多 %(max)s 道）。", n=len(spec.questions), max=MAX_QUESTIONS),
                                sheet="题目"))
    seen: dict[tuple[str, str], str] = {}  # (sheet, key) → what first used it

    def key_ok(item, sheet, label, column):
        key = item.key
        if not KEY_RE.fullmatch(key or ""):
            problems.append(Problem(_("键「%(key)s」无效：只能用小写英文字母、数字和下划线，以字母开头，最长 40 位", key=key),
                                    **_where(item, sheet, column, label)))
        elif (sheet, key) in seen:
            problems.append(Problem(_("键「%(key)s」与%(other)s重复", key=key, other=seen[sheet, key]),
                                    **_where(item, sheet, column, label)))
        else:
            seen[sheet, key] = label
        return key

    for d in spec.dimensions:
        label = _("维度「%(name)s」", name=d.name or d.key)
        key_ok(d, "维度", label, "维度键")
        _check_text(problems, d, "name", "维度", "维度名称", label, True)
        _check_text(problems, d, "name_en", "维度", "英文名称", label, False)
        if not _is_number(d.weight) or d.weight <= 0 or d.weight > MAX_WEIGHT:
            problems.append(Problem(_("权重必须是大于 0 的数（不超过 %(max)s），现为「%(weight)s」",
                                      max=f"{MAX_WEIGHT:g}", weight=d.weight),
                                    **_where(d, "维度", "权重", label)))
    overall = []
    for d in spec.dimensions:
        if not d.questions:
            problems.append(Problem(_("维度「%(name)s」没有题目", name=d.name or d.key), **_where(d, "维度", "维度键", "")))
        elif not any(q.scored for q in d.questions):
            problems.append(Problem(_("维度「%(name)s」没有五级评分题，无法计分", name=d.name or d.key),
                                    **_where(d, "维度", "维度键", "")))
        for q in d.questions:
            label = _("题目「%(text)s」", text=(q.text or q.key)[:20])
            key_ok(q, "题目", label, "题目键")
            if q.kind not in KINDS:
                problems.append(Problem(_("题型「%(kind)s」无效，应为：%(kinds)s", kind=q.kind,
                                          kinds="、".join(KIND_LABELS.values())),
                                        **_where(q, "题目", "题型", label)))
            _check_text(problems, q, "text", "题目", "中文题目", label, True)
            _check_text(problems, q, "text_en", "题目", "英文题目", label, False)
            if q.is_overall:
                overall.append(q)
                if not q.scored:
                    problems.append(Problem(_("总体满意度题必须是五级评分题"), **_where(q, "题目", "总体满意度题", label)))
            if q.kind in OPTION_KINDS:
                if len(q.options) < 2:
                    problems.append(Problem(_("单选题至少需要 2 个选项（现有 %(n)s 个）", n=len(q.options))
                                            if q.kind == "choice" else
                                            _("多选题至少需要 2 个选项（现有 %(n)s 个）", n=len(q.options)),
                                            **_where(q, "题目", "题型", label)))
                if len(q.options) > MAX_OPTIONS:
                    problems.append(Problem(_("选项过多（%(n)s 个，最多 %(max)s 个）", n=len(q.options), max=MAX_OPTIONS),
                                            **_where(q, "题目", "题型", label)))
                opt_seen: dict[str, int] = {}
                for o in q.options:
                    olabel = _("%(question)s的选项「%(label)s」", question=label, label=o.label or o.key)
                    if not KEY_RE.fullmatch(o.key or ""):
                        problems.append(Problem(_("选项键「%(key)s」无效：只能用小写英文字母、数字和下划线，以字母开头", key=o.key),
                                                **_where(o, "选项", "选项键", olabel)))
                    elif o.key in opt_seen:
                        problems.append(Problem(_("选项键「%(key)s」在本题中重复", key=o.key),
                                                **_where(o, "选项", "选项键", olabel)))
                    opt_seen.setdefault(o.key, 1)
                    _check_text(problems, o, "label", "选项", "中文选项", olabel, True)
                    _check_text(problems, o, "label_en", "选项", "英文选项", olabel, False)
            elif q.options:
                problems.append(Problem(_("只有单选题和多选题可以有选项"), **_where(q.options[0], "选项", "题目键", label)))
    if not overall:
        problems.append(Problem(_("问卷缺少总体满意度题（需要恰好一道）。"), sheet="题目"))
    for q in overall[1:]:
        problems.append(Problem(_("总体满意度题只能有一道"), **_where(q, "题目", "总体满意度题",
                                                                  _("题目「%(text)s」", text=(q.text or q.key)[:20]))))
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
                refuse(_("「%(old)s」改为「%(new)s」改动过大或为空，不属于错别字修正", old=a or _("（空）"), new=b or _("（空）")),
                       n_item, sheet,
                       FIELD_LABELS[f])

    if [d.key for d in old.dimensions] != [d.key for d in new.dimensions]:
        added = [d.name for d in new.dimensions if old.dimension(d.key) is None]
        dropped = [d.name for d in old.dimensions if new.dimension(d.key) is None]
        if added:
            refuse(_("不能新增维度：%(names)s", names="、".join(added)))
        if dropped:
            refuse(_("不能删除维度：%(names)s", names="、".join(dropped)))
        if not added and not dropped:
            refuse(_("不能调整维度的顺序"))
    models_d = {d.key: d for d in campaign.dimensions}
    models_q = {q.key: q for q in campaign.questions}
    for nd in new.dimensions:
        od = old.dimension(nd.key)
        if od is None:
            continue
        if not (_is_number(nd.weight) and math.isclose(od.weight, nd.weight, rel_tol=1e-9, abs_tol=1e-12)):
            refuse(_("不能修改维度「%(name)s」的权重（%(old)s → %(new)s）", name=od.name, old=f"{od.weight:g}", new=nd.weight),
                   nd, "维度", "权重")
        words("dimension", nd.key, models_d[nd.key], od, nd, ("name", "name_en"))
        if [q.key for q in od.questions] != [q.key for q in nd.questions]:
            refuse(_("不能增删、移动或调整维度「%(name)s」中的题目", name=od.name))
            continue
        for oq, nq in zip(od.questions, nd.questions):
            changed = [(lbl, column) for attr, lbl, column in (("kind", _("题型"), "题型"),
                                                               ("allow_na", _("“不适用”选项"), "“不适用”选项"),
                                                               ("is_overall", _("总体满意度题"), "总体满意度题"))
                       if getattr(oq, attr) != getattr(nq, attr)]
            if changed:
                refuse(_("不能修改题目「%(text)s」的%(fields)s", text=oq.text[:20], fields="、".join(c[0] for c in changed)),
                       nq, "题目", changed[0][1])
            words("question", nq.key, models_q[nq.key], oq, nq, ("text", "text_en"))
            if [o.key for o in oq.options] != [o.key for o in nq.options]:
                refuse(_("不能增删或调整题目「%(text)s」的选项", text=oq.text[:20]))
                continue
            opts = {o.key: o for o in models_q[nq.key].options}
            for oo, no in zip(oq.options, nq.options):
                words("option", f"{nq.key}/{no.key}", opts[no.key], oo, no, ("label", "label_en"))
    if problems:
        problems.insert(0, Problem(str(LOCKED_HINT)))
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
        if q.kind in ("text", "multi"):
            q.allow_na = False  # both are optional (free text, or no tick); "not applicable" means nothing there
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
            for opos, os_ in enumerate(qs.options if qs.kind in OPTION_KINDS else []):
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


# ---------------------------------------------------------------- the browser editor
#
# Each function takes the stored questionnaire and the editor form's values (a plain dict), and
# returns the edited copy with the message for the user; the caller applies it (`apply`, which
# refuses whatever the freeze or the rules above do not allow). The page offers structural
# fields (kind, dimension, "not applicable", overall, option rows) only while the questionnaire
# may change; a form without them edits wording only.

NEW_OPTION_ROWS = 4  # blank option rows on a question's edit page
ACTIONS = ("up", "down", "delete", "save")


def _form_text(form, name: str) -> str:
    return clean_text(form.get(name, ""))


def _form_weight(raw):
    try:
        return float(raw)
    except (TypeError, ValueError):
        return raw  # validate() refuses it with the value shown


def _action(form) -> str:
    """:raise Invalid: an action the editor does not offer."""
    action = form.get("action", "save")
    if action not in ACTIONS:
        raise Invalid(_("不支持的操作。"))
    return action


def _move(items: list, index: int, direction: str) -> None:
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _no_dimension() -> QuestionnaireRefused:
    return QuestionnaireRefused([Problem(_("请选择题目所属的维度。"))])


def options_from_lines(raw: str, taken: set[str]) -> list[OptionSpec]:
    """One option a line, written as 中文 or 中文 | English."""
    out = []
    for line in (raw or "").splitlines():
        zh, _sep, en = line.partition("|")
        zh, en = clean_text(zh), clean_text(en)
        if zh or en:
            out.append(OptionSpec(key=new_key("o", taken), label=zh, label_en=en))
    return out


def add_dimension(spec: Spec, form) -> tuple[Spec, str]:
    """A new dimension (name, name_en, weight) with its first, five-point question (text, text_en, allow_na)."""
    spec = spec.copy()
    taken = taken_keys(spec)
    d = DimSpec(key=new_key("d", taken), name=_form_text(form, "name"), name_en=_form_text(form, "name_en"),
                weight=_form_weight(form.get("weight", "")))
    d.questions.append(QuestionSpec(key=new_key("q", taken), kind="scale", text=_form_text(form, "text"),
                                    text_en=_form_text(form, "text_en"), allow_na=form.get("allow_na") == "yes"))
    spec.dimensions.append(d)
    return spec, _("已新增维度「%(name)s」。", name=d.name)


def edit_dimension(spec: Spec, key: str, form) -> tuple[Spec, str]:
    """Move the dimension up or down, delete it (with its questions) or save its names and weight.

    :raise NotFound: no such dimension.
    :raise Invalid: an unknown action.
    """
    spec = spec.copy()
    d = spec.dimension(key)
    if d is None:
        raise NotFound(_("问卷中没有这个维度。"))
    action = _action(form)
    if action in ("up", "down"):
        _move(spec.dimensions, spec.dimensions.index(d), action)
        return spec, _("已调整维度顺序。")
    if action == "delete":
        spec.dimensions.remove(d)
        return spec, _("已删除维度「%(name)s」及其题目。", name=d.name)
    d.name, d.name_en = _form_text(form, "name"), _form_text(form, "name_en")
    if "weight" in form:  # offered only while the questionnaire may change
        d.weight = _form_weight(form.get("weight", ""))
    return spec, _("已保存维度「%(name)s」。", name=d.name)


def add_question(spec: Spec, form) -> tuple[Spec, str]:
    """A new question at the end of a dimension; a single- or multiple-choice question takes its options one a line.

    :raise QuestionnaireRefused: no such dimension.
    """
    spec = spec.copy()
    d = spec.dimension(form.get("dimension", ""))
    if d is None:
        raise _no_dimension()
    kind = form.get("kind", "scale")
    taken = taken_keys(spec)
    q = QuestionSpec(key=new_key("q", taken), kind=kind, text=_form_text(form, "text"),
                     text_en=_form_text(form, "text_en"), allow_na=form.get("allow_na") == "yes")
    if kind in OPTION_KINDS:
        q.options = options_from_lines(form.get("options", ""), taken)
    d.questions.append(q)
    return spec, _("已新增题目。")


def edit_question(spec: Spec, key: str, form) -> tuple[Spec, str]:
    """Move the question within its dimension, delete it, or save it.

    Saving takes its wording and its options' wording; with the structural fields (`kind` in the
    form) also its kind, "not applicable", overall flag (one overall question: setting it clears
    the others), its dimension (moved to the end of another one), option deletions and up to
    NEW_OPTION_ROWS new options. Only a single- or multiple-choice question keeps options.

    :raise NotFound: no such question.
    :raise Invalid: an unknown action.
    :raise QuestionnaireRefused: the chosen dimension does not exist.
    """
    spec = spec.copy()
    q = spec.question(key)
    if q is None:
        raise NotFound(_("问卷中没有这道题。"))
    d = spec.dimension_of(key)
    action = _action(form)
    if action in ("up", "down"):
        _move(d.questions, d.questions.index(q), action)
        return spec, _("已调整题目顺序。")
    if action == "delete":
        d.questions.remove(q)
        return spec, _("已删除题目。")
    q.text, q.text_en = _form_text(form, "text"), _form_text(form, "text_en")
    structural = "kind" in form
    if structural:
        q.kind = form.get("kind", q.kind)
        q.allow_na = form.get("allow_na") == "yes"
        target = spec.dimension(form.get("dimension", d.key))
        if target is None:
            raise _no_dimension()
        if target is not d:
            d.questions.remove(q)
            target.questions.append(q)
        overall = form.get("is_overall") == "yes"
        if overall:
            for other in spec.questions:
                other.is_overall = False
        q.is_overall = overall
    taken = taken_keys(spec)
    kept = []
    for o in q.options:
        if structural and form.get(f"opt_{o.key}_delete") == "yes":
            continue
        o.label = clean_text(form.get(f"opt_{o.key}_label", o.label))
        o.label_en = clean_text(form.get(f"opt_{o.key}_label_en", o.label_en))
        kept.append(o)
    if structural:
        for i in range(NEW_OPTION_ROWS):
            zh, en = _form_text(form, f"new_{i}_label"), _form_text(form, f"new_{i}_label_en")
            if zh or en:
                kept.append(OptionSpec(key=new_key("o", taken), label=zh, label_en=en))
    q.options = kept if q.kind in OPTION_KINDS else []
    return spec, _("题目已保存。")
