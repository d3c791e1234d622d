"""Staff accounts: every rule `create_user` refuses by, and the account it adds (uncommitted); the
password rule; who may manage whose account; disabling, re-enabling, resetting and re-scoping, each
audited and ending the account's sessions where it must; logging in."""
import json

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from survey_app import access
from survey_app.access import jurisdiction_of_role
from survey_app.domain import users
from survey_app.domain.users import (authenticate, create_user, disable_user, enable_user, reset_password,
                                     update_user)
from survey_app.errors import Conflict, Forbidden, Invalid
from survey_app.models import AuditEvent, User
from survey_app.models import users as user_model
from survey_app.models.users import ROLES

STRONG = "Lantern-Pebble-42"  # long and irregular enough for the password rule


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_every_role_has_a_known_jurisdiction():
    assert {r: jurisdiction_of_role(r) for r in ROLES} == {
        "city": None, "district": "district_id", "street": "street_id", "grid": "street_id",
        "company": "company_id"}


def test_creates_accounts_of_each_role_without_committing(world, db):
    before = _count(db)
    city = create_user(" boss ", "city", password=STRONG)
    assert city.username == "boss" and city.display_name == "boss" and city.check_password(STRONG)
    district = create_user("east", "district", display_name="东城区管理员", district_id=world.east.id,
                           password=STRONG)
    assert district.district_id == world.east.id and district.display_name == "东城区管理员"
    grid = create_user("grid9", "grid", street_id=world.s3.id, password=STRONG)
    assert grid.street_id == world.s3.id and grid.district_id == world.west.id  # the street's district
    company = create_user("firm3", "company", company_id=world.c3.id, password=STRONG)
    assert company.company_id == world.c3.id
    assert all(u in db.session for u in (city, district, grid, company))
    db.session.rollback()
    assert _count(db) == before  # the caller commits, not create_user


@pytest.mark.parametrize("username, message", [
    ("", "用户名不能为空"),
    ("   ", "用户名不能为空"),
    ("x" * 65, "不能超过 64 个字符"),
])
def test_refuses_an_empty_or_too_long_username(world, db, username, message):
    with pytest.raises(Invalid, match=message):
        create_user(username, "city", password=STRONG)
    assert not db.session.new


def test_a_username_of_64_characters_is_accepted(world, db):
    assert create_user("x" * 64, "city", password=STRONG).username == "x" * 64


def test_refuses_a_too_long_name_and_an_empty_password(world, db):
    with pytest.raises(Invalid, match="姓名不能超过"):
        create_user("someone", "city", display_name="名" * 65, password=STRONG)
    with pytest.raises(Invalid, match="密码不能为空"):
        create_user("someone", "city", password="")


def test_refuses_an_unknown_role(world, db):
    with pytest.raises(Invalid, match="没有角色 admin") as e:
        create_user("someone", "admin", password=STRONG)
    assert e.value.status == 400


@pytest.mark.parametrize("role, what", [("district", "区"), ("street", "街道"), ("grid", "街道"),
                                        ("company", "物业企业")])
def test_refuses_a_role_without_the_jurisdiction_it_needs(world, db, role, what):
    with pytest.raises(Invalid, match=f"角色 {role} 需要指定所属{what}"):
        create_user("someone", role, password=STRONG)
    assert not db.session.new


@pytest.mark.parametrize("field, what", [("district_id", "区"), ("street_id", "街道"), ("company_id", "物业企业")])
@pytest.mark.parametrize("ident", [999, 0, -1, 2**31])
def test_refuses_a_jurisdiction_that_does_not_exist(world, db, field, what, ident):
    role = {"district_id": "district", "street_id": "street", "company_id": "company"}[field]
    with pytest.raises(Invalid, match=f"没有编号为 {ident} 的{what}"):
        create_user("someone", role, password=STRONG, **{field: ident})
    assert not db.session.new


def test_refuses_a_street_outside_the_given_district(world, db):
    with pytest.raises(Invalid, match="不在编号为"):
        create_user("someone", "street", street_id=world.s3.id, district_id=world.east.id, password=STRONG)
    ok = create_user("someone", "street", street_id=world.s1.id, district_id=world.east.id, password=STRONG)
    assert ok.district_id == world.east.id


def test_refuses_a_username_taken(world, db):
    with pytest.raises(Conflict, match="用户名 city 已存在") as e:
        create_user("city", "city", password=STRONG)
    assert e.value.status == 409
    assert not db.session.new


# ---------------------------------------------------------------- the password rule

