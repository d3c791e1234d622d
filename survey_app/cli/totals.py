"""`flask totals rebuild`: recompute the maintained totals (dimension, compound, households) from the stored rows."""
import click
from flask_babel import gettext as _
from sqlalchemy import select

from . import common
from ..domain.responses import totals
from ..extensions import db
from ..models import Campaign


@click.group("totals")
def totals_group():
    """The maintained totals the dashboards read."""


@totals_group.command("rebuild")
@click.option("--campaign", "campaign_id", type=int, help="Only this campaign (default: every campaign).")
def totals_rebuild(campaign_id):
    """Recompute the dimension and compound totals and the households per compound (safe at any time)."""
    if campaign_id is None:
        ids = db.session.scalars(select(Campaign.id).order_by(Campaign.id)).all()
    else:
        ids = [common.campaign(campaign_id).id]
    for cid in ids:
        rows = totals.rebuild(cid)
        click.echo(_("活动 %(id)s：已重算 %(rows)s 行维度合计。", id=cid, rows=rows))
