"""The huey queue, made lazily from the app's configuration, and its small key-value store.

JOBS_URL empty: a SQLite queue file in instance/ (no extra server); `redis://...`: Redis, shared
by the workers of every machine. One task, `run_job(job_id)`, carries every kind of job: the
queue holds only the job's id, the database holds the rest (survey_app/jobs/runner.py).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey
from redis import ConnectionPool

EXTENSION = "huey"
NAME = "survey-jobs"
PROGRESS = "progress:"


def make_huey(app: Flask) -> Huey:
    """A huey for the app's JOBS_URL; its one task runs a job inside an app context."""
    url = app.config.get("JOBS_URL", "")
    if app.config.get("JOBS_IMMEDIATE"):
        huey = MemoryHuey(NAME, results=False)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        # Time-outs: a Redis that stops answering makes /healthz say so instead of hanging.
        pool = ConnectionPool.from_url(url, socket_timeout=10, socket_connect_timeout=3, health_check_interval=30)
        huey = RedisHuey(NAME, results=False, connection_pool=pool)
    elif url.startswith("sqlite:///") or not url:
        path = url[len("sqlite:///"):] if url else str(Path(app.instance_path) / "jobs.db")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        huey = SqliteHuey(NAME, results=False, filename=path)
    else:
        raise RuntimeError(f"JOBS_URL must be empty, sqlite:///path or redis://...; got {url!r}")

    @huey.task(name="run_job")
    def run_job(job_id: str) -> None:
        from .runner import run  # cycle: the runner enqueues through this module

        with app.app_context():
            run(job_id)

    huey.run_job = run_job
    return huey


def huey_of(app: Flask | None = None) -> Huey:
    """The app's huey, made on first use."""
    app = app or current_app._get_current_object()
    huey = app.extensions.get(EXTENSION)
    if huey is None:
        huey = app.extensions[EXTENSION] = make_huey(app)
    return huey


def enqueue(job_id: str) -> None:
    """Put a job on the queue (its row must be committed: a worker may take it at once).

    JOBS_IMMEDIATE (tests): run it now, in a thread of its own as a worker would (outside the
    request that asked for it), and return when it has ended.
    """
    huey = huey_of()
    if current_app.config.get("JOBS_IMMEDIATE"):
        worker = threading.Thread(target=huey.run_job.call_local, args=(job_id,))
        worker.start()
        worker.join()
    else:
        huey.run_job(job_id)


def put_progress(job_id: str, done: int, total: int) -> None:
    """Store a running job's progress where the web page reads it (no database write lock needed)."""
    huey_of().put(PROGRESS + job_id, (done, total))


def read_progress(job_id: str) -> tuple[int, int] | None:
    """The last progress stored for a job, or None."""
    try:
        return huey_of().get(PROGRESS + job_id, peek=True)
    except Exception:  # the page shows the row's own figures when the store does not answer
        return None


def forget_progress(job_id: str) -> None:
    """Drop a finished job's progress."""
    huey_of().get(PROGRESS + job_id)


def ping() -> bool:
    """True when the queue store answers (for /healthz)."""
    try:
        huey_of().storage.queue_size()
        return True
    except Exception:  # any failure of the store means "not reachable"
        return False


def pending() -> int:
    """Tasks waiting in the queue."""
    return huey_of().storage.queue_size()


def waiting_job_ids() -> set[str]:
    """The ids of the jobs whose tasks wait in the queue."""
    return {task.args[0] for task in huey_of().pending() if task.args}
