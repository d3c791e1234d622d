"""Campaign pages for city and district admins: set up, open, close, copy, and edit the questionnaire.

The pages read the form and show the outcome; who may do what is `access`'s, and every rule of a
campaign or a questionnaire is the domain's (`lifecycle`, `spec`). A request commits at its end when
it succeeds and rolls back when its status is 4xx/5xx (see database.py): a refused step shown inline
returns the refusal's status, so nothing it wrote is kept.
"""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from .. import access
from ..database import parse_id, parses_first
from ..domain import audit
from ..domain.campaigns import lifecycle as camp, spec as qs
from ..domain.clock import now
from ..domain.responses.survey import parse_form
from ..domain.stats import reports, rounds
from ..domain.xlsx import questionnaire as qx
from ..errors import NotFound
from ..extensions import db
from ..models import Campaign, Response
from .common import requires, xlsx_response
from .resident import render_survey

bp = Blueprint("campaigns", __name__, url_prefix="/office/campaigns")
MAX_PROBLEMS_SHOWN = 300


manager_required = requires(access.may_manage_campaigns, _l("仅限市、区级管理员设立和管理测评活动。"))


def _campaign(campaign_id: int) -> Campaign:
    return access.get_visible(current_user, Campaign, campaign_id, _("没有这个测评活动，或不在您的权限范围内。"))


def _writable(campaign_id: int) -> Campaign:
    """The campaign, when the user may change it (:raise Forbidden: they may only look)."""
    c = _campaign(campaign_id)
    access.require_manage_campaign(current_user, c)
    return c


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
    return render_template("campaigns/index.html", items=items, counts=counts)


def _new_form(values, errors, status=200):
    return render_template("campaigns/new.html", values=values, errors=errors,
                           scopes=access.managed_area_choices(current_user), sources=_sources()), status


@bp.get("/new")
@manager_required
def new():
    start = (now() + timedelta(days=1)).replace(hour=9, minute=0, second=0)  # tomorrow morning, for 30 days
    scopes = access.managed_area_choices(current_user)
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
        source_id = parse_id(raw)
        if source_id is None:
            errors["source"] = _("问卷来源无效。")
        else:
            source = db.session.scalar(select(Campaign).where(Campaign.id == source_id,
                                                              access.campaign_clause(current_user)))
            if source is None:
                errors["source"] = _("没有这个测评活动，无法复制其问卷。")
    if errors:
        return _new_form(form, errors, 422)
    try:
        c = camp.create(settings, current_user, questionnaire_from=source)
    except camp.CampaignError as e:
        return _new_form(form, {"scope": e.message}, e.status)
    flash(_("已创建测评活动「%(name)s」（草稿）。请检查问卷，确认后开启。", name=c.name), "success")
    return redirect(url_for(".show", campaign_id=c.id))


# ---------------------------------------------------------------- one campaign

def _show(campaign: Campaign, status: int = 200, error: str | None = None, settings_values=None,
          settings_errors=None):
    spec = qs.spec_of(campaign)
    n = db.session.scalar(select(func.count(Response.id)).where(Response.campaign_id == campaign.id))
    return render_template(
        "campaigns/show.html", campaign=campaign, spec=spec, weights=qs.normalised_weights(spec), responses=n,
        kinds=qs.KIND_LABELS, lock=qs.lock_reason(campaign),
        problems=qs.validate(spec), history=qs.wording_history(campaign), previous=rounds.previous_round(campaign),
        values=settings_values or camp.settings_form(campaign), errors=settings_errors or {},
        scopes=access.managed_area_choices(current_user), error=error,
        held=reports.held_count(campaign, access.scope_of(campaign)) if campaign.status == "open" else 0), status


@bp.get("/<id:campaign_id>")
@manager_required
def show(campaign_id: int):
    return _show(_campaign(campaign_id))


@bp.post("/<id:campaign_id>/settings")
@manager_required
def settings(campaign_id: int):
    c = _writable(campaign_id)
    parsed, errors = camp.parse_settings(request.form)
    if errors:
        return _show(c, 422, _("设置未保存，请改正标出的项目。"), request.form, errors)
    try:
        changes = camp.update_settings(c, parsed, current_user)
    except camp.CampaignError as e:
        return _show(c, e.status, e.message, request.form)
    flash(_("设置已保存。") if changes else _("设置没有变化。"), "success")
    return redirect(url_for(".show", campaign_id=c.id))


def _transition(campaign_id: int, to: str, done: str):
    c = _writable(campaign_id)
    try:
        camp.transition(c, to, current_user)
    except camp.CampaignError as e:
        return _show(c, e.status, e.message)
    flash(done, "success")
    return redirect(url_for(".show", campaign_id=c.id))


