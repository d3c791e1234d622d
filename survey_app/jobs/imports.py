"""A large roster import as a job (web/roster.py asks for it above JOB_LARGE_ROWS rows): the uploaded
file is kept beside the job's files until the job has read it; the import is the page's own, all or
nothing, and its result (counts or the rows' errors) is shown on the job's page."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..domain import roster
from ..web.roster import street_checker
from . import core
from .kinds import Outcome, kind

ROSTER = "roster"


def upload_path(job) -> Path:
    """Where the job's uploaded file waits for the worker."""
    return core.files_folder() / f"{job.id}.upload"


def keep_upload(job, data: bytes) -> None:
    """Store the uploaded file for the job (before the request commits and the job is queued)."""
    upload_path(job).write_bytes(data)


@kind(ROSTER, writes=True, lock_first=False)
def roster_job(job, owner, out, progress) -> Outcome:
    """Import the kept roster file as its owner; nothing is written when any row is refused."""
    path = upload_path(job)
    try:
        data = path.read_bytes()
        progress(0, 1)
        result = roster.import_roster(data, owner, dry_run=False, area_check=street_checker(owner))
    finally:
        path.unlink(missing_ok=True)
    progress(1, 1)
    return Outcome(result=asdict(result), done=result.rows)


def roster_result(job) -> roster.ImportResult | None:
    """A finished roster job's result as the upload page shows it."""
    if job.kind != ROSTER or not job.result:
        return None
    data = dict(job.result)
    errors = [roster.RowError(**e) for e in data.pop("errors", [])]
    return roster.ImportResult(errors=errors, **data)
