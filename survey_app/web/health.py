"""GET /healthz for load balancers and monitors: is the database there, is the job queue there.

No login, no rate limit, no session or cookie, nothing rendered: a `SELECT 1` under a short
statement timeout and the queue's own ping. 200 `{"status": "ok", ...}` when every part answers,
503 naming the part that did not.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .. import jobs
from ..extensions import db, limiter

bp = Blueprint("health", __name__)

STATEMENT_TIMEOUT_MS = 2000  # PostgreSQL: the check gives up rather than hang behind a stuck server


def database_status() -> str:
    """"ok" when the database answers a trivial query, else "unavailable"."""
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
                conn.exec_driver_sql("SELECT 1")
            else:  # SQLite: read the schema's page, so a missing or unreadable file shows
                conn.exec_driver_sql("PRAGMA schema_version")
    except SQLAlchemyError as e:
        current_app.logger.warning("health: database unavailable: %s", type(e.orig or e).__name__)
        return "unavailable"
    return "ok"


def queue_status() -> str:
    """"ok" or "unavailable" for the job queue (survey_app.jobs.health: its store answers)."""
    try:
        answer = jobs.health()
    except Exception as e:  # noqa: BLE001 — any failure of the queue is "unavailable", never a 500
        current_app.logger.warning("health: job queue unavailable: %s", type(e).__name__)
        return "unavailable"
    return "ok" if answer else "unavailable"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 with every part "ok", or 503 naming the part that is "unavailable"."""
    parts = {"database": database_status(), "queue": queue_status()}
    healthy = all(state == "ok" for state in parts.values())
    resp = jsonify({"status": "ok" if healthy else "unavailable", **parts})
    resp.status_code = 200 if healthy else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
