"""Logins and response headers that keep household codes out of Referer headers and caches.

A staff session holds the user's `session_version` and when it began and was last used. It ends
at once when the version no longer matches (logout, disabling, a password reset, a re-scope all
raise it, on every device), when the account is disabled, after STAFF_IDLE_MINUTES without a
request, and STAFF_SESSION_HOURS after the login whatever happens.
"""
from flask import Flask, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from .domain import clock
from .extensions import db, login_manager
from .models import User

VERSION, STARTED, SEEN = "_sv", "_started", "_seen"
LOGIN_KEYS = ("_user_id", "_fresh", "_id", VERSION, STARTED, SEEN)
TOUCH_EVERY = 60  # seconds: the last-used time is rewritten at most once a minute


def _timestamp() -> float:
    return clock.now().timestamp()


def begin_staff_session(user: User) -> None:
    """Log the user in for this browser, bound to their current session version."""
    login_user(user)
    t = _timestamp()
    session[VERSION], session[STARTED], session[SEEN] = user.session_version or 0, t, t


def end_this_session() -> None:
    """Forget the login of this browser (keeps other session values, such as the language)."""
    for key in LOGIN_KEYS:
        session.pop(key, None)


def session_is_current(user: User) -> bool:
    """Whether this browser's session of the user still holds: same version, active, not expired."""
    if not user.is_active or session.get(VERSION) != (user.session_version or 0):
        return False
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        return False
    t = _timestamp()
    cfg = current_app.config
    if t - seen > cfg["STAFF_IDLE_MINUTES"] * 60 or t - started > cfg["STAFF_SESSION_HOURS"] * 3600:
        return False
    if t - seen >= TOUCH_EVERY:
        session[SEEN] = t
    return True


@login_manager.user_loader
def _load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not session_is_current(user):
        end_this_session()
        return None
    return user


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
