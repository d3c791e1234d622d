"""Roster upload for street offices: template download, dry run, all-or-nothing import."""
from functools import lru_cache

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import access
from ..domain import roster
from ..access import Area
from ..database import parses_first
from ..errors import Forbidden
from ..jobs import imports
from . import jobs
from .common import officer_required, xlsx_response

bp = Blueprint("roster", __name__, url_prefix="/office/roster")


def street_checker(user):
    """A cached 'may this user import into this street?' for one import."""
    @lru_cache(maxsize=None)
    def allowed(street_id: int) -> bool:
        return access.may_import_roster(user) and access.may_see_area(user, Area("street", street_id))
    return lambda street: allowed(street.id)


def _require_importer():
    if not access.may_import_roster(current_user):
        raise Forbidden(_("网格员不能导入花名册：楼栋所属的网格由街道工作人员导入。"))


@bp.get("/")
@officer_required
def upload_form():
    _require_importer()
    return render_template("roster/upload.html", result=None, file_error=None)


@bp.get("/template.xlsx")
@officer_required
def template():
    return xlsx_response(roster.template_workbook(), "住户花名册导入模板.xlsx")


@bp.post("/")
@parses_first  # the file is read before the write lock is taken (import_roster takes it)
@officer_required
def upload():
    _require_importer()
    f = request.files.get("file")
    dry_run = request.form.get("dry_run") == "yes"
    if f is None or not f.filename:
        return render_template("roster/upload.html", result=None, file_error=_("请选择要导入的 Excel 文件。")), 400
    data = f.read()
    try:
        if not dry_run and len(roster.parse(data)[1]) > current_app.config["JOB_LARGE_ROWS"]:
            return _import_in_background(data)
        result = roster.import_roster(data, current_user, dry_run=dry_run,
                                      area_check=street_checker(current_user))
    except roster.RosterFileError as e:
        return render_template("roster/upload.html", result=None, file_error=e.message), e.status
    if not result.ok:
        return render_template("roster/upload.html", result=result, file_error=None), 422
    return render_template("roster/upload.html", result=result, file_error=None)


def _import_in_background(data: bytes):
    """A large roster (checked readable, over JOB_LARGE_ROWS rows) imported by a job; the user is
    sent to its page, which shows the same result as this page would."""
    job = jobs.submit(imports.ROSTER)
    imports.keep_upload(job, data)
    return jobs.page(job)
