"""RFC 9457 problem details: every error under /api/ as `application/problem+json`.

A problem has `type` (a link to its anchor in the API's own documentation page), `title` (the
short Chinese title), `title_zh` and `title_en` (both titles, whatever the request's language),
`status`, and `detail` (what went wrong, in the request's language: Chinese unless it asks for
English). Validation errors add `errors` ({parameter: [messages]}). Imports only Flask, so that
`survey_app.errors` can use it.
"""
from __future__ import annotations

from flask import jsonify

# status → (slug of the problem type, Chinese title, English title)
TITLES = {
    400: ("bad-request", "请求有误", "Bad request"),
    401: ("unauthorized", "未认证", "Not authenticated"),
    403: ("forbidden", "无权访问", "Forbidden"),
    404: ("not-found", "不存在", "Not found"),
    405: ("method-not-allowed", "不支持此方法", "Method not allowed"),
    406: ("not-acceptable", "无法提供所要的格式", "Not acceptable"),
    409: ("conflict", "与当前状态冲突", "Conflict"),
    410: ("gone", "已不再提供", "Gone"),
    413: ("too-large", "内容过大", "Content too large"),
    415: ("unsupported-media-type", "不支持的内容类型", "Unsupported media type"),
    422: ("unprocessable", "内容有误", "Unprocessable content"),
    429: ("too-many-requests", "请求过于频繁", "Too many requests"),
    500: ("server-error", "系统错误", "Internal server error"),
    503: ("unavailable", "暂时不可用", "Service unavailable"),
}
TYPE_BASE = "/api/v1/docs#problem-"  # relative to the server: the readable page lists every type
MEDIA_TYPE = "application/problem+json"


def problem_body(status: int, detail: str, errors: dict | None = None) -> dict:
    """The problem details of a status and a message (titles in both languages)."""
    slug, zh, en = TITLES.get(status, (str(status), "错误", "Error"))
    body = {"type": TYPE_BASE + slug, "title": zh, "title_zh": zh, "title_en": en, "status": status,
            "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def problem_response(status: int, detail: str, errors: dict | None = None):
    """A problem+json response of the status."""
    resp = jsonify(problem_body(status, detail, errors))
    resp.status_code = status
    resp.mimetype = MEDIA_TYPE
    return resp