@pytest.mark.parametrize("password, message", [
    ("Ab3$xyz", "至少需要 10 个字符"),
    ("password1234", "太常见"),
    ("qwertyuiop", "太常见"),
    ("1234567890", "太常见"),
    ("aaaaaaaaaaaa", "太常见"),
    ("iloveyou2026", "太常见"),
    ("someone-Kettle-731", "不能包含用户名"),
    ("SOMEONE1234567", "不能包含用户名"),
])
def test_weak_passwords_are_refused(world, db, password, message):
    with pytest.raises(Invalid, match=message):
        create_user("someone", "city", password=password)
    assert not db.session.new


def test_the_password_is_hashed_with_a_current_slow_hash(world, db):
    user = create_user("someone", "city", password=STRONG)
    assert user.password_hash.startswith("scrypt:") and STRONG not in user.password_hash
    assert user.password_changed_at is not None and user.created_at is not None


# ---------------------------------------------------------------- who manages whom

def _u(db, name):
    return db.session.scalar(select(User).where(User.username == name))


@pytest.mark.parametrize("actor, role, place, allowed", [
    ("city", "city", {}, True),
    ("city", "district", {"district_id": "west"}, True),
    ("city", "company", {"company_id": "c3"}, True),
    ("city", "grid", {"street_id": "s3"}, True),
    ("district", "street", {"street_id": "s2"}, True),
    ("district", "grid", {"street_id": "s1"}, True),
    ("district", "street", {"street_id": "s3"}, False),  # another district's street
    ("district", "district", {"district_id": "east"}, False),
    ("district", "company", {"company_id": "c1"}, False),
    ("district", "city", {}, False),
    ("street1", "grid", {"street_id": "s1"}, True),
    ("street1", "grid", {"street_id": "s2"}, False),  # a neighbouring street
    ("street1", "street", {"street_id": "s1"}, False),
    ("grid1", "grid", {"street_id": "s1"}, False),
    ("company1", "company", {"company_id": "c1"}, False),
])
def test_who_may_create_which_account(world, db, actor, role, place, allowed):
    kw = {k: getattr(world, v).id for k, v in place.items()}
    if allowed:
        user = create_user("someone", role, password=STRONG, actor=_u(db, actor), **kw)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
        assert event.actor == actor and json.loads(event.after)["role"] == role
        assert "password" not in event.after and user.password_hash not in event.after
    else:
        with pytest.raises(Forbidden):
            create_user("someone", role, password=STRONG, actor=_u(db, actor), **kw)
        assert not db.session.new


@pytest.mark.parametrize("actor, managed", [
    ("city", {"district", "street1", "grid1", "street3", "company1", "company2"}),
    ("district", {"street1", "grid1"}),
    ("street1", {"grid1"}),
    ("street3", set()),
    ("grid1", set()),
    ("company1", set()),
])
def test_each_admin_manages_exactly_the_accounts_of_its_jurisdiction(world, db, actor, managed):
    me = _u(db, actor)
    everyone = db.session.scalars(select(User)).all()
    assert {u.username for u in everyone if access.may_manage_user(me, u)} == managed
    listed = db.session.scalars(select(User).where(access.users_clause(me))).all()
    assert {u.username for u in listed} == managed  # the list and the rule agree; nobody lists themselves


def test_nobody_disables_or_demotes_themselves(world, db):
    city = _u(db, "city")
    with pytest.raises(Forbidden):
        disable_user(city, actor=city)
    with pytest.raises(Forbidden):
        update_user(city, role="street", street_id=world.s1.id, actor=city)
    assert city.active and city.role == "city"


# ---------------------------------------------------------------- disabling, resetting, re-scoping

def test_disable_enable_and_reset_end_sessions_and_are_audited(world, db):
    grid, street = _u(db, "grid1"), _u(db, "street1")
    v = grid.session_version
    disable_user(grid, actor=street)
    assert not grid.active and not grid.is_active and grid.session_version == v + 1
    with pytest.raises(Conflict):
        disable_user(grid, actor=street)
    enable_user(grid, actor=street)
    assert grid.active and grid.session_version == v + 1
    with pytest.raises(Conflict):
        enable_user(grid, actor=street)
    db.session.commit()  # each its own request: a new password's hash is made before the write lock
    with pytest.raises(Invalid, match="太常见"):
        reset_password(grid, "password1234", actor=street)
    reset_password(grid, "Orchid+Kettle-731", actor=street)
    assert grid.check_password("Orchid+Kettle-731") and grid.session_version == v + 2
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["user.disabled", "user.enabled", "user.password_reset"]
    assert json.loads(events[0].before)["active"] is True and json.loads(events[0].after)["active"] is False
    assert all(e.actor == "street1" and e.street_id == world.s1.id for e in events)
    assert not any("Orchid" in (e.before or "") + (e.after or "") + e.detail for e in events)


