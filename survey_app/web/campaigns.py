"""Campaign pages for city and district admins: set up, open, close, copy, and edit the questionnaire."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import access
from ..domain.campaigns import lifecycle as camp, spec as qs
from ..domain.stats import rounds
from ..domain.xlsx import questionnaire as qx
from ..domain.clock import now
from ..domain.responses.survey import parse_form
from ..extensions import db
from ..models import Campaign, Response
from .common import xlsx_response

bp = Blueprint("campaigns", __name__, url_prefix="/office/campaigns")
MAX_PROBLEMS_SHOWN = 300
NEW_OPTION_ROWS = 4


def manager_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not camp.may_manage(current_user):
            abort(403, "仅限市、区级管理员设立和管理测评活动。")
        return view(*args, **kwargs)
    return wrapper


def _campaign(campaign_id: int) -> Campaign:
    return access.get_campaign(current_user, campaign_id)


def _writable(campaign: Campaign) -> None:
    if not camp.may_manage_campaign(current_user, campaign):
        abort(403, "该测评活动的范围不在您的管理范围内，只能查看，不能修改。")


def _sources() -> list[Campaign]:
    """Campaigns whose questionnaire the user may start from."""
    return db.session.scalars(select(Campaign).where(access.campaign_clause(current_user))
                              .order_by(Campaign.id.desc())).all()


# ---------------------------------------------------------------- list and create

@bp.get("/")
@manager_required
def index():
    items = _sources()
    counts = dict(db.session.execute(
        select(Response.campaign_id, func.count(Response.id))
        .where(Response.campaign_id.in_([c.id for c in items])).group_by(Response.campaign_id)).all())
    return render_template("campaigns/index.html", items=items, counts=counts, labels=camp.STATUS_LABELS,
                           scope_name=camp.scope_name, may_manage=lambda c: camp.may_manage_campaign(current_user, c))


def _new_form(values, errors, status=200):
    return render_template("campaigns/new.html", values=values, errors=errors,
                           scopes=camp.manageable_areas(current_user), sources=_sources()), status


@bp.get("/new")
@manager_required
def new():
    start = (now() + timedelta(days=1)).replace(hour=9, minute=0, second=0)  # tomorrow morning, for 30 days
    scopes = camp.manageable_areas(current_user)
    values = {"name": "", "scope": scopes[0][0] if scopes else "", "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
              "closes_at": (start + timedelta(days=30)).replace(hour=18).strftime("%Y-%m-%dT%H:%M"),
              "min_responses": "10", "min_coverage": "10", "source": ""}
    return _new_form(values, {})


@bp.post("/new")
@manager_required
def create():
    form = request.form
    settings, errors = camp.parse_settings(form)
    source = None
    raw = form.get("source", "")
    if raw:
        if not raw.isdigit() or int(raw) >= 2**31:
            errors["source"] = "问卷来源无效。"
        else:
            source = db.session.scalar(select(Campaign).where(Campaign.id == int(raw),
                                                              access.campaign_clause(current_user)))
            if source is None:
                errors["source"] = "没有这个测评活动，无法复制其问卷。"
    if errors:
        return _new_form(form, errors, 422)
    try:
        c = camp.create(settings, current_user, questionnaire_from=source)
    except camp.CampaignError as e:
        db.session.rollback()
        return _new_form(form, {"scope": str(e)}, e.status)
    db.session.commit()
    flash(f"已创建测评活动「{c.name}」（草稿）。请检查问卷，确认后开启。", "success")
    return redirect(url_for(".show", campaign_id=c.id))


# ---------------------------------------------------------------- one campaign

def _show(campaign: Campaign, status: int = 200, error: str | None = None, settings_values=None,
          settings_errors=None):
    spec = qs.spec_of(campaign)
    n = db.session.scalar(select(func.count(Response.id)).where(Response.campaign_id == campaign.id))
    return render_template(
        "campaigns/show.html", campaign=campaign, spec=spec, weights=qs.normalised_weights(spec), responses=n,
        labels=camp.STATUS_LABELS, kinds=qs.KIND_LABELS, scope_name=camp.scope_name(campaign),
        lock=qs.lock_reason(campaign), writable=camp.may_manage_campaign(current_user, campaign),
        problems=qs.validate(spec), history=qs.wording_history(campaign), previous=rounds.previous_round(campaign),
        values=settings_values or camp.settings_form(campaign), errors=settings_errors or {},
        scopes=camp.manageable_areas(current_user), error=error), status


@bp.get("/<id:campaign_id>")
@manager_required
def show(campaign_id: int):
    return _show(_campaign(campaign_id))


@bp.post("/<id:campaign_id>/settings")
@manager_required
def settings(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    parsed, errors = camp.parse_settings(request.form)
    if errors:
        return _show(c, 422, "设置未保存，请改正标出的项目。", request.form, errors)
    try:
        changes = camp.update_settings(c, parsed, current_user)
    except camp.CampaignError as e:
        db.session.rollback()
        return _show(c, e.status, str(e), request.form)
    db.session.commit()
    flash("设置已保存。" if changes else "设置没有变化。", "success")
    return redirect(url_for(".show", campaign_id=c.id))


def _transition(campaign_id: int, to: str, done: str):
    c = _campaign(campaign_id)
    _writable(c)
    try:
        camp.transition(c, to, current_user)
    except camp.CampaignError as e:
        db.session.rollback()
        return _show(c, e.status, str(e))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".show", campaign_id=c.id))


@bp.post("/<id:campaign_id>/open")
@manager_required
def open_(campaign_id: int):
    return _transition(campaign_id, "open", "活动已开启：开始时间到后住户即可扫码作答。")


@bp.post("/<id:campaign_id>/close")
@manager_required
def close(campaign_id: int):
    if request.form.get("confirm") != "yes":
        return _show(_campaign(campaign_id), 400, "结束活动后数据将冻结、不能再作答或修改：请勾选确认后再结束。")
    return _transition(campaign_id, "closed", "活动已结束，数据已冻结。")


@bp.post("/<id:campaign_id>/delete")
@manager_required
def delete(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    try:
        camp.delete_draft(c, current_user)
    except camp.CampaignError as e:
        db.session.rollback()
        return _show(c, e.status, str(e))
    db.session.commit()
    flash("草稿已删除。", "success")
    return redirect(url_for(".index"))


@bp.get("/<id:campaign_id>/copy")
@manager_required
def copy_form(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    return render_template("campaigns/copy.html", campaign=c, values=camp.next_round_defaults(c), errors={})


@bp.post("/<id:campaign_id>/copy")
@manager_required
def copy(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    values = {**camp.settings_form(c), **{k: request.form.get(k, "") for k in ("name", "opens_at", "closes_at")}}
    parsed, errors = camp.parse_settings(values)
    if errors:
        return render_template("campaigns/copy.html", campaign=c, values=values, errors=errors), 422
    try:
        new = camp.copy_round(c, parsed.name, parsed.opens_at, parsed.closes_at, current_user)
    except camp.CampaignError as e:
        db.session.rollback()
        return render_template("campaigns/copy.html", campaign=c, values=values, errors={"name": str(e)}), e.status
    db.session.commit()
    flash(f"已复制为新一轮活动「{new.name}」（草稿），题目和维度沿用原有的键，两轮结果可以比较。", "success")
    return redirect(url_for(".show", campaign_id=new.id))


# ---------------------------------------------------------------- questionnaire: Excel

@bp.get("/<id:campaign_id>/questionnaire.xlsx")
@manager_required
def export(campaign_id: int):
    c = _campaign(campaign_id)
    return xlsx_response(qx.export_workbook(c), f"问卷-{c.name}.xlsx")


@bp.post("/<id:campaign_id>/questionnaire.xlsx")
@manager_required
def import_(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    f = request.files.get("file")
    dry_run = request.form.get("dry_run") == "yes"
    if f is None or not f.filename:
        return _editor(c, 400, file_error="请选择要导入的 Excel 文件。")
    try:
        result = qx.import_workbook(c, f.read(), current_user, dry_run=dry_run)
    except qx.QuestionnaireFileError as e:
        db.session.rollback()
        return _editor(c, 400, file_error=str(e))
    if not result.ok:
        db.session.rollback()
        return _editor(c, 409 if qs.LOCKED_HINT in [p.reason for p in result.problems] else 422,
                       problems=result.problems, imported=True)
    if dry_run:
        db.session.rollback()
        flash("检查通过（试运行，未写入）：" + result.summary(), "success")
        return redirect(url_for(".questionnaire", campaign_id=c.id))
    db.session.commit()
    flash(result.summary(), "success")
    return redirect(url_for(".questionnaire", campaign_id=c.id))


# ---------------------------------------------------------------- questionnaire: the browser editor

def _editor(campaign: Campaign, status: int = 200, problems=None, file_error=None, imported=False, edit=None,
            values=None):
    spec = qs.spec_of(campaign)
    return render_template(
        "campaigns/questionnaire.html", campaign=campaign, spec=spec, weights=qs.normalised_weights(spec),
        kinds=qs.KIND_LABELS, lock=qs.lock_reason(campaign), writable=camp.may_manage_campaign(current_user, campaign),
        problems=(problems or [])[:MAX_PROBLEMS_SHOWN], more=max(0, len(problems or []) - MAX_PROBLEMS_SHOWN),
        file_error=file_error, imported=imported, edit=edit, values=values or {},
        new_option_rows=NEW_OPTION_ROWS), status


@bp.get("/<id:campaign_id>/questionnaire")
@manager_required
def questionnaire(campaign_id: int):
    return _editor(_campaign(campaign_id))


def _save(campaign: Campaign, spec: qs.Spec, done: str, back=None, on_refuse=None):
    """Apply an edited spec; on refusal show the editor with every reason, else go back with a note."""
    try:
        result = camp.apply_questionnaire(campaign, spec, current_user)
    except qs.QuestionnaireRefused as e:
        db.session.rollback()
        status = 409 if qs.lock_reason(campaign) else 422
        if on_refuse is not None:
            return on_refuse(e.problems, status)
        return _editor(campaign, status, problems=e.problems, values=request.form)
    except camp.CampaignError as e:
        db.session.rollback()
        abort(e.status, str(e))
    db.session.commit()
    if result.locked:
        flash(f"已修正措辞 {result.wording_fixes} 处，修改记录已保存。" if result.wording_fixes else "没有变化。",
              "success")
    else:
        flash(done, "success")
    return redirect(back or url_for(".questionnaire", campaign_id=campaign.id))


def _text(name: str) -> str:
    return qs.clean_text(request.form.get(name, ""))


def _weight(raw: str):
    try:
        return float(raw)
    except (TypeError, ValueError):
        return raw  # validate() refuses it with the value shown


def _move(items: list, index: int, direction: str) -> None:
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


@bp.post("/<id:campaign_id>/dimensions")
@manager_required
def add_dimension(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    spec = qs.spec_of(c)
    taken = qs.taken_keys(spec)
    d = qs.DimSpec(key=qs.new_key("d", taken), name=_text("name"), name_en=_text("name_en"),
                   weight=_weight(request.form.get("weight", "")))
    d.questions.append(qs.QuestionSpec(key=qs.new_key("q", taken), kind="scale", text=_text("text"),
                                       text_en=_text("text_en"), allow_na=request.form.get("allow_na") == "yes"))
    spec.dimensions.append(d)
    return _save(c, spec, f"已新增维度「{d.name}」。")


@bp.post("/<id:campaign_id>/dimensions/<key>")
@manager_required
def dimension(campaign_id: int, key: str):
    c = _campaign(campaign_id)
    _writable(c)
    spec = qs.spec_of(c)
    d = spec.dimension(key)
    if d is None:
        abort(404, "问卷中没有这个维度。")
    action = request.form.get("action", "save")
    index = spec.dimensions.index(d)
    if action in ("up", "down"):
        _move(spec.dimensions, index, action)
        done = "已调整维度顺序。"
    elif action == "delete":
        spec.dimensions.remove(d)
        done = f"已删除维度「{d.name}」及其题目。"
    elif action == "save":
        d.name, d.name_en = _text("name"), _text("name_en")
        if "weight" in request.form:
            d.weight = _weight(request.form.get("weight", ""))
        done = f"已保存维度「{d.name}」。"
    else:
        abort(400, "不支持的操作。")
    return _save(c, spec, done)


def _options_from_lines(raw: str, taken: set[str]) -> list[qs.OptionSpec]:
    """One option a line, written as 中文 or 中文 | English."""
    out = []
    for line in (raw or "").splitlines():
        zh, _, en = line.partition("|")
        zh, en = qs.clean_text(zh), qs.clean_text(en)
        if zh or en:
            out.append(qs.OptionSpec(key=qs.new_key("o", taken), label=zh, label_en=en))
    return out


@bp.post("/<id:campaign_id>/questions")
@manager_required
def add_question(campaign_id: int):
    c = _campaign(campaign_id)
    _writable(c)
    spec = qs.spec_of(c)
    d = spec.dimension(request.form.get("dimension", ""))
    if d is None:
        return _editor(c, 422, problems=[qs.Problem("请选择题目所属的维度。")], values=request.form)
    kind = request.form.get("kind", "scale")
    taken = qs.taken_keys(spec)
    q = qs.QuestionSpec(key=qs.new_key("q", taken), kind=kind, text=_text("text"), text_en=_text("text_en"),
                        allow_na=request.form.get("allow_na") == "yes")
    if kind == "choice":
        q.options = _options_from_lines(request.form.get("options", ""), taken)
    d.questions.append(q)
    return _save(c, spec, "已新增题目。")


def _question_page(campaign: Campaign, key: str, status: int = 200, problems=None, edited=None, dim_key=None):
    """The question's edit page; after a refusal it shows what was typed (`edited`), not what is stored."""
    spec = qs.spec_of(campaign)
    q = edited or spec.question(key)
    if q is None:
        abort(404, "问卷中没有这道题。")
    dim = spec.dimension(dim_key) if dim_key else spec.dimension_of(key)
    return render_template("campaigns/question.html", campaign=campaign, spec=spec, q=q, key=key,
                           dim=dim, kinds=qs.KIND_LABELS, lock=qs.lock_reason(campaign),
                           writable=camp.may_manage_campaign(current_user, campaign), problems=problems or [],
                           new_option_rows=NEW_OPTION_ROWS), status


