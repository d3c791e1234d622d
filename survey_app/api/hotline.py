"""The one write endpoint: a 12345 hotline work order becomes (or joins) a rectification item.

Idempotent on the work order id: sending it again returns the item it became or joined (200)
instead of a second one (201 the first time).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import case, select

from .. import access
from ..domain.clock import now
from ..domain.rectification.rules import hotline_item, raise_hotline
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Campaign, Compound
from . import schemas
from .blueprint import bp, client, errors_documented, visible_campaign
from .conventions import to_city_time
from .reads import item_out


def campaign_for(compound: Compound, campaign_id: int | None) -> Campaign:
    """The round the case belongs to: the one named, or the latest (open ones first) covering the compound.

    :raise NotFound: the named campaign is not one the client may read.
    :raise Invalid: the named campaign does not cover the compound.
    :raise Conflict: no campaign covers the compound.
    """
    covers = lambda c: select(Compound.id).where(Compound.id == compound.id, access.scope_of(c).compound_clause())  # noqa: E731
    if campaign_id is not None:
        campaign = visible_campaign(campaign_id)
        if db.session.scalar(covers(campaign)) is None:
            raise Invalid(_("该测评活动不覆盖这个小区。"), status=422)
        return campaign
    candidates = db.session.scalars(
        select(Campaign).where(Campaign.status != "draft", Campaign.opens_at <= now())
        .order_by(case((Campaign.status == "open", 0), else_=1), Campaign.opens_at.desc(), Campaign.id.desc())).all()
    for campaign in candidates:
        if db.session.scalar(covers(campaign)) is not None:
            return campaign
    raise Conflict(_("没有覆盖这个小区的测评活动，工单无法登记为整改事项。"))


@bp.route("/hotline-cases", methods=["POST"])
@bp.arguments(schemas.HotlineCase, location="json", error_status_code=422)
@bp.response(201, schemas.HotlineResult, description="新的整改事项，或工单并入了已有事项（created, or joined an item）")
@bp.alt_response(200, schema=schemas.HotlineResult, description="该工单已登记过：原样返回（already received）")
@errors_documented(400, 404, 409, 422)
def hotline_case(case_in):
    """12345 热线工单 — a hotline work order about a compound's property service becomes a
    rectification item with source "hotline" (or new evidence of the compound's item of that
    category). Needs a client with write rights whose scope holds the compound."""
    api_client = client()
    if not access.api_may_write(api_client):
        raise Forbidden(_("该接口客户端只有读取权限，不能提交工单。"))
    ref = case_in["work_order_id"]
    today = now().date()
    existing = hotline_item(ref)
    if existing is not None:
        if not access.api_may_see_compound(api_client, existing.compound_id):
            raise Conflict(_("该工单号已被其他范围的工单使用。"))
        return {"work_order_id": ref, "joined": existing.external_ref != ref, "item": item_out(existing, today)}, 200
    compound = db.session.get(Compound, case_in["compound_id"])
    if compound is None:
        raise NotFound(_("没有这个小区。"))
    if not access.api_may_see_compound(api_client, compound.id):
        raise Forbidden(_("该小区不在接口客户端的范围内。"))
    campaign = campaign_for(compound, case_in.get("campaign_id"))
    item, joined = raise_hotline(campaign, compound, case_in["category"], case_in["text"], ref,
                                 to_city_time(case_in["received_at"]), actor=f"api:{api_client.name}"[:64])
    db.session.flush()
    return {"work_order_id": ref, "joined": joined, "item": item_out(item, today)}, 201
