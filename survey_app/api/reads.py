"""Read endpoints: campaigns and questionnaires, company rankings, coverage, dimension figures,
rectification items and the loop's rates, for the client's area or a district or street inside it.

Every figure comes from the domain function the page showing it calls (published responses only,
never `include_held`); a group under MIN_GROUP responses reads null with the pages' reason.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..access import Area
from ..domain.clock import now
from ..domain.rectification import listing
from ..domain.rectification.rates import LoopRates, loop_rates, start_days, totals
from ..domain.rectification.rules import categories
from ..domain.stats.aggregates import AreaSums, dimension_stats
from ..domain.stats.privacy import WITHHELD
from ..domain.stats.reports import company_ranking, compounds_overview, coverage_of
from ..extensions import db
from ..models import Campaign, Community, Company, Compound, District, RectificationItem, Street
from . import schemas
from .blueprint import READ_HEADERS, area_of, area_out, bp, client, errors_documented, visible_campaign
from .conventions import page_meta, page_of
from .. import access

LOOP_FIELDS = tuple(schemas.LoopFigures._declared_fields)  # read once: a schema instance copies its fields
_MODELS = {"compound": Compound, "company": Company, "community": Community, "street": Street, "district": District}


def unit_names(level: str, ids) -> dict:
    """{id: name} of units of a level."""
    ids = [i for i in ids if i is not None]
    if level not in _MODELS or not ids:
        return {}
    model = _MODELS[level]
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def unit(level: str, key, name, area: Area) -> dict:
    """A unit as the API writes it; the level "city" is the area asked for as a whole."""
    if level == "city":
        return area_out(area)
    return {"level": level, "id": key, "name": name or ""}


def _interval(stats) -> dict | None:
    iv = stats.interval
    return {"low": iv[0], "high": iv[1]} if iv else None


def loop_figures(rates: LoopRates | None) -> dict | None:
    """A unit's rectification counts and rates (docs/rectification_rates.md)."""
    if rates is None:
        return None
    return {k: getattr(rates, k) for k in LOOP_FIELDS}


def campaign_out(c: Campaign) -> dict:
    """A campaign's header."""
    scope = access.scope_of(c)
    return {"id": c.id, "name": c.name, "status": c.status, "scope": area_out(scope), "opens_at": c.opens_at,
            "closes_at": c.closes_at, "min_responses": c.min_responses, "min_coverage": c.min_coverage}


@bp.route("/campaigns")
@bp.arguments(schemas.PageArgs, location="query", error_status_code=400)
@bp.response(200, schemas.CampaignPage, headers=READ_HEADERS)
@errors_documented(400)
def campaigns(args):
    """测评活动 — the campaigns whose scope meets the client's area, newest first (drafts are not listed)."""
    rows = db.session.scalars(select(Campaign).where(Campaign.status != "draft", access.api_campaign_clause(client()))
                              .order_by(Campaign.opens_at.desc(), Campaign.id.desc())).all()
    return page_of([campaign_out(c) for c in rows], args)


@bp.route("/campaigns/<id:campaign_id>")
@bp.response(200, schemas.CampaignDetail, headers=READ_HEADERS)
@errors_documented(404)
def campaign(campaign_id: int):
    """测评活动及问卷 — a campaign with its questionnaire (dimensions, questions, options) and the
    categories a rectification item (a hotline case) may have in it."""
    c = visible_campaign(campaign_id)
    out = campaign_out(c)
    out["dimensions"] = [
        {"id": d.id, "key": d.key, "name": d.name, "name_en": d.name_en or "", "weight": d.weight,
         "questions": [{"key": q.key, "text": q.text, "text_en": q.text_en or "", "kind": q.kind,
                        "allow_na": bool(q.allow_na), "is_overall": bool(q.is_overall),
                        "options": [{"key": o.key, "label": o.label, "label_en": o.label_en or ""}
                                    for o in q.options]} for q in d.questions]}
        for d in c.dimensions]
    out["categories"] = categories(c)
    return out


def _header(c: Campaign, area: Area, body: dict, **more) -> dict:
    body.update(campaign={"id": c.id, "name": c.name}, area=area_out(area), **more)
    return body


@bp.route("/campaigns/<id:campaign_id>/rankings")
@bp.arguments(schemas.AreaArgs, location="query", error_status_code=400)
@bp.response(200, schemas.Ranking, headers=READ_HEADERS)
@errors_documented(400, 404)
def rankings(args, campaign_id: int):
    """物业服务企业排名 — the companies of the area ranked as on the ranking page (docs/scoring.md):
    index, 95% interval, band, n, coverage, satisfaction rate. Unranked companies follow with the
    reason; below 5 responses every figure is null. Each company's rectification loop is at
    /rectification-rates?by=company."""
    c = visible_campaign(campaign_id)
    area = area_of(args)
    result = company_ranking(c, area)
    rows = []
    for r in result.rows:
        s = r.stats
        rows.append({"rank": r.rank, "band": r.band, "ranked": r.eligible, "reason": r.reason or None,
                     "company": {"level": "company", "id": s.key, "name": s.label},
                     "index": s.mean if r.eligible else None, "shrunk": r.shrunk if r.eligible else None,
                     "interval": _interval(s) if r.eligible else None, "n": s.n, "households": s.households,
                     "coverage": s.coverage, "satisfaction_rate": s.satisfaction_rate if r.eligible else None,
                     "withheld": s.withheld})
    return _header(c, area, page_of(rows, args), scope_mean=result.scope_mean, min_responses=result.min_responses,
                   min_coverage=result.min_coverage)


