"""Audit events that outlive their request: security events and downloads, written after it ends.

`domain.audit.security_event` and `domain.audit.exported` keep their events on the request (`g`);
here, once the request's own transaction has been decided (committed, or rolled back when it was
refused or failed), they are written in a transaction of their own. Like database.py, this is a
place that ends a transaction; domain code never does.
"""
from flask import Flask

from .domain import audit
from .extensions import db
from .models import AuditEvent


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _write_pending_events(_exc):
        pending = audit.take_pending()
        if not pending:
            return
        db.session.rollback()  # whatever the request left open has already been decided
        db.session.execute(AuditEvent.__table__.insert(), pending)
        db.session.commit()
