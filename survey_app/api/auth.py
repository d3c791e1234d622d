"""Who is calling the API: a bearer token names an `ApiClient`; its rights, its own rate limit and
one audit line per request.

`init_api(bp)` puts it on the API's blueprint: every request needs `Authorization: Bearer <token>`
(else 401), a method that changes data needs a client with write rights (else 403), each client
has its own budget of requests (429 beyond it, counted in RATELIMIT_STORAGE_URI so every worker
and machine shares it), and every request of a known client is written to the audit log. The API
uses no session cookie, no login and no CSRF token.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _

from .. import access
from ..domain import audit
from ..errors import Forbidden, Refusal, note_security_event
from ..extensions import csrf, limiter
from ..logs import redact
from ..models import ApiClient
from . import clients

READ_METHODS = ("GET", "HEAD", "OPTIONS")
_UNSET = object()
CLIENT, CALLER = "survey_app.api_client", "survey_app.api_caller"  # keys of request.environ


class Unauthenticated(Refusal):
    """No token, or one that is malformed, unknown or revoked."""

    status = 401


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer <token>`, or None."""
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def current_client() -> ApiClient | None:
    """The client this request's token names (looked up once per request, also as `g.api_client`), or None.

    Kept on the request itself: tests and commands may share one `g` between requests, and the
    rate limit asks for the client before the blueprint's own `before_request` runs.
    """
    found = request.environ.get(CLIENT, _UNSET)
    if found is _UNSET:
        found = clients.authenticate(bearer_token())
        request.environ[CLIENT] = found
        if found is not None:  # what the audit line names, read now: a refused request rolls back
            request.environ[CALLER] = (found.id, found.name, audit.Jurisdiction(found.district_id, found.street_id))
    g.api_client = found
    return found


def rate_limit() -> str:
    """The current client's limit: its own, else the API_RATE_LIMIT setting."""
    client = current_client()
    return (client.rate_limit if client is not None else None) or current_app.config["API_RATE_LIMIT"]


def rate_key() -> str:
    """Each client counts alone, whichever address it calls from."""
    client = current_client()
    return f"api:{client.id}" if client is not None else "api:-"


def _require_client():
    client = current_client()
    if client is None:
        note_security_event("refused")
        raise Unauthenticated(_("未认证：请在 Authorization 请求头中提供有效的令牌（Bearer 令牌）。"
                                "令牌无效或已吊销时请联系市级管理员。"))
    if request.method not in READ_METHODS and not access.api_may_write(client):
        raise Forbidden(_("该接口客户端只有读取权限，不能提交数据。"))


def _log_request(resp):
    caller = request.environ.get(CALLER)
    if caller is not None:
        ident, name, where = caller
        audit.api_request(ident, name, request.method, redact(request.path), resp.status_code, where=where)
    if resp.status_code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return resp


def init_api(bp: Blueprint) -> None:
    """Require a client's token on every request of the blueprint, its write right for changes,
    its own rate limit, and log each request; exempt the blueprint from CSRF (no cookies)."""
    csrf.exempt(bp)
    # Checked before the blueprint's own before_request, so the limit reads the client itself.
    limiter.shared_limit(rate_limit, scope="api", key_func=rate_key,
                         exempt_when=lambda: current_client() is None)(bp)
    bp.before_request(_require_client)
    bp.after_request(_log_request)
