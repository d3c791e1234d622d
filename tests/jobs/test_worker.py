"""The job queue with a real worker (`flask jobs worker` in its own process) on the embedded SQLite
queue and on a real redis-server: a job asked for while no worker runs waits in the queue and is
run by the next worker; progress goes through the queue's store; the file is served to its owner;
a job left 'running' by a worker that died is marked failed when a worker starts again."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.domain.clock import now
from survey_app.extensions import db as _db
from survey_app import jobs
from survey_app.jobs import core, queue
from survey_app.models import AuditEvent, Job, User

from ..conftest import make_config
from ..factories import build_world
from ..printing.pdfqr import read_pdf, tokens_of

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120  # seconds a worker may take before the test gives up (a stuck worker, not a slow one)


@pytest.fixture(params=["sqlite", "redis"])
def jobs_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return request.getfixturevalue("redis_url")


@pytest.fixture
def queued_app(tmp_path, jobs_url):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'survey.db'}", JOBS_IMMEDIATE=False, JOBS_URL=jobs_url,
                                 JOB_FILES_FOLDER=str(tmp_path / "files"), JOB_LARGE_HOUSEHOLDS=10))
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


class Worker:
    """`flask jobs worker` on the test's database and queue, in a process of its own."""

    def __init__(self, app):
        env = dict(os.environ, APP_ENV="development", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                   JOBS_URL=app.config["JOBS_URL"], JOB_FILES_FOLDER=app.config["JOB_FILES_FOLDER"],
                   SECRET_KEY="test-worker", PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"], FLASK_APP="wsgi")
        self.proc = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "--workers", "1"], cwd=ROOT,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.stdout.read()


def _wait_until_finished(job_id: str) -> Job:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        _db.session.rollback()
        job = _db.session.get(Job, job_id)
        if job.finished:
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish (state {job.state})")


def _login(client, username):
    assert client.post("/login", data={"username": username, "password": "pw-123456"}).status_code == 302


def test_a_job_asked_for_with_no_worker_runs_when_a_worker_starts(queued_app):
    world = build_world()
    client = queued_app.test_client()
    _login(client, "street1")
    resp = client.post(f"/office/print/street/{world.s1.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    assert resp.status_code == 302
    job_id = resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    page = client.get(f"/jobs/{job_id}").data.decode()
    assert "排队中" in page and 'http-equiv="refresh"' in page
    assert queue.pending() == 1
    worker = Worker(queued_app)
    try:
        job = _wait_until_finished(job_id)
    finally:
        output = worker.stop()
    assert job.state == "done", (job.message, output)
    assert (job.done, job.total) == (80, 80) and job.result["labels"] == 80 and job.worker
    assert queue.pending() == 0
    page = client.get(f"/jobs/{job_id}").data.decode()
    assert "已完成" in page and 'http-equiv="refresh"' not in page
    pdf = client.get(f"/jobs/{job_id}/file")
    assert pdf.status_code == 200
    urls, _text, _pages = read_pdf(pdf.data)
    assert len(set(tokens_of(urls))) == 80


def test_progress_goes_through_the_queue_store_to_the_job_page(queued_app):
    build_world()
    owner = _db.session.scalar(select(User).where(User.username == "city"))
    job = core.submit("ranking", owner, campaign_id=1)
    _db.session.commit()
    job.state = "running"
    _db.session.commit()
    progress = core.Progress(job)
    progress(0, 400)
    progress(37, 400)  # a new whole percent: stored
    client = queued_app.test_client()
    _login(client, "city")
    page = client.get(f"/jobs/{job.id}").data.decode()
    assert "处理中" in page and "37 / 400（9%）" in page
    assert core.shown_progress(job) == (37, 400)


def test_a_job_left_running_by_a_dead_worker_is_marked_failed_when_a_worker_starts(queued_app):
    build_world()
    owner = _db.session.scalar(select(User).where(User.username == "city"))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job = Job(id="d" * 32, kind="ranking", owner_id=owner.id, params={}, state="running", done=3, total=10,
              message="", created_at=now(), started_at=now(), expires_at=now() + timedelta(hours=1),
              worker=f"{os.uname().nodename}:{dead.pid}")
    _db.session.add(job)
    _db.session.commit()
    worker = Worker(queued_app)
    try:
        job = _wait_until_finished("d" * 32)
    finally:
        worker.stop()
    assert job.state == "failed" and "工作进程已停止" in job.message


def _queued_job(owner, job_id: str, minutes_ago: int, campaign_id: int) -> Job:
    """A queued job's row as `core.submit` stores it, asked for `minutes_ago` (its task not queued)."""
    at = now() - timedelta(minutes=minutes_ago)
    job = Job(id=job_id, kind="ranking", owner_id=owner.id, params={"campaign_id": campaign_id, "area": ""},
              state="queued", done=0, total=0, message="", created_at=at, expires_at=at + timedelta(hours=72))
    _db.session.add(job)
    return job


def test_a_queued_job_whose_task_was_lost_is_queued_again_and_runs_once(queued_app):
    """A worker that took a task and died before starting the job, or a queue that did not answer when
    the job was asked for: the job's row says 'queued' and no task is waiting. The sweep and a
    starting worker put it back; a job just asked for, or one whose task waits, is left alone."""
    world = build_world()
    owner = _db.session.scalar(select(User).where(User.username == "city"))
    lost = _queued_job(owner, "a" * 32, 10, world.campaign.id)
    _queued_job(owner, "b" * 32, 1, world.campaign.id)  # just asked for: its task may be on its way
    waiting = _queued_job(owner, "c" * 32, 10, world.campaign.id)
    _db.session.commit()
    queue.enqueue(waiting.id)
    assert queue.waiting_job_ids() == {waiting.id}

    result = queued_app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0 and "重新排队 1 个" in result.output, result.output
    assert queue.waiting_job_ids() == {waiting.id, lost.id}
    queue.enqueue(lost.id)  # the same task twice (a sweep and a starting worker): the job runs once
    worker = Worker(queued_app)
    try:
        for job_id in (lost.id, waiting.id):
            job = _wait_until_finished(job_id)
            assert job.state == "done", job.message
    finally:
        worker.stop()
    _db.session.rollback()
    assert _db.session.get(Job, "b" * 32).state == "queued"
    assert queue.pending() == 0
    exports = _db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "export.ranking")).all()
    assert len(exports) == 2  # the lost job and the waiting one, each made once


def test_health_says_whether_the_queue_answers(queued_app, tmp_path):
    assert jobs.health() is True
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = create_app(make_config(f"sqlite:///{tmp_path / 'other.db'}", JOBS_IMMEDIATE=False,
                                  JOBS_URL=f"redis://127.0.0.1:{port}/0"))
    with gone.app_context():
        assert jobs.health() is False
