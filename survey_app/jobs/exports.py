"""Workbook downloads made as jobs by running their own view again, as the job's owner, with the
query the owner asked with (web/jobs.py `in_background`): the view checks the scope and filters
exactly as for a download, and its export event is kept with the job's end."""
from __future__ import annotations

from urllib.parse import unquote

from flask import current_app, g
from flask_babel import gettext as _

from ..domain import audit
from ..errors import Refusal
from ..extensions import db
from ..models import AuditEvent
from .kinds import Outcome, kind

EXPORT = "export"
MAKING = "_job_making_export"  # on flask.g while a job runs a view: the view makes the workbook
# The views that may be run as a job (an allow-list: a job never names any other endpoint).
ENDPOINTS = {"comments.export", "rectification_sheets.export"}


def _file_name(disposition: str) -> str:
    _sep, _star, quoted = disposition.partition("filename*=UTF-8''")
    return unquote(quoted) or "export.xlsx"


@kind(EXPORT, writes=False)
def export_job(job, owner, out, progress) -> Outcome:
    """Run the named workbook view as the owner and keep what it sends."""
    p = job.params
    endpoint = p.get("endpoint")
    if endpoint not in ENDPOINTS:
        raise Refusal(_("未知的任务类型。"))
    progress(0, 1)
    with current_app.test_request_context(p.get("path", "/"), query_string=p.get("args") or {},
                                          environ_base={"REMOTE_ADDR": p.get("ip") or ""}):
        g._login_user = owner  # flask_login's current user for this one call
        g.setdefault(MAKING, True)
        resp = current_app.view_functions[endpoint](**(p.get("view_args") or {}))
        pending = audit.take_pending() or []
    if resp.status_code != 200:
        raise Refusal(_("文件生成失败，请返回列表重新下载。"))
    out.write(resp.get_data())
    progress(1, 1)

    def keep_events():
        if pending:
            db.session.execute(AuditEvent.__table__.insert(), pending)
    return Outcome(file_name=_file_name(resp.headers.get("Content-Disposition", "")), done=1, after=keep_events)
