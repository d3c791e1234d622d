"""Every staff action leaves an audit event: each POST route of the URL map either has a recipe here
(a successful request, and the event it must leave) or is exempt with a reason. A new POST route
fails `test_every_post_route_is_audited_or_exempt` until it joins one list or the other; every
workbook download (GET ….xlsx) likewise leaves an export event."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from survey_app.access import Area
from survey_app.api import clients as api_clients
from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.campaigns.standard import create_campaign
from survey_app.domain.clock import now
from survey_app.domain.responses import totals
from survey_app.domain.responses.survey import dimension_specs
from survey_app.domain.xlsx import questionnaire as qx
from survey_app.models import AuditEvent, Campaign, RectificationItem, User

from ..domain.test_rectification_sheets import edit as edit_sheet
from ..domain.test_roster import row, xlsx
from ..factories import PASSWORD, answer, form_for, households_of

EXEMPT = {
    "auth.logout": "ends the user's own session; nothing of the survey or of any account changes",
    "campaigns.preview_check": "checks a preview's answers and stores nothing",
    "resident.submit": "a resident's own answer: residents are not staff and are never named in the log",
    "resident.confirm_submit": "a resident's own answer to \"has it been fixed?\": residents are not staff and are never named in the log",
    "firm.firm": "redirects the old /firm/ addresses to /company/ and does nothing itself",
    "office.building_labels": "the old building label sheet: redirects (303) to printing.page and issues nothing",
    # Asking for a workbook as a job changes nothing; the job records the export when it writes it.
    "office.ranking_job": "queues the ranking workbook; the job leaves export.ranking (tests/jobs/test_job_pages.py)",
    "comments.export": "POST queues the workbook of a large area; the job leaves export.comments (tests/jobs)",
    "rectification_sheets.export": "POST queues the workbook of a large area; the job leaves export.rectification (tests/jobs)",
}
# Actions whose event says who and what but has no fields to show before and after.
NO_CHANGE_RECORDED = {"auth.login": "a login changes nothing but the time of the last login",
                      "users.password": "a password is never recorded, not even as a hash",
                      "auth.password": "a password is never recorded, not even as a hash"}
# Downloads that are not data: the empty roster template.
NOT_EXPORTS = {"roster.template": "an empty template, no data", "visits.old_pending_xlsx": "a redirect",
               "office.rectification_xlsx": "a redirect (308) to rectification_sheets.export"}
# An API client's write is logged as an api.request event (api.auth) naming the client, not a staff
# member; tests/api/test_api_hotline.py checks it.
EXEMPT["api_v1.hotline_case"] = "an API client's request: one api.request audit line per request (tests/api)"

RECIPES: dict = {}
STRONG = "Lantern-Pebble-42"
FORM = {"opens_at": "2030-01-05T09:00", "closes_at": "2030-01-31T18:00", "min_responses": "8", "min_coverage": "15"}


def recipe(endpoint: str, actor: str | None, action: str, where: str = "district"):
    """Register how to make a successful request to `endpoint` as `actor`, and the event it leaves
    (`where`: which jurisdiction column must be filled: district, street, company or city)."""
    def register(fn):
        RECIPES[endpoint] = (actor, action, where, fn)
        return fn
    return register


def _east_draft(w, db, status="draft"):
    c = create_campaign("东城区测评草稿", opens_at=now() + timedelta(days=1), closes_at=now() + timedelta(days=20),
                        status=status, scope_level="district", scope_id=w.east.id)
    db.session.commit()
    return c


def _item(w, db, status):
    dim = w.campaign.dimensions[0]
    item = RectificationItem(campaign_id=w.campaign.id, compound_id=w.k1.id, company_id=w.c1.id, dimension_id=dim.id,
                             category=dim.name, category_key=dim.key, evidence="得分低", deadline=now().date(), status=status,
                             created_at=now())
    db.session.add(item)
    db.session.commit()
    return item


def _user_id(db, username):
    return db.session.scalar(select(User.id).where(User.username == username))


# ---------------------------------------------------------------- recipes

@recipe("auth.login", None, "user.login", where="street")
def _login(w, db, client):
    return "/login", {"username": "street1", "password": "pw-123456"}, {}


@recipe("campaigns.create", "district", "campaign.create")
def _create(w, db, client):
    return "/office/campaigns/new", {**FORM, "name": "东城区新测评", "scope": f"district:{w.east.id}"}, {}


@recipe("campaigns.settings", "district", "campaign.settings")
def _settings(w, db, client):
    c = _east_draft(w, db)
    return f"/office/campaigns/{c.id}/settings", {**FORM, "name": "改名", "scope": f"district:{w.east.id}"}, {}


@recipe("campaigns.open_", "district", "campaign.open")
def _open(w, db, client):
    return f"/office/campaigns/{_east_draft(w, db).id}/open", {}, {}


@recipe("campaigns.close", "district", "campaign.closed")
def _close(w, db, client):
    c = _east_draft(w, db, status="open")
    return f"/office/campaigns/{c.id}/close", {"confirm": "yes"}, {}


@recipe("campaigns.delete", "district", "campaign.delete")
def _delete(w, db, client):
    return f"/office/campaigns/{_east_draft(w, db).id}/delete", {}, {}


@recipe("campaigns.copy", "district", "campaign.create")
def _copy(w, db, client):
    c = _east_draft(w, db)
    return f"/office/campaigns/{c.id}/copy", {"name": "下一轮", "opens_at": "2030-03-01T09:00",
                                             "closes_at": "2030-03-30T18:00"}, {}


@recipe("campaigns.import_", "district", "questionnaire.edit")
def _import(w, db, client):
    c = _east_draft(w, db)
    wb = openpyxl.load_workbook(io.BytesIO(qx.export_workbook(c)))
    wb["维度"].cell(2, 3).value = "Customer care"
    buf = io.BytesIO()
    wb.save(buf)
    return (f"/office/campaigns/{c.id}/questionnaire.xlsx", {"file": (io.BytesIO(buf.getvalue()), "问卷.xlsx")},
            {"content_type": "multipart/form-data"})


@recipe("campaigns.add_dimension", "district", "questionnaire.edit")
def _add_dimension(w, db, client):
    c = _east_draft(w, db)
    return f"/office/campaigns/{c.id}/dimensions", {"name": "智慧物业", "name_en": "", "weight": "0.1",
                                                    "text": "线上报修是否方便", "text_en": ""}, {}


@recipe("campaigns.dimension", "district", "questionnaire.edit")
def _dimension(w, db, client):
    c = _east_draft(w, db)
    return f"/office/campaigns/{c.id}/dimensions/{c.dimensions[1].key}", {"action": "up"}, {}


@recipe("campaigns.add_question", "district", "questionnaire.edit")
def _add_question(w, db, client):
    c = _east_draft(w, db)
    return f"/office/campaigns/{c.id}/questions", {"dimension": c.dimensions[0].key, "kind": "scale",
                                                   "text": "新题"}, {}


@recipe("campaigns.save_question", "district", "questionnaire.edit")
def _save_question(w, db, client):
    c = _east_draft(w, db)
    q = next(d for d in c.dimensions if len(d.questions) > 1).questions[1]
    return f"/office/campaigns/{c.id}/questions/{q.key}", {"action": "up"}, {}


@recipe("office.household_code", "street1", "codes.issued", where="street")
def _household_code(w, db, client):
    return f"/office/households/{households_of(w.k1)[0].id}/code?campaign={w.campaign.id}", {}, {}


@recipe("rectification.generate", "street1", "rectification.generate", where="street")
def _generate(w, db, client):
    return f"/rectification/generate?campaign={w.campaign.id}", {}, {}


@recipe("rectification.act", "street1", "rectification.verify", where="street")
def _verify(w, db, client):
    return f"/rectification/{_item(w, db, 'submitted').id}/act", {"action": "verify"}, {}


@recipe("rectification.assign_many", "street1", "rectification.assign", where="street")
def _assign_many(w, db, client):
    return f"/rectification/assign?campaign={w.campaign.id}", {"item": [_item(w, db, "open").id]}, {}


@recipe("rectification.create", "grid1", "rectification.inspection", where="street")
def _inspection(w, db, client):
    return (f"/rectification/new?campaign={w.campaign.id}",
            {"compound_id": w.k1.id, "category": "cleaning", "description": "楼下垃圾满溢"}, {})


@recipe("printing.pdf", "street1", "codes.printed", where="street")
def _pdf(w, db, client):
    b = households_of(w.k1)[0].building_id
    return f"/office/print/building/{b}/pdf?campaign={w.campaign.id}", {}, {}


@recipe("roster.upload", "street1", "roster.import", where="street")
def _roster(w, db, client):
    return ("/office/roster/", {"file": (io.BytesIO(xlsx([row(room="901")])), "花名册.xlsx")},
            {"content_type": "multipart/form-data"})


@recipe("rectification_sheets.import_", "company1", "rectification.import", where="company")
def _rectification_import(w, db, client):
    item = _item(w, db, "assigned")
    data = edit_sheet(client.get(f"/rectification/export.xlsx?campaign={w.campaign.id}").data,
                      {item.id: {"状态": "整改中"}})
    return "/rectification/import", {"file": (io.BytesIO(data), "整改清单.xlsx")}, {"content_type": "multipart/form-data"}


@recipe("visits.assist_submit", "street1", "response.assisted", where="street")
def _assist(w, db, client):
    h = households_of(w.k1)[0]
    return f"/office/assist/{h.id}?campaign={w.campaign.id}", form_for(w.campaign, "3"), {}


@recipe("review.decide", "street1", "response.rejected", where="street")
def _review_reject(w, db, client):
    resp = answer(w.campaign, households_of(w.k1)[0], 1)
    totals.set_status(resp, "held", dimension_specs(w.campaign))
    db.session.commit()
    return f"/office/review/decide?campaign={w.campaign.id}", {"response": [resp.id], "decision": "reject"}, {}


@recipe("users.create", "street1", "user.created", where="street")
def _user_create(w, db, client):
    return "/office/users/new", {"username": "gw-new", "display_name": "新网格员", "role": "grid",
                                 "street_id": w.s1.id, "grids": "一网格", "password": STRONG}, {}


@recipe("users.update", "street1", "user.updated", where="street")
def _user_update(w, db, client):
    return f"/office/users/{_user_id(db, 'grid1')}", {"role": "grid", "display_name": "改名网格员",
                                                      "street_id": w.s1.id, "grids": "一网格"}, {}


@recipe("users.disable", "street1", "user.disabled", where="street")
def _user_disable(w, db, client):
    return f"/office/users/{_user_id(db, 'grid1')}/disable", {}, {}


@recipe("users.enable", "street1", "user.enabled", where="street")
def _user_enable(w, db, client):
    uid = _user_id(db, "grid1")
    assert client.post(f"/office/users/{uid}/disable").status_code == 302
    return f"/office/users/{uid}/enable", {}, {}


@recipe("users.password", "street1", "user.password_reset", where="street")
def _user_password(w, db, client):
    return f"/office/users/{_user_id(db, 'grid1')}/password", {"password": "Copper-Violin-83-Harbor"}, {}


@recipe("api_clients.create", "city", "api_client.created", where="district")
def _api_client_create(w, db, client):
    return "/office/api-clients/new", {"name": "东城区平台", "scope": f"district:{w.east.id}", "rights": "read",
                                       "rate_limit": "100 per minute"}, {}


@recipe("api_clients.revoke", "city", "api_client.revoked", where="district")
def _api_client_revoke(w, db, client):
    city = db.session.scalar(select(User).where(User.username == "city"))
    made, _token = api_clients.create(city, "东城区平台", Area("district", w.east.id), can_write=False)
    db.session.commit()
    return f"/office/api-clients/{made.id}/revoke", {"confirm": "yes"}, {}


@recipe("auth.password", "grid1", "user.password_changed", where="street")
def _own_password(w, db, client):
    return "/account/password", {"current": PASSWORD, "new": "Copper-Violin-83-Harbor",
                                 "again": "Copper-Violin-83-Harbor"}, {}


# ---------------------------------------------------------------- the tests

def _post_endpoints(app) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}


def test_every_post_route_is_audited_or_exempt(app):
    endpoints = _post_endpoints(app)
    missing = endpoints - RECIPES.keys() - EXEMPT.keys()
    assert not missing, f"POST routes without an audit recipe or a reason to be exempt: {sorted(missing)}"
    assert not (RECIPES.keys() | EXEMPT.keys()) - endpoints, "recipes for routes that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(RECIPES))
def test_a_staff_post_leaves_an_audit_event(app, client, world, login, db, endpoint):
    actor, action, where, make = RECIPES[endpoint]
    if actor:
        login(actor)
    url, data, kw = make(world, db, client)
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    resp = client.post(url, data=data, **kw)
    assert resp.status_code < 400, resp.get_data(as_text=True)[:1000]
    user_id = _user_id(db, actor or data["username"])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before, AuditEvent.action == action,
                                                         AuditEvent.user_id == user_id)).all()
    assert events, (endpoint, [(e.action, e.user_id) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.id > before))])
    e = events[-1]
    assert e.category == "staff" and e.actor == (actor or data["username"]) and e.ip and e.at and e.target
    assert e.before or e.after or endpoint in NO_CHANGE_RECORDED, "a change records what it changed"
    column = {"district": e.district_id, "street": e.street_id, "company": e.company_id}.get(where)
    assert column is not None, f"{endpoint}: the event carries no {where}"
    if where == "street":
        assert e.street_id == world.s1.id and e.district_id == world.east.id
    if where == "district":
        assert e.district_id == world.east.id


def test_a_refused_post_leaves_no_staff_event(client, world, login, db):
    login("district")
    c = _east_draft(world, db)
    before = db.session.scalar(select(func.max(AuditEvent.id)))
    assert client.post(f"/office/campaigns/{c.id}/close", data={"confirm": "yes"}).status_code >= 400
    assert client.post(f"/office/campaigns/{world.campaign.id}/open").status_code >= 400
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                           AuditEvent.category == "staff")).all()
    assert db.session.get(Campaign, c.id).status == "draft"


def _xlsx_endpoints(app) -> dict[str, str]:
    return {r.endpoint: r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and r.rule.endswith(".xlsx")}


def test_every_workbook_download_is_an_export_event(app, client, world, login, db):
    endpoints = _xlsx_endpoints(app)
    assert set(endpoints) - set(NOT_EXPORTS) >= {"office.ranking_xlsx", "rectification_sheets.export",
                                                 "company.report_xlsx", "campaigns.export", "visits.pending_xlsx",
                                                 "audit.export", "overview.benchmarks_xlsx"}
    for endpoint, rule in sorted(endpoints.items()):
        if endpoint in NOT_EXPORTS:
            continue
        actor = "company1" if endpoint.startswith("company.") else "district" if "campaign" in rule else "street1"
        login(actor)
        url = rule.replace("<id:campaign_id>", str(world.campaign.id))
        assert "<" not in url, f"{endpoint}: say how to download {rule}"
        before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
        resp = client.get(url)
        assert resp.status_code == 200, (endpoint, resp.get_data(as_text=True)[:500])
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                             AuditEvent.action.like("export.%"))).all()
        assert len(events) == 1, endpoint
        e = events[0]
        assert e.actor == actor and e.ip and e.category == "staff"
        if actor == "street1":
            assert e.street_id == world.s1.id
        elif actor == "company1":
            assert e.company_id == world.c1.id
        client.post("/logout")


def test_every_recorded_action_has_a_readable_label():
    """The audit log names each action in words; a new action without a label would show its code."""
    from survey_app.domain.audit_log import ACTION_LABELS

    recorded = {action for _actor, action, _where, _make in RECIPES.values()}
    assert not recorded - ACTION_LABELS.keys()