@bp.post("/<id:campaign_id>/open")
@manager_required
def open_(campaign_id: int):
    return _transition(campaign_id, "open", _("活动已开启：开始时间到后住户即可扫码作答。"))


@bp.post("/<id:campaign_id>/close")
@manager_required
def close(campaign_id: int):
    if request.form.get("confirm") != "yes":
        return _show(_campaign(campaign_id), 400, _("结束活动后数据将冻结、不能再作答或修改：请勾选确认后再结束。"))
    return _transition(campaign_id, "closed", _("活动已结束，数据已冻结。"))


@bp.get("/<id:campaign_id>/delete")
@manager_required
def delete_form(campaign_id: int):
    """Ask before deleting a draft: the page names the campaign and posts the delete."""
    c = _writable(campaign_id)
    if c.status != "draft":
        return _show(c, 409, _("只能删除草稿；已开启或已结束的活动会保留。"))
    return render_template("campaigns/delete.html", campaign=c)


@bp.post("/<id:campaign_id>/delete")
@manager_required
def delete(campaign_id: int):
    c = _writable(campaign_id)
    try:
        camp.delete_draft(c, current_user)
    except camp.CampaignError as e:
        return _show(c, e.status, e.message)
    flash(_("草稿已删除。"), "success")
    return redirect(url_for(".index"))


@bp.get("/<id:campaign_id>/copy")
@manager_required
def copy_form(campaign_id: int):
    c = _writable(campaign_id)
    return render_template("campaigns/copy.html", campaign=c, values=camp.next_round_defaults(c), errors={})


@bp.post("/<id:campaign_id>/copy")
@manager_required
def copy(campaign_id: int):
    c = _writable(campaign_id)
    values = {**camp.settings_form(c), **{k: request.form.get(k, "") for k in ("name", "opens_at", "closes_at")}}
    parsed, errors = camp.parse_settings(values)
    if errors:
        return render_template("campaigns/copy.html", campaign=c, values=values, errors=errors), 422
    try:
        new = camp.copy_round(c, parsed.name, parsed.opens_at, parsed.closes_at, current_user)
    except camp.CampaignError as e:
        return render_template("campaigns/copy.html", campaign=c, values=values, errors={"name": e.message}), e.status
    flash(_("已复制为新一轮活动「%(name)s」（草稿），题目和维度沿用原有的键，两轮结果可以比较。", name=new.name), "success")
    return redirect(url_for(".show", campaign_id=new.id))


# ---------------------------------------------------------------- questionnaire: Excel

@bp.get("/<id:campaign_id>/questionnaire.xlsx")
@manager_required
def export(campaign_id: int):
    c = _campaign(campaign_id)
    data = qx.export_workbook(c)
    audit.exported("questionnaire", f"campaign:{c.id}", user=current_user, detail=c.name,
                   where=audit.where_campaign(c))
    return xlsx_response(data, f"问卷-{c.name}.xlsx")


@bp.post("/<id:campaign_id>/questionnaire.xlsx")
@parses_first  # the file is read before the write lock is taken (import_workbook takes it)
@manager_required
def import_(campaign_id: int):
    c = _writable(campaign_id)
    f = request.files.get("file")
    dry_run = request.form.get("dry_run") == "yes"
    if f is None or not f.filename:
        return _editor(c, 400, file_error=_("请选择要导入的 Excel 文件。"))
    try:
        # A dry run writes nothing to the session, so the redirect's commit keeps nothing of it.
        result = qx.import_workbook(c, f.read(), current_user, dry_run=dry_run)
    except qx.QuestionnaireFileError as e:
        return _editor(c, e.status, file_error=str(e))
    if not result.ok:
        return _editor(c, 409 if qs.LOCKED_HINT in [p.reason for p in result.problems] else 422,
                       problems=result.problems, imported=True)
    if dry_run:
        flash(_("检查通过（试运行，未写入）：%(summary)s", summary=result.summary()), "success")
    else:
        flash(result.summary(), "success")
    return redirect(url_for(".questionnaire", campaign_id=c.id))


# ---------------------------------------------------------------- questionnaire: the browser editor

def _editor(campaign: Campaign, status: int = 200, problems=None, file_error=None, imported=False, values=None):
    spec = qs.spec_of(campaign)
    return render_template(
        "campaigns/questionnaire.html", campaign=campaign, spec=spec, weights=qs.normalised_weights(spec),
        kinds=qs.KIND_LABELS, lock=qs.lock_reason(campaign),
        problems=(problems or [])[:MAX_PROBLEMS_SHOWN], more=max(0, len(problems or []) - MAX_PROBLEMS_SHOWN),
        file_error=file_error, imported=imported, values=values or {}), status


