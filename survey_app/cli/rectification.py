"""`flask rectify generate`: rectification items from low dimension scores."""
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
    """Generate rectification items from low dimension scores (idempotent)."""
    result = rectification.generate(common.campaign(campaign_id))
    click.echo(_("新生成整改事项 %(created)s 条，已存在 %(existing)s 条。",
                 created=result.created, existing=result.existing))
