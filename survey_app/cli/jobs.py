"""`flask jobs worker`: run queued jobs (label PDFs, workbooks, imports); `flask jobs sweep`: delete
expired jobs and their files; `flask jobs list`: the queue at a glance."""
from __future__ import annotations

import logging

import click
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..jobs import core, queue, runner
from ..models import Job


@click.group("jobs")
def jobs_group():
    """Background jobs."""


@jobs_group.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="同时执行的任务数")
@click.option("--worker-type", type=click.Choice(["thread", "process"]), default="thread", show_default=True,
              help="以线程或进程执行任务")
def worker(workers, worker_type):
    """Run queued jobs until stopped (SIGINT: finish the running jobs first; SIGTERM: stop now)."""
    failed, requeued = runner.recover()  # its own transaction: the worker holds none open while it waits
    if failed:
        click.echo(_("%(n)s 个任务因工作进程停止而中断，已标记为失败。", n=failed), err=True)
    if requeued:
        click.echo(_("%(n)s 个排队任务不在队列中，已重新排队。", n=requeued), err=True)
    if not logging.getLogger("huey").handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    db.engine.dispose()  # a process worker must not share the parent's connections
    huey = queue.huey_of()
    click.echo(_("任务队列已启动：%(n)s 个%(type)s，等待任务……", n=workers,
                 type=_("线程") if worker_type == "thread" else _("进程")), err=True)
    huey.create_consumer(workers=workers, worker_type=worker_type, periodic=False).run()


@jobs_group.command("sweep")
def sweep():
    """Delete jobs (and their files) older than JOB_KEEP_HOURS; fail jobs left by a stopped worker;
    put back on the queue queued jobs whose task was lost."""
    failed = core.abandoned(runner.abandoned_message())
    jobs, files = core.sweep()
    requeued = core.requeue_lost()
    click.echo(_("已删除过期任务 %(jobs)s 个、文件 %(files)s 个；中断的任务 %(failed)s 个已标记为失败；"
                 "重新排队 %(requeued)s 个。", jobs=jobs, files=files, failed=failed, requeued=requeued))


@jobs_group.command("list")
def list_jobs():
    """How many jobs are in each state and how many tasks wait in the queue."""
    for state, n in db.session.execute(select(Job.state, func.count()).group_by(Job.state).order_by(Job.state)):
        click.echo(f"{state}\t{n}")
    click.echo(_("队列中等待：%(n)s", n=queue.pending()))