@bp.get("/<id:campaign_id>/questions/<key>")
@manager_required
def question(campaign_id: int, key: str):
    return _question_page(_campaign(campaign_id), key)


@bp.post("/<id:campaign_id>/questions/<key>")
@manager_required
def save_question(campaign_id: int, key: str):
    c = _campaign(campaign_id)
    _writable(c)
    spec = qs.spec_of(c)
    q = spec.question(key)
    if q is None:
        abort(404, "问卷中没有这道题。")
    d = spec.dimension_of(key)
    action = request.form.get("action", "save")
    back = url_for(".questionnaire", campaign_id=c.id)
    if action in ("up", "down"):
        _move(d.questions, d.questions.index(q), action)
        return _save(c, spec, "已调整题目顺序。")
    if action == "delete":
        d.questions.remove(q)
        return _save(c, spec, "已删除题目。")
    if action != "save":
        abort(400, "不支持的操作。")
    q.text, q.text_en = _text("text"), _text("text_en")
    form = request.form
    if "kind" in form:  # structural fields are offered only while the questionnaire may change
        q.kind = form.get("kind", q.kind)
        q.allow_na = form.get("allow_na") == "yes"
        target = spec.dimension(form.get("dimension", d.key))
        if target is None:
            return _question_page(c, key, 422, [qs.Problem("请选择题目所属的维度。")])
        if target is not d:
            d.questions.remove(q)
            target.questions.append(q)
        overall = form.get("is_overall") == "yes"
        if overall:
            for other in spec.questions:
                other.is_overall = False
        q.is_overall = overall
    taken = qs.taken_keys(spec)
    kept = []
    for o in q.options:
        if form.get(f"opt_{o.key}_delete") == "yes" and "kind" in form:
            continue
        o.label = qs.clean_text(form.get(f"opt_{o.key}_label", o.label))
        o.label_en = qs.clean_text(form.get(f"opt_{o.key}_label_en", o.label_en))
        kept.append(o)
    if "kind" in form:
        for i in range(NEW_OPTION_ROWS):
            zh, en = qs.clean_text(form.get(f"new_{i}_label", "")), qs.clean_text(form.get(f"new_{i}_label_en", ""))
            if zh or en:
                kept.append(qs.OptionSpec(key=qs.new_key("o", taken), label=zh, label_en=en))
    q.options = kept if q.kind == "choice" else []
    dim_key = spec.dimension_of(key).key
    return _save(c, spec, "题目已保存。", back=back,
                 on_refuse=lambda problems, status: _question_page(c, key, status, problems, q, dim_key))


