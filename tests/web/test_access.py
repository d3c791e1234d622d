"""Access decided in one place: one loader for every scoped model, campaigns scoped like the rest,
one transaction per request, old addresses redirect."""
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey_app import access
from survey_app.domain import rectification
from survey_app.domain.campaigns.standard import create_campaign
from survey_app.domain.clock import now
from survey_app.errors import Conflict, Forbidden, NotFound
from survey_app.extensions import db
from survey_app.models.rectification import STATUSES
from survey_app.models import (AuditEvent, Building, Campaign, Community, Company, Compound, District, Household,
                               RectificationItem, Street, User)

from ..factories import households_of


_KEYS = itertools.count()


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _item(world, compound, status="open", deadline_days=10):
    key = f"cat{next(_KEYS)}"  # one item per compound and category
    item = RectificationItem(campaign_id=world.campaign.id, compound_id=compound.id, company_id=compound.company_id,
                             category="环境卫生", category_key=key, evidence="测试", deadline=(now() + timedelta(days=deadline_days)).date(),
                             status=status, created_at=now())
    db.session.add(item)
    db.session.flush()
    return item


def test_one_loader_answers_for_every_scoped_model(world):
    street1 = _user("street1")
    inside = {District: world.east, Street: world.s1, Community: world.k1.community, Compound: world.k1,
              Building: db.session.scalar(select(Building).where(Building.compound_id == world.k1.id)),
              Household: households_of(world.k1)[0], Campaign: world.campaign,
              RectificationItem: _item(world, world.k1), User: _user("grid1"),  # accounts: those it manages
              Company: world.c1}  # companies: those managing a compound the user sees
    outside = {Street: world.s3, Community: world.k4.community, Compound: world.k4,
               Building: db.session.scalar(select(Building).where(Building.compound_id == world.k4.id)),
               Household: households_of(world.k4)[0], RectificationItem: _item(world, world.k4),
               User: _user("street3"), Company: world.c3}
    assert set(inside) == set(access._VISIBLE)
    for model, obj in inside.items():
        if model is District:  # a street officer sees a street, not the whole of its district
            with pytest.raises(Forbidden):
                access.get_visible(street1, model, obj.id)
            assert access.get_visible(_user("district"), model, obj.id) is obj
            continue
        assert access.get_visible(street1, model, obj.id) is obj, model
        assert access.get_visible(street1, model, str(obj.id)) is obj, model
    for model, obj in outside.items():
        expected = Forbidden if model in access.AREA_MODELS else NotFound
        with pytest.raises(expected):
            access.get_visible(street1, model, obj.id)
    for bad in (0, -1, "abc", "٣", 2**40, 999_999):
        with pytest.raises(NotFound):
            access.get_visible(street1, Compound, bad)


def test_a_company_sees_its_own_compounds_and_items_only(world):
    company1 = _user("company1")
    assert access.get_visible(company1, Compound, world.k1.id) is world.k1
    mine, theirs = _item(world, world.k1), _item(world, world.k2)
    assert access.get_visible(company1, RectificationItem, mine.id) is mine
    with pytest.raises(NotFound):
        access.get_visible(company1, RectificationItem, theirs.id)
    with pytest.raises(NotFound):
        access.get_visible(company1, Household, households_of(world.k2)[0].id)


def _street_campaign(street, name):
    return create_campaign(name, opens_at=now() - timedelta(days=1), closes_at=now() + timedelta(days=5),
                           scope_level="street", scope_id=street.id, min_responses=5, min_coverage=0.1)


def test_campaigns_of_other_jurisdictions_stay_out_of_pickers_and_pages(client, world, login, db):
    west = _street_campaign(world.s3, "龙山路街道专项测评")
    own = _street_campaign(world.s1, "文化路街道专项测评")
    db.session.commit()
    login("street1")
    page = client.get(f"/office/ranking?campaign={own.id}").data.decode()
    assert "文化路街道专项测评" in page and "龙山路街道专项测评" not in page
    assert "2026年测试测评" in page  # the city-wide campaign
    for path in ("/office/ranking", "/office/participation", "/office/visits", "/rectification/",
                 "/office/overview/"):
        resp = client.get(f"{path}?campaign={west.id}")
        assert resp.status_code == 404, path
        assert "龙山路街道专项测评" not in resp.data.decode()
    assert client.get(f"/office/ranking?campaign={west.id}&lang=en").status_code == 404


def test_a_company_sees_campaigns_over_its_own_places(client, world, login, db):
    west = _street_campaign(world.s3, "龙山路街道专项测评")
    own = _street_campaign(world.s1, "文化路街道专项测评")
    db.session.commit()
    login("company1")  # manages compounds in 文化路街道 and 光明路街道, none in 龙山路街道
    page = client.get(f"/company/?campaign={own.id}").data.decode()
    assert "文化路街道专项测评" in page and "龙山路街道专项测评" not in page
    assert client.get(f"/company/?campaign={west.id}").status_code == 404


def test_a_refused_request_keeps_nothing_it_wrote_and_a_good_one_commits_once(app, client, db):
    @app.post("/_test/write/<int:refuse>")
    def _write(refuse):
        db.session.add(AuditEvent(at=now(), action="test.write", target="t", detail=str(refuse)))
        db.session.flush()
        if refuse:
            raise Conflict("不行")
        return "ok"

    def count():
        db.session.rollback()
        return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "test.write"))

    assert client.post("/_test/write/1").status_code == 409
    assert count() == 0
    assert client.post("/_test/write/0").status_code == 200
    assert count() == 1


@pytest.mark.parametrize("old, new", [
    ("/office/", "/office/participation"),
    ("/office/coverage?compound=7", "/office/visits?compound=7"),
    ("/office/coverage/pending.xlsx", "/office/visits/pending.xlsx"),
])
def test_old_office_addresses_redirect(client, world, login, old, new):
    login("street1")
    resp = client.get(old)
    assert resp.status_code == 308 and resp.headers["Location"].endswith(new)


def test_old_company_addresses_redirect(client, world, login):
    login("company1")
    for old, new in (("/firm/", "/company/"), ("/firm/report.xlsx?campaign=1", "/company/report.xlsx?campaign=1")):
        resp = client.get(old)
        assert resp.status_code == 308 and resp.headers["Location"].endswith(new), old
    assert client.get("/firm/", follow_redirects=True).status_code == 200


def test_overdue_is_one_rule_in_python_and_in_sql(world, db):
    today = now().date()
    items = [_item(world, k, status, days) for k in (world.k1,) for status in STATUSES for days in (-3, -1, 0, 1)]
    in_sql = set(db.session.scalars(select(RectificationItem.id).where(RectificationItem.overdue_on(today))))
    in_python = {i.id for i in items if rectification.is_overdue(i, today)}
    # overdue: the company still holds it (assigned, in progress, sent back) and the deadline has passed
    assert in_python == in_sql and len(in_sql) == 6
    assert {i.status for i in items if i.id in in_sql} == {"assigned", "in_progress", "returned"}
    # missed: overdue now, or recorded as missed before (kept after a later fix)
    items[-1].deadline_missed = True  # a closed item that had missed its deadline
    db.session.flush()
    missed = set(db.session.scalars(select(RectificationItem.id).where(RectificationItem.missed_on(today))))
    assert missed == in_sql | {items[-1].id} == {i.id for i in items if i.missed_on(today)}
