"""Account pages, sessions that end when they must, login limits, and grid workers kept to their grids.

Admins manage the accounts of their jurisdiction and nothing else (others answer 404, refused
changes leave the database as it was); logout, disabling and a password reset end a copied session
cookie at once; staff sessions expire when idle and after an absolute lifetime, residents' after a
few hours (a controllable clock); failed logins are limited per address and per username, never
the user who gets in; a grid worker sees, prints and assists only in their grids.
"""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey_app import create_app
from survey_app.domain import clock
from survey_app.extensions import db, limiter
from survey_app.models import AuditEvent, Building, User

from ..conftest import make_config
from ..factories import PASSWORD, build_world, households_of, issue

STRONG = "Lantern-Pebble-42"


def _user(name):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def _count_users():
    return db.session.scalar(select(func.count()).select_from(User))


def _logged_in(app, username, password=PASSWORD):
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": password})
    assert resp.status_code == 302, resp.data.decode()[:300]
    return client


def _works(client) -> bool:
    """Whether the client's session still opens an officer page (a logged-out one is sent to log in)."""
    resp = client.get("/office/visits")
    assert resp.status_code in (200, 302), resp.status_code
    return resp.status_code == 200


# ---------------------------------------------------------------- the pages, by role

@pytest.mark.parametrize("username, shown", [("city", True), ("district", True), ("street1", True),
                                             ("grid1", False), ("company1", False)])
def test_the_accounts_link_and_page_are_for_admins(app, world, username, shown):
    client = _logged_in(app, username)
    home = client.get("/office/overview/" if username != "company1" else "/company/")
    assert ("/office/users/" in home.get_data(as_text=True)) is shown
    assert client.get("/office/users/").status_code == (200 if shown else 403)
    assert client.get("/office/users/new").status_code == (200 if shown else 403)


@pytest.mark.parametrize("username, listed", [
    ("city", {"district", "street1", "grid1", "street3", "company1", "company2"}),
    ("district", {"street1", "grid1"}),
    ("street1", {"grid1"}),
])
def test_the_list_shows_the_jurisdiction_only(app, world, username, listed):
    page = _logged_in(app, username).get("/office/users/").get_data(as_text=True).split("<main>")[1]
    everyone = {"city", "district", "street1", "grid1", "street3", "company1", "company2"}
    shown = {u for u in everyone if f">{u}</a>" in page}
    assert shown == listed


def test_the_list_is_searchable_filterable_and_paged(app, world):
    for i in range(55):
        db.session.add(User(username=f"gw{i:02d}", display_name=f"网格员{i}", role="grid", password_hash="x",
                            district_id=world.east.id, street_id=world.s1.id, active=i % 2 == 0))
    db.session.commit()
    client = _logged_in(app, "street1")
    first = client.get("/office/users/").get_data(as_text=True)
    assert "共 56 个账户" in first and "第 1 / 2 页" in first and ">gw48</a>" in first and ">gw49</a>" not in first
    second = client.get("/office/users/?page=2").get_data(as_text=True)
    assert ">gw49</a>" in second and ">grid1</a>" not in second  # grid1 sorts after gw..
    found = client.get("/office/users/?q=网格员1").get_data(as_text=True)
    assert "共 11 个账户" in found  # 网格员1, 网格员10..19
    off = client.get("/office/users/?state=disabled").get_data(as_text=True)
    assert "共 27 个账户" in off
    assert "共 0 个账户" in client.get("/office/users/?role=city").get_data(as_text=True)
    for odd in ("?page=999", "?role=%00", "?q=%25_%27", "?state=x"):
        assert client.get("/office/users/" + odd).status_code == 200
    assert client.get("/office/users/?page=abc").status_code == 400  # as every list: one reading of ?page=


