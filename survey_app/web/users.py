"""账户管理 (accounts): admins create, re-scope, disable, re-enable and reset the accounts of their
jurisdiction. Who manages whom is decided in `access`; the rules of an account in domain/users.py."""
from __future__ import annotations


from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from .. import access
from ..database import parses_first
from ..domain import users
from ..domain.paging import clamp
from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import Company, District, User
from .common import page_number, requires

bp = Blueprint("users", __name__, url_prefix="/office/users")
PAGE_SIZE = 50
SEARCH_MAX = 64
STATES = ("active", "disabled")


admin_required = requires(access.may_manage_users, _l("仅限管理员管理账户。"))


def _target(user_id: int) -> User:
    """An account the current user manages, else 404 (outsiders cannot tell it from none)."""
    return access.get_visible(current_user, User, user_id, _("没有这个账户，或不在您的管理范围内。"))


def _grids(raw: str) -> list[str]:
    """Grid labels as typed: separated by commas (either width), 、, semicolons or new lines."""
    for sep in ("，", "、", ";", "；", "\n"):
        raw = raw.replace(sep, ",")
    return [g.strip() for g in raw.split(",") if g.strip()]


def _posted() -> dict:
    f = request.form
    return {"username": f.get("username", ""), "display_name": f.get("display_name", ""),
            "role": f.get("role", ""), "district_id": f.get("district_id", ""), "street_id": f.get("street_id", ""),
            "company_id": f.get("company_id", ""), "grids": f.get("grids", "")}


def _place(values: dict) -> dict:
    """Only the jurisdiction field the chosen role needs (the form shows them all; the rest is ignored)."""
    needed = access.jurisdiction_of_role(values["role"])
    return {field: (values[field] or None) if field == needed else None
            for field in ("district_id", "street_id", "company_id")}


def _form(template: str, values: dict, error: str | None = None, status: int = 200, **extra):
    """The account form with its pickers: only the roles, streets, districts and companies the user
    may give an account."""
    city = access.may_place_outside_streets(current_user)
    streets = access.account_street_choices(current_user)
    return render_template(
        template, values=values, error=error, roles=access.role_choices(current_user), streets=streets,
        districts=db.session.execute(select(District.id, District.name).order_by(District.id)).all() if city else [],
        companies=db.session.execute(select(Company.id, Company.name).order_by(Company.name)).all() if city else [],
        grids_by_street=_grids_by_street(streets), **extra), status


def _grids_by_street(streets) -> list[tuple[str, list[str]]]:
    grids = users.grids_of_streets([sid for sid, _label in streets])
    return [(label, grids[sid]) for sid, label in streets]


@bp.get("/")
@admin_required
def index():
    """The accounts the user manages: searchable by username or name, filtered by role and state, paged."""
    q = "".join(ch for ch in request.args.get("q", "") if ch.isprintable()).strip()[:SEARCH_MAX]
    role = request.args.get("role", "")
    state = request.args.get("state", "")
    page = page_number()
    where = [access.users_clause(current_user)]
    if q:
        where.append(or_(User.username.contains(q, autoescape=True), User.display_name.contains(q, autoescape=True)))
    if role:
        where.append(access.account_role_clause(role))
    if state in STATES:
        where.append(User.active.is_(state == "active"))
    total = db.session.scalar(select(func.count()).select_from(User).where(*where)) or 0
    page, pages = clamp(total, page, PAGE_SIZE)
    rows = db.session.scalars(select(User).where(*where).order_by(User.username)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("users/index.html", users=rows, q=q, role_filter=role, state=state, page=page, pages=pages,
                           total=total, roles=access.role_choices(current_user))


@bp.get("/new")
@admin_required
def new():
    return _form("users/new.html", {})


@bp.post("/new")
@parses_first  # the password is checked and hashed before the write lock is taken (users.create_user)
@admin_required
def create():
    values = _posted()
    try:
        user = users.create_user(values["username"], values["role"], display_name=values["display_name"],
                                 password=request.form.get("password", ""), grids=_grids(values["grids"]),
                                 actor=current_user, **_place(values))
    except (Invalid, Conflict) as e:
        return _form("users/new.html", values, e.message, e.status)
    flash(_("已创建账户 %(username)s。", username=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.get("/<id:user_id>")
@admin_required
def edit(user_id: int):
    target = _target(user_id)
    values = target.snapshot()
    values["grids"] = "，".join(values["grids"])
    return _form("users/edit.html", values, target=target)


@bp.post("/<id:user_id>")
@admin_required
def update(user_id: int):
    target = _target(user_id)
    values = _posted()
    try:
        users.update_user(target, role=values["role"], display_name=values["display_name"],
                          grids=_grids(values["grids"]), actor=current_user, **_place(values))
    except Invalid as e:
        values["username"] = target.username
        return _form("users/edit.html", values, e.message, e.status, target=target)
    flash(_("已保存账户 %(username)s。", username=target.username), "success")
    return redirect(url_for(".edit", user_id=target.id))


@bp.post("/<id:user_id>/disable")
@admin_required
def disable(user_id: int):
    target = users.disable_user(_target(user_id), actor=current_user)
    flash(_("已停用账户 %(username)s，其登录已全部失效。", username=target.username), "success")
    return redirect(url_for(".edit", user_id=target.id))


@bp.post("/<id:user_id>/enable")
@admin_required
def enable(user_id: int):
    target = users.enable_user(_target(user_id), actor=current_user)
    flash(_("已重新启用账户 %(username)s。", username=target.username), "success")
    return redirect(url_for(".edit", user_id=target.id))


@bp.post("/<id:user_id>/password")
@parses_first  # the password is checked and hashed before the write lock is taken (users._set_password)
@admin_required
def password(user_id: int):
    target = _target(user_id)
    try:
        users.reset_password(target, request.form.get("password", ""), actor=current_user)
    except Invalid as e:
        values = target.snapshot()
        values["grids"] = "，".join(values["grids"])
        return _form("users/edit.html", values, e.message, e.status, target=target, password_error=True)
    flash(_("已重设账户 %(username)s 的密码，其登录已全部失效。", username=target.username), "success")
    return redirect(url_for(".edit", user_id=target.id))
