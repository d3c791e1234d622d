"""审计日志 (the audit log) for city, district and street admins: the events of their jurisdiction,
filtered and paged, an Excel export of the filtered list, and security events counted over time."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import access
from ..domain import audit, audit_log
from ..domain.clock import now
from ..domain.xlsx.audit import audit_workbook
from .common import page_number, requires, xlsx_response

bp = Blueprint("audit", __name__, url_prefix="/office/audit")


auditor_required = requires(access.may_see_audit, _l("仅限市、区级管理员和街道工作人员查看审计日志。"))


@bp.get("/")
@auditor_required
def index():
    filters = audit_log.Filters.parse(request.args)
    scope = access.audit_clause(current_user)
    page = audit_log.page(scope, filters, page_number())
    return render_template("audit/index.html", page=page, filters=filters, args=filters.args(),
                           actions=audit_log.actions(scope), categories=audit_log.CATEGORIES, log=audit_log)


@bp.get("/audit.xlsx")
@auditor_required
def export():
    filters = audit_log.Filters.parse(request.args)
    events = audit_log.all_events(access.audit_clause(current_user), filters)
    when = now()
    described = "；".join(f"{k}={v}" for k, v in filters.args().items())
    data = audit_workbook(events, when, described)
    audit.exported("audit", "audit_log", user=current_user, detail=f"{len(events)} 条；{described or '无筛选'}",
                   where=audit.where_user(current_user))
    return xlsx_response(data, f"审计日志-{when:%Y%m%d}.xlsx")


@bp.get("/security")
@auditor_required
def security():
    scope = access.audit_clause(current_user)
    when = now()
    return render_template("audit/security.html", days=audit_log.security_series(scope, "day", when),
                           hours=audit_log.security_series(scope, "hour", when), log=audit_log)
