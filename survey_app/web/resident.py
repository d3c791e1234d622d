"""The resident's survey: scan a code, answer on a phone, change answers while the campaign is open."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..domain.responses import codes as tokens
from ..domain.stats.scoring import LABELS
from ..domain.responses.survey import (SurveyClosed, closed_reason, existing_response, form_values, has_ended,
    parse_form, save_response)
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


def closed_page(campaign, reason: str):
    """The campaign refuses this answer: 410 once it has ended, 403 before it opens or out of scope."""
    status = 410 if has_ended(campaign) else 403
    return render_template("resident/closed.html", campaign=campaign, reason=reason), status


@bp.get("/<token>")
@limiter.limit(_limit)
def enter(token: str):
    """Swap the code in the URL for a session, so the code leaves the address bar and history."""
    code = tokens.find_code(token)
    if code is None:
        return render_error(404, _("二维码无效或已作废。请联系社区网格员重新领取。"))
    reason = closed_reason(code.campaign, household=code.household)
    if reason:
        return closed_page(code.campaign, reason)
    session[SESSION_KEY] = code.id
    session.permanent = True
    return redirect(url_for(".survey"))


@bp.get("/")
@limiter.limit(_limit)
def survey():
    code = _code_from_session()
    if code is None:
        return render_error(404, _("请扫描门牌上的二维码进入问卷。"))
    reason = closed_reason(code.campaign, household=code.household)
    if reason:
        return closed_page(code.campaign, reason)
    return render_survey(code.campaign, code.household)


def render_survey(campaign, household, form=None, errors=None, status: int = 200, **extra):
    """The questionnaire for one household: blank, with its saved answers, or with a rejected form."""
    resp = existing_response(campaign.id, household.id)
    if form is not None:
        values, comment = form, form.get("comment", "")[:5000]
    elif resp is not None:
        values = form_values(campaign, resp)
        comment = resp.comment or ""
    else:
        values, comment = {}, ""
    return render_template("resident/survey.html", campaign=campaign, household=household, values=values,
                           comment=comment, errors=errors or {}, labels=LABELS, existing=resp, **extra), status


@bp.post("/")
@limiter.limit(_limit)
def submit():
    code = _code_from_session()
    if code is None:
        return render_error(404, _("请扫描门牌上的二维码进入问卷。"))
    campaign = code.campaign
    parsed = parse_form(campaign, request.form)
    if not parsed.ok:
        return render_survey(campaign, code.household, form=request.form, errors=parsed.errors, status=422)
    try:
        save_response(campaign, code.household_id, parsed, code_id=code.id)
    except SurveyClosed as e:
        return closed_page(campaign, e.message)
    return redirect(url_for(".thanks"))


@bp.get("/thanks")
def thanks():
    code = _code_from_session()
    if code is None:
        return render_error(404, _("请扫描门牌上的二维码进入问卷。"))
    return render_template("resident/thanks.html", campaign=code.campaign, compound=code.household.building.compound)
