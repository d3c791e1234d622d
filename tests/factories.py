"""A small world for tests: two districts, three streets, four compounds, users of every role."""
from __future__ import annotations

import sqlite3
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import event, select

from survey_app.domain.responses import codes as tokens
from survey_app.domain.clock import now
from survey_app.domain.campaigns.standard import create_campaign
from survey_app.domain.responses.survey import ParsedSurvey, save_response
from survey_app.extensions import db
from survey_app.models.totals import CompoundTotal, DimensionTotal
from survey_app.models import Building, Community, Company, Compound, District, Household, HouseholdCode, Street, User, UserGrid

PASSWORD = "pw-123456"


def add_compound(community, name, company, households, building="1号楼", grid="一网格"):
    c = Compound(community=community, street_id=community.street.id, district_id=community.street.district_id,
                 name=name, company=company)
    b = Building(compound=c, name=building, grid=grid)
    db.session.add_all([c, b])
    db.session.flush()
    for i in range(households):
        db.session.add(Household(building=b, compound_id=c.id, unit="1", room=f"{i // 2 + 1}0{i % 2 + 1}"))
    db.session.flush()
    return c


def many_compounds(world, n=60) -> set[str]:
    """n one-household compounds 测试小区00.. of 甲物业 in 金色花园's community (a list longer than a
    page), committed; their names."""
    for i in range(n):
        add_compound(world.k1.community, f"测试小区{i:02d}", world.c1, 1)
    db.session.commit()
    return {f"测试小区{i:02d}" for i in range(n)}


def add_user(username, role, **scope):
    u = User(username=username, role=role, display_name=username, **scope)
    u.set_password(PASSWORD)
    db.session.add(u)
    return u


def build_world(**campaign_kw):
    east, west = District(name="东城区"), District(name="西城区")
    s1, s2 = Street(district=east, name="文化路街道"), Street(district=east, name="光明路街道")
    s3 = Street(district=west, name="龙山路街道")
    db.session.add_all([east, west, s1, s2, s3])
    db.session.flush()
    m1, m2, m3 = Community(street=s1, name="幸福社区"), Community(street=s2, name="阳光社区"), Community(street=s3, name="和谐社区")
    c1, c2, c3 = Company(name="甲物业服务有限公司"), Company(name="乙物业服务有限公司"), Company(name="丙物业服务有限公司")
    db.session.add_all([m1, m2, m3, c1, c2, c3])
    db.session.flush()
    k1 = add_compound(m1, "金色花园", c1, 40)
    k2 = add_compound(m1, "碧水家园", c2, 40, grid="二网格")
    k3 = add_compound(m2, "翡翠名苑", c1, 30)
    k4 = add_compound(m3, "御景华庭", c3, 20)
    kw = dict(min_responses=5, min_coverage=0.1)
    kw.update(campaign_kw)
    campaign = create_campaign("2026年测试测评", opens_at=now() - timedelta(days=1),
                               closes_at=now() + timedelta(days=10), **kw)
    add_user("city", "city")
    add_user("district", "district", district_id=east.id)
    add_user("street1", "street", district_id=east.id, street_id=s1.id)
    grid1 = add_user("grid1", "grid", district_id=east.id, street_id=s1.id)
    grid1.grids = [UserGrid(grid="一网格"), UserGrid(grid="二网格")]  # every grid of 文化路街道
    add_user("street3", "street", district_id=west.id, street_id=s3.id)
    add_user("company1", "company", company_id=c1.id)
    add_user("company2", "company", company_id=c2.id)
    db.session.commit()
    return SimpleNamespace(east=east, west=west, s1=s1, s2=s2, s3=s3, c1=c1, c2=c2, c3=c3,
                           k1=k1, k2=k2, k3=k3, k4=k4, campaign=campaign)


def households_of(compound) -> list[Household]:
    return list(db.session.scalars(db.select(Household).where(Household.compound_id == compound.id)
                                   .order_by(Household.id)))


def issue(campaign, household) -> str:
    token = tokens.issue_codes(campaign.id, [household.id])[household.id]
    db.session.commit()
    return token


def answer(campaign, household, value=4, overrides=None, comment=None, seen=None):
    """Store a response for the household with every 5-point question answered `value` (`seen`:
    the device it came from, `signals.Seen`)."""
    token = issue(campaign, household)
    code = tokens.find_code(token)
    answers = {q.id: value for q in campaign.questions if q.scored}
    answers.update(overrides or {})
    resp = save_response(campaign, household.id, ParsedSurvey(answers=answers, comment=comment), code_id=code.id,
                         seen=seen)
    db.session.commit()  # the factory is the caller: it ends the transaction, as a request would
    return resp


def form_for(campaign, value="4", **extra) -> dict:
    """The survey form with every 5-point question answered `value` (multiple choice: nothing ticked)."""
    data = {f"q{q.id}": value for q in campaign.questions if q.scored}
    data.update(extra)
    return data


__all__ = ["HouseholdCode", "PASSWORD", "build_world", "answer", "issue", "form_for", "households_of"]


def stored_totals(campaign_id) -> dict:
    """The campaign's maintained totals as stored, rows that count something only: {(compound,
    dimension, status): (n, total, total_sq, satisfied), (compound, status): (n, total, total_sq,
    satisfied, overall_n, comments)}."""
    dims = {(r.compound_id, r.dimension_id, r.status): (r.n, r.total, r.total_sq, r.satisfied)
            for r in db.session.scalars(select(DimensionTotal).where(DimensionTotal.campaign_id == campaign_id)) if r.n}
    compounds = {(r.compound_id, r.status): (r.n, r.total, r.total_sq, r.satisfied, r.overall_n, r.comments)
                 for r in db.session.scalars(select(CompoundTotal).where(CompoundTotal.campaign_id == campaign_id))
                 if r.n}
    return {**dims, **compounds}


def sqlite_write_lock(path) -> str:
    """Whether another connection gets SQLite's write lock at once: "free", or SQLite's refusal."""
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return "free"
    except sqlite3.OperationalError as e:
        return str(e)
    finally:
        other.close()


def watching_statements(request, note):
    """Run `request` (a new session) with `note(connection, statement)` called for each statement it runs."""
    def on(conn, _cursor, statement, *_args):
        note(conn, statement)
    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", on)
    try:
        return request()
    finally:
        event.remove(db.engine, "before_cursor_execute", on)