def test_an_admin_creates_a_grid_worker_with_grids(app, world):
    client = _logged_in(app, "street1")
    resp = client.post("/office/users/new", data={"username": "gw-new", "display_name": "新网格员", "role": "grid",
                                                  "street_id": world.s1.id, "grids": "一网格，二网格",
                                                  "password": STRONG})
    assert resp.status_code == 302
    user = _user("gw-new")
    assert user.grid_names == ["一网格", "二网格"] and user.street_id == world.s1.id and user.active
    assert "已创建账户 gw-new" in client.get(resp.headers["Location"]).get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.actor == "street1" and event.street_id == world.s1.id and STRONG not in (event.after or "")
    assert _logged_in(app, "gw-new", STRONG)


@pytest.mark.parametrize("form, status, message", [
    ({"password": "password1234"}, 400, "太常见"),
    ({"password": "short"}, 400, "至少需要 10 个字符"),
    ({"password": "gw-new-gw-new-1"}, 400, "不能包含用户名"),
    ({"grids": "九网格"}, 400, "该街道没有网格"),
    ({"username": "grid1"}, 409, "用户名 grid1 已存在"),
    ({"username": ""}, 400, "用户名不能为空"),
])
def test_a_refused_account_is_not_created_and_the_form_says_why(app, world, form, status, message):
    client = _logged_in(app, "street1")
    data = {"username": "gw-new", "role": "grid", "street_id": world.s1.id, "password": STRONG, **form}
    before = _count_users()
    resp = client.post("/office/users/new", data=data)
    assert resp.status_code == status and message in resp.get_data(as_text=True)
    assert _count_users() == before


@pytest.mark.parametrize("username, form", [
    ("street1", {"role": "street", "street_id": "s1"}),  # a street admin makes only grid workers
    ("street1", {"role": "grid", "street_id": "s2"}),  # in its own street
    ("district", {"role": "grid", "street_id": "s3"}),  # a district admin in its own district
    ("district", {"role": "district", "district_id": "east"}),
    ("district", {"role": "company", "company_id": "c1"}),
    ("district", {"role": "city"}),
])
def test_an_admin_cannot_create_outside_its_jurisdiction(app, world, username, form):
    client = _logged_in(app, username)
    data = {k: (getattr(world, v).id if k.endswith("_id") else v) for k, v in form.items()}
    before = _count_users()
    resp = client.post("/office/users/new", data={"username": "intruder", "password": STRONG, **data})
    assert resp.status_code == 403
    assert _count_users() == before


@pytest.mark.parametrize("username, target", [
    ("street1", "street3"), ("street1", "district"), ("street1", "street1"), ("district", "street3"),
    ("district", "company1"), ("district", "city"), ("district", "district"), ("street3", "grid1"),
])
def test_accounts_outside_the_jurisdiction_answer_404_and_stay_unchanged(app, world, username, target):
    client = _logged_in(app, username)
    victim = _user(target)
    before = (victim.snapshot(), victim.password_hash, victim.session_version)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.category == "staff"))
    assert client.get(f"/office/users/{victim.id}").status_code == 404
    for action, data in (("", {"role": "grid", "street_id": world.s1.id}), ("/disable", {}), ("/enable", {}),
                         ("/password", {"password": STRONG})):
        assert client.post(f"/office/users/{victim.id}{action}", data=data).status_code == 404
    victim = _user(target)
    assert (victim.snapshot(), victim.password_hash, victim.session_version) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.category == "staff")) == events


def test_a_district_admin_rescopes_a_street_account_within_its_district(app, world):
    client = _logged_in(app, "district")
    street1 = _user("street1")
    resp = client.post(f"/office/users/{street1.id}", data={"role": "grid", "display_name": "改任网格员",
                                                             "street_id": world.s1.id, "grids": "二网格"})
    assert resp.status_code == 302
    moved = _user("street1")
    assert (moved.role, moved.display_name, moved.grid_names) == ("grid", "改任网格员", ["二网格"])
    refused = client.post(f"/office/users/{street1.id}", data={"role": "street", "street_id": world.s3.id})
    assert refused.status_code == 403 and _user("street1").street_id == world.s1.id
    page = client.get(f"/office/users/{street1.id}").get_data(as_text=True)
    assert "改任网格员" in page and "二网格" in page