@bp.route("/campaigns/<id:campaign_id>/coverage")
@bp.arguments(schemas.LevelArgs, location="query", error_status_code=400)
@bp.response(200, schemas.Coverage, headers=READ_HEADERS)
@errors_documented(400, 404)
def coverage(args, campaign_id: int):
    """参评情况 — households and published responses per unit of a level (default: compound), as the
    participation page counts them. Counts are not answers: they show for small groups too."""
    c = visible_campaign(campaign_id)
    area = area_of(args)
    level = args["level"]
    stats, total = compounds_overview(c, area)
    if level != "compound":
        stats = AreaSums.load(c.id, area).unit_stats(level)
    rows = [{"unit": unit(level, s.key, s.label, area), "households": s.households, "responses": s.n,
             "coverage": s.coverage} for s in stats]
    cov = coverage_of([]) if total is None else total
    return _header(c, area, page_of(rows, args), level=level,
                   totals={"households": cov.households, "responses": cov.responses, "coverage": cov.rate})


@bp.route("/campaigns/<id:campaign_id>/dimensions")
@bp.arguments(schemas.DimensionArgs, location="query", error_status_code=400)
@bp.response(200, schemas.Dimensions, headers=READ_HEADERS)
@errors_documented(400, 404)
def dimensions(args, campaign_id: int):
    """维度得分 — each dimension's score (0-100), interval and satisfaction rate per unit of a level
    (default: company; "city" is the area as a whole). Below 5 responses: null with the reason."""
    c = visible_campaign(campaign_id)
    area = area_of(args)
    level = args["level"]
    found = dimension_stats(c.id, area, level)
    names = unit_names(level, {k for k, _d in found})
    dims = {d.id: d for d in c.dimensions}
    order = {d.id: i for i, d in enumerate(c.dimensions)}
    rows = []
    for (key, did), s in sorted(found.items(), key=lambda kv: (kv[0][0] or 0, order.get(kv[0][1], 0))):
        d = dims.get(did)
        if d is None:
            continue
        rows.append({"unit": unit(level, key, names.get(key), area),
                     "dimension": {"id": d.id, "key": d.key, "name": d.name, "name_en": d.name_en or ""},
                     "n": s.n, "households": s.households, "mean": s.mean, "interval": _interval(s),
                     "satisfaction_rate": s.satisfaction_rate, "withheld": s.withheld,
                     "reason": str(WITHHELD) if s.withheld else None})
    return _header(c, area, page_of(rows, args), level=level)


def item_out(i: RectificationItem, today) -> dict:
    """A rectification item as the API writes it: no household, comment or note text."""
    return {"id": i.id, "compound": {"level": "compound", "id": i.compound_id, "name": i.compound.name},
            "company": {"level": "company", "id": i.company_id, "name": i.company.name} if i.company else None,
            "category_key": i.category_key, "category": i.category, "source": i.source, "status": i.status,
            "external_ref": i.external_ref, "deadline": i.deadline, "overdue": bool(i.overdue_on(today)),
            "deadline_missed": bool(i.missed_on(today)), "submissions": i.submissions or 0, "score": i.score,
            "rate": i.rate, "respondents": i.respondents, "share": i.share, "created_at": i.created_at,
            "assigned_at": i.assigned_at, "started_at": i.started_at, "submitted_at": i.submitted_at,
            "verified_at": i.verified_at, "closed_at": i.closed_at}


@bp.route("/campaigns/<id:campaign_id>/rectification-items")
@bp.arguments(schemas.RectificationArgs, location="query", error_status_code=400)
@bp.response(200, schemas.RectificationPage, headers=READ_HEADERS)
@errors_documented(400, 404)
def rectification_items(args, campaign_id: int):
    """整改事项 — the round's rectification items in the area with their states, oldest first
    (?status= and ?source= narrow the list, as on the rectification page)."""
    c = visible_campaign(campaign_id)
    area = area_of(args)
    today = now().date()
    where = listing.conditions(area.compound_clause(), c.id,
                               listing.Filters(status=args.get("status", ""), source=args.get("source", "")), today)
    base = select(RectificationItem).join(Compound, Compound.id == RectificationItem.compound_id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(base.with_only_columns(RectificationItem.id).subquery()))
    items = db.session.scalars(base.order_by(RectificationItem.id).limit(args["limit"]).offset(args["offset"])
                               .options(selectinload(RectificationItem.compound),
                                        selectinload(RectificationItem.company))).all()
    return _header(c, area, dict(page_meta(total, args), items=[item_out(i, today) for i in items]))


@bp.route("/campaigns/<id:campaign_id>/rectification-rates")
@bp.arguments(schemas.RatesArgs, location="query", error_status_code=400)
@bp.response(200, schemas.Rates, headers=READ_HEADERS)
@errors_documented(400, 404)
def rectification_rates(args, campaign_id: int):
    """整改闭环指标 — the loop's counts and rates per company (or ?by=street) in the area and their
    total, as the overview page shows them (docs/rectification_rates.md)."""
    c = visible_campaign(campaign_id)
    area = area_of(args)
    by = args["by"]
    loop = loop_rates(c.id, by=by, compound_clause=area.compound_clause(), today=now().date())
    rows = [dict(loop_figures(r), unit={"level": by, "id": r.key, "name": r.label})
            for r in sorted(loop.values(), key=lambda r: (r.label, r.key))]
    return _header(c, area, page_of(rows, args), by=by, start_days=start_days(), totals=loop_figures(totals(loop)))