def test_an_admin_outside_the_jurisdiction_changes_nothing(world, db):
    grid, street3 = _u(db, "grid1"), _u(db, "street3")
    for step in (lambda: disable_user(grid, actor=street3), lambda: reset_password(grid, STRONG, actor=street3),
                 lambda: update_user(grid, role="grid", street_id=world.s3.id, actor=street3)):
        with pytest.raises(Forbidden):
            step()
    assert grid.active and grid.street_id == world.s1.id and grid.check_password("pw-123456")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_rescoping_moves_an_account_within_the_admins_jurisdiction(world, db):
    district, grid = _u(db, "district"), _u(db, "grid1")
    v = grid.session_version
    update_user(grid, role="grid", display_name="网格员一", street_id=world.s1.id, grids=["一网格"], actor=district)
    assert grid.grid_names == ["一网格"] and grid.display_name == "网格员一"
    assert grid.session_version == v  # same jurisdiction: the session goes on
    update_user(grid, role="street", street_id=world.s2.id, actor=district)
    assert (grid.role, grid.street_id, grid.district_id, grid.grid_names) == ("street", world.s2.id, world.east.id, [])
    assert grid.session_version == v + 1  # a new jurisdiction needs a new login
    with pytest.raises(Forbidden):  # out of the district
        update_user(grid, role="street", street_id=world.s3.id, actor=district)
    with pytest.raises(Forbidden):  # a street admin cannot make a street admin
        update_user(_u(db, "grid1"), role="grid", street_id=world.s1.id, actor=_u(db, "street1"))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated")).all()
    assert json.loads(events[-1].before)["grids"] == ["一网格"] and json.loads(events[-1].after)["role"] == "street"


def test_grids_must_be_grids_of_the_street(world, db):
    with pytest.raises(Invalid, match="该街道没有网格：九网格"):
        create_user("someone", "grid", street_id=world.s1.id, grids=["一网格", "九网格"], password=STRONG)
    with pytest.raises(Invalid, match="该街道没有网格"):  # 二网格 is in 文化路街道, not 龙山路街道
        create_user("someone", "grid", street_id=world.s3.id, grids=["二网格"], password=STRONG)
    user = create_user("someone", "grid", street_id=world.s1.id, grids=[" 二网格", "一网格", "一网格"], password=STRONG)
    assert user.grid_names == ["一网格", "二网格"]


# ---------------------------------------------------------------- logging in

def test_every_login_attempt_costs_one_password_check_whether_or_not_the_name_exists(world, db, app, monkeypatch):
    checked = []

    def counting(real):
        def check(pwhash, password):
            checked.append(pwhash)
            return real(pwhash, password)
        return check
    monkeypatch.setattr(users, "check_password_hash", counting(users.check_password_hash))
    monkeypatch.setattr(user_model, "check_password_hash", counting(user_model.check_password_hash))
    with app.test_request_context("/login", method="POST"):
        assert authenticate("nobody-by-this-name", "whatever-guess") is None
        assert checked == [users._dummy_hash()]
        assert authenticate("street1", "whatever-guess") is None
        assert len(checked) == 2 and checked[1] == _u(db, "street1").password_hash
    # The dummy hash is of the same kind and cost as a real one.
    assert users._dummy_hash().split("$")[0] == _u(db, "street1").password_hash.split("$")[0]


def test_a_disabled_account_cannot_log_in_and_a_login_is_recorded(world, db, app):
    grid = _u(db, "grid1")
    with app.test_request_context("/login", method="POST"):
        assert authenticate(" grid1 ", "pw-123456") is grid and grid.last_login_at is not None
        disable_user(grid)
        assert authenticate("grid1", "pw-123456") is None


def test_a_password_hashed_the_old_way_is_rehashed_at_login(world, db, app):
    grid = _u(db, "grid1")
    grid.password_hash = generate_password_hash("pw-123456", method="pbkdf2:sha256:1000")
    db.session.commit()  # stored earlier: a login's request begins with nothing written
    with app.test_request_context("/login", method="POST"):
        assert authenticate("grid1", "pw-123456") is grid
    assert grid.password_hash.startswith("scrypt:") and grid.check_password("pw-123456")
