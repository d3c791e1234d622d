"""Jobs as the app sees them: submit one, report progress, finish or fail it, find a user's jobs,
their files, and sweep the expired ones. These functions never commit: the request, the command
or the runner (survey_app/jobs/runner.py) ends the transaction, and a submitted job is put on the
queue only once its row is committed."""
from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from ..database import begin_write
from ..domain.clock import now
from ..extensions import db
from ..models import Job
from ..models.jobs import DONE, FAILED, QUEUED, RUNNING
from . import queue

PENDING = "jobs_to_enqueue"
RECENT = 50  # jobs listed on "my jobs"


def files_folder() -> Path:
    """Where job files are kept (JOB_FILES_FOLDER, else instance/job-files), made on first use."""
    folder = Path(current_app.config.get("JOB_FILES_FOLDER") or Path(current_app.instance_path) / "job-files")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_path(job: Job) -> Path:
    """The job's file (named by its random id only)."""
    return files_folder() / job.id


def submit(kind: str, owner, **params) -> Job:
    """Store a queued job for `owner`; it is put on the queue when this transaction commits.

    Its row may be its request's first write (a parsed upload, a workbook asked for by a GET):
    SQLite's write lock is taken here, a no-op when the request holds it already."""
    begin_write()
    created = now()
    job = Job(id=secrets.token_hex(16), kind=kind, owner_id=owner.id, params=params, state=QUEUED, done=0,
              total=0, message="", created_at=created,
              expires_at=created + timedelta(hours=current_app.config.get("JOB_KEEP_HOURS", 72)))
    db.session.add(job)
    db.session.flush()
    db.session().info.setdefault(PENDING, []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session) -> None:
    for job_id in session.info.pop(PENDING, []):
        queue.enqueue(job_id)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session, _previous) -> None:
    session.info.pop(PENDING, None)


class Progress:
    """Reports a running job's progress cheaply: at most one write a second or per whole percent."""

    def __init__(self, job: Job):
        self.job_id = job.id
        self.last = (-1.0, -1)

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 0
        at = time.monotonic()
        if percent > self.last[1] or at - self.last[0] >= 1.0:
            self.last = (at, percent)
            progress(self.job_id, done, total)


def progress(job_or_id, done: int, total: int) -> None:
    """Store how far a running job is (in the queue's store: no lock on the database is taken)."""
    queue.put_progress(getattr(job_or_id, "id", job_or_id), int(done), int(total))


def shown_progress(job: Job) -> tuple[int, int]:
    """(done, total) to show for a job: the queue's latest figures while it runs, else its row's."""
    if job.state == RUNNING:
        latest = queue.read_progress(job.id)
        if latest:
            return latest
    return job.done, job.total


def finish(job: Job, *, file_name: str | None = None, result: dict | None = None, done: int | None = None) -> None:
    """Mark the job done (in the transaction of its work: both are kept or neither)."""
    job.state = DONE
    job.file_name = file_name
    job.result = result
    if done is not None:
        job.done = job.total = done
    job.finished_at = now()


def fail(job: Job, message: str, result: dict | None = None) -> None:
    """Mark the job failed with a message for its owner (plain words, never a trace) and what
    its page shows of it (`result`: an import's refused rows)."""
    job.state = FAILED
    job.message = message[:500]
    job.result = result
    job.finished_at = now()


def job_of(owner, job_id: str) -> Job | None:
    """The owner's job with this id, or None (another user's job is as absent as a missing one)."""
    job = db.session.get(Job, job_id) if isinstance(job_id, str) and len(job_id) <= 32 else None
    return job if job is not None and job.owner_id == owner.id else None


def jobs_of(owner) -> list[Job]:
    """The owner's latest jobs, newest first."""
    return list(db.session.scalars(select(Job).where(Job.owner_id == owner.id)
                                   .order_by(Job.created_at.desc(), Job.id).limit(RECENT)))


def worker_name() -> str:
    """host:pid of this process, as stored on the jobs it runs."""
    return f"{os.uname().nodename}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(message: str) -> int:
    """Mark failed the jobs left 'running' by a worker of this machine that is gone; how many.

    A job's work is one transaction, so nothing of it was kept: its owner asks for it again.
    """
    host = os.uname().nodename
    n = 0
    for job in db.session.scalars(select(Job).where(Job.state == RUNNING)):
        name, _sep, pid = (job.worker or "").rpartition(":")
        if name == host and pid.isdigit() and not _alive(int(pid)):
            fail(job, message)
            n += 1
    return n


LOST_AFTER = timedelta(minutes=5)  # a queued job older than this with no task in the queue was lost


def requeue_lost(at=None) -> int:
    """Put back on the queue the jobs still 'queued' in the database whose task is not in it (a
    worker that took the task died before starting the job, or the queue did not answer when the
    job was asked for); how many. A job asked for in the last LOST_AFTER is left alone: its task
    may be on its way. Should a task be there twice, the job still runs once (runner._start)."""
    at = at or now()
    waiting = queue.waiting_job_ids()
    lost = [job_id for job_id in db.session.scalars(
        select(Job.id).where(Job.state == QUEUED, Job.created_at <= at - LOST_AFTER).order_by(Job.created_at))
        if job_id not in waiting]
    for job_id in lost:
        queue.enqueue(job_id)
    return len(lost)


def sweep(at=None) -> tuple[int, int]:
    """Delete expired jobs and their files, and files no job names any more: (jobs, files) deleted."""
    at = at or now()
    folder = files_folder()
    expired = list(db.session.scalars(select(Job.id).where(Job.expires_at <= at)))
    files = 0
    for job_id in expired:
        for path in (folder / job_id, folder / f"{job_id}.part"):
            if path.exists():
                path.unlink()
                files += 1
    if expired:
        db.session.execute(delete(Job).where(Job.id.in_(expired)))
    known = set(db.session.scalars(select(Job.id)))
    keep = current_app.config.get("JOB_KEEP_HOURS", 72) * 3600
    for path in folder.iterdir():
        if path.name.split(".")[0] not in known and time.time() - path.stat().st_mtime > keep:
            path.unlink()
            files += 1
    return len(expired), files


__all__ = ["DONE", "FAILED", "QUEUED", "RUNNING", "Progress", "abandoned", "fail", "file_path", "files_folder",
           "finish", "job_of", "jobs_of", "progress", "requeue_lost", "shown_progress", "submit", "sweep",
           "worker_name"]
