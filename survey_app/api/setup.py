"""Putting the API together: flask-smorest's Api (OpenAPI 3.1 at /api/v1/openapi.json), the
routes, authentication (api.auth), problem details for every error, ETags, the readable page."""
from __future__ import annotations

import flask_smorest
from flask import Flask, request
from werkzeug.exceptions import HTTPException

from ..database import MAX_ID
from ..errors import note_security_event, too_many_requests
from ..web import IdConverter
from . import auth, docs_page, hotline, reads
from .blueprint import bp
from .conventions import finish_read
from .problems import MEDIA_TYPE, TITLES, problem_response
from .schemas import Problem

ROUTE_MODULES = (reads, hotline)  # their routes are declared on `bp` when they are imported
API_SETTINGS = {
    "API_TITLE": "物业服务满意度测评 API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "城市“一网统管”平台读取排名、参评率、维度得分和整改闭环，并提交 12345 热线工单。"
                                "See docs/api.md and /api/v1/docs."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "Authorization: Bearer <token>"}}},
        "security": [{"bearer": []}],
    },
}


def problem_for_http_error(error):
    """flask-smorest's errors (webargs validation with the parameters' messages, aborts) as
    problem details; a 429 with Retry-After."""
    if error.code == 429:
        note_security_event("rate_limited")
        return too_many_requests()
    if error.code == 403:
        note_security_event("refused")
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and len(errors) == 1 and next(iter(errors)) in ("query", "json"):
        errors = next(iter(errors.values()))  # {"query": {"limit": [...]}} → {"limit": [...]}
    code = error.code or 500
    detail = data.get("message") or (_validation_detail(code) if errors else TITLES.get(code, ("", "", ""))[1])
    return problem_response(code, detail, errors if isinstance(errors, dict) else None)


# The blueprint is set up once (its module is shared by every app a process makes).
auth.init_api(bp)
bp.register_error_handler(HTTPException, problem_for_http_error)


class Api(flask_smorest.Api):
    """flask-smorest's Api whose errors are RFC 9457 problem details (registered on the API's
    blueprint above, so pages outside /api/ keep their HTML error pages)."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self):
        """Nothing app-wide: `problem_for_http_error` serves the API's blueprint."""

    def _register_responses(self):
        super()._register_responses()
        for response in [*self.spec.components.responses_lazy.values(), *self.spec.components.responses.values()]:
            _problem_content(response)


def _validation_detail(code: int) -> str:
    return "请求参数有误，详见 errors。" if code == 400 else "提交的内容有误，详见 errors。"


def _problem_content(response: dict) -> None:
    content = response.get("content")
    if content and "application/json" in content:
        content[MEDIA_TYPE] = content.pop("application/json")


def init_app(app: Flask) -> None:
    """Register the API: its blueprint with authentication, the document and the readable page."""
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = Api(app)
    api.register_converter(IdConverter, lambda _conv: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    api.register_blueprint(bp)
    app.register_blueprint(docs_page.bp)

    @app.after_request
    def _etag(resp):
        if request.path.startswith("/api/v1/"):
            return finish_read(resp)
        return resp
