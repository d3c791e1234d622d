"""SQLite writers take turns before BEGIN IMMEDIATE (database.WriterTurns), the threads of a
process and the processes of a machine: a second writer does not even ask SQLite for the write
lock while the first holds it, so it is woken when the lock is free instead of after the busy
handler's sleeps; the turn passes on at commit and at rollback (a refused request), and every
write of both is kept."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import event, text

from survey_app import create_app
from survey_app.database import begin_write
from survey_app.extensions import db

from .conftest import make_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'writers.db'}"))
    with app.app_context():
        db.session.execute(text("CREATE TABLE said (who TEXT)"))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _log_statements(app) -> list[tuple[str, str]]:
    log: list[tuple[str, str]] = []

    def before(_conn, _cursor, statement, *_args):
        log.append((threading.current_thread().name, statement.strip()))

    def on_end(what):
        return lambda _conn: log.append((threading.current_thread().name, what))
    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "commit", on_end("COMMIT"))
    event.listen(db.engine, "rollback", on_end("ROLLBACK"))
    return log


@pytest.mark.parametrize("first_ends", ["commit", "rollback"])
def test_a_second_writer_waits_for_its_turn_before_asking_sqlite(sqlite_app, first_ends):
    log = _log_statements(sqlite_app)
    first_began = threading.Event()

    def first():
        with sqlite_app.app_context():
            begin_write()
            db.session.execute(text("INSERT INTO said VALUES ('first')"))
            first_began.set()
            time.sleep(0.3)  # the second writer reaches its BEGIN meanwhile
            db.session.commit() if first_ends == "commit" else db.session.rollback()
            db.session.remove()

    def second():
        first_began.wait(5)
        with sqlite_app.app_context():
            begin_write()
            db.session.execute(text("INSERT INTO said VALUES ('second')"))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=first, name="first"), threading.Thread(target=second, name="second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ends = "COMMIT" if first_ends == "commit" else "ROLLBACK"
    writes = [entry for entry in log if entry[1] in ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")]
    assert writes.index(("first", ends)) < writes.index(("second", "BEGIN IMMEDIATE"))
    kept = db.session.execute(text("SELECT who FROM said ORDER BY who")).scalars().all()
    assert kept == (["first", "second"] if first_ends == "commit" else ["second"])


def test_a_reader_does_not_wait_for_a_writer(sqlite_app):
    with sqlite_app.app_context():
        begin_write()
        db.session.execute(text("INSERT INTO said VALUES ('writing')"))
        seen: list = []

        def reader():
            with sqlite_app.app_context():
                seen.append(db.session.execute(text("SELECT count(*) FROM said")).scalar())
                db.session.remove()
        t = threading.Thread(target=reader)
        t.start()
        t.join(5)
        assert seen == [0]  # read what was committed, while the write was still open
        db.session.commit()


HOLDER = """
import sys
from sqlalchemy import text
from survey_app import create_app
from survey_app.database import begin_write
from survey_app.extensions import db
from tests.conftest import make_config

app = create_app(make_config(sys.argv[1]))
with app.app_context():
    begin_write()
    db.session.execute(text("INSERT INTO said VALUES ('other process')"))
    print("writing", flush=True)
    sys.stdin.readline()
    db.session.commit()
"""


def test_a_writer_waits_for_another_process_s_writer_before_asking_sqlite(sqlite_app):
    log = _log_statements(sqlite_app)
    url = str(db.engine.url)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "writing"

        def write():
            with sqlite_app.app_context():
                begin_write()
                db.session.execute(text("INSERT INTO said VALUES ('this process')"))
                db.session.commit()
                db.session.remove()
        writer = threading.Thread(target=write, name="writer")
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and ("writer", "BEGIN IMMEDIATE") not in log  # waiting, not asking SQLite
        holder.communicate("go\n", timeout=30)
        writer.join(30)
    finally:
        holder.kill()
    assert ("writer", "BEGIN IMMEDIATE") in log
    kept = db.session.execute(text("SELECT who FROM said ORDER BY who")).scalars().all()
    assert kept == ["other process", "this process"]


def test_begin_write_after_a_write_is_refused_and_loses_nothing(sqlite_app):
    """A transaction that has written (a plain statement, not only an ORM flush) cannot be ended
    and begun again as a write transaction: that would drop its write."""
    db.session.execute(text("SELECT count(*) FROM said")).scalar()
    begin_write()  # only read so far: ended and begun again, as a writer
    db.session.commit()
    db.session.execute(text("INSERT INTO said VALUES ('plain')"))
    with pytest.raises(RuntimeError):
        begin_write()
    db.session.commit()
    assert db.session.execute(text("SELECT who FROM said")).scalars().all() == ["plain"]
