"""`flask integrity scan|purge`: the integrity checks over a campaign, and the purge of old signals."""
import click
from flask import current_app
from flask_babel import gettext as _

from . import common
from ..domain.integrity import scan as scanning, signals


@click.group("integrity")
def integrity_group():
    """Integrity checks: one household, one voice."""


@integrity_group.command("scan")
@click.option("--campaign", "campaign_id", type=int)
def integrity_scan(campaign_id):
    """Run every detector over the campaign; hold or publish responses accordingly (run every few minutes)."""
    result = scanning.scan(common.campaign(campaign_id))
    click.echo(_("已检查答卷 %(n)s 份：待复核 %(held)s 份（新增 %(new)s 份，解除 %(released)s 份）。",
                 n=result.responses, held=result.held, new=result.newly_held, released=result.released))
    for kind, n in sorted(result.by_kind.items()):
        click.echo(f"  {kind}: {n}")


@integrity_group.command("purge")
@click.option("--days", type=int, default=None, help="days after a campaign closes (INTEGRITY_SIGNAL_DAYS)")
def integrity_purge(days):
    """Delete the signals of campaigns closed longer ago than the retention period (run daily)."""
    days = current_app.config["INTEGRITY_SIGNAL_DAYS"] if days is None else days
    if days < 0:
        raise click.BadParameter(_("天数不能为负数。"), param_hint="--days")
    out = signals.purge(days)
    click.echo(_("已清除 %(campaigns)s 个活动的完整性信号：答卷信号 %(signals)s 条，修改记录 %(changes)s 条。",
                 campaigns=out.campaigns, signals=out.signals, changes=out.changes))
