"""Small helpers the views share: the campaign in view, role guards, file responses."""
from functools import wraps

from flask import Response as FlaskResponse, abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..models import Campaign
from . import MAX_ID

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def campaign_in_view() -> Campaign:
    """The campaign named by ?campaign=, else the newest open one, else the newest."""
    raw = request.args.get("campaign", "")
    if raw:
        if not raw.isdigit() or int(raw) > MAX_ID:
            abort(400, "活动编号无效。")
        c = db.session.get(Campaign, int(raw))
        if c is None:
            abort(404, "没有这个测评活动。")
        return c
    # An open campaign first, then a closed one with figures; a draft only when there is nothing else.
    c = db.session.scalar(select(Campaign).order_by((Campaign.status == "open").desc(),
                                                    (Campaign.status == "closed").desc(), Campaign.id.desc()))
    if c is None:
        abort(404, "还没有测评活动。")
    return c


def all_campaigns() -> list[Campaign]:
    return db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()


def officer_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        access.require_officer(current_user)
        return view(*args, **kwargs)
    return wrapper


def company_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != "company":
            abort(403, "仅限物业服务企业用户。")
        return view(*args, **kwargs)
    return wrapper


def xlsx_response(data: bytes, filename: str) -> FlaskResponse:
    from urllib.parse import quote

    resp = FlaskResponse(data, mimetype=XLSX)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return resp


def advance_rectification(item_id: int, status: str, actor: str):
    """Move a rectification item the user may see to `status` and commit; 404 outside the user's scope,
    400/409 with the reason when the step is refused."""
    from ..domain import rectification
    from ..models import RectificationItem

    item = db.session.scalar(select(RectificationItem).where(RectificationItem.id == item_id,
                                                             access.rectification_clause(current_user)))
    if item is None:
        abort(404)
    try:
        rectification.advance(item, status, actor)
    except rectification.StepRefused as e:
        db.session.rollback()
        abort(e.status, str(e))
    db.session.commit()
    return item
