"""Large imports as jobs (web/roster.py and web/rectification_sheets.py ask for them above
JOB_LARGE_ROWS rows): the uploaded file is kept beside the job's files until the job has read it;
the import is the page's own, all or nothing, and its result (counts or the rows' errors) is shown
on the job's page as on the upload page."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from flask_babel import gettext as _

from ..domain import roster
from ..domain.rectification import sheet_import
from ..web.roster import street_checker
from . import core
from .kinds import Outcome, kind

ROSTER = "roster"
RECTIFICATION = "rectification_import"
RESULTS = {ROSTER: roster, RECTIFICATION: sheet_import}  # each module's ImportResult and RowError


def upload_path(job) -> Path:
    """Where the job's uploaded file waits for the worker."""
    return core.files_folder() / f"{job.id}.upload"


def keep_upload(job, data: bytes) -> None:
    """Store the uploaded file for the job (before the request commits and the job is queued)."""
    upload_path(job).write_bytes(data)


def _import(job, run) -> Outcome:
    path = upload_path(job)
    try:
        data = path.read_bytes()
        progress = core.Progress(job)
        progress(0, 1)
        result = run(data)
    finally:
        path.unlink(missing_ok=True)
    progress(1, 1)
    refused = _("没有导入任何数据：文件中的问题见下表，改正后请重新上传。") if result.errors else None
    return Outcome(result=asdict(result), done=result.rows, refused=refused)


@kind(ROSTER, writes=True, lock_first=False)
def roster_job(job, owner, out, progress) -> Outcome:
    """Import the kept roster file as its owner; nothing is written when any row is refused."""
    return _import(job, lambda data: roster.import_roster(data, owner, dry_run=False,
                                                          area_check=street_checker(owner)))


@kind(RECTIFICATION, writes=True, lock_first=False)
def rectification_job(job, owner, out, progress) -> Outcome:
    """Import the kept rectification workbook as its owner; no move is made when any row is refused."""
    return _import(job, lambda data: sheet_import.import_items(data, owner, dry_run=False))


def import_result(job):
    """A finished import job's result as its upload page shows it (None for other jobs)."""
    module = RESULTS.get(job.kind)
    if module is None or not job.result:
        return None
    data = dict(job.result)
    errors = [module.RowError(**e) for e in data.pop("errors", [])]
    return module.ImportResult(errors=errors, **data)
