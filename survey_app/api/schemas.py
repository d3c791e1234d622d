"""What the API reads and writes, as marshmallow schemas: they dump the responses and make the
OpenAPI 3.1 document. Numbers are JSON numbers; a figure withheld for a small group is null with
a `reason`; no household identity (ids, rooms, codes, comments) has a field here.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from flask_babel import lazy_gettext as _l

from ..domain.stats.aggregates import LEVELS
from ..models.rectification import SOURCES, STATUSES
from . import inputs as i
from .conventions import CityDateTime, PageArgs

AREA_PATTERN = r"^(city|district:[0-9]+|street:[0-9]+)$"
WORK_ORDER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


def _null(field_class, **kw):
    return field_class(allow_none=True, **kw)


class Problem(ma.Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type = f.String(required=True, metadata={"description": "问题类型的链接（link to the problem type）"})
    title = f.String(required=True, metadata={"description": "中文标题"})
    title_zh = f.String(required=True)
    title_en = f.String(required=True)
    status = f.Integer(required=True)
    detail = f.String(required=True, metadata={"description": "说明，按请求的语言（detail, in the request's language）"})
    errors = f.Dict(keys=f.String(), metadata={"description": "参数错误（invalid parameters）"})


class AreaArgs(PageArgs):
    """?area= narrows to a district or street inside the client's area (default: the whole of it)."""

    area = i.String(validate=i.Regexp(AREA_PATTERN, _l("须为 city、district:编号 或 street:编号。")), metadata={
        "description": "city、district:编号 或 street:编号；须在客户端的范围内（inside the client's scope）",
        "example": "district:1"})


class LevelArgs(AreaArgs):
    """An area and the level of the units listed."""

    level = i.String(load_default="compound", validate=i.OneOf([lv for lv in LEVELS]),
                     metadata={"description": "单位层级（level of the units）"})


class DimensionArgs(AreaArgs):
    """An area and the level of the units whose dimension figures are listed."""

    level = i.String(load_default="company", validate=i.OneOf([lv for lv in LEVELS]))


class RectificationArgs(AreaArgs):
    """An area and filters of the rectification list."""

    status = i.String(validate=i.OneOf(STATUSES))
    source = i.String(validate=i.OneOf(SOURCES))


class RatesArgs(AreaArgs):
    """An area and what the loop's rates are per."""

    by = i.String(load_default="company", validate=i.OneOf(["company", "street"]))


class Unit(ma.Schema):
    """A unit the figures are of: a compound, company, community, street, district or the city."""

    level = f.String(required=True)
    id = _null(f.Integer, required=True)
    name = f.String(required=True)


class AreaOut(ma.Schema):
    level = f.String(required=True)
    id = _null(f.Integer, required=True)
    name = f.String(required=True)


class Interval(ma.Schema):
    low = f.Float(required=True)
    high = f.Float(required=True)


class Page(ma.Schema):
    total = f.Integer(required=True)
    limit = f.Integer(required=True)
    offset = f.Integer(required=True)
    next = _null(f.String, required=True, metadata={"description": "下一页的链接（link to the next page）"})


class Option(ma.Schema):
    key = f.String(required=True)
    label = f.String(required=True)
    label_en = f.String(required=True)


class Question(ma.Schema):
    key = f.String(required=True)
    text = f.String(required=True)
    text_en = f.String(required=True)
    kind = f.String(required=True)
    allow_na = f.Boolean(required=True)
    is_overall = f.Boolean(required=True)
    options = f.List(f.Nested(Option), required=True)


class Dimension(ma.Schema):
    id = f.Integer(required=True)
    key = f.String(required=True)
    name = f.String(required=True)
    name_en = f.String(required=True)
    weight = f.Float(required=True)


class DimensionWithQuestions(Dimension):
    questions = f.List(f.Nested(Question), required=True)


class CampaignRef(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)


class DimensionRef(ma.Schema):
    id = f.Integer(required=True)
    key = f.String(required=True)
    name = f.String(required=True)
    name_en = f.String(required=True)


