"""The resident's survey: scan a code, answer on a phone, change answers while the campaign is open;
see the compound's rectification items and say whether those the company submitted are fixed.

A household that answered keeps its code after the campaign ends: it still sees the items and is
asked about each submission ("已解决 / 未解决 / 不清楚", domain/rectification/residents.py)."""
from flask import Blueprint, current_app, g, get_template_attribute, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_wtf.csrf import generate_csrf

from ..database import begin_write, parses_first, reads_only
from ..domain.audit import Jurisdiction, security_event
from ..domain import clock
from ..domain.responses import codes as tokens
from ..domain.integrity import signals
from ..domain.rectification import residents
from ..domain.rectification.states import CONFIRMATION_LABELS, OTHER, OTHER_LABEL
from ..domain.responses import questionnaire as structure
from ..domain.responses.survey import (COMMENT_MAX, SurveyClosed, Visit, closed_reason, covers, existing_response, form_values,
    has_ended, parse_form, save_response, visit)
from ..errors import render_error
from ..extensions import limiter
from ..models import HouseholdCode
from . import device, skeleton

bp = Blueprint("resident", __name__, url_prefix="/s")
SESSION_KEY = "household_code"
SESSION_SINCE = "household_code_since"  # when the code was scanned: the session lasts RESIDENT_SESSION_HOURS
SESSION_CHANGED = "household_answer_changed"  # the last submission replaced earlier answers: thanked as a change
# "以后再说": the items (id:submission) this visit put off; asked again at the next visit with the code.
SESSION_LATER = "household_confirm_later"
_UNREAD = object()  # render_survey: the household's response was not read yet


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


def _visit_from_session() -> Visit | None:
    """The visit of the household code this browser entered with (survey.visit: one query), unless
    the code is revoked or was scanned more than RESIDENT_SESSION_HOURS ago."""
    code_id, since = session.get(SESSION_KEY), session.get(SESSION_SINCE)
    if not isinstance(since, (int, float)) or (
            clock.now().timestamp() - since > current_app.config["RESIDENT_SESSION_HOURS"] * 3600):
        session.pop(SESSION_KEY, None)
        session.pop(SESSION_SINCE, None)
        return None
    found = visit(code_id) if isinstance(code_id, int) else None
    if found is None or found.code.revoked_at is not None:
        return None
    return found


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
    if reason and not _follows_up(code.campaign, code.household,
                                  existing_response(code.campaign_id, code.household_id)):
        return closed_page(code.campaign, reason)
    session[SESSION_KEY] = code.id
    session[SESSION_SINCE] = clock.now().timestamp()
    session.pop(SESSION_LATER, None)  # a new visit with the code: asked again what was put off
    session.permanent = True
    # The survey opens next: noting when, and making its form's token, here leaves the page's session as it is.
    device.mark_opened(f"code:{code.id}")
    generate_csrf()
    lang = request.args.get("lang")  # a code's URL with ?lang=en opens the survey in English
    return redirect(url_for(".survey", lang=lang if lang in current_app.config["LANGUAGES"] else None))


def _follows_up(campaign, household, response) -> bool:
    """After the campaign ended, a household that answered keeps its code to follow the items."""
    return has_ended(campaign) and covers(campaign, household) and response is not None


def _pending(v: Visit) -> list:
    """The items this household is asked about now, less those it put off during this visit."""
    if not v.items_submitted:  # only submitted items are asked about: none in the compound, nothing to read
        return []
    later = session.get(SESSION_LATER)
    later = set(later) if isinstance(later, list) else set()
    return [i for i in residents.pending_confirmations(v.campaign, v.household)
            if f"{i.id}:{i.submissions}" not in later]


def _put_off(items: list) -> None:
    """Not asked again about these items' current submissions during this visit."""
    session[SESSION_LATER] = [f"{i.id}:{i.submissions}" for i in items]


def _onwards(v: Visit):
    """Where a resident goes after the confirmations: the thank-you page once answered, else the survey."""
    if v.response is not None:
        return redirect(url_for(".thanks"))
    return redirect(url_for(".survey"))


def _no_visit():
    return render_error(404, _("请扫描门牌上的二维码进入问卷。"))


@bp.get("/")
def survey():
    reads_only()  # the page reads its visit (and, at most, saved answers and items); it writes nothing
    v = _visit_from_session()
    if v is None:
        return _no_visit()
    if request.args.get("later") == "1":  # "以后再说": not asked again until the next visit with the code
        _put_off(residents.pending_confirmations(v.campaign, v.household))
    elif _pending(v):
        return redirect(url_for(".confirm"))
    reason = closed_reason(v.campaign, household=v.household)
    if reason:
        if _follows_up(v.campaign, v.household, v.response):
            return redirect(url_for(".thanks"))
        return closed_page(v.campaign, reason)
    device.mark_opened(f"code:{v.code.id}")
    return render_survey(v.campaign, v.household, response=v.response, questionnaire=v.questionnaire,
                         compound=v.compound, company=v.company)


