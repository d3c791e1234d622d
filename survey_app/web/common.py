"""Small helpers the views share: the campaign and area in view, audience guards, file responses."""
from functools import wraps
from urllib.parse import quote

from flask import Response as FlaskResponse, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import access
from ..access import Area
from ..database import parse_id
from ..domain.campaigns.lifecycle import default_campaign
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Campaign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def arg_id(name: str) -> int | None:
    """An optional id from the query string: None when absent.

    :raise Invalid: when present but not an id.
    """
    raw = request.args.get(name, "")
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise Invalid(_("参数「%(name)s」无效。", name=name))
    return value


def page_number() -> int:
    """The page a list asks for (?page=), 1 when absent. :raise Invalid: not a page number."""
    raw = request.args.get("page", "")
    if not raw:
        return 1
    number = parse_id(raw)
    if number is None:
        raise Invalid(_("页码无效。"))
    return number


def campaign_in_view() -> Campaign:
    """The campaign named by ?campaign= (within the user's view), else the default one.

    :raise Invalid: malformed id. :raise NotFound: no such campaign in the user's view, or none at all.
    """
    ident = arg_id("campaign")
    if ident is not None:
        return access.get_visible(current_user, Campaign, ident, _("没有这个测评活动，或不在您的权限范围内。"))
    c = default_campaign(access.campaign_clause(current_user))
    if c is None:
        raise NotFound(_("还没有测评活动。"))
    return c


def all_campaigns() -> list[Campaign]:
    """The campaigns the user may pick from, newest first."""
    return db.session.scalars(select(Campaign).where(access.campaign_clause(current_user))
                              .order_by(Campaign.id.desc())).all()


def area_in_view() -> Area:
    """The area named by ?area= (within the user's jurisdiction), else the user's own."""
    raw = request.args.get("area", "")
    if not raw:
        return access.seen_area(current_user)
    return access.require_area(current_user, Area.parse(raw))


def requires(decision, message):
    """A view decorator: log in first, then `decision(current_user)` (an `access.may_*`) or 403 with
    the message (a lazy string, shown in the user's language)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not decision(current_user):
                raise Forbidden(str(message))
            return view(*args, **kwargs)
        return wrapper
    return decorator


officer_required = requires(access.may_see_officer_pages, _l("仅限街道及以上工作人员。"))
company_required = requires(access.may_see_company_pages, _l("仅限物业服务企业用户。"))


def home_for(user) -> str:
    """Where a user lands after logging in."""
    return url_for("company.home") if access.may_see_company_pages(user) else url_for("office.participation")


def moved(endpoint: str, **values):
    """A permanent redirect from an old address (bookmarks), keeping the query string."""
    return redirect(url_for(endpoint, **values, **request.args.to_dict()), 308)


def xlsx_response(data: bytes, filename: str) -> FlaskResponse:
    resp = FlaskResponse(data, mimetype=XLSX)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return resp
