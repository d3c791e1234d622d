"""居民意见 (what residents said) for officers: comments, free-text answers and follow-up requests of
an area (the shared area picker, down to the compound), filtered, identical texts counted once,
advertising only counted, never who wrote them; an Excel download."""
from dataclasses import replace

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import access
from ..domain import audit
from ..domain.clock import now
from ..domain.stats import comments
from ..domain.xlsx.comments import comments_workbook
from . import jobs
from .common import all_campaigns, area_pick, campaign_in_view, officer_required, page_number, xlsx_response

bp = Blueprint("comments", __name__, url_prefix="/office")


def _in_view():
    """The campaign, the area picker (down to the compound: texts never narrow to a building or a grid,
    whose few households a text could identify; an old link's ?area= read as its district or street)
    and the filters the query string names, each within the user's view.

    :raise NotFound: a compound outside the user's jurisdiction (as every scoped row).
    """
    campaign = campaign_in_view()
    pick = area_pick(down_to="compound", legacy_area=True)
    filters = replace(comments.Filters.parse(request.args, campaign), compound_id=pick.id("compound"))
    return campaign, pick, filters


def _where(pick):
    """The compounds in view: the user's jurisdiction, narrowed by the picker."""
    return access.compound_clause(current_user) & pick.compound_clause()


def _link_args(pick, filters) -> dict:
    """The list's filters as paging and download links write them."""
    return {**filters.args(), **pick.args()}


@bp.get("/comments")
@officer_required
def index():
    campaign, pick, filters = _in_view()
    where = _where(pick)
    page = comments.comment_page(campaign, where, filters, page_number())
    return render_template("comments/index.html", campaign=campaign, campaigns=all_campaigns(), pick=pick,
                           scope=pick.name() or access.seen_area(current_user).name(), filters=filters,
                           args=_link_args(pick, filters), page=page, companies=comments.company_choices(where),
                           sources=comments.SOURCES, source_label=comments.source_label,
                           low_index=comments.LOW_INDEX)


@bp.route("/comments.xlsx", methods=["GET", "POST"])
@officer_required
def export():
    """The comments of the list as a workbook; for a large area, made by a job (`jobs.in_background`)."""
    campaign, pick, filters = _in_view()
    where = _where(pick)
    name = pick.name() or access.seen_area(current_user).name()
    if (background := jobs.in_background(where, f"居民意见-{name}.xlsx")) is not None:
        return background
    when = now()
    listed = comments.comment_list(campaign, where, filters, limit=comments.EXPORT_MAX)
    groups = listed.groups
    withheld = comments.withheld_compounds(campaign, where, filters)
    scope = pick.name() or access.seen_area(current_user)
    data = comments_workbook(campaign, scope, filters, groups, withheld, when, adverts=listed.adverts)
    described = "；".join(f"{k}={v}" for k, v in _link_args(pick, filters).items())
    audit.exported("comments", f"campaign:{campaign.id} {_target(pick)}", user=current_user,
                   detail=f"{len(groups)} 条；{described or '无筛选'}", where=pick.where())
    return xlsx_response(data, f"居民意见-{name}.xlsx")


def _target(pick) -> str:
    """The audit target's area, as the old `?area=` wrote it (the lowest level chosen otherwise)."""
    if not pick.chosen:
        return access.seen_area(current_user).value
    level, row = list(pick.chosen.items())[-1]
    return f"{level}:{row.id}"
