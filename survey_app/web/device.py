"""The resident's device as the survey sees it: a random first-party cookie, when the survey was
first opened, and the request's address and browser, handed to the domain as `signals.Seen`.

The cookie holds a random id and nothing else; it is only ever stored hashed with the campaign's
key (domain/integrity/signals.py). A browser without it is given one with the next response.
"""
import re
import secrets

from flask import Flask, current_app, request, session

from ..domain import clock
from ..domain.integrity.signals import Seen

_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")
_KEY, _NEW = "survey.device_id", "survey.device_id_new"
SESSION_OPENED = "survey_opened"  # [what was opened ("code:<id>" or "assist:<household id>"), when]


def device_id() -> str:
    """This browser's device id: its cookie's when well formed, else a new one sent back with the response."""
    env = request.environ  # per request (an app context, and `g`, may outlive one in tests and CLI)
    if _KEY not in env:
        given = request.cookies.get(current_app.config["DEVICE_COOKIE"], "")
        env[_KEY] = given if _ID.fullmatch(given) else secrets.token_urlsafe(16)
        env[_NEW] = env[_KEY] != given
    return env[_KEY]


def mark_opened(what: str) -> None:
    """Note when this browser first opened the survey for `what` (kept until it submits)."""
    device_id()
    kept = session.get(SESSION_OPENED)
    if not (isinstance(kept, list) and len(kept) == 2 and kept[0] == what):
        session[SESSION_OPENED] = [what, clock.now().timestamp()]


def seen(what: str) -> Seen:
    """What this request says of its device, with when it opened the survey for `what`; forgets
    the opening (a later change is not timed)."""
    kept = session.pop(SESSION_OPENED, None)
    opened = None
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == what and isinstance(kept[1], (int, float)):
        opened = clock.from_timestamp(kept[1])
    return Seen(device=device_id(), address=request.remote_addr, agent=request.user_agent.string[:400] or None,
                opened_at=opened)


def init_app(app: Flask) -> None:
    """Send a new device id back as a long-lived, HTTP-only, first-party cookie."""
    @app.after_request
    def _give_device_cookie(response):
        if request.environ.get(_NEW):
            response.set_cookie(app.config["DEVICE_COOKIE"], request.environ[_KEY],
                                max_age=app.config["DEVICE_COOKIE_DAYS"] * 24 * 3600, httponly=True,
                                samesite="Lax", secure=bool(app.config.get("SESSION_COOKIE_SECURE")))
        return response
