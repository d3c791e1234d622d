"""后台任务 (jobs): a job's page with its state and progress (refreshing itself until it ends), its
download when done, and the user's own jobs. A job and its file are served only to its owner:
anyone else gets 404, as for a job that does not exist."""
from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required

from ..domain import audit
from ..errors import NotFound
from ..jobs import core, exports, imports
from ..jobs.workbooks import households_in
from ..models.jobs import DONE

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

REFRESH_SECONDS = 2
JOB_ID = "<string(length=32):job_id>"


def submit(kind: str, **params):
    """A job for the current user (it repeats the view's checks as its owner), queued once this
    request commits."""
    return core.submit(kind, current_user, locale=str(get_locale() or ""), ip=audit.client_address(), **params)


def page(job):
    """Send the user to the job's page."""
    return redirect(url_for("jobs.show", job_id=job.id))


def start(kind: str, **params):
    """Submit a job for the current user and send them to its page."""
    return page(submit(kind, **params))


def in_background(compound_clause, title: str):
    """For a workbook view that may be large (GET and POST on the same URL): None to make it now (a
    small area, or the job making it); a page offering to make it in the background (a GET on an
    area of more than JOB_LARGE_HOUSEHOLDS households); or, for that page's POST, the job.

    The view has parsed and checked its query (campaign, area, filters) before asking, so an area
    outside the user's view is refused before any job exists; the job runs the view again as its owner.
    """
    if g.get(exports.MAKING):
        return None
    if request.method == "POST":
        return start(exports.EXPORT, endpoint=request.endpoint, args=request.args.to_dict(flat=False),
                     view_args=request.view_args or {}, path=request.path)
    if households_in(compound_clause) > current_app.config["JOB_LARGE_HOUSEHOLDS"]:
        return render_template("jobs/offer.html", title=title, action=request.full_path)
    return None


def _own(job_id: str):
    job = core.job_of(current_user, job_id)
    if job is None:
        raise NotFound(_("任务不存在、已过期删除，或不是您提交的。"))
    return job


@bp.get("/")
@login_required
def index():
    """The user's latest jobs, newest first."""
    jobs = core.jobs_of(current_user)
    running = any(not j.finished for j in jobs)
    return render_template("jobs/index.html", jobs=jobs, refresh=REFRESH_SECONDS if running else None,
                           progress=core.shown_progress)


@bp.get(f"/{JOB_ID}")
@login_required
def show(job_id: str):
    """A job's state and progress; the download once done; the reason once failed."""
    job = _own(job_id)
    done, total = core.shown_progress(job)
    percent = 100 if job.state == DONE else (min(100, done * 100 // total) if total else 0)
    return render_template("jobs/show.html", job=job, done=done, total=total, percent=percent,
                           refresh=None if job.finished else REFRESH_SECONDS, imported=imports.import_result(job),
                           has_file=job.state == DONE and bool(job.file_name) and core.file_path(job).exists())


@bp.get(f"/{JOB_ID}/file")
@login_required
def download(job_id: str):
    """The job's file, to its owner only, while it is kept."""
    job = _own(job_id)
    path = core.file_path(job)
    if job.state != DONE or not job.file_name or not path.exists():
        raise NotFound(_("文件不存在或已过期删除。"))
    resp = send_file(path, as_attachment=True, download_name=job.file_name, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
