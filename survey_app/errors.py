"""Refusals and error pages: a clear message in the user's language and a 4xx, never a bare 500.

Every refusal the domain or a view raises is a `Refusal` (a message already in the user's
language, and an HTTP status). One handler turns it into a page, or into RFC 9457 problem
details under /api/, and rolls the session back: nothing a refused request wrote is kept.
"""
from __future__ import annotations

import math
import re
import time
from urllib.parse import parse_qsl

import flask
from flask import Flask, current_app, make_response, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits import parse as parse_limit
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.utils import cached_property

from .api.problems import problem_response
from .domain.audit import client_address, security_event
from .extensions import db, limiter
from .logs import redact

MESSAGES = {
    400: _l("请求有误，请返回重试。"),
    403: _l("您没有权限访问此页面。"),
    404: _l("页面不存在，或不在您的权限范围内。"),
    405: _l("不支持此操作。"),
    409: _l("该操作与当前状态冲突，未执行。"),
    410: _l("该内容已不再提供。"),
    413: _l("上传的内容过大。"),
    422: _l("提交的内容有误，请改正后重试。"),
    429: _l("操作过于频繁，请稍后再试。"),
    500: _l("系统出现错误，我们已记录，请稍后再试。"),
    503: _l("系统暂时不可用，请稍后再试。如刚才在提交问卷，本次提交尚未保存，请过一两分钟后重新提交。"),
}
# A database that does not answer (stopped, restarting, unreachable, or SQLite locked past its busy
# timeout) and a connection pool with no free connection: a 503 with Retry-After, never a trace.
UNAVAILABLE = (OperationalError, PoolTimeout)
RETRY_AFTER_UNAVAILABLE = 30  # seconds a client is asked to wait before trying again


class Refusal(Exception):
    """A refused request: `message` for the user (already translated) and the HTTP `status`."""

    status = 409

    def __init__(self, message: str | None = None, status: int | None = None):
        if status is not None:
            self.status = status
        super().__init__(str(message) if message else str(MESSAGES.get(self.status, MESSAGES[400])))

    @property
    def message(self) -> str:
        return str(self)


class Invalid(Refusal):
    """The request itself is malformed: a bad id, a value out of range, a missing file."""

    status = 400


class Forbidden(Refusal):
    """The user may not do this (their role or jurisdiction does not allow it)."""

    status = 403


class NotFound(Refusal):
    """No such thing, or not within the user's jurisdiction (the two are not told apart)."""

    status = 404


class Conflict(Refusal):
    """The thing's state does not allow this step now."""

    status = 409


class Gone(Refusal):
    """The thing has ended (a closed campaign)."""

    status = 410


def wants_json() -> bool:
    """Whether the error goes back as JSON: under /api/, or to a client that asks for JSON, not HTML."""
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def render_error(status: int, message: str | None = None):
    """The error as a page in the user's language, or as problem+json (see `wants_json`)."""
    text = message or str(MESSAGES.get(status, MESSAGES[400]))
    if wants_json():
        return problem_response(status, text)
    return render_template("errors/error.html", status=status, message=text), status


# At most this many events of one kind from one address are recorded: a flood of refused or
# limited requests writes a few rows, not one per request (the limit itself is what protects).
SECURITY_EVENTS_PER_ADDRESS = {"rate_limited": "1 per minute", "refused": "10 per minute"}


def note_security_event(action: str) -> None:
    """Record a refused or rate-limited request (who, from where, which path), throttled per address."""
    per = SECURITY_EVENTS_PER_ADDRESS.get(action)
    if per and limiter.enabled and limiter.initialized:
        try:
            prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "-"
            if not limiter.limiter.hit(parse_limit(per), prefix, "security-event", action, client_address() or "-"):
                return
        except Exception:  # nosec B110  # an unreachable limit storage must not hide the event
            pass
    actor = getattr(current_user, "username", None) or ""
    security_event(action, f"{request.method} {redact(request.path)}", actor=actor)


def _retry_after() -> int:
    """Seconds until the limit this request broke lets it through again (at least one)."""
    current = limiter.current_limit if limiter.enabled and limiter.initialized else None
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def too_many_requests():
    """A 429 page (or problem+json) that says when to try again, with Retry-After."""
    wait = _retry_after()
    minutes = max(1, math.ceil(wait / 60))
    if request.path.startswith("/s/"):
        text = _("操作过于频繁：从您的网络尝试的无效二维码太多。请约 %(minutes)d 分钟后再扫描；"
                 "如二维码一直无效，请联系社区网格员重新领取。", minutes=minutes)
    else:
        text = _("操作过于频繁，请约 %(minutes)d 分钟后再试。", minutes=minutes)
    resp = make_response(render_error(429, text))
    resp.headers["Retry-After"] = str(wait)
    return resp


def service_unavailable(e: Exception):
    """The database (or its pool) did not answer: a 503 page or problem+json with Retry-After.

    The page needs no database (no navigation, no user); the session is rolled back and the pool
    reconnects by itself (pool_pre_ping) once the database is back.
    """
    current_app.logger.warning("database unavailable: %s: %s", type(e).__name__,
                               redact(str(getattr(e, "orig", None) or e).splitlines()[0][:200]))
    try:
        db.session.rollback()
    except Exception:  # nosec B110  # the connection is gone already; nothing to keep
        pass
    text = str(MESSAGES[503])
    if wants_json():
        resp = make_response(render_error(503, text))
    else:
        resp = make_response(render_template("errors/unavailable.html", status=503, message=text), 503)
    resp.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    resp.headers["Cache-Control"] = "no-store"
    return resp


class Request(flask.Request):
    """A request whose query string may hold raw bytes that are not UTF-8 (a script can send them;
    browsers percent-encode). They are percent-encoded first, so they read as U+FFFD like
    percent-encoded ones do, instead of failing every page with a UnicodeDecodeError."""

    @cached_property
    def args(self):
        raw = re.sub(rb"[\x80-\xff]", lambda m: b"%%%02X" % m.group()[0], self.query_string)
        return self.parameter_storage_class(parse_qsl(raw.decode("ascii"), keep_blank_values=True,
                                                      errors="replace"))


def register(app: Flask) -> None:
    app.request_class = Request

    @app.errorhandler(Refusal)
    def _refused(e: Refusal):
        db.session.rollback()
        if e.status == 403:
            note_security_event("refused")
        return render_error(e.status, e.message)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _("页面已过期或来源无效，请刷新页面后重新提交。"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _unavailable(e: Exception):
        return service_unavailable(e)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if isinstance(getattr(e, "original_exception", None), UNAVAILABLE):  # raised while committing
            return service_unavailable(e.original_exception)
        # Library messages are English and technical; the user gets ours, in their language.
        if e.code == 404 and request.path.startswith("/s/"):
            return render_error(404, _("二维码无效或已作废。请联系社区网格员重新领取。"))
        if e.code == 429:
            note_security_event("rate_limited")
            return too_many_requests()
        if e.code == 403:
            note_security_event("refused")
        if e.code == 413 and app.config.get("MAX_CONTENT_LENGTH"):
            return render_error(413, _("上传的内容过大（最多 %(max)s MB）。请删去多余的内容或拆分后分别上传。",
                                       max=f"{app.config['MAX_CONTENT_LENGTH'] / 1024 / 1024:.3g}"))
        return render_error(e.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        if app.testing:
            raise e  # let the test show the traceback
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_error(500)
