"""Running one job in a worker: mark it running, do its work in one transaction, keep its file,
mark it done; or roll everything back and mark it failed with a plain message.

Nothing is retried: a failed job changed nothing, and its owner asks again. A job that is not
'queued' when the worker takes it (already run, or failed meanwhile) is left alone, so a task
delivered twice runs once.
"""
from __future__ import annotations

import logging
import os

from flask_babel import force_locale, gettext as _
from sqlalchemy import update

from ..database import begin_write
from ..domain import audit
from ..domain.clock import now
from ..errors import Refusal
from ..extensions import db
from ..models import Job, User
from ..models.jobs import QUEUED, RUNNING
from . import core, exports, imports, labels, workbooks  # noqa: F401  (they register their kinds)
from .kinds import KINDS, Outcome

log = logging.getLogger(__name__)


def abandoned_message() -> str:
    """What the owner of a job left running by a stopped worker reads."""
    return _("处理中断：执行该任务的工作进程已停止，没有保存任何结果。请重新提交。")


def recover() -> tuple[int, int]:
    """Before a worker takes jobs: mark failed the jobs a stopped worker of this machine left
    running (`core.abandoned`) and put back on the queue the queued jobs whose task was lost
    (`core.requeue_lost`), in a transaction of its own; how many of each."""
    begin_write()
    failed = core.abandoned(abandoned_message())
    db.session.commit()
    return failed, core.requeue_lost()


def _start(job_id: str) -> Job | None:
    """Mark the job running (its own short transaction), or None when it is not to be run."""
    begin_write()
    # One statement decides: of two workers holding the same job's task, one marks it running.
    taken = db.session.execute(update(Job).where(Job.id == job_id, Job.state == QUEUED).values(
        state=RUNNING, started_at=now(), worker=core.worker_name()))
    if taken.rowcount != 1:
        db.session.rollback()
        return None
    db.session.commit()
    return db.session.get(Job, job_id)


def run(job_id: str) -> None:
    """Run the job with this id (called by the queue's task, inside an app context)."""
    job = _start(job_id)
    if job is None:
        return
    with force_locale(job.params.get("locale") or "zh_CN"), audit.asked_from(job.params.get("ip", "")):
        _run(job)


def _run(job: Job) -> None:
    job_id = job.id
    kind = KINDS.get(job.kind)
    final = core.file_path(job)
    part = final.with_name(final.name + ".part")
    try:
        owner = db.session.get(User, job.owner_id)
        if kind is None:
            raise Refusal(_("未知的任务类型。"))
        if owner is None or not owner.active:
            raise Refusal(_("提交任务的账号已停用。"))
        if kind.writes and kind.lock_first:
            begin_write()
        with open(part, "wb") as out:
            outcome: Outcome = kind.work(job, owner, out, core.Progress(job))
        if outcome.file_name:
            os.replace(part, final)
        else:
            part.unlink()
        if not kind.writes:
            db.session.rollback()  # end the read transaction; the writes below take the lock briefly
        begin_write()  # a no-op when the work holds the lock already
        job = db.session.get(Job, job_id)
        if outcome.after:
            outcome.after()
        if outcome.refused:
            core.fail(job, outcome.refused, result=outcome.result)
        else:
            core.finish(job, file_name=outcome.file_name, result=outcome.result, done=outcome.done)
        db.session.commit()
    except Exception as e:  # every failure ends as a failed job with a message for its owner
        db.session.rollback()
        for path in (part, final):
            if path.exists():
                path.unlink()
        if isinstance(e, Refusal):
            message = e.message
        else:
            log.exception("job %s (%s) failed", job_id, getattr(kind, "name", "?"))
            message = _("任务处理失败，系统已记录。请稍后重试；仍然失败请联系管理员。")
        begin_write()
        job = db.session.get(Job, job_id)
        core.fail(job, message)
        db.session.commit()
    finally:
        try:
            core.queue.forget_progress(job_id)
        except Exception:  # the progress store's key expires with the job anyway
            log.warning("could not clear the progress of job %s", job_id)