@bp.get("/<id:campaign_id>/questionnaire")
@manager_required
def questionnaire(campaign_id: int):
    return _editor(_campaign(campaign_id))


def _save(campaign: Campaign, spec: qs.Spec, done: str, on_refuse=None):
    """Apply an edited spec; on refusal show the editor (or `on_refuse`'s page) with every reason,
    else go back to the editor with a note."""
    try:
        result = camp.apply_questionnaire(campaign, spec, current_user)
    except qs.QuestionnaireRefused as e:
        if on_refuse is not None:
            return on_refuse(e.problems, e.status)
        return _editor(campaign, e.status, problems=e.problems, values=request.form)
    if result.locked:
        flash(_("已修正措辞 %(n)s 处，修改记录已保存。", n=result.wording_fixes) if result.wording_fixes
              else _("没有变化。"), "success")
    else:
        flash(done, "success")
    return redirect(url_for(".questionnaire", campaign_id=campaign.id))


@bp.post("/<id:campaign_id>/dimensions")
@manager_required
def add_dimension(campaign_id: int):
    c = _writable(campaign_id)
    spec, done = qs.add_dimension(qs.spec_of(c), request.form.to_dict())
    return _save(c, spec, done)


@bp.post("/<id:campaign_id>/dimensions/<key>")
@manager_required
def dimension(campaign_id: int, key: str):
    c = _writable(campaign_id)
    spec, done = qs.edit_dimension(qs.spec_of(c), key, request.form.to_dict())
    return _save(c, spec, done)


@bp.post("/<id:campaign_id>/questions")
@manager_required
def add_question(campaign_id: int):
    c = _writable(campaign_id)
    try:
        spec, done = qs.add_question(qs.spec_of(c), request.form.to_dict())
    except qs.QuestionnaireRefused as e:
        return _editor(c, e.status, problems=e.problems, values=request.form)
    return _save(c, spec, done)


def _question_page(campaign: Campaign, key: str, status: int = 200, problems=None, edited=None, dim_key=None):
    """The question's edit page; after a refusal it shows what was typed (`edited`), not what is stored."""
    spec = qs.spec_of(campaign)
    q = edited or spec.question(key)
    if q is None:
        raise NotFound(_("问卷中没有这道题。"))
    dim = spec.dimension(dim_key) if dim_key else spec.dimension_of(key)
    return render_template("campaigns/question.html", campaign=campaign, spec=spec, q=q, key=key,
                           dim=dim, kinds=qs.KIND_LABELS, lock=qs.lock_reason(campaign), problems=problems or [],
                           new_option_rows=qs.NEW_OPTION_ROWS), status


@bp.get("/<id:campaign_id>/questions/<key>")
@manager_required
def question(campaign_id: int, key: str):
    return _question_page(_campaign(campaign_id), key)


@bp.post("/<id:campaign_id>/questions/<key>")
@manager_required
def save_question(campaign_id: int, key: str):
    c = _writable(campaign_id)
    form = request.form.to_dict()
    try:
        spec, done = qs.edit_question(qs.spec_of(c), key, form)
    except qs.QuestionnaireRefused as e:
        return _question_page(c, key, e.status, e.problems)
    if form.get("action", "save") != "save":
        return _save(c, spec, done)
    edited, dim_key = spec.question(key), spec.dimension_of(key).key
    return _save(c, spec, done,
                 on_refuse=lambda problems, status: _question_page(c, key, status, problems, edited, dim_key))


# ---------------------------------------------------------------- the resident preview

def _sample_household():
    """A stand-in household for the preview: nothing of it is stored or looked up."""
    company = SimpleNamespace(name=_("示例物业服务有限公司"))
    compound = SimpleNamespace(name=_("示例小区（预览）"), company=company)
    return SimpleNamespace(id=0, label=_("1号楼1单元101室"), building=SimpleNamespace(compound=compound))


@bp.get("/<id:campaign_id>/preview")
@manager_required
def preview(campaign_id: int):
    c = _campaign(campaign_id)
    flash(_("预览：这是住户在手机上看到的问卷。在此提交只检查填写，不会保存。"), "info")
    return render_survey(c, _sample_household(), action=url_for(".preview_check", campaign_id=c.id))


@bp.post("/<id:campaign_id>/preview")
@manager_required
def preview_check(campaign_id: int):
    c = _campaign(campaign_id)
    parsed = parse_form(c, request.form)  # reads the answers; stores nothing
    action = url_for(".preview_check", campaign_id=c.id)
    if not parsed.ok:
        return render_survey(c, _sample_household(), form=request.form, errors=parsed.errors, status=422,
                             action=action)
    flash(_("预览：填写有效，住户提交时会被接受。本次预览没有保存任何答卷。"), "success")
    return render_survey(c, _sample_household(), form=request.form, action=action)
