"""Large workbooks as jobs: the ranking workbook of an area (web/office.py asks for it when the
area holds many households)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import access
from ..access import Area
from ..domain import audit
from ..domain.clock import now
from ..domain.xlsx.ranking import ranking_workbook_for
from ..errors import Refusal
from ..extensions import db
from ..models import Campaign, Compound
from .kinds import Outcome, kind

RANKING = "ranking"


def households_in(compound_clause) -> int:
    """Households of the compounds the clause picks (to tell a large export from a small one), from the
    maintained count per compound."""
    return db.session.scalar(select(func.sum(Compound.households)).where(compound_clause)) or 0


def ranking_area(user, raw: str) -> Area:
    """The area a ranking export names (`Area.parse` text; empty: the user's own), within the user's view."""
    return access.require_area(user, Area.parse(raw)) if raw else access.seen_area(user)


def ranking_file_name(area: Area) -> str:
    """The ranking workbook's download name."""
    return f"物业服务企业满意度排名-{area.name()}.xlsx"


def ranking_audit(user, campaign, area: Area, include_held: bool) -> None:
    """The export event of a ranking workbook (the page's download and the job write the same)."""
    detail = f"{area.name()}（含待复核答卷）" if include_held else area.name()
    audit.exported("ranking", f"campaign:{campaign.id} {area.value}", user=user, detail=detail,
                   where=audit.where_area(area.level, area.id))


@kind(RANKING, writes=False)
def ranking_job(job, owner, out, progress) -> Outcome:
    """The ranking workbook of the area the job names, as its owner may see it."""
    p = job.params
    if not access.may_see_officer_pages(owner):
        raise Refusal(_("您没有权限访问此页面。"), 403)
    campaign = access.get_visible(owner, Campaign, p["campaign_id"])
    area = ranking_area(owner, p.get("area", ""))
    include_held = bool(p.get("held")) and access.may_see_held_figures(owner)
    progress(0, 1)
    out.write(ranking_workbook_for(campaign, area, now(), include_held=include_held))
    progress(1, 1)
    name = ranking_file_name(area)
    owner_id, campaign_id = owner.id, campaign.id
    return Outcome(file_name=name, done=1, after=lambda: ranking_audit(
        db.session.get(type(owner), owner_id), db.session.get(Campaign, campaign_id), area, include_held))
