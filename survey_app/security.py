"""Logins and response headers that keep household codes out of Referer headers and caches."""
from flask import Flask, g, request
from flask_babel import lazy_gettext as _l

from .extensions import db, login_manager
from .models import User


@login_manager.user_loader
def _load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"

    @app.before_request
    def _user_of_this_request():
        # Flask-Login caches the user on the app context; tests and CLI calls may share one
        # between requests, so each request looks its user up again.
        g.pop("_login_user", None)

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        if app.config.get("HSTS_MAX_AGE"):  # production: browsers keep to HTTPS for this long
            resp.headers.setdefault("Strict-Transport-Security", f"max-age={int(app.config['HSTS_MAX_AGE'])}")
        if request.path.startswith("/s/") or request.path.startswith("/office/households"):
            resp.headers["Cache-Control"] = "no-store"
        return resp