# ---------------------------------------------------------------- sessions end at once

def test_logout_ends_a_copied_session_cookie(app, world):
    client = _logged_in(app, "grid1")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert _works(copy)
    client.post("/logout")
    assert not _works(copy) and not _works(client)
    assert _works(_logged_in(app, "grid1"))  # a new login works


@pytest.mark.parametrize("action, data", [("disable", {}), ("password", {"password": "Orchid+Kettle-731"})])
def test_disabling_or_resetting_ends_the_users_sessions(app, world, action, data):
    victim = _logged_in(app, "grid1")
    copy = app.test_client()
    copy.set_cookie("session", victim.get_cookie("session").value)
    assert _works(victim) and _works(copy)
    admin = _logged_in(app, "street1")
    assert admin.post(f"/office/users/{_user('grid1').id}/{action}", data=data).status_code == 302
    assert not _works(victim) and not _works(copy)
    again = app.test_client().post("/login", data={"username": "grid1", "password": PASSWORD})
    assert again.status_code == 401  # disabled, or the old password no longer opens it
    if action == "disable":
        assert admin.post(f"/office/users/{_user('grid1').id}/enable").status_code == 302
        assert _works(_logged_in(app, "grid1"))
    else:
        assert _works(_logged_in(app, "grid1", "Orchid+Kettle-731"))


