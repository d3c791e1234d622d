"""`flask ranking export`: the company ranking of an area as an Excel workbook."""
import click
from flask_babel import gettext as _

from . import common
from ..domain.clock import now
from ..domain.stats.reports import company_ranking
from ..domain.xlsx.ranking import ranking_workbook_for


@click.group("ranking")
def ranking_group():
    """Rankings."""


@ranking_group.command("export")
@click.option("--campaign", "campaign_id", type=int)
@click.option("--area", default="city", show_default=True, help="city, district:ID or street:ID")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def ranking_export(campaign_id, area, out):
    """Write the company ranking of an area to an Excel workbook."""
    c = common.campaign(campaign_id)
    a = common.area(area)
    result = company_ranking(c, a)
    with open(out, "wb") as f:
        f.write(ranking_workbook_for(c, a, now()))
    click.echo(_("已导出 %(ranked)s 家排名企业、%(unranked)s 家样本不足企业到 %(out)s",
                 ranked=len(result.ranked), unranked=len(result.unranked), out=out))
