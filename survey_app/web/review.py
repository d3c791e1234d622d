"""答卷复核 (review): the held responses of the officer's area grouped by cluster, shown by their
signals only, and the decision on a cluster or the responses ticked in it (domain/integrity/review)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from .. import access
from ..domain.campaigns.lifecycle import default_campaign
from ..domain.integrity import review
from ..domain.stats.privacy import MIN_GROUP
from ..domain.stats.reports import held_count
from .common import all_campaigns, area_pick, campaign_in_view, page_number, requires

bp = Blueprint("review", __name__, url_prefix="/office")
reviewer_required = requires(access.may_review_responses, _l("仅限街道及以上工作人员复核答卷。"))


@bp.app_context_processor
def _waiting():
    """`review_waiting()` for the navigation: held responses of the user's default campaign and area
    (asked only where the link is shown, to those who may review)."""
    def review_waiting() -> int:
        campaign = default_campaign(access.campaign_clause(current_user))
        area = access.seen_area(current_user)
        return held_count(campaign, area) if campaign is not None and area is not None else 0
    return {"review_waiting": review_waiting}


def _list_args(**extra) -> dict:
    """The queue's query string (campaign, the area picker's levels or an old link's area, kind, page)
    as its forms and paging links post it back."""
    keep = ("campaign", "area", "district", "street", "community", "compound", "grid", "building", "kind", "page")
    return {**{k: request.args[k] for k in keep if request.args.get(k)}, **extra}


@bp.get("/review")
@reviewer_required
def index():
    """The clusters of held responses in the area the picker chose (down to a building or a grid; an
    old link's ?area= read as its district or street), filtered by kind, paged."""
    campaign = campaign_in_view()
    pick = area_pick(legacy_area=True)
    filters = review.Filters.parse(request.args)
    households = pick.household_clause() if "building" in pick.chosen or pick.grid else None
    queue = review.queue(campaign, access.compound_clause(current_user) & pick.compound_clause(), filters,
                         page_number(), households=households)
    return render_template("office/review.html", campaign=campaign, campaigns=all_campaigns(), pick=pick,
                           scope=pick.name() or access.seen_area(current_user).name(), filters=filters,
                           queue=queue, kinds=[(k, review.kind_label(k)) for k in review.KINDS],
                           kind_label=review.kind_label, min_group=MIN_GROUP, list_args=_list_args)


@bp.post("/review/decide")
@reviewer_required
def decide():
    """Accept or reject the responses posted (a cluster's, or those ticked): all or none."""
    campaign = campaign_in_view()
    ids = review.parse_ids(request.form.getlist("response"))
    done = review.decide(current_user, campaign, ids, request.form.get("decision", ""),
                         request.form.get("note", ""))
    if done.decision == "accepted":
        flash(_("已采纳 %(n)s 份答卷，计入公布结果。", n=done.count), "success")
    else:
        flash(_("已驳回 %(n)s 份答卷，不计入任何结果。已作废原二维码，网格员可在走访页面为这些住户补发。", n=done.count),
              "success")
    return redirect(url_for(".index", **_list_args()))