def test_a_user_changes_their_own_password_and_other_sessions_end(app, world):
    here = _logged_in(app, "grid1")
    elsewhere = _logged_in(app, "grid1")
    page = here.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.get_data(as_text=True)
    before = _user("grid1").password_hash

    def change(current, new, again=None):
        return here.post("/account/password", data={"current": current, "new": new, "again": again or new})

    wrong = change("not-my-password", "Orchid+Kettle-731")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    weak = change(PASSWORD, "password12")
    assert weak.status_code == 400 and "太常见" in weak.get_data(as_text=True)
    mismatch = change(PASSWORD, "Orchid+Kettle-731", "Orchid+Kettle-732")
    assert mismatch.status_code == 400 and "不一致" in mismatch.get_data(as_text=True)
    assert _user("grid1").password_hash == before and _works(elsewhere)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "password.wrong", AuditEvent.actor == "grid1")) == 1

    assert change(PASSWORD, "Orchid+Kettle-731").status_code == 302
    assert _works(here) and not _works(elsewhere)  # this browser goes on, the others end
    assert app.test_client().post("/login", data={"username": "grid1", "password": PASSWORD}).status_code == 401
    assert _works(_logged_in(app, "grid1", "Orchid+Kettle-731"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_changed"))
    assert event.actor == "grid1" and "Orchid" not in (event.after or "") + (event.before or "")


def test_changing_ones_password_needs_a_login(app, world):
    resp = app.test_client().get("/account/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_an_admin_cannot_disable_itself(app, world):
    client = _logged_in(app, "city")
    me = _user("city")
    assert client.post(f"/office/users/{me.id}/disable").status_code == 404
    assert _user("city").active and _works(client)


class Clock:
    def __init__(self):
        self.t = datetime(2026, 11, 30, 9, 0, 0)

    def __call__(self):
        return self.t

    def advance(self, **kw):
        self.t += timedelta(**kw)


@pytest.fixture
def frozen(monkeypatch):
    c = Clock()
    monkeypatch.setattr(clock, "now", c)
    return c


def test_a_staff_session_expires_when_idle(app, world, frozen):
    client = _logged_in(app, "street1")
    frozen.advance(minutes=59)
    assert _works(client)
    frozen.advance(minutes=59)  # used a minute ago: idle time counts from the last request
    assert _works(client)
    frozen.advance(minutes=61)
    assert not _works(client)
    assert _works(_logged_in(app, "street1"))


def test_a_staff_session_ends_after_its_lifetime_however_busy(app, world, frozen):
    client = _logged_in(app, "street1")
    for _step in range(14):  # a request every 50 minutes: never idle, 11 h 40 min in all
        frozen.advance(minutes=50)
        assert _works(client)
    frozen.advance(minutes=50)  # 12 h 30 min after the login
    assert not _works(client)


def test_a_residents_session_ends_after_a_few_hours(app, world, frozen):
    token = issue(world.campaign, households_of(world.k1)[0])
    client = app.test_client()
    assert client.get(f"/s/{token}").status_code == 302
    frozen.advance(hours=2, minutes=59)
    assert client.get("/s/").status_code == 200
    frozen.advance(minutes=2)
    resp = client.get("/s/")
    assert resp.status_code == 404 and "请扫描门牌上的二维码" in resp.get_data(as_text=True)
    assert client.get(f"/s/{token}").status_code == 302 and client.get("/s/").status_code == 200  # scan again


# ---------------------------------------------------------------- login limits

@pytest.fixture
def limited(tmp_path, ratelimit_storage):
    """An app whose login limits are on: 3 failures per username, 5 per address, per minute."""
    url = f"sqlite:///{tmp_path / 'logins.db'}"
    app = create_app(make_config(url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=ratelimit_storage,
                                 LOGIN_USER_RATE_LIMIT="3 per minute", LOGIN_RATE_LIMIT="5 per minute"))
    with app.app_context():
        db.create_all()
        build_world()
        limiter.reset()
        yield app
        limiter.reset()
        db.session.remove()
        db.engine.dispose()


def _attempt(app, username, password, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/login", data={"username": username, "password": password}).status_code


def test_guesses_at_one_account_from_many_addresses_are_limited_per_username(limited):
    app = limited
    assert [_attempt(app, "street1", "guess", f"203.0.113.{i}") for i in range(1, 5)] == [401, 401, 401, 429]
    # Other accounts, from the same addresses, are not locked out.
    assert _attempt(app, "street3", "guess", "203.0.113.1") == 401
    assert _attempt(app, "street3", PASSWORD, "203.0.113.2") == 302


def test_one_address_trying_many_accounts_is_limited_per_address(limited):
    app = limited
    codes = [_attempt(app, name, "guess", "198.51.100.9") for name in
             ("city", "district", "street1", "grid1", "street3", "company1")]
    assert codes == [401] * 5 + [429]
    assert _attempt(app, "company1", PASSWORD, "198.51.100.10") == 302  # everyone else logs in


def test_successful_logins_are_never_counted(limited):
    assert [_attempt(limited, "street1", PASSWORD, "198.51.100.20") for _ in range(8)] == [302] * 8


def test_failed_logins_are_security_events(app, world):
    assert app.test_client().post("/login", data={"username": "nobody", "password": "x"}).status_code == 401
    assert app.test_client().post("/login", data={"username": "street1", "password": "x"}).status_code == 401
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")
                                .order_by(AuditEvent.id)).all()
    assert [(e.category, e.target) for e in events] == [("security", "nobody"), ("security", "street1")]
    _logged_in(app, "street1")
    assert _user("street1").last_login_at is not None


# ---------------------------------------------------------------- grid workers in their grids

@pytest.fixture
def one_grid(app, world):
    """grid1 keeps only 一网格 (金色花园, world.k1); 二网格 is 碧水家园 (world.k2)."""
    grid1 = _user("grid1")
    grid1.grids = [g for g in grid1.grids if g.grid == "一网格"]
    db.session.commit()
    mine = db.session.scalar(select(Building).where(Building.compound_id == world.k1.id))
    theirs = db.session.scalar(select(Building).where(Building.compound_id == world.k2.id))
    return _logged_in(app, "grid1"), mine, theirs


def test_a_grid_worker_sees_only_its_grids(app, world, one_grid):
    client, mine, theirs = one_grid
    assert client.get(f"/office/buildings/{mine.id}").status_code == 200
    assert client.get(f"/office/buildings/{theirs.id}").status_code == 404
    assert client.get(f"/office/households/{households_of(world.k2)[0].id}").status_code == 404
    assert client.get(f"/office/compounds/{world.k2.id}").status_code == 404
    assert client.get(f"/office/compounds/{world.k1.id}").status_code == 200
    visits = client.get("/office/visits").get_data(as_text=True)
    assert "金色花园" in visits and "碧水家园" not in visits and "二网格" not in visits
    assert client.get(f"/office/visits?building={theirs.id}").get_data(as_text=True).count("碧水家园") == 0


def test_a_grid_worker_prints_and_assists_only_in_its_grids(app, world, one_grid):
    client, mine, theirs = one_grid
    other = households_of(world.k2)[0]
    assert client.get(f"/office/print/building/{theirs.id}").status_code == 404
    assert client.post(f"/office/print/building/{theirs.id}/pdf").status_code == 404
    assert client.get(f"/office/print/compound/{world.k2.id}").status_code == 404
    assert client.post(f"/office/buildings/{theirs.id}/labels").status_code == 404
    assert client.post(f"/office/households/{other.id}/code").status_code == 404
    assert client.get(f"/office/assist/{other.id}").status_code == 404
    assert client.post(f"/office/assist/{other.id}").status_code == 404
    # The street's print holds the worker's grid only: 40 households of 金色花园, not 碧水家园's 40.
    page = client.get(f"/office/print/street/{world.s1.id}").get_data(as_text=True)
    assert "共 40 户" in page and "共 80 户" not in page  # (a bare "80" may be in the form's random token)
    assert client.get(f"/office/assist/{households_of(world.k1)[0].id}").status_code == 200


def test_the_city_moves_an_account_to_another_district_with_the_form_as_shown(app, world):
    """The form shows every field; only the one the role needs counts (a stale district is ignored)."""
    client = _logged_in(app, "city")
    grid1 = _user("grid1")
    resp = client.post(f"/office/users/{grid1.id}", data={
        "role": "street", "district_id": world.east.id, "street_id": world.s3.id, "company_id": world.c1.id,
        "grids": "一网格"})
    assert resp.status_code == 302
    moved = _user("grid1")
    assert (moved.role, moved.district_id, moved.street_id, moved.company_id, moved.grid_names) == (
        "street", world.west.id, world.s3.id, None, [])


def test_a_grid_worker_does_not_import_rosters(app, world, one_grid):
    """A roster sets the buildings' grids, which decide what a grid worker sees."""
    client, _mine, _theirs = one_grid
    assert "/office/roster/" not in client.get("/office/visits").get_data(as_text=True)
    assert client.get("/office/roster/").status_code == 403
    assert client.post("/office/roster/", data={}).status_code == 403


@pytest.mark.parametrize("field", ["username", "display_name"])
def test_control_characters_in_names_are_refused(app, world, field):
    client = _logged_in(app, "street1")
    data = {"username": "gw-new", "role": "grid", "street_id": world.s1.id, "password": STRONG,
            field: "gw\x00new"}
    before = _count_users()
    resp = client.post("/office/users/new", data=data)
    assert resp.status_code == 400 and "控制字符" in resp.get_data(as_text=True)
    assert _count_users() == before


def test_odd_login_names_and_searches_are_plain_failures(app, world):
    for name in ("a\x00b", "\u202e\u0000", "' OR 1=1 --", "x" * 500):
        assert app.test_client().post("/login", data={"username": name, "password": "x"}).status_code in (400, 401)
    client = _logged_in(app, "city")
    assert client.get("/office/users/?q=%00%01abc").status_code == 200


def test_the_demo_grid_worker_works_in_two_grids_of_its_street(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    grid = _user("grid")
    assert len(grid.grid_names) == 2
    client = _logged_in(app, "grid", "demo12345")
    page = client.get("/office/visits").get_data(as_text=True)
    offered = set(re.findall(r'<option value="(第\d网格)"', page))
    assert offered == set(grid.grid_names)
