"""The /api/v1/ blueprint the routes of `reads` and `hotline` are declared on, and what every route
shares: the client of the request, the campaign it may read, the area it asks for."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import access
from ..access import Area
from ..errors import NotFound
from ..extensions import db
from ..models import Campaign
from . import schemas
from .auth import current_client
from .problems import TITLES

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1",
               description="城市“一网统管”平台接口：排名、参评、维度、整改（read）与 12345 热线工单（write）")

# Headers of every successful read (documented on each read route).
READ_HEADERS = {
    "ETag": {"description": "响应体的哈希；以 If-None-Match 发回，未变化时返回 304（hash of the body）",
             "schema": {"type": "string"}},
    "Link": {"description": '下一页：<url>; rel="next"（lists only, when there is a next page）',
             "schema": {"type": "string"}},
}
# Errors every authenticated route may answer with (documented once per route).
COMMON_ERRORS = (401, 403, 429)


def client():
    """The API client of this request (api.auth found it by its token)."""
    return current_client()


def visible_campaign(campaign_id: int) -> Campaign:
    """A campaign the client may read (not a draft, its scope meeting the client's area).

    :raise NotFound: no such campaign, or none the client may read (not told apart)."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.id == campaign_id, Campaign.status != "draft",
                                                        access.api_campaign_clause(client())))
    if campaign is None:
        raise NotFound(_("没有这个测评活动，或不在您的范围内。"))
    return campaign


def area_of(args: dict) -> Area:
    """The area the request asks for (?area=), checked against the client's scope."""
    raw = args.get("area")
    return access.api_read_area(client(), Area.parse(raw) if raw else None)


def area_out(area: Area) -> dict:
    """An area as the API writes it."""
    return {"level": area.level, "id": area.id, "name": str(area.name())}


def errors_documented(*statuses: int):
    """Document problem responses of the route (application/problem+json)."""
    def decorator(view):
        for status in sorted(set(statuses) | set(COMMON_ERRORS)):
            view = bp.alt_response(status, schema=schemas.Problem, content_type="application/problem+json",
                                   description=schemas_title(status))(view)
        return view
    return decorator


def schemas_title(status: int) -> str:
    """The English title of a problem status, as the document's description of it."""
    return TITLES.get(status, ("", "", "Error"))[2]
