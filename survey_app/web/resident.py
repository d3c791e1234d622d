"""The resident's survey: scan a code, answer on a phone, change answers while the campaign is open."""
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..domain.audit import Jurisdiction, security_event
from ..domain import clock
from ..domain.responses import codes as tokens
from ..domain.stats.scoring import LABELS
from ..domain.responses.survey import (SurveyClosed, closed_reason, existing_response, form_values, has_ended,
    is_required, parse_form, save_response)
from ..errors import render_error
from ..extensions import db, limiter
from ..models import HouseholdCode

bp = Blueprint("resident", __name__, url_prefix="/s")
SESSION_KEY = "household_code"
SESSION_SINCE = "household_code_since"  # when the code was scanned: the session lasts RESIDENT_SESSION_HOURS
SESSION_CHANGED = "household_answer_changed"  # the last submission replaced earlier answers: thanked as a change


def _code_failure_limit():
    return current_app.config["CODE_FAILURE_RATE_LIMIT"]


def _lookup_failed(_response) -> bool:
    """Count a request against its address's limit only when its code was unknown or revoked."""
    return bool(g.get("code_lookup_failed"))


def _refuse_code(code: HouseholdCode | None):
    """An unknown or revoked code: counted against the address, recorded, and refused with a 404."""
    g.code_lookup_failed = True
    if code is None:
        security_event("code.unknown")
    else:
        compound = code.household.building.compound
        security_event("code.revoked", f"household:{code.household_id}", detail=code.revoke_reason or "",
                       where=Jurisdiction(district_id=compound.district_id, street_id=compound.street_id))
    return render_error(404, _("二维码无效或已作废。请联系社区网格员重新领取。"))


def _code_from_session() -> HouseholdCode | None:
    """The household code this browser entered with, unless revoked or older than RESIDENT_SESSION_HOURS."""
    code_id, since = session.get(SESSION_KEY), session.get(SESSION_SINCE)
    if not isinstance(since, (int, float)) or (
            clock.now().timestamp() - since > current_app.config["RESIDENT_SESSION_HOURS"] * 3600):
        session.pop(SESSION_KEY, None)
        session.pop(SESSION_SINCE, None)
        return None
    code = db.session.get(HouseholdCode, code_id) if isinstance(code_id, int) else None
    if code is None or code.revoked_at is not None:
        return None
    return code


def closed_page(campaign, reason: str):
    """The campaign refuses this answer: 410 once it has ended, 403 before it opens or out of scope."""
    status = 410 if has_ended(campaign) else 403
    return render_template("resident/closed.html", campaign=campaign, reason=reason), status


@bp.get("/<token>")
@limiter.limit(_code_failure_limit, deduct_when=_lookup_failed)
def enter(token: str):
    """Swap the code in the URL for a session, so the code leaves the address bar and history.

    Only failed lookups count against the address: households behind one carrier address scanning
    their valid codes on a visit evening are never limited, guessing codes is.
    """
    code = tokens.find_any_code(token)
    if code is None or code.revoked_at is not None:
        return _refuse_code(code)
    reason = closed_reason(code.campaign, household=code.household)
    if reason:
        return closed_page(code.campaign, reason)
    session[SESSION_KEY] = code.id
    session[SESSION_SINCE] = clock.now().timestamp()
    session.permanent = True
    lang = request.args.get("lang")  # a code's URL with ?lang=en opens the survey in English
    return redirect(url_for(".survey", lang=lang if lang in current_app.config["LANGUAGES"] else None))


@bp.get("/")
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
                           comment=comment, errors=errors or {}, labels=LABELS, existing=resp,
                           is_required=is_required, **extra), status


@bp.post("/")
def submit():
    code = _code_from_session()
    if code is None:
        return render_error(404, _("请扫描门牌上的二维码进入问卷。"))
    campaign = code.campaign
    parsed = parse_form(campaign, request.form)
    if not parsed.ok:
        return render_survey(campaign, code.household, form=request.form, errors=parsed.errors, status=422)
    changed = existing_response(campaign.id, code.household_id) is not None
    try:
        save_response(campaign, code.household_id, parsed, code_id=code.id)
    except SurveyClosed as e:
        return closed_page(campaign, e.message)
    session[SESSION_CHANGED] = changed
    return redirect(url_for(".thanks"))


@bp.get("/thanks")
def thanks():
    code = _code_from_session()
    if code is None:
        return render_error(404, _("请扫描门牌上的二维码进入问卷。"))
    resp = existing_response(code.campaign_id, code.household_id)
    if resp is None:
        return redirect(url_for(".survey"))
    return render_template("resident/thanks.html", campaign=code.campaign, compound=code.household.building.compound,
                           response=resp, changed=bool(session.get(SESSION_CHANGED)))
