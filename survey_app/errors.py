"""Error pages: a clear message in the user's language and a 4xx, never a bare 500."""
import re

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

OWN_MESSAGE = re.compile(r"[\u4e00-\u9fff]")
MESSAGES = {
    400: "请求有误，请返回重试。",
    403: "您没有权限访问此页面。",
    404: "页面不存在，或不在您的权限范围内。",
    405: "不支持此操作。",
    413: "上传的内容过大。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统出现错误，我们已记录，请稍后再试。",
}


def render_error(status: int, message: str | None = None):
    text = message or _(MESSAGES.get(status, MESSAGES[400]))
    return render_template("errors/error.html", status=status, message=text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _("页面已过期或来源无效，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        # Our own abort() messages are written for users (in Chinese); library defaults are not.
        custom = e.description if e.description and OWN_MESSAGE.search(e.description) else None
        if custom is None and e.code == 404 and request.path.startswith("/s/"):
            custom = _("二维码无效或已作废。请联系社区网格员重新领取。")
        return render_error(e.code or 500, custom)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        if app.testing:
            raise e  # let the test show the traceback
        app.logger.exception("unhandled error")
        return render_error(500)
