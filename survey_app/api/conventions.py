"""The API's conventions, in one place: paging (limit/offset, a `next` link in the body and a Link
header), ETags on every read (a hash of the body; If-None-Match → 304), times in ISO 8601 with the
city's offset (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai: `2026-11-30T18:30:00+08:00`).
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Response, current_app, request
from flask_babel import gettext as _

from . import inputs

MAX_LIMIT = 1000  # items per page at most (KoboToolbox's convention too)
DEFAULT_LIMIT = 100
MAX_OFFSET = 2**31 - 1


def city_zone() -> ZoneInfo:
    """The time zone the database's naive times are in (the campaign's city)."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def aware(value: datetime | None) -> datetime | None:
    """A stored (naive, city time) datetime with its offset."""
    if value is None:
        return None
    return value.replace(tzinfo=city_zone()) if value.tzinfo is None else value


def to_city_time(value: datetime) -> datetime:
    """An aware datetime a client sent, as the naive city time the database stores."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(city_zone()).replace(tzinfo=None, microsecond=0)


class CityDateTime(inputs.DateTime):
    """A datetime written in ISO 8601 with the city's offset; naive input is refused."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(aware(value), attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        if out.tzinfo is None:
            raise ma.ValidationError(_("时间须带时区，例如 2026-11-30T18:30:00+08:00。"))
        return out


class PageArgs(inputs.Input):
    """?limit= (1-1000, default 100) and ?offset= (default 0) of a list."""

    limit = inputs.Integer(load_default=DEFAULT_LIMIT, validate=inputs.Range(1, MAX_LIMIT),
                           metadata={"description": f"每页条数，1-{MAX_LIMIT}（items per page）"})
    offset = inputs.Integer(load_default=0, validate=inputs.Range(0, MAX_OFFSET),
                            metadata={"description": "跳过的条数（items to skip）"})


def page_of(rows: list, args: dict) -> dict:
    """One page of a list as the body's `items`, `total`, `limit`, `offset` and `next` (null on the
    last page); the Link header is added from `next` when the response is made."""
    return dict(page_meta(len(rows), args), items=rows[args["offset"]:args["offset"] + args["limit"]])


def page_meta(total: int, args: dict) -> dict:
    """The paging fields of a list of `total` rows read a page at a time (in SQL)."""
    limit, offset = args["limit"], args["offset"]
    nxt = next_url(offset + limit) if offset + limit < total else None
    return {"total": total, "limit": limit, "offset": offset, "next": nxt}


def next_url(offset: int) -> str:
    """This request's URL with `offset` replaced."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "offset"] + [("offset", str(offset))]
    return request.host_url.rstrip("/") + request.path + "?" + urlencode(query)


def finish_read(resp: Response) -> Response:
    """A successful read gets an ETag (the body's hash) and answers If-None-Match with 304; a
    page with a `next` link also gets it as a Link header."""
    if request.method not in ("GET", "HEAD") or resp.status_code != 200 or resp.direct_passthrough:
        return resp
    if resp.is_json:
        body = resp.get_json(silent=True)
        if isinstance(body, dict) and body.get("next"):
            resp.headers["Link"] = f'<{body["next"]}>; rel="next"'
    resp.headers["Cache-Control"] = "private, no-cache"  # keep it, but ask again (ETag) before using it
    resp.add_etag()
    return resp.make_conditional(request)