# ---------------------------------------------------------------- the resident preview

def _sample_household():
    """A stand-in household for the preview: nothing of it is stored or looked up."""
    company = SimpleNamespace(name="示例物业服务有限公司")
    compound = SimpleNamespace(name="示例小区（预览）", company=company)
    return SimpleNamespace(id=0, label="1号楼1单元101室", building=SimpleNamespace(compound=compound))


@bp.get("/<id:campaign_id>/preview")
@manager_required
def preview(campaign_id: int):
    from .resident import render_survey

    c = _campaign(campaign_id)
    flash("预览：这是住户在手机上看到的问卷。在此提交只检查填写，不会保存。", "info")
    return render_survey(c, _sample_household(), action=url_for(".preview_check", campaign_id=c.id))


@bp.post("/<id:campaign_id>/preview")
@manager_required
def preview_check(campaign_id: int):
    from flask import current_app

    from .resident import render_survey

    c = _campaign(campaign_id)
    parsed = parse_form(c, request.form)
    db.session.rollback()  # a preview never writes
    action = url_for(".preview_check", campaign_id=c.id)
    if not parsed.ok:
        return render_survey(c, _sample_household(), form=request.form, errors=parsed.errors, status=422,
                             action=action)
    flash("预览：填写有效，住户提交时会被接受。本次预览没有保存任何答卷。", "success")
    return render_survey(c, _sample_household(), form=request.form, action=action)
