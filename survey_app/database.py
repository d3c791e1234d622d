"""The database: engine settings (SQLite gets WAL, a busy timeout and immediate write
transactions), one transaction per request, and the bounds of an id.

A write request takes SQLite's write lock when it begins — except a view marked `parses_first`
(an upload): it reads and checks its file without holding the lock, and the domain calls
`begin_write()` once the file is accepted, right before it reads what it will change and writes.
"""
import fcntl
import logging
import os
import threading

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db

IMMEDIATE = "sqlite_immediate"
PARSES_FIRST = "_parses_first"
_CHANGES = "sqlite_changes_at_begin"
MAX_ID = 2**31 - 1  # PostgreSQL integer; larger ids cannot exist
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL before a request gives up (503), unless the URL says
BUSY_TIMEOUT = 10  # seconds a SQLite writer waits for the write lock before its request gives up (503)
_TURN = "writer_turn"
_log = logging.getLogger(__name__)


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


class WriterTurns:
    """SQLite writers take turns before BEGIN IMMEDIATE, the threads of a process and the processes
    of a machine: a writer waiting its turn is woken as soon as the one before it is done, where
    SQLite's busy handler would wake it after sleeps of up to 100 ms (the slow tail of submissions
    at a visit evening's peak, and one process's threads passing the lock among themselves while
    another's waited).

    Within a process the turn is a lock (re-entrant: a thread that holds it may begin again);
    between processes, the turn's holder also holds an exclusive lock on the file "<database>-writers"
    next to the database, which the system frees when its process ends, however it ends. A turn ends
    when its transaction does, committed or rolled back. A writer that waited
    BUSY_TIMEOUT for the process's turn goes on without it and lets SQLite's busy timeout decide.
    """

    def __init__(self):
        self._turn = threading.RLock()
        self._owner: int | None = None  # the thread whose turn it is
        self._depth = 0
        self._files: dict[str, int] = {}  # this process's descriptor of each database's lock file
        self._pid = os.getpid()
        self._held: int | None = None  # the lock file this process holds

    def wait(self, database: str | None) -> bool:
        """Wait for this thread's turn; False when it did not come within BUSY_TIMEOUT."""
        if not self._turn.acquire(timeout=BUSY_TIMEOUT):
            return False
        self._owner = threading.get_ident()
        self._depth += 1
        if self._depth == 1 and database and database != ":memory:":
            try:
                self._held = self._descriptor(database)
                fcntl.flock(self._held, fcntl.LOCK_EX)
            except OSError as e:  # no lock file beside the database (a read-only folder): SQLite decides
                self._held = None
                _log.warning("SQLite writers take turns within this process only: %s", e)
        return True

    def done(self) -> None:
        """End a turn (the outermost one gives the turn to the next writer)."""
        if self._owner != threading.get_ident():  # a leaked connection, returned by another thread
            _log.warning("a SQLite connection came back from another thread than the one that wrote on it")
            return
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            if self._held is not None:
                fcntl.flock(self._held, fcntl.LOCK_UN)
                self._held = None
        self._turn.release()

    def _descriptor(self, database: str) -> int:
        if self._pid != os.getpid():  # a forked process opens its own (the parent's are shared)
            self._files, self._pid = {}, os.getpid()
        if database not in self._files:
            if len(self._files) >= 8:  # a process that met many databases (tests) keeps few open
                for old in self._files.values():
                    os.close(old)  # none is held: this thread holds the turn and holds no file yet
                self._files = {}
            self._files[database] = os.open(database + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
        return self._files[database]


_WRITERS = WriterTurns()


def parses_first(view):
    """Mark a view whose request must not take the write lock when it begins (an upload).

    Put it right under the route decorator. The view (or the domain function it calls) parses
    and validates first, then calls `begin_write()` before its first write.
    """
    setattr(view, PARSES_FIRST, True)
    return view


def reads_only() -> None:
    """Say that this request only reads, before its first statement: on PostgreSQL its statements
    then run without a transaction (each sees what was committed when it runs), which spares the
    BEGIN and COMMIT round trips of a page that reads once (the survey page). Its connection is
    set back when it returns to the pool. A request that writes must never call it: each write
    would be kept at once, whatever happened after.
    """
    session = db.session()
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def begin_write(keep_loaded: bool = False) -> None:
    """Start the session's transaction as a write transaction (BEGIN IMMEDIATE on SQLite).

    A transaction that has only read so far (the logged-in user, the campaign) is ended first:
    SQLite cannot turn a read transaction into a write one once another connection has written
    since it began ("database is locked" at once, whatever the busy timeout). What it loaded is
    read again when next used, unless `keep_loaded`: then the objects keep the values they were
    read with, for a caller whose writes check again, under the lock, whatever must be current
    (the survey's submission: its response is read again locked, a closed campaign is refused).

    :raise RuntimeError: the transaction has already written (a programming error).
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.info.get(IMMEDIATE):
            return
        if session.new or session.dirty or session.deleted or _wrote(session.connection()):
            raise RuntimeError("begin_write() must come before the transaction's first write")
        _end_reads(session, keep_loaded)
    turn = _WRITERS.wait(session.get_bind().url.database)
    try:
        session.connection(execution_options={IMMEDIATE: True})
    except BaseException:
        if turn:
            _WRITERS.done()
        raise
    session.info[IMMEDIATE] = True
    session.info[_TURN] = turn


def _end_reads(session, keep_loaded: bool) -> None:
    """End a transaction that has only read: loaded objects reload when next used, or stay as read."""
    if not keep_loaded:
        session.rollback()
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()  # nothing written (begin_write checked): it only ends the read
    finally:
        session.expire_on_commit = expire


@event.listens_for(Session, "after_commit", insert=True)
def _commit_ends_turn(session):
    # Before any other listener (a job run at once in tests waits for its own turn) and once the
    # commit is done; a savepoint's release is not the transaction's end.
    if not session.in_nested_transaction():
        _end_turn(session)


def _end_turn(session) -> None:
    if session.info.pop(_TURN, False):
        _WRITERS.done()


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session, transaction):
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        _end_turn(session)  # after a rollback, or a session closed without either
        session.info.pop(IMMEDIATE, None)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")
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
        conn.info[_CHANGES] = conn.connection.dbapi_connection.total_changes


def _wrote(conn) -> bool:
    """Whether this SQLite connection's transaction has changed rows (through the ORM or not)."""
    return conn.connection.dbapi_connection.total_changes != conn.info.get(_CHANGES)
