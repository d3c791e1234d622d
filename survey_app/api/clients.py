"""API clients: created with a token shown once, stored hashed (as household codes are), revoked,
and recognised by their token on every API request.

Who may create and revoke them is `access.may_manage_api_clients`; nothing here commits (the
request or command that calls it does). Creating and revoking are audit events.
"""
from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from limits import parse_many
from sqlalchemy import or_, update

from .. import access
from ..access import Area
from ..database import begin_write
from ..domain import audit
from ..domain.clock import now
from ..domain.responses.codes import hash_token
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import ApiClient

PREFIX = "sv_"  # recognisable in a configuration file or a leaked log (secret scanners can look for it)
TOKEN_RE = re.compile(r"^sv_[A-Za-z0-9_-]{43}$")  # the prefix and token_urlsafe(32)
HINT_CHARS = len(PREFIX) + 4  # what the list shows of a token: "sv_" and its first four characters
NAME_MAX = 64
RATE_LIMIT_MAX = 100
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is rewritten at most this often


def new_token() -> str:
    """A fresh token: the prefix and 256 random bits, URL-safe."""
    return PREFIX + secrets.token_urlsafe(32)


def check_rate_limit(raw: str | None) -> str | None:
    """A rate limit as typed ("600 per minute", "10/second; 1000/hour"), or None when empty.

    :raise Invalid: not a limit Flask-Limiter understands, or one that lets nothing through.
    """
    text = (raw or "").strip()
    if not text:
        return None
    try:
        items = parse_many(text) if len(text) <= RATE_LIMIT_MAX else []
    except ValueError:
        items = []
    ok = bool(items) and all(item.amount >= 1 for item in items)
    if not ok:
        raise Invalid(_("频率限制“%(text)s”无法识别。请写成“600 per minute”“10 per second”这样的形式，"
                        "多个限制用分号隔开。", text=text[:RATE_LIMIT_MAX]))
    return text


def _check_area(area: Area) -> Area:
    if area.level not in access.LEVELS or area.grids is not None:
        raise Invalid(_("接口客户端的范围只能是全市、一个区或一个街道。"))
    if not area.exists():
        raise NotFound(_("没有这个范围。"))
    return area


def create(actor, name: str, area: Area, can_write: bool, rate_limit: str | None = None) -> tuple[ApiClient, str]:
    """Create a client; return it and its token (the only time the token exists in clear).

    :raise Forbidden: the actor may not manage API clients.
    :raise Invalid: no name, a name too long, a bad scope or rate limit.
    :raise NotFound: no such district or street.
    """
    if not access.may_manage_api_clients(actor):
        raise Forbidden(_("仅限市级管理员管理接口客户端。"))
    name = "".join(ch for ch in (name or "") if ch.isprintable()).strip()
    if not name:
        raise Invalid(_("请填写客户端名称。"))
    if len(name) > NAME_MAX:
        raise Invalid(_("客户端名称最多 %(n)d 个字。", n=NAME_MAX))
    area = _check_area(area)
    rate_limit = check_rate_limit(rate_limit)
    token = new_token()
    district_id = street_id = None
    if area.level == "district":
        district_id = area.id
    elif area.level == "street":
        street_id = area.id
        district_id = audit.where_area("street", area.id).district_id
    client = ApiClient(name=name, level=area.level, district_id=district_id, street_id=street_id,
                       can_write=bool(can_write), token_hash=hash_token(token), token_hint=token[:HINT_CHARS],
                       rate_limit=rate_limit, created_at=now(), created_by_id=getattr(actor, "id", None))
    db.session.add(client)
    db.session.flush()
    audit.record("api_client.created", f"api_client:{client.id}", user=actor, after=client.snapshot(),
                 where=audit.where_area(area.level, area.id))
    return client, token


def revoke(actor, client: ApiClient) -> ApiClient:
    """Revoke the client: its token is refused from its next request on.

    :raise Forbidden: the actor may not manage API clients.
    :raise Conflict: already revoked.
    """
    if not access.may_manage_api_clients(actor):
        raise Forbidden(_("仅限市级管理员管理接口客户端。"))
    if client.revoked_at is not None:
        raise Conflict(_("该接口客户端已经吊销。"))
    client.revoked_at = now()
    audit.record("api_client.revoked", f"api_client:{client.id}", user=actor, detail=client.name,
                 before={"revoked": False}, after={"revoked": True},
                 where=audit.Jurisdiction(client.district_id, client.street_id))
    return client


def authenticate(token: str | None) -> ApiClient | None:
    """The live client holding this token, else None (malformed, unknown or revoked).

    The token is found by its hash, and the stored hash compared in constant time. The time of
    last use is written at most once a minute, so most reads stay reads.
    """
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    digest = hash_token(token)
    client = db.session.scalar(db.select(ApiClient).where(ApiClient.token_hash == digest))
    if client is None or not hmac.compare_digest(bytes(client.token_hash), digest) or client.revoked_at is not None:
        return None
    when = now()
    if client.last_used_at is None or when - client.last_used_at >= TOUCH_EVERY:
        begin_write()  # a read request becomes a write once a minute (SQLite: take the lock first)
        db.session.execute(update(ApiClient).where(
            ApiClient.id == client.id,
            or_(ApiClient.last_used_at.is_(None), ApiClient.last_used_at <= when - TOUCH_EVERY))
            .values(last_used_at=when).execution_options(synchronize_session=False))
        db.session.refresh(client)
    return client
