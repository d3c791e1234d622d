"""The database: engine settings (SQLite gets WAL, a busy timeout and immediate write
transactions), one transaction per request, and the bounds of an id.

A write request takes SQLite's write lock when it begins — except a view marked `parses_first`
(an upload): it reads and checks its file without holding the lock, and the domain calls
`begin_write()` once the file is accepted, right before it reads what it will change and writes.
"""
import os

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db

IMMEDIATE = "sqlite_immediate"
PARSES_FIRST = "_parses_first"
_WROTE = "wrote"
MAX_ID = 2**31 - 1  # PostgreSQL integer; larger ids cannot exist
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL before a request gives up (503), unless the URL says


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
        if request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(
                app.view_functions.get(request.endpoint), PARSES_FIRST, False):
            begin_write()

    @app.after_request
    def _commit_once(resp):
        # A request commits once, at its end, and only when it succeeded: a refused or failed
        # request (4xx, 5xx) keeps nothing it wrote. Domain functions never commit. A request
        # that never used the database has no transaction to end.
        if not (db.session.registry.has() and db.session().in_transaction()):
            return resp
        if resp.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return resp


def parses_first(view):
    """Mark a view whose request must not take the write lock when it begins (an upload).

    Put it right under the route decorator. The view (or the domain function it calls) parses
    and validates first, then calls `begin_write()` before its first write.
    """
    setattr(view, PARSES_FIRST, True)
    return view


def begin_write() -> None:
    """Start the session's transaction as a write transaction (BEGIN IMMEDIATE on SQLite).

    A transaction that has only read so far (the logged-in user, the campaign) is ended first:
    SQLite cannot turn a read transaction into a write one once another connection has written
    since it began ("database is locked" at once, whatever the busy timeout).

    :raise RuntimeError: the transaction has already written (a programming error).
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.info.get(IMMEDIATE):
            return
        if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before the transaction's first write")
        session.rollback()  # nothing but reads to end; loaded objects reload when next used
    session.connection(execution_options={IMMEDIATE: True})
    session.info[IMMEDIATE] = True


@event.listens_for(Session, "after_flush")
def _note_write(session, _flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session, transaction):
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(IMMEDIATE, None)
        session.info.pop(_WROTE, None)


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


@event.listens_for(Engine, "do_connect")
def _connect_timeout(dialect, _record, _cargs, cparams):
    # An unreachable server (a host that drops packets) fails the request within seconds, not minutes.
    if dialect.name == "postgresql":
        cparams.setdefault("connect_timeout", CONNECT_TIMEOUT)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")
