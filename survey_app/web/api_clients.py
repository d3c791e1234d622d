"""接口客户端 (API clients): a city admin lists the systems that may call /api/v1/, creates one with
a scope, rights and a rate limit (its token is shown once, on the page the creation returns, never
again), and revokes one. Who may is `access.may_manage_api_clients`; the rules are in
survey_app/api/clients.py."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import Area
from ..api import clients
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import ApiClient
from .common import requires

bp = Blueprint("api_clients", __name__, url_prefix="/office/api-clients")

admin_required = requires(access.may_manage_api_clients, _l("仅限市级管理员管理接口客户端。"))


def _client(client_id: int) -> ApiClient:
    """:raise NotFound: no such client."""
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise NotFound(_("没有这个接口客户端。"))
    return client


def _form(values: dict, error: str | None = None, status: int = 200):
    return render_template("api_clients/new.html", values=values, error=error,
                           scopes=access.api_client_choices(current_user),
                           default_limit=current_app.config["API_RATE_LIMIT"]), status


@bp.get("/")
@admin_required
def index():
    """Every client, live ones first, newest first: scope, rights, limit, creation, last use, revocation."""
    rows = db.session.scalars(select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.id.desc())).all()
    return render_template("api_clients/index.html", clients=rows, default_limit=current_app.config["API_RATE_LIMIT"])


@bp.get("/new")
@admin_required
def new():
    return _form({"scope": "city:", "rights": "read"})


@bp.post("/new")
@admin_required
def create():
    """Create the client and show its token, this once (the page is not kept by the browser)."""
    f = request.form
    values = {"name": f.get("name", ""), "scope": f.get("scope", ""), "rights": f.get("rights", "read"),
              "rate_limit": f.get("rate_limit", "")}
    try:
        if values["rights"] not in ("read", "write"):
            raise Invalid(_("请选择“只读”或“读写”。"))
        client, token = clients.create(current_user, values["name"], Area.parse(values["scope"]),
                                       can_write=values["rights"] == "write", rate_limit=values["rate_limit"])
    except (Invalid, NotFound) as e:
        return _form(values, e.message, 400)
    resp = current_app.make_response(render_template("api_clients/created.html", client=client, token=token))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/<id:client_id>/revoke")
@admin_required
def revoke_form(client_id: int):
    """Ask before revoking: the page names the client and posts the revocation with a ticked box."""
    return render_template("api_clients/revoke.html", client=_client(client_id))


@bp.post("/<id:client_id>/revoke")
@admin_required
def revoke(client_id: int):
    client = _client(client_id)
    if request.form.get("confirm") != "yes":
        return render_template("api_clients/revoke.html", client=client,
                               error=_("吊销后该令牌立即失效，不能恢复：请勾选确认后再吊销。")), 400
    try:
        clients.revoke(current_user, client)
    except Conflict as e:
        flash(e.message, "warning")
        return redirect(url_for(".index"))
    flash(_("已吊销接口客户端「%(name)s」，其令牌立即失效。", name=client.name), "success")
    return redirect(url_for(".index"))
