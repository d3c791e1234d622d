"""Refusals and error pages: a clear message in the user's language and a 4xx, never a bare 500.

Every refusal the domain or a view raises is a `Refusal` (a message already in the user's
language, and an HTTP status). One handler turns it into a page, or into RFC 9457 problem
details under /api/, and rolls the session back: nothing a refused request wrote is kept.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

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
}


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
    return request.path.startswith("/api/")


def render_error(status: int, message: str | None = None):
    text = message or str(MESSAGES.get(status, MESSAGES[400]))
    if wants_json():
        body = {"type": "about:blank", "status": status, "title": text, "detail": text}
        resp = jsonify(body)
        resp.status_code = status
        resp.mimetype = "application/problem+json"
        return resp
    return render_template("errors/error.html", status=status, message=text), status


def register(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def _refused(e: Refusal):
        db.session.rollback()
        return render_error(e.status, e.message)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _("页面已过期或来源无效，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        # Library messages are English and technical; the user gets ours, in their language.
        if e.code == 404 and request.path.startswith("/s/"):
            return render_error(404, _("二维码无效或已作废。请联系社区网格员重新领取。"))
        return render_error(e.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        if app.testing:
            raise e  # let the test show the traceback
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_error(500)
