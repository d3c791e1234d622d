"""`flask rectify generate|sweep`: items the rules call for, and the daily record of missed deadlines."""
import click
from flask_babel import gettext as _

from . import common
from ..domain import rectification


@click.group("rectify")
def rectify_group():
    """Rectification items."""


@rectify_group.command("generate")
@click.option("--campaign", "campaign_id", type=int)
def rectify_generate(campaign_id):
    """Raise the items the rules call for (low scores, problem categories), idempotent."""
    result = rectification.generate(common.campaign(campaign_id))
    click.echo(_("新生成整改事项 %(created)s 条，已存在 %(existing)s 条。",
                 created=result.created, existing=result.existing))


@rectify_group.command("sweep")
def rectify_sweep():
    """Record every item whose deadline passed while its company held it as having missed it (run daily)."""
    marked = rectification.mark_overdue()
    click.echo(_("新记录逾期整改事项 %(n)s 条。", n=marked))
