"""Staff accounts: every rule `create_user` refuses by, and the account it adds (uncommitted)."""
import pytest
from sqlalchemy import func, select

from survey_app.access import jurisdiction_of_role
from survey_app.domain.users import create_user
from survey_app.errors import Conflict, Invalid
from survey_app.models import User
from survey_app.models.users import ROLES


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_every_role_has_a_known_jurisdiction():
    assert {r: jurisdiction_of_role(r) for r in ROLES} == {
        "city": None, "district": "district_id", "street": "street_id", "grid": "street_id",
        "company": "company_id"}


def test_creates_accounts_of_each_role_without_committing(world, db):
    before = _count(db)
    city = create_user(" boss ", "city", password="pw-123456")
    assert city.username == "boss" and city.display_name == "boss" and city.check_password("pw-123456")
    district = create_user("east", "district", display_name="东城区管理员", district_id=world.east.id,
                           password="pw-123456")
    assert district.district_id == world.east.id and district.display_name == "东城区管理员"
    grid = create_user("grid9", "grid", street_id=world.s3.id, password="pw-123456")
    assert grid.street_id == world.s3.id and grid.district_id == world.west.id  # the street's district
    company = create_user("firm3", "company", company_id=world.c3.id, password="pw-123456")
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
        create_user(username, "city", password="pw-123456")
    assert not db.session.new


def test_a_username_of_64_characters_is_accepted(world, db):
    assert create_user("x" * 64, "city", password="pw-123456").username == "x" * 64


def test_refuses_a_too_long_name_and_an_empty_password(world, db):
    with pytest.raises(Invalid, match="姓名不能超过"):
        create_user("someone", "city", display_name="名" * 65, password="pw-123456")
    with pytest.raises(Invalid, match="密码不能为空"):
        create_user("someone", "city", password="")


def test_refuses_an_unknown_role(world, db):
    with pytest.raises(Invalid, match="没有角色 admin") as e:
        create_user("someone", "admin", password="pw-123456")
    assert e.value.status == 400


@pytest.mark.parametrize("role, what", [("district", "区"), ("street", "街道"), ("grid", "街道"),
                                        ("company", "物业企业")])
def test_refuses_a_role_without_the_jurisdiction_it_needs(world, db, role, what):
    with pytest.raises(Invalid, match=f"角色 {role} 需要指定所属{what}"):
        create_user("someone", role, password="pw-123456")
    assert not db.session.new


@pytest.mark.parametrize("field, what", [("district_id", "区"), ("street_id", "街道"), ("company_id", "物业企业")])
@pytest.mark.parametrize("ident", [999, 0, -1, 2**31])
def test_refuses_a_jurisdiction_that_does_not_exist(world, db, field, what, ident):
    role = {"district_id": "district", "street_id": "street", "company_id": "company"}[field]
    with pytest.raises(Invalid, match=f"没有编号为 {ident} 的{what}"):
        create_user("someone", role, password="pw-123456", **{field: ident})
    assert not db.session.new


def test_refuses_a_street_outside_the_given_district(world, db):
    with pytest.raises(Invalid, match="不在编号为"):
        create_user("someone", "street", street_id=world.s3.id, district_id=world.east.id, password="pw-123456")
    ok = create_user("someone", "street", street_id=world.s1.id, district_id=world.east.id, password="pw-123456")
    assert ok.district_id == world.east.id


def test_refuses_a_username_taken(world, db):
    with pytest.raises(Conflict, match="用户名 city 已存在") as e:
        create_user("city", "city", password="pw-123456")
    assert e.value.status == 409
    assert not db.session.new