class Campaign(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    status = f.String(required=True)
    scope = f.Nested(AreaOut, required=True)
    opens_at = CityDateTime(required=True)
    closes_at = CityDateTime(required=True)
    min_responses = f.Integer(required=True)
    min_coverage = f.Float(required=True)


class CampaignDetail(Campaign):
    dimensions = f.List(f.Nested(DimensionWithQuestions), required=True,
                        metadata={"description": "问卷：维度及其题目（the questionnaire）"})
    categories = f.Dict(keys=f.String(), values=f.String(), required=True,
                        metadata={"description": "整改事项可用的类别（categories a hotline case may name）"})


class CampaignPage(Page):
    items = f.List(f.Nested(Campaign), required=True)


class LoopFigures(ma.Schema):
    """A unit's rectification loop: counts and the rates made from them (null when nothing to divide)."""

    items = f.Integer(required=True)
    handed = f.Integer(required=True)
    start_due = f.Integer(required=True)
    started_in_time = f.Integer(required=True)
    started_share = _null(f.Float, required=True)
    verified = f.Integer(required=True)
    verified_share = _null(f.Float, required=True)
    closed = f.Integer(required=True)
    closed_share = _null(f.Float, required=True)
    asked = f.Integer(required=True)
    confirmed = f.Integer(required=True)
    confirmed_share = _null(f.Float, required=True)
    overdue = f.Integer(required=True)
    missed = f.Integer(required=True)


class RankingRow(ma.Schema):
    rank = _null(f.Integer, required=True)
    band = _null(f.Integer, required=True)
    ranked = f.Boolean(required=True)
    reason = _null(f.String, required=True, metadata={"description": "未排名或不显示的原因"})
    company = f.Nested(Unit, required=True)
    index = _null(f.Float, required=True, metadata={"description": "满意度指数 0-100"})
    shrunk = _null(f.Float, required=True)
    interval = f.Nested(Interval, allow_none=True, required=True)
    n = f.Integer(required=True)
    households = f.Integer(required=True)
    coverage = _null(f.Float, required=True)
    satisfaction_rate = _null(f.Float, required=True)
    withheld = f.Boolean(required=True, metadata={"description": "样本不足 5 份：不显示数值"})


class Ranking(Page):
    campaign = f.Nested(CampaignRef, required=True)
    area = f.Nested(AreaOut, required=True)
    scope_mean = _null(f.Float, required=True)
    min_responses = f.Integer(required=True)
    min_coverage = f.Float(required=True)
    items = f.List(f.Nested(RankingRow), required=True)


class CoverageRow(ma.Schema):
    unit = f.Nested(Unit, required=True)
    households = f.Integer(required=True)
    responses = f.Integer(required=True)
    coverage = _null(f.Float, required=True)


class CoverageTotal(ma.Schema):
    households = f.Integer(required=True)
    responses = f.Integer(required=True)
    coverage = _null(f.Float, required=True)


class Coverage(Page):
    campaign = f.Nested(CampaignRef, required=True)
    area = f.Nested(AreaOut, required=True)
    level = f.String(required=True)
    totals = f.Nested(CoverageTotal, required=True)
    items = f.List(f.Nested(CoverageRow), required=True)


class DimensionRow(ma.Schema):
    unit = f.Nested(Unit, required=True)
    dimension = f.Nested(DimensionRef, required=True)
    n = f.Integer(required=True)
    households = f.Integer(required=True)
    mean = _null(f.Float, required=True)
    interval = f.Nested(Interval, allow_none=True, required=True)
    satisfaction_rate = _null(f.Float, required=True)
    withheld = f.Boolean(required=True)
    reason = _null(f.String, required=True)


class Dimensions(Page):
    campaign = f.Nested(CampaignRef, required=True)
    area = f.Nested(AreaOut, required=True)
    level = f.String(required=True)
    items = f.List(f.Nested(DimensionRow), required=True)


class RectificationItem(ma.Schema):
    id = f.Integer(required=True)
    compound = f.Nested(Unit, required=True)
    company = f.Nested(Unit, allow_none=True, required=True)
    category_key = f.String(required=True)
    category = f.String(required=True)
    source = f.String(required=True)
    status = f.String(required=True)
    external_ref = _null(f.String, required=True, metadata={"description": "12345 热线工单号"})
    deadline = _null(f.Date, required=True)
    overdue = f.Boolean(required=True)
    deadline_missed = f.Boolean(required=True)
    submissions = f.Integer(required=True)
    score = _null(f.Float, required=True)
    rate = _null(f.Float, required=True)
    respondents = _null(f.Integer, required=True)
    share = _null(f.Float, required=True)
    created_at = CityDateTime(required=True)
    assigned_at = CityDateTime(allow_none=True, required=True)
    started_at = CityDateTime(allow_none=True, required=True)
    submitted_at = CityDateTime(allow_none=True, required=True)
    verified_at = CityDateTime(allow_none=True, required=True)
    closed_at = CityDateTime(allow_none=True, required=True)


class RectificationPage(Page):
    campaign = f.Nested(CampaignRef, required=True)
    area = f.Nested(AreaOut, required=True)
    items = f.List(f.Nested(RectificationItem), required=True)


class RatesRow(LoopFigures):
    unit = f.Nested(Unit, required=True)


class Rates(Page):
    campaign = f.Nested(CampaignRef, required=True)
    area = f.Nested(AreaOut, required=True)
    by = f.String(required=True)
    start_days = f.Integer(required=True)
    totals = f.Nested(LoopFigures, allow_none=True, required=True)
    items = f.List(f.Nested(RatesRow), required=True)


class HotlineCase(i.Input):
    """A 12345 hotline work order about property service."""

    work_order_id = i.String(required=True, validate=i.Regexp(WORK_ORDER_PATTERN, _l(
                                 "须为 1-64 个字母、数字或 _.:-，以字母或数字开头。")),
                             metadata={"description": "工单号（唯一；同一工单再次提交返回原事项）", "example": "GD20261130001"})
    compound_id = i.Integer(required=True, strict=True, validate=i.Range(1, 2**31 - 1))
    category = i.String(required=True, validate=i.Length(1, 40),
                        metadata={"description": "问题类别：活动维度的 key 或 other（见 /campaigns/{id} 的 categories）",
                                  "example": "other"})
    text = i.String(required=True, validate=i.Length(1, 1000), metadata={"description": "工单内容"})
    received_at = CityDateTime(required=True, metadata={"description": "受理时间，ISO 8601 带时区"})
    campaign_id = i.Integer(strict=True, validate=i.Range(1, 2**31 - 1),
                            metadata={"description": "测评活动（缺省：覆盖该小区的最近一次活动）"})


class HotlineResult(ma.Schema):
    work_order_id = f.String(required=True)
    joined = f.Boolean(required=True, metadata={
        "description": "true：同一小区同一类别已有整改事项，工单作为新的证据并入该事项"})
    item = f.Nested(RectificationItem, required=True)
