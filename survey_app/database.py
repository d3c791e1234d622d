"""The database: engine settings (SQLite gets WAL, a busy timeout and immediate write
transactions), one transaction per request, and the bounds of an id."""
import os

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

IMMEDIATE = "sqlite_immediate"
MAX_ID = 2**31 - 1  # PostgreSQL integer; larger ids cannot exist


def parse_id(raw) -> int | None:
    """A database id written by a user (query string, form, command line), or None when it is not one.

    Only ASCII digits count: str.isdigit() also accepts other scripts' digits, which int() reads.
    """
    text = str(raw).strip() if raw is not None else ""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def configure(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        os.makedirs(os.path.dirname(uri[len("sqlite:///"):]) or ".", exist_ok=True)

    @app.before_request
    def _writes_take_the_lock_first():
        # A write request takes SQLite's write lock when its transaction begins, so two
        # concurrent writers queue on the busy timeout instead of failing mid-way.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write()

    @app.after_request
    def _commit_once(resp):
        # A request commits once, at its end, and only when it succeeded: a refused or failed
        # request (4xx, 5xx) keeps nothing it wrote. Domain functions never commit.
        if resp.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return resp


def begin_write() -> None:
    """Start the session's transaction as a write transaction (BEGIN IMMEDIATE on SQLite)."""
    if db.session.get_bind().dialect.name == "sqlite" and not db.session().in_transaction():
        db.session.connection(execution_options={IMMEDIATE: True})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")
