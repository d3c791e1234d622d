"""Staff accounts: the rules a new account must meet (`flask user create` and any page that adds users).

A role's jurisdiction (a district, a street, a company) is a role decision and comes from
`access.jurisdiction_of_role`. Nothing here commits: the caller does, once it has succeeded.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from .. import access
from ..database import parse_id
from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import Company, District, Street, User
from ..models.users import ROLES

USERNAME_MAX = 64  # users.username
DISPLAY_NAME_MAX = 64  # users.display_name


def _jurisdictions():
    """Per jurisdiction field: its model and the word for it in a message."""
    return {"district_id": (District, _("区")), "street_id": (Street, _("街道")), "company_id": (Company, _("物业企业"))}


def create_user(username: str, role: str, *, display_name: str = "", district_id: int | None = None,
                street_id: int | None = None, company_id: int | None = None, password: str) -> User:
    """A new staff account, added to the session (not committed).

    A street or grid account takes its district from its street.

    :raise Invalid: empty or too long username or name, no password, unknown role, a role without
        the district, street or company it needs, or an id of one that does not exist.
    :raise Conflict: the username is taken.
    """
    username = (username or "").strip()
    display_name = (display_name or "").strip() or username
    if not username:
        raise Invalid(_("用户名不能为空。"))
    if len(username) > USERNAME_MAX:
        raise Invalid(_("用户名不能超过 %(n)s 个字符。", n=USERNAME_MAX))
    if len(display_name) > DISPLAY_NAME_MAX:
        raise Invalid(_("姓名不能超过 %(n)s 个字符。", n=DISPLAY_NAME_MAX))
    if not password:
        raise Invalid(_("密码不能为空。"))
    if role not in ROLES:
        raise Invalid(_("没有角色 %(role)s；可用的角色：%(roles)s。", role=role, roles="、".join(ROLES)))

    kinds = _jurisdictions()
    given = {"district_id": district_id, "street_id": street_id, "company_id": company_id}
    needed = access.jurisdiction_of_role(role)
    if needed is not None and given[needed] is None:
        raise Invalid(_("角色 %(role)s 需要指定所属%(what)s。", role=role, what=kinds[needed][1]))
    found = {}
    for field, ident in given.items():
        if ident is None:
            continue
        model, what = kinds[field]
        pk = parse_id(ident)
        found[field] = db.session.get(model, pk) if pk is not None else None
        if found[field] is None:
            raise Invalid(_("没有编号为 %(id)s 的%(what)s。", id=ident, what=what))
        given[field] = pk

    street = found.get("street_id")
    if street is not None and needed == "street_id":
        if given["district_id"] not in (None, street.district_id):
            raise Invalid(_("街道 %(street)s 不在编号为 %(id)s 的区内。", street=street.name, id=given["district_id"]))
        given["district_id"] = street.district_id

    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("用户名 %(username)s 已存在。", username=username))
    user = User(username=username, role=role, display_name=display_name, **given)
    user.set_password(password)
    db.session.add(user)
    return user
