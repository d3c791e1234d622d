"""The scoping matrix: every route of the app, as every staff role, with other units' ids.

A city of two districts with two streets each, grids, and two companies with compounds in both
districts; campaigns scoped to every level; households, codes, responses (enough for figures)
and rectification items with a photo each. Users of every role sit in one district (东湖区), one
street (青松街道), one grid (一网格) and one company (甲方物业).

The matrix enumerates the URL map: every rule is either exercised (its URL arguments filled from
ARG_FILLERS) or listed in EXEMPT with the reason, and an argument nobody knows how to fill fails
the test, so a new route joins the matrix by construction. For every GET rule and every role:
the URL filled with units outside the user's jurisdiction answers 403/404 (or redirects away
from the data); the user's own units with other units' ids in the query string (`?campaign=`,
`?area=`, `?compound=` ...) never show the outside units. No body names an outside unit: pages
and error pages as text, workbooks read back with openpyxl, label PDFs through pypdfium2; a page
that reads an id from the query refuses an outside one (404/403). For every POST rule and every
role but the city's (nothing lies outside the city): outside ids in the URL, the query and the
form answer 4xx and leave the database as it was (row counts and a checksum of every table but
the audit trail). Inside-jurisdiction sanity: the same routes with the user's own ids answer 200
for the roles that may use them and name their own units (INSIDE_OK, INSIDE_NAMES), so the
matrix can fail. One database is built per module and shared; each request runs in its own app
context, so nothing of one user's request carries over to another's.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from survey_app import create_app
from survey_app.access import Area
from survey_app.api import clients as api_clients
from survey_app.domain import rectification
from survey_app.domain.rectification import photos
from survey_app.domain.campaigns.standard import create_campaign
from survey_app.domain.clock import now
from survey_app.extensions import db as _db
from survey_app.models import (Building, Community, Company, Compound, District, Household, RectificationItem,
                               Street, User, UserGrid)

from ..conftest import make_config
from ..factories import PASSWORD, answer

ROLES = ("city", "district", "street", "grid", "company")
STRONG_PASSWORD = "Matrix-Test-Passw0rd-9f3k"

# Rules the matrix does not exercise, and why.
EXEMPT = {
    "static": "files shipped with the app; no data, no ids",
    "auth.login": "logging in as someone else is not a scope question (tests/web/test_access.py)",
    "auth.logout": "ends the test client's session; no ids",
    "office.rectification_list": "a redirect (308) to rectification.index, which the matrix checks",
    "office.rectification_xlsx": "a redirect (308) to rectification_sheets.export, which the matrix checks",
    "jobs.show": "a job is its owner's alone, whatever the scope: anyone else gets 404 (tests/jobs/test_job_pages.py)",
    "jobs.download": "a job's file is its owner's alone: anyone else gets 404 (tests/jobs/test_job_pages.py)",
}

# How each URL argument is filled: the kind of unit whose id (or key) it takes. An argument not
# listed here fails the test: a new route must say what it takes.
ARG_FILLERS = {
    "compound_id": "compound",
    "building_id": "building",
    "household_id": "household",
    "item_id": "item",
    "photo_id": "photo",  # a rectification item's photo: seen by whoever sees the item
    "campaign_id": "campaign",
    "user_id": "user",
    "ident": "printable",  # with <level>: building, compound, community or street
    "level": "printable",
    "key": "question_key",  # a dimension's or question's key within the campaign of the URL
    "rest": "firm_rest",  # /firm/<path:rest> redirects to /company/<rest>
    "token": "token",  # a household code: whoever holds it is the household; staff get no other
    "client_id": "api_client",  # an API client: only city admins manage them
}
UNKNOWN_CODE = "AAAAAAAAAAAAAAAAAAAAAA"  # 22 characters, as a code, but nobody's
KNOWN_CONVERTERS = {"IdConverter", "UnicodeConverter", "PathConverter"}
PRINT_LEVELS = ("building", "compound", "community", "street")
# The API answers an API client's bearer token, never a staff session: every role here gets 401.
# Its scoping per client (city, district, street; 403 outside, 404 for other scopes' campaigns) is
# tested in tests/api/test_api_reads.py and tests/api/test_api_hotline.py.
EXEMPT.update({f"api_v1.{name}": "an API route: bearer tokens only, scoped per client (tests/api)" for name in (
    "campaign", "coverage", "dimensions", "rankings", "rectification_items", "rectification_rates")})

# GET routes the user's own ids must open (200), per role: the matrix's proof that it can fail.
INSIDE_OK = {
    "office.participation": ("city", "district", "street", "grid"),
    "office.ranking": ("city", "district", "street", "grid"),
    "office.ranking_xlsx": ("city", "district", "street", "grid"),
    "office.compound": ("city", "district", "street", "grid"),
    "office.building": ("city", "district", "street", "grid"),
    "office.household": ("city", "district", "street", "grid"),
    "rectification.index": ("city", "district", "street", "grid", "company"),
    "overview.index": ("city", "district", "street", "grid"),
    "overview.compound": ("city", "district", "street", "grid"),
    "overview.benchmarks": ("city", "district", "street", "grid"),
    "overview.benchmarks_xlsx": ("city", "district", "street", "grid"),
    "comments.index": ("city", "district", "street", "grid"),
    "comments.export": ("city", "district", "street", "grid"),
    "review.index": ("city", "district", "street"),
    "visits.index": ("city", "district", "street", "grid"),
    "households.index": ("city", "district", "street", "grid"),
    "visits.pending_xlsx": ("city", "district", "street", "grid"),
    "visits.assist_form": ("street", "grid"),
    "printing.page": ("city", "district", "street", "grid"),
    "campaigns.index": ("city", "district"),
    "campaigns.show": ("city", "district"),
    "campaigns.questionnaire": ("city", "district"),
    "campaigns.export": ("city", "district"),
    "users.index": ("city", "district", "street"),
    "users.edit": ("city", "district", "street"),
    "audit.index": ("city", "district", "street"),
    "audit.export": ("city", "district", "street"),
    "audit.security": ("city", "district", "street"),
    "company.home": ("company",),
    "rectification_photos.show": ("city", "district", "street", "grid", "company"),
    "company.report_xlsx": ("company",),
    "rectification_sheets.export": ("city", "district", "street", "grid", "company"),
    "rectification_sheets.import_form": ("city", "district", "street", "grid", "company"),
    "api_clients.index": ("city",),
    "api_clients.new": ("city",),
    "api_clients.revoke_form": ("city",),
}

# ... and what they must show there: the name check above is not vacuous.
INSIDE_NAMES = {
    ("office.participation", "district"): ("松甲苑", "柏乙苑"),
    ("office.participation", "grid"): ("松甲苑", "松乙苑"),
    ("visits.index", "grid"): ("松甲苑一号楼",),
    ("visits.index", "street"): ("松甲苑二号楼", "松丙苑"),
    ("office.ranking_xlsx", "city"): ("枫丙苑", "松甲苑"),
    ("company.home", "company"): ("桦甲苑", "松甲苑"),
    ("users.index", "district"): ("u_street_bai", "u_grid_song2"),
    ("audit.export", "city"): ("u_dist_west",),
    ("audit.export", "district"): ("u_street_bai",),
    ("campaigns.index", "district"): ("东湖区专项测评", "翠柏街道楼道测评"),
    ("comments.index", "district"): ("青松街道", "翠柏街道"),  # the area picker offers its streets; no texts
    ("comments.index", "grid"): ("松甲苑", "松乙苑"),
    ("api_clients.index", "city"): ("矩阵接口平台",),
}


# ---------------------------------------------------------------- the city

@dataclass
class City:
    ids: dict = field(default_factory=dict)  # (kind, name) → id
    units: list = field(default_factory=list)  # Unit of every id-bearing row
    users: dict = field(default_factory=dict)  # role → username
    campaign_id: int = 0  # the city-wide campaign with responses
    question_key: str = ""
    dimension_key: str = ""


@dataclass(frozen=True)
class Unit:
    kind: str  # compound | building | household | item | photo | campaign | user | district | street | community
    id: int
    name: str  # distinctive text that names it on a page ("" when it has none of its own)
    district: str
    street: str | None  # None: the whole district (a district campaign)
    company: str | None = None
    grid: str | None = None
    compound: str | None = None  # the compound a building, household or item belongs to


DISTRICTS = {"东湖区": ("青松街道", "翠柏街道"), "西岭区": ("白桦街道", "红枫街道")}
# street → compounds (name, company): both companies in both districts; 甲方 has none in 红枫街道.
# Every compound has a building in each grid, but 松丙苑 has one in 二网格 only: outside the grid worker's.
COMPOUNDS = {
    "青松街道": (("松甲苑", "甲方物业有限公司"), ("松乙苑", "乙方物业有限公司"), ("松丙苑", "乙方物业有限公司")),
    "翠柏街道": (("柏甲苑", "甲方物业有限公司"), ("柏乙苑", "乙方物业有限公司")),
    "白桦街道": (("桦甲苑", "甲方物业有限公司"), ("桦乙苑", "乙方物业有限公司")),
    "红枫街道": (("枫乙苑", "乙方物业有限公司"), ("枫丙苑", "乙方物业有限公司")),
}
GRIDS = ("一网格", "二网格")
HOUSEHOLDS_PER_BUILDING = 4
RESPONSES_PER_COMPOUND = 6  # ≥ MIN_GROUP: figures exist, so their absence is scoping, not suppression
LOW = {"柏甲苑", "桦乙苑", "松甲苑", "枫乙苑", "松丙苑"}  # low scores: rectification items


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def _build_city() -> City:
    city = City()
    companies = {name: Company(name=name) for name in ("甲方物业有限公司", "乙方物业有限公司")}
    _db.session.add_all(companies.values())
    streets, compounds = {}, {}
    for dname, snames in DISTRICTS.items():
        d = District(name=dname)
        _db.session.add(d)
        _db.session.flush()
        city.units.append(Unit("district", d.id, dname, dname, None))
        for sname in snames:
            s = Street(district=d, name=sname)
            m = Community(street=s, name=sname[:2] + "社区")
            _db.session.add_all([s, m])
            _db.session.flush()
            streets[sname] = s
            city.units += [Unit("street", s.id, sname, dname, sname), Unit("community", m.id, m.name, dname, sname)]
            for cname, company in COMPOUNDS[sname]:
                c = Compound(community=m, street_id=s.id, district_id=d.id, name=cname, company=companies[company])
                _db.session.add(c)
                _db.session.flush()
                compounds[cname] = c
                city.units.append(Unit("compound", c.id, cname, dname, sname, company))
                for n, grid in enumerate(GRIDS, start=1):
                    if cname == "松丙苑" and grid != "二网格":
                        continue
                    b = Building(compound=c, name=f"{cname}{'一二'[n - 1]}号楼", grid=grid)
                    _db.session.add(b)
                    _db.session.flush()
                    city.units.append(Unit("building", b.id, b.name, dname, sname, company, grid, cname))
                    for i in range(HOUSEHOLDS_PER_BUILDING):
                        h = Household(building=b, compound_id=c.id, unit=str(n), room=f"{i + 1}01")
                        _db.session.add(h)
                        _db.session.flush()
                        city.units.append(Unit("household", h.id, "", dname, sname, company, grid, cname))
    for company in companies.values():
        city.ids[("company", company.name)] = company.id
    start, end = now() - timedelta(days=1), now() + timedelta(days=20)
    main = create_campaign("全市物业满意度测评", start, end, min_responses=5, min_coverage=0.1)
    scoped = [main]
    for dname in DISTRICTS:
        d_id = next(u.id for u in city.units if u.kind == "district" and u.name == dname)
        c = create_campaign(f"{dname}专项测评", start, end, scope_level="district", scope_id=d_id)
        scoped.append(c)
        city.units.append(Unit("campaign", 0, c.name, dname, None))
    for sname, s in streets.items():
        c = create_campaign(f"{sname}楼道测评", start, end, scope_level="street", scope_id=s.id)
        scoped.append(c)
        dname = next(d for d, ss in DISTRICTS.items() if sname in ss)
        city.units.append(Unit("campaign", 0, c.name, dname, sname,
                               None if sname != "红枫街道" else "乙方物业有限公司"))
    _db.session.flush()
    # the campaign units' ids, now that they exist
    by_name = {c.name: c.id for c in scoped}
    city.units = [Unit(u.kind, by_name[u.name], u.name, u.district, u.street, u.company) if u.kind == "campaign"
                  else u for u in city.units]
    city.campaign_id = main.id
    city.dimension_key = main.dimensions[0].key
    city.question_key = main.dimensions[0].questions[0].key

    def user(username, role, dname=None, sname=None, company=None, grids=()):
        d_id = next((u.id for u in city.units if u.kind == "district" and u.name == dname), None)
        u = User(username=username, role=role, display_name=username, district_id=d_id,
                 street_id=streets[sname].id if sname else None,
                 company_id=companies[company].id if company else None)
        u.set_password(PASSWORD)
        u.grids = [UserGrid(grid=g) for g in grids]
        _db.session.add(u)
        _db.session.flush()
        city.units.append(Unit("user", u.id, username, dname or "", sname, company))
        return u

    # the users under test: 东湖区 / 青松街道 / 一网格 / 甲方物业
    city.users = {"city": "m_city", "district": "m_dist_east", "street": "m_street_song", "grid": "m_grid_song",
                  "company": "m_company_jia"}
    user("m_city", "city")
    user("m_dist_east", "district", "东湖区")
    user("m_street_song", "street", "东湖区", "青松街道")
    user("m_grid_song", "grid", "东湖区", "青松街道", grids=("一网格",))
    user("m_company_jia", "company", company="甲方物业有限公司")
    # accounts the admins above may or may not manage
    user("u_street_bai", "street", "东湖区", "翠柏街道")
    user("u_grid_song2", "grid", "东湖区", "青松街道", grids=("二网格",))
    user("u_dist_west", "district", "西岭区")
    user("u_street_hua", "street", "西岭区", "白桦街道")
    user("u_grid_feng", "grid", "西岭区", "红枫街道", grids=("一网格",))
    user("u_company_yi", "company", company="乙方物业有限公司")
    # an API client of the whole city: no district or street admin may see or touch it
    client, _token = api_clients.create(_db.session.scalar(select(User).where(User.username == "m_city")),
                                        "矩阵接口平台", Area("city"), can_write=True)
    city.units.append(Unit("api_client", client.id, client.name, "", None))
    _db.session.commit()

    households = list(_db.session.scalars(select(Household).order_by(Household.id)))
    names = {c.id: name for name, c in compounds.items()}
    done = {}
    for h in households:
        cname = names[h.compound_id]
        if done.get(cname, 0) >= RESPONSES_PER_COMPOUND:
            continue
        done[cname] = done.get(cname, 0) + 1
        answer(main, h, value=2 if cname in LOW else 4, comment=f"{cname}的意见")
    rectification.generate(main)
    _db.session.commit()
    for item in _db.session.scalars(select(RectificationItem)):
        u = next(x for x in city.units if x.kind == "compound" and x.id == item.compound_id)
        city.units.append(Unit("item", item.id, "", u.district, u.street, u.company, compound=u.name))
        [photo] = photos.accept_photos([FileStorage(io.BytesIO(_png()), "photo.png")], item=item, user=None)
        _db.session.flush()
        city.units.append(Unit("photo", photo.id, "", u.district, u.street, u.company, compound=u.name))
    _db.session.commit()
    return city


# ---------------------------------------------------------------- who sees what

def _inside(role: str, u: Unit) -> bool:
    """Whether the unit lies in the jurisdiction of the user of `role` (by the product's rules)."""
    if role == "city":
        return True
    if u.kind == "user":
        return False  # handled by _manages
    if role == "company":
        if u.kind in ("district", "street", "community"):
            return False
        if u.kind == "campaign":
            return u.street is None or u.company != "乙方物业有限公司"  # 甲方 manages compounds in every
            # district and every street but 红枫街道
        return u.company == "甲方物业有限公司"
    if u.kind == "campaign" and u.street is None:
        return u.district == "东湖区"
    if role == "district":
        return u.district == "东湖区"
    if u.kind == "district":
        return False
    if role == "street":
        return u.street == "青松街道"
    # grid worker of 青松街道 / 一网格
    if u.street != "青松街道":
        return False
    if u.kind in ("building", "household"):
        return u.grid == "一网格"
    if u.kind in ("compound", "item", "photo"):
        return u.name != "松丙苑" and u.compound != "松丙苑"
    return True  # the street's community and campaigns


MANAGES = {"city": {"u_street_bai", "u_grid_song2", "u_dist_west", "u_street_hua", "u_grid_feng", "u_company_yi",
                    "m_dist_east", "m_street_song", "m_grid_song", "m_company_jia"},
           "district": {"u_street_bai", "u_grid_song2", "m_street_song", "m_grid_song"},
           "street": {"u_grid_song2", "m_grid_song"}}


def inside(city: City, role: str, u: Unit) -> bool:
    if u.kind == "user":
        return u.name in MANAGES.get(role, set())
    return _inside(role, u)


def outside_names(city: City, role: str) -> set[str]:
    """Text that names a unit outside the role's jurisdiction: it must appear on no page."""
    out = set()
    for u in city.units:
        if not u.name or inside(city, role, u) or u.name == city.users[role]:
            continue
        if u.kind in ("district", "street", "community"):
            continue  # area names are public (every area picker shows them); what lies inside is not
        if u.kind == "user" and role in ("grid", "company"):
            continue  # they manage no account, and see no account page
        out.add(u.name)
    if role == "company":
        out.add("乙方物业有限公司")
    return out


def candidates(city: City, role: str, kind: str, want_inside: bool) -> list[Unit]:
    """Units of a kind inside (or outside) the role's jurisdiction; other admins' accounts first."""
    out = [u for u in city.units if u.kind == kind and inside(city, role, u) == want_inside]
    return sorted(out, key=lambda u: not u.name.startswith("u_")) if kind == "user" else out


def pick(city: City, role: str, kind: str, want_inside: bool, last: bool = False) -> Unit | None:
    """The first (or last) such unit: the nearest and the farthest outside the jurisdiction."""
    found = candidates(city, role, kind, want_inside)
    return (found[-1] if last else found[0]) if found else None


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    path = tmp_path_factory.mktemp("matrix") / "matrix.db"
    app = create_app(make_config(f"sqlite:///{path}", PHOTO_FOLDER=str(path.parent / "photos")))
    with app.app_context():
        _db.create_all()
        city = _build_city()
        _db.session.remove()
    # Requests run outside any app context of the test's own: each request gets a fresh one, so
    # nothing (the logged-in user on `g`, the session) carries over from one client to the next.
    clients = {}
    for role, username in city.users.items():
        client = app.test_client()
        resp = client.post("/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, (role, resp.data.decode()[:300])
        clients[role] = client
    # Accounts elsewhere log in too: their events must not reach the audit pages of other jurisdictions.
    for username in ("u_street_bai", "u_grid_song2", "u_dist_west", "u_street_hua", "u_grid_feng", "u_company_yi"):
        resp = app.test_client().post("/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, (username, resp.data.decode()[:300])
    yield app, city, clients
    with app.app_context():
        _db.engine.dispose()


def rules(app, method: str):
    out = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint not in EXEMPT:
            out.append(rule)
    return sorted(out, key=lambda r: (r.rule, r.endpoint))


def test_every_rule_is_in_the_matrix_or_exempt(matrix):
    """An argument or converter the matrix cannot fill fails: a new route must say what it takes."""
    app, _city, _clients = matrix
    unknown = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        for name, conv in rule._converters.items():
            if name not in ARG_FILLERS or type(conv).__name__ not in KNOWN_CONVERTERS:
                unknown.append(f"{rule.rule} ({rule.endpoint}): <{type(conv).__name__}:{name}>")
    assert not unknown, "routes whose arguments the matrix cannot fill; add them to ARG_FILLERS:\n" + "\n".join(unknown)
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert not set(EXEMPT) - endpoints, "exemptions for routes that no longer exist"


# ---------------------------------------------------------------- filling a rule

def fillings(city: City, role: str, rule, want_inside: bool) -> list[dict]:
    """The URL argument values that put the rule on units inside (or outside) the role's jurisdiction.

    Empty when the role has no such unit (the city has nothing outside)."""
    args = set(rule.arguments)
    if not args:
        return [{}] if want_inside else []
    if "rest" in args:
        return [{"rest": ""}, {"rest": "report.xlsx"}] if want_inside else []
    if "token" in args:
        return [] if want_inside else [{"token": UNKNOWN_CODE}]
    ends = (False, True) if not want_inside else (False,)  # outside: the nearest and the farthest unit
    out = []
    for last in ends:
        if "level" in args:
            for level in PRINT_LEVELS:
                u = pick(city, role, level, want_inside, last)
                if u is not None:
                    out.append({"level": level, "ident": u.id})
            continue
        values = {}
        for name in args:
            if ARG_FILLERS[name] == "question_key":
                continue
            u = pick(city, role, ARG_FILLERS[name], want_inside, last)
            if u is None:
                return []
            values[name] = u.id
        if "key" in args:
            out += [dict(values, key=city.dimension_key), dict(values, key=city.question_key)]
        else:
            out.append(values)
    return [dict(t) for t in dict.fromkeys(tuple(sorted(v.items())) for v in out)]


def outside_queries(city: City, role: str) -> list[dict]:
    """Query strings naming units outside the role's jurisdiction."""
    qs = []
    c = pick(city, role, "campaign", False)
    if c:
        qs.append({"campaign": c.id})
    for level in ("district", "street"):
        a = pick(city, role, level, False)
        if a:
            qs.append({"area": f"{level}:{a.id}"})
    k, b = pick(city, role, "compound", False), pick(city, role, "building", False)
    if k or b:
        qs.append({key: u.id for key, u in (("compound", k), ("building", b)) if u})
    if role == "grid":
        own = pick(city, role, "street", True)
        qs.append({"area": f"street:{own.id}"})  # their own street, named: still only their grids
        qs.append({"grid": "二网格"})
        k_in = pick(city, role, "compound", True)
        qs.append({"compound": k_in.id, "grid": "二网格", "building": b.id})
    return qs


def body_text(resp) -> str:
    """Everything the response shows: the page, or every cell and sheet name of a workbook."""
    data = resp.get_data()
    if data[:2] == b"PK":
        wb = load_workbook(io.BytesIO(data), read_only=True)
        parts = []
        for ws in wb.worksheets:
            parts.append(ws.title)
            for row in ws.iter_rows(values_only=True):
                parts.extend(str(v) for v in row if v is not None)
        return "\n".join(parts)
    if data[:4] == b"%PDF":
        doc = pdfium.PdfDocument(data)
        try:
            return "\n".join(page.get_textpage().get_text_range() for page in doc)
        finally:
            doc.close()
    return data.decode("utf-8", "replace")


def assert_no_outside(city: City, role: str, resp, what: str) -> None:
    shown = body_text(resp)
    leaked = sorted(n for n in outside_names(city, role) if n in shown)
    assert not leaked, f"{what} as {role}: {resp.status_code} names units outside the jurisdiction: {leaked}"


def refused(resp, what: str) -> None:
    if resp.status_code in (301, 302, 303, 307, 308):
        where = resp.headers.get("Location", "")
        assert "/login" in where or where.split("?")[0].rstrip("/").endswith(("/company", "/office/participation")), \
            f"{what}: redirects to {where}"
        return
    assert resp.status_code in (403, 404), f"{what}: {resp.status_code}, expected 403 or 404"


def _url(app, rule, values, query=None):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values, **(query or {}))


# ---------------------------------------------------------------- GET

def test_get_outside_ids_in_the_url_are_refused(matrix):
    """Every GET rule with URL arguments, as every role, on units outside the jurisdiction."""
    app, city, clients = matrix
    failures, checked = [], 0
    for rule in rules(app, "GET"):
        if not rule.arguments or rule.endpoint == "firm.firm":
            continue
        for role in ROLES:
            for values in fillings(city, role, rule, want_inside=False):
                url = _url(app, rule, values)
                resp = clients[role].get(url)
                checked += 1
                try:
                    refused(resp, f"GET {url} ({rule.endpoint})")
                    assert_no_outside(city, role, resp, f"GET {url}")
                except AssertionError as e:
                    failures.append(f"{role}: {e}")
    assert checked > 50
    assert not failures, "\n".join(failures)


def test_get_outside_ids_in_the_query_show_nothing_outside(matrix):
    """Every GET rule, on the user's own units (or none), with other units' ids in the query string."""
    app, city, clients = matrix
    failures, checked = [], 0
    for rule in rules(app, "GET"):
        for role in ROLES:
            for values in fillings(city, role, rule, want_inside=True)[:1]:
                for query in outside_queries(city, role):
                    url = _url(app, rule, values, query)
                    resp = clients[role].get(url)
                    checked += 1
                    try:
                        assert resp.status_code < 500, f"GET {url}: {resp.status_code}"
                        assert_no_outside(city, role, resp, f"GET {url} ({rule.endpoint})")
                    except AssertionError as e:
                        failures.append(f"{role}: {e}")
    assert checked > 100
    assert not failures, "\n".join(failures)


NOWHERE = 999_999  # an id no row has


def test_get_outside_ids_in_the_query_are_refused_where_the_page_reads_them(matrix):
    """A page that reads an id from the query (it answers 404 for an id no row has) refuses an
    outside unit's id the same way: 404, or 403 for an area, never the page."""
    app, city, clients = matrix
    failures, reading = [], 0
    for rule in rules(app, "GET"):
        for role in ROLES:
            if role == "city":
                continue
            for values in fillings(city, role, rule, want_inside=True)[:1]:
                for param, missing, outside in (
                        ("campaign", NOWHERE, pick(city, role, "campaign", False)),
                        ("area", f"district:{NOWHERE}", pick(city, role, "district", False)),
                        ("area", f"street:{NOWHERE}", pick(city, role, "street", False)),
                        ("compound", NOWHERE, pick(city, role, "compound", False))):
                    if outside is None:
                        continue
                    probe = clients[role].get(_url(app, rule, values, {param: missing}))
                    if probe.status_code != 404:
                        continue  # the page does not read it (or the role may not open the page)
                    reading += 1
                    value = f"{outside.kind}:{outside.id}" if param == "area" else outside.id
                    url = _url(app, rule, values, {param: value})
                    resp = clients[role].get(url)
                    if resp.status_code not in (403, 404):
                        failures.append(f"GET {url} ({rule.endpoint}) as {role}: {resp.status_code}")
    assert reading > 20
    assert not failures, "\n".join(failures)


def test_get_inside_ids_open_the_pages(matrix):
    """The same routes with the user's own ids answer 200 for the roles that may use them, and show
    nothing outside: the matrix above can fail."""
    app, city, clients = matrix
    failures, opened = [], set()
    for rule in rules(app, "GET"):
        for role in ROLES:
            for values in fillings(city, role, rule, want_inside=True):
                url = _url(app, rule, values)
                resp = clients[role].get(url)
                try:
                    assert resp.status_code < 500, f"GET {url}: {resp.status_code}"
                    assert_no_outside(city, role, resp, f"GET {url} ({rule.endpoint})")
                except AssertionError as e:
                    failures.append(f"{role}: {e}")
                if resp.status_code == 200:
                    opened.add((rule.endpoint, role))
                    missing = [n for n in INSIDE_NAMES.get((rule.endpoint, role), ()) if n not in body_text(resp)]
                    if missing:
                        failures.append(f"GET {url} as {role}: does not show its own {missing}")
    for endpoint, role in INSIDE_NAMES:
        if (endpoint, role) not in opened:
            failures.append(f"{endpoint} as {role}: not opened")
    for endpoint, roles in INSIDE_OK.items():
        for role in roles:
            if (endpoint, role) not in opened:
                failures.append(f"{endpoint} as {role}: the user's own units do not open (not 200)")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- POST

VOLATILE = {"audit_events": None, "users": {"last_login_at"}}  # written on every request or refusal by design


def snapshot(app) -> dict:
    """Row count and checksum of every table (audit trail and login times aside)."""
    with app.app_context():
        return _snapshot()


def _snapshot() -> dict:
    out = {}
    for table in _db.metadata.sorted_tables:
        skip = VOLATILE.get(table.name, set())
        if skip is None:
            continue
        cols = [c for c in table.columns if c.name not in skip]
        pk = list(table.primary_key.columns) or cols
        rows = _db.session.execute(select(*cols).order_by(*pk)).all()
        out[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    _db.session.rollback()
    return out


def outside_form(city: City, role: str) -> dict:
    """A form naming units outside the role's jurisdiction wherever a form takes an id or an area."""
    d = pick(city, role, "district", False)
    s = pick(city, role, "street", False)
    c = pick(city, role, "campaign", False)
    form = {"status": "verified", "confirm_reissue": "yes", "confirm": "yes", "why": "matrix",
            "dry_run": "", "name": "越权测评", "opens_at": "2030-01-01T09:00", "closes_at": "2030-02-01T18:00",
            "min_responses": "5", "min_coverage": "10", "username": "matrix_new_user", "display_name": "越权账户",
            "password": STRONG_PASSWORD, "role": "street", "grids": "二网格", "weight": "1", "text": "越权题目"}
    if d:
        form["district_id"] = str(d.id)
        form["scope"] = f"district:{d.id}"
    if s:
        form["street_id"] = str(s.id)
        form.setdefault("scope", f"street:{s.id}")
    if c:
        form["source"] = str(c.id)
    form["company_id"] = str(city.ids[("company", "乙方物业有限公司")])
    return form


def roster_file(street: str, district: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["区", "街道", "社区", "网格", "小区", "楼栋", "单元", "房号", "物业服务企业"])
    ws.append([district, street, street[:2] + "社区", "一网格", "越权新苑", "1号楼", "1", "101", "乙方物业有限公司"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rectification_file(item_id: int) -> bytes:
    """A filled-in rectification workbook that moves (and notes) an item outside the jurisdiction."""
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "状态", "整改情况/说明", "备注"])
    ws.append([item_id, "已整改（核验通过）", "越权核验", "越权备注"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post(client, url, form, files=None):
    data = dict(form)
    if files:
        data.update(files)
    return client.post(url, data=data, content_type="multipart/form-data" if files else None)


def test_post_outside_ids_are_refused_and_change_nothing(matrix):
    """Every POST rule, as every role, with outside ids in the URL, the query and the form: 4xx, and
    the database as it was."""
    app, city, clients = matrix
    failures, checked = [], 0
    for rule in rules(app, "POST"):
        if rule.endpoint == "firm.firm":
            continue  # a 308 to /company/..., whose POST routes are in the matrix
        for role in ROLES:
            if role == "city":
                continue  # nothing lies outside the city
            targets = fillings(city, role, rule, want_inside=False) if rule.arguments else [{}]
            campaign = pick(city, role, "campaign", False)
            query = {"campaign": campaign.id} if campaign else {}
            for values in targets:
                url = _url(app, rule, values, query)
                form = outside_form(city, role)
                files = None
                if rule.endpoint == "roster.upload":
                    s = pick(city, role, "street", False)
                    files = {"file": (io.BytesIO(roster_file(s.name, s.district)), "roster.xlsx")}
                elif rule.endpoint == "campaigns.import_":
                    files = {"file": (io.BytesIO(b"PK\x03\x04 not a workbook"), "q.xlsx")}
                elif rule.endpoint == "rectification_sheets.import_":
                    files = {"file": (io.BytesIO(rectification_file(pick(city, role, "item", False).id)), "r.xlsx")}
                before = snapshot(app)
                resp = post(clients[role], url, form, files)
                after = snapshot(app)
                checked += 1
                what = f"POST {url} ({rule.endpoint}) as {role}"
                changed = [t for t in before if before[t] != after.get(t)]
                if not 400 <= resp.status_code < 500:
                    failures.append(f"{what}: {resp.status_code}, expected 4xx")
                if changed:
                    failures.append(f"{what}: changed {changed}")
                try:
                    assert_no_outside(city, role, resp, what)
                except AssertionError as e:
                    failures.append(str(e))
    assert checked > 40
    assert not failures, "\n".join(failures)


# Inside URL arguments, outside ids elsewhere: (endpoint, role, query, form) that must be refused.
def inside_url_outside_elsewhere(city: City):
    east = next(u for u in city.units if u.kind == "district" and u.name == "东湖区")
    west = next(u for u in city.units if u.kind == "district" and u.name == "西岭区")
    hua = next(u for u in city.units if u.kind == "street" and u.name == "白桦街道")
    bai = next(u for u in city.units if u.kind == "street" and u.name == "翠柏街道")
    west_campaign = next(u for u in city.units if u.kind == "campaign" and u.name == "西岭区专项测评")
    east_campaign = next(u for u in city.units if u.kind == "campaign" and u.name == "东湖区专项测评")
    camp = {"campaign": west_campaign.id}
    cases = []
    for role in ("district", "street", "grid"):
        for endpoint in ("office.building_labels", "office.household_code", "printing.pdf",
                         "rectification.generate", "visits.assist_submit"):
            cases.append((endpoint, role, camp, {"confirm_reissue": "yes", "why": "matrix"}))
    settings = {"name": "东湖区专项测评", "opens_at": "2030-01-01T09:00", "closes_at": "2030-02-01T18:00",
                "min_responses": "5", "min_coverage": "10"}
    cases += [
        ("campaigns.create", "district", {}, dict(settings, name="越权测评", scope=f"district:{west.id}")),
        ("campaigns.create", "district", {}, dict(settings, name="越权测评", scope=f"street:{hua.id}")),
        ("campaigns.create", "district", {}, dict(settings, name="越权测评", scope=f"district:{east.id}",
                                                  source=str(west_campaign.id))),
        ("campaigns.settings", "district", {}, dict(settings, scope=f"district:{west.id}")),
        ("users.create", "district", {}, {"username": "matrix_x1", "display_name": "x", "role": "street",
                                          "street_id": str(hua.id), "password": STRONG_PASSWORD}),
        ("users.create", "district", {}, {"username": "matrix_x2", "display_name": "x", "role": "district",
                                          "district_id": str(west.id), "password": STRONG_PASSWORD}),
        ("users.create", "street", {}, {"username": "matrix_x3", "display_name": "x", "role": "grid",
                                        "street_id": str(bai.id), "grids": "一网格", "password": STRONG_PASSWORD}),
        ("users.update", "district", {}, {"display_name": "x", "role": "street", "street_id": str(hua.id)}),
        ("users.update", "street", {}, {"display_name": "x", "role": "grid", "street_id": str(bai.id),
                                        "grids": "一网格"}),
        ("roster.upload", "street", {}, {"file": "白桦街道"}),
        ("roster.upload", "district", {}, {"file": "白桦街道"}),
    ]
    return cases, east_campaign


def test_post_inside_url_with_outside_ids_in_query_or_form_is_refused(matrix):
    app, city, clients = matrix
    cases, east_campaign = inside_url_outside_elsewhere(city)
    by_endpoint = {r.endpoint: r for r in rules(app, "POST")}
    failures = []
    for endpoint, role, query, form in cases:
        rule = by_endpoint[endpoint]
        values = {}
        if rule.arguments:
            if endpoint == "campaigns.settings":
                values = {"campaign_id": east_campaign.id}
            elif endpoint == "users.update":
                target = "u_street_bai" if role == "district" else "u_grid_song2"
                values = {"user_id": next(u.id for u in city.units if u.kind == "user" and u.name == target)}
            else:
                found = fillings(city, role, rule, want_inside=True)
                if not found:
                    failures.append(f"{endpoint} as {role}: no inside unit to fill it")
                    continue
                values = found[0]
        url = _url(app, rule, values, query)
        files = None
        if "file" in form:
            street = form.pop("file")
            s = next(u for u in city.units if u.kind == "street" and u.name == street)
            files = {"file": (io.BytesIO(roster_file(s.name, s.district)), "roster.xlsx")}
        before = snapshot(app)
        resp = post(clients[role], url, form, files)
        after = snapshot(app)
        what = f"POST {url} ({endpoint}) as {role} with {query or form}"
        changed = [t for t in before if before[t] != after.get(t)]
        if not 400 <= resp.status_code < 500:
            failures.append(f"{what}: {resp.status_code}, expected 4xx")
        if changed:
            failures.append(f"{what}: changed {changed}")
    assert not failures, "\n".join(failures)


def test_inside_label_prints_name_nothing_outside(matrix):
    """The label PDFs the user may print (their own places) hold no household outside their
    jurisdiction: a grid worker's print of their compound or street covers their grids only."""
    app, city, clients = matrix
    failures = []
    for role in ("street", "grid", "district"):
        for level in ("compound", "street", "building"):
            u = pick(city, role, level, True)
            url = _url(app, app.url_map._rules_by_endpoint["printing.pdf"][0], {"level": level, "ident": u.id},
                       {"campaign": city.campaign_id})
            resp = clients[role].post(url, data={"confirm_reissue": "yes"})
            if resp.status_code != 200 or resp.mimetype != "application/pdf":
                failures.append(f"POST {url} as {role}: {resp.status_code} {resp.mimetype}")
                continue
            shown = body_text(resp)
            if u.name not in shown and level != "street":
                failures.append(f"POST {url} as {role}: the labels do not name {u.name}")
            leaked = sorted(n for n in outside_names(city, role) if n in shown)
            if leaked:
                failures.append(f"POST {url} as {role}: labels name units outside the jurisdiction: {leaked}")
    assert not failures, "\n".join(failures)