def render_survey(campaign, household, form=None, errors=None, status: int = 200, response=_UNREAD,
                  questionnaire=None, compound=None, company=None, **extra):
    """The questionnaire for one household: blank, with its saved answers, or with a rejected form;
    after its answers, the compound's rectification items.

    Saved answers are shown only to the device that saved them: opened anywhere else (a label
    left on a door in a shared stairwell), the page says the household answered on a date and
    offers a blank form whose answers replace the earlier ones.

    A resident's request hands in what its visit read (`response`, `questionnaire`, `compound`,
    `company`); the template gets plain values and never loads anything itself.
    """
    questionnaire = questionnaire or structure.of(campaign)
    resp = existing_response(campaign.id, household.id) if response is _UNREAD else response
    own = resp is not None and signals.is_own_device(campaign, resp, device.device_id())
    if form is not None:
        values, comment = form, form.get("comment", "")[:5000]
    elif own:
        resp = existing_response(campaign.id, household.id, with_answers=True)  # its answers, in one query
        values = {**form_values(questionnaire, resp), **residents.followup_values(campaign, household)}
        comment = resp.comment or ""
    else:
        values, comment = {}, ""
    items = (residents.compound_items(campaign, household, own, questionnaire.dimensions)
             if resp is not None else None)
    if compound is None:
        compound = household.building.compound
        company = compound.company
    shown = structure.shown(questionnaire)
    blank = _blank_questions(questionnaire, shown) if not values and not errors else None
    context = dict(campaign=campaign, questionnaire=shown, blank_questions=blank, values=values, comment=comment,
                   errors=errors or {}, existing=resp, own=own, followup_choices=residents.followup_choices(questionnaire),
                   followup_max=residents.TEXT_MAX, text_max=COMMENT_MAX, items=items, **extra)
    own_values = {"compound_name": compound.name, "company_name": company.name if company else _("（暂无物业企业）"),
                  "address": household.label}
    if blank is not None and resp is None and not extra and "_flashes" not in session:
        return _blank_page(campaign, questionnaire, context, own_values), status
    return render_template("resident/survey.html", **context, **own_values), status


def _blank_page(campaign, questionnaire, context: dict, own_values: dict) -> str:
    """The blank survey as a household first sees it: rendered once per frozen questionnaire
    version, language and campaign wording with markers for the household's own values and the
    form's token (web/skeleton.py), then filled in."""
    key = ("page", campaign.id, questionnaire.version, str(get_locale()), campaign.name, campaign.comment_label)
    page = structure.kept(key, lambda: render_template(
        "resident/survey.html", **context, **{name: skeleton.mark(name) for name in own_values},
        csrf_token=lambda: skeleton.mark("csrf_token")))
    return skeleton.fill(page, {**own_values, "csrf_token": generate_csrf()})


def _blank_questions(questionnaire, shown):
    """A blank form's questions as HTML, rendered once per frozen questionnaire version and language."""
    if questionnaire.version is None:
        return None
    return structure.kept(("blank", questionnaire.campaign_id, questionnaire.version, str(get_locale())),
                          lambda: get_template_attribute("resident/_questions.html", "questions")(
                              shown.parts, {}, {}, COMMENT_MAX))


@bp.post("/")
@parses_first  # read and check the form first: SQLite's one writer holds the lock only while it writes
def submit():
    v = _visit_from_session()
    if v is None:
        return _no_visit()
    parsed = parse_form(v.campaign, request.form, v.questionnaire)
    if not parsed.ok:
        return render_survey(v.campaign, v.household, form=request.form, errors=parsed.errors, status=422,
                             response=v.response, questionnaire=v.questionnaire, compound=v.compound,
                             company=v.company)
    # The visit stays as read: save_response reads the response again under the lock, and a first
    # answer's insert gives way to a twin's; a campaign closed meanwhile is refused when writing.
    begin_write(keep_loaded=True)
    try:
        save_response(v.campaign, v.household.id, parsed, code_id=v.code.id, seen=device.seen(f"code:{v.code.id}"),
                      questionnaire=v.questionnaire, first=v.response is None)
    except SurveyClosed as e:
        return closed_page(v.campaign, e.message)
    session[SESSION_CHANGED] = v.response is not None
    return redirect(url_for(".thanks"))


@bp.get("/thanks")
def thanks():
    v = _visit_from_session()
    if v is None:
        return _no_visit()
    if v.response is None:
        return redirect(url_for(".survey"))
    own = signals.is_own_device(v.campaign, v.response, device.device_id())
    return render_template("resident/thanks.html", campaign=v.campaign, compound=v.compound, response=v.response,
                           changed=bool(session.get(SESSION_CHANGED)), ended=has_ended(v.campaign),
                           items=residents.compound_items(v.campaign, v.household, own, v.questionnaire.dimensions))


def _confirm_page(v: Visit, items: list, error: str | None = None, status: int = 200):
    english = {d.key: d.name_en for d in v.questionnaire.dimensions}
    questions = [{"item": i, "said": residents.submitted_note(i), "category_en": english.get(i.category_key),
                  "category": OTHER_LABEL if i.category_key == OTHER else i.category} for i in items]
    return render_template("resident/confirm.html", compound=v.compound, questions=questions,
                           answers=list(CONFIRMATION_LABELS.items()), error=error), status


@bp.get("/confirm")
def confirm():
    """Ask about the items the company submitted as fixed since this household last answered."""
    v = _visit_from_session()
    if v is None:
        return _no_visit()
    items = _pending(v)
    if not items:
        return _onwards(v)
    return _confirm_page(v, items)


@bp.post("/confirm")
def confirm_submit():
    """Record the answers (one per household, item and submission; a replayed form changes nothing)."""
    v = _visit_from_session()
    if v is None:
        return _no_visit()
    answers = residents.parse_confirmations(request.form)
    if not answers:
        items = _pending(v)
        if items:
            return _confirm_page(v, items, error=_("请至少回答一项，或点击“以后再说”。"), status=422)
        return _onwards(v)
    residents.record_confirmations(v.campaign, v.household, answers)
    _put_off(residents.pending_confirmations(v.campaign, v.household))  # the ones left unanswered
    return _onwards(v)
