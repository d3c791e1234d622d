"""The rectification workbook both ways: download the items the list shows (its area and filters) and
import the same workbook after a company or an office filled it in (dry run, all or nothing)."""
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_

from .. import access
from ..database import parses_first
from ..domain import audit
from ..domain.clock import now
from ..domain.rectification import listing
from ..domain.rectification import sheet_import
from ..domain.xlsx import rectification as workbook
from ..domain.xlsx.common import office_of
from ..domain.xlsx.reading import limits
from ..models import Community, Company, Street
from ..extensions import db
from ..jobs import imports
from . import jobs
from .common import arg_id, campaign_in_view, requires, xlsx_response
from .rectification import checked_filters, scope_in_view

bp = Blueprint("rectification_sheets", __name__, url_prefix="/rectification")

rectification_required = requires(access.may_see_rectification, _l("仅限工作人员和物业服务企业用户。"))


def filters_in_view(campaign) -> tuple[workbook.Filters, str, object]:
    """The items the list shows (web.rectification: the area picker's levels or an old link's ?area=
    for officers, ?street= for companies, ?community=, ?company=, ?status=, ?source=, ?q=, ?overdue=,
    each checked against the user's jurisdiction), the scope's name for the title block and the
    audit trail's jurisdiction."""
    clause, pick = scope_in_view()
    f = checked_filters(pick)
    names = []
    street_id = arg_id("street") if pick is None else None
    if street_id is not None:
        names.append(access.get_visible(current_user, Street, street_id).name)
    if pick is not None and pick.name():
        names.append(pick.name())
    if f.community_id is not None:
        names.append(db.session.get(Community, f.community_id).name)
    if f.company_id is not None:
        names.append(db.session.get(Company, f.company_id).name)
    where = and_(*listing.conditions(clause, campaign.id, f, now().date()))
    return (workbook.Filters(campaign.id, where, street_id), " ".join(names) or office_of(current_user),
            pick.where() if pick is not None else audit.where_user(current_user))


@bp.route("/export.xlsx", methods=["GET", "POST"])
@rectification_required
def export():
    """The items of the campaign in view, narrowed as the list is (`filters_in_view`), as the workbook;
    an officer's large area is made by a job (`jobs.in_background`)."""
    campaign = campaign_in_view()
    f, scope, where = filters_in_view(campaign)
    if access.is_officer(current_user):
        _clause, pick = scope_in_view()
        background = jobs.in_background(access.compound_clause(current_user) & pick.compound_clause(),
                                        f"整改清单-{campaign.name}.xlsx")
        if background is not None:
            return background
    data, count = workbook.rectification_workbook(f, campaign.name, scope, office_of(current_user))
    audit.exported("rectification", f"campaign:{campaign.id}", user=current_user, detail=f"{scope} {count} 条",
                   where=where)
    return xlsx_response(data, f"整改清单-{campaign.name}.xlsx")


def _page(status: int = 200, **values):
    """The import page, with a result or a file error when there is one."""
    values.setdefault("result", None)
    values.setdefault("file_error", None)
    campaign = values.pop("campaign", None)
    return render_template("rectification/import.html", limits=limits(), campaign=campaign,
                           may_manage=access.may_manage_rectification(current_user), **values), status


@bp.get("/import")
@rectification_required
def import_form():
    """The upload form: what the import reads and does, the limits, the current workbook's link."""
    return _page(campaign=campaign_in_view())


@bp.post("/import")
@parses_first  # the file is read before the write lock is taken (import_items takes it)
@rectification_required
def import_():
    """Check the uploaded workbook and make its moves, or none (422 with the refused rows)."""
    f = request.files.get("file")
    dry_run = request.form.get("dry_run") == "yes"
    if f is None or not f.filename:
        return _page(400, file_error=_("请选择要导入的 Excel 文件。"))
    data = f.read()
    try:
        if not dry_run and len(sheet_import.read_sheet(data)[1]) > current_app.config["JOB_LARGE_ROWS"]:
            job = jobs.submit(imports.RECTIFICATION)
            imports.keep_upload(job, data)  # the job imports it as this page would (all or nothing)
            return jobs.page(job)
        result = sheet_import.import_items(data, current_user, dry_run=dry_run)
    except sheet_import.SheetFileError as e:
        return _page(e.status, file_error=e.message)
    if not result.ok:
        return _page(422, result=result)
    return _page(result=result)
