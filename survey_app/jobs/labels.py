"""The label PDF of a building, compound, community or street as a job (web/printing.py asks for it)."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from .. import access
from ..domain.printing import labels as labels_pdf, selection
from ..errors import Refusal
from ..extensions import db
from ..models import Building, Campaign, Community, Compound, Job, Street
from ..models.jobs import QUEUED, RUNNING
from .kinds import Outcome, kind

LABELS = "labels"
LEVELS = {"building": Building, "compound": Compound, "community": Community, "street": Street}
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


def place(user, level: str, ident: int) -> tuple[selection.Selection, object]:
    """The households of a place as `user` may print them (only their own scope's households).

    :raise NotFound: no such level or place, or outside the user's jurisdiction. :raise Forbidden: no right to print.
    """
    obj = access.get_visible(user, LEVELS[level], ident)
    return selection.selection_for(obj, scope=access.household_clause(user)), obj


def print_underway(campaign_id: int, level: str, ident: int) -> bool:
    """Whether a label job for this place and campaign is queued or running (a second print would
    revoke the codes of the first one's file before anybody has printed it)."""
    return any(j.params.get("campaign_id") == campaign_id and j.params.get("level") == level
               and j.params.get("ident") == ident
               for j in db.session.scalars(select(Job).where(Job.kind == LABELS, Job.state.in_((QUEUED, RUNNING)))))


def file_name(sel: selection.Selection, campaign) -> str:
    """The PDF's download name."""
    return UNSAFE_IN_FILENAME.sub("_", f"二维码标签-{sel.short}-{campaign.name}") + ".pdf"


@kind(LABELS, writes=True, lock_first=False)  # reads and draws first; the codes are stored last
def labels_job(job, owner, out, progress) -> Outcome:
    """Issue the codes of the place's households and write their label sheets."""
    p = job.params
    if not access.may_print(owner) or p.get("level") not in LEVELS:
        raise Refusal(_("您没有打印二维码的权限。"), 403)
    campaign = access.get_visible(owner, Campaign, p["campaign_id"])
    sel, _obj = place(owner, p["level"], p["ident"])
    total = selection.count(sel)
    if total == 0:
        raise Refusal(_("所选范围内没有住户，请先导入住户名册。"))
    live = selection.live_count(campaign.id, sel)
    if live and not p.get("reissue"):
        raise Refusal(_("所选范围内已有 %(n)s 户持有有效二维码。重新打印会作废这些旧码，请勾选确认后再打印。", n=live))
    progress(0, total)  # the codes are issued first: the page shows the size of the work meanwhile
    r = labels_pdf.write_labels(out, campaign, sel, current_app.config["PUBLIC_BASE_URL"], user_id=owner.id,
                                layout=p.get("layout", labels_pdf.DEFAULT_LAYOUT),
                                progress=lambda at: progress(at.households, at.households_total))
    return Outcome(file_name=file_name(sel, campaign), done=r.labels,
                   result={"labels": r.labels, "reissued": r.reissued, "pages": r.pages, "buildings": r.buildings})
