"""The resident's survey: scan a code, answer on a phone, change answers while the campaign is open."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from ..domain import tokens
from ..domain.scoring import LABELS
from ..domain.survey import SurveyClosed, closed_reason, existing_response, parse_form, save_response
from ..errors import render_error
from ..extensions import db, limiter
from ..models import HouseholdCode

bp = Blueprint("resident", __name__, url_prefix="/s")
SESSION_KEY = "household_code"


def _limit():
    return current_app.config["RESIDENT_RATE_LIMIT"]


def _code_from_session() -> HouseholdCode | None:
    code_id = session.get(SESSION_KEY)
    code = db.session.get(HouseholdCode, code_id) if isinstance(code_id, int) else None
    if code is None or code.revoked_at is not None:
        return None
    return code


def _closed_page(code: HouseholdCode, reason: str):
    status = 403 if code.campaign.status == "draft" or "尚未开始" in reason else 410
    return render_template("resident/closed.html", campaign=code.campaign, reason=reason), status


@bp.get("/<token>")
@limiter.limit(_limit)
def enter(token: str):
    """Swap the code in the URL for a session, so the code leaves the address bar and history."""
    code = tokens.find_code(token)
    if code is None:
        return render_error(404, "二维码无效或已作废。请联系社区网格员重新领取。")
    reason = closed_reason(code.campaign)
    if reason:
        return _closed_page(code, reason)
    session[SESSION_KEY] = code.id
    session.permanent = True
    return redirect(url_for(".survey"))


@bp.get("/")
@limiter.limit(_limit)
def survey():
    code = _code_from_session()
    if code is None:
        return render_error(404, "请扫描门牌上的二维码进入问卷。")
    reason = closed_reason(code.campaign)
    if reason:
        return _closed_page(code, reason)
    resp = existing_response(code.campaign_id, code.household_id)
    values = {}
    comment = ""
    if resp:
        values = {f"q{a.question_id}": ("na" if a.value is None else str(a.value)) for a in resp.answers}
        comment = resp.comment or ""
    return render_template("resident/survey.html", code=code, campaign=code.campaign, values=values,
                           comment=comment, errors={}, labels=LABELS, existing=resp)


@bp.post("/")
@limiter.limit(_limit)
def submit():
    code = _code_from_session()
    if code is None:
        return render_error(404, "请扫描门牌上的二维码进入问卷。")
    campaign = code.campaign
    parsed = parse_form(campaign, request.form, current_app.config["COMMENT_MAX_LENGTH"])
    if not parsed.ok:
        db.session.rollback()
        return render_template("resident/survey.html", code=code, campaign=campaign,
                               values=request.form, comment=request.form.get("comment", "")[:5000],
                               errors=parsed.errors, labels=LABELS,
                               existing=existing_response(campaign.id, code.household_id)), 422
    try:
        save_response(code, parsed)
    except SurveyClosed as e:
        db.session.rollback()
        return _closed_page(code, str(e))
    return redirect(url_for(".thanks"))


@bp.get("/thanks")
def thanks():
    code = _code_from_session()
    if code is None:
        return render_error(404, "请扫描门牌上的二维码进入问卷。")
    return render_template("resident/thanks.html", campaign=code.campaign, compound=code.household.building.compound)
