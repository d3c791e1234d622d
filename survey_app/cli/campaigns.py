"""`flask campaign ...`: campaigns and questionnaires from the command line (same domain functions as the pages)."""
import sys

import click
from flask_babel import gettext as _
from sqlalchemy import func, select

from . import common
from ..access import Area
from ..domain.campaigns import lifecycle as camp
from ..domain.stats import rounds
from ..domain.xlsx import questionnaire as qx
from ..extensions import db
from ..models import Campaign, Company, Compound, Response


def _when(raw: str, what: str):
    value = camp.parse_datetime(raw)
    if value is None:
        raise click.BadParameter(_("%(what)s无效，请按 2026-07-01 09:00 的格式填写。", what=what))
    return value


@click.group("campaign")
def campaign_group():
    """Campaigns (测评活动) and their questionnaires."""


@campaign_group.command("list")
def list_command():
    """List campaigns with state, scope, window and responses."""
    counts = dict(db.session.execute(select(Response.campaign_id, func.count(Response.id))
                                     .group_by(Response.campaign_id)).all())
    for c in db.session.scalars(select(Campaign).order_by(Campaign.id)):
        status = camp.STATUS_LABELS.get(c.status, c.status)
        window = f"{c.opens_at:%Y-%m-%d %H:%M} – {c.closes_at:%Y-%m-%d %H:%M}"
        click.echo("  ".join([f"{c.id:>4}", f"{status:4}", f"{camp.scope_name(c):12}", window,
                              _("答卷 %(n)6d", n=counts.get(c.id, 0)), c.name]))


@campaign_group.command("open")
@click.argument("campaign_id", type=int)
def open_command(campaign_id):
    """Open a draft (residents may answer from its opening time)."""
    c = common.campaign(campaign_id)
    camp.transition(c, "open")
    click.echo(_("已开启活动「%(name)s」。", name=c.name))


@campaign_group.command("close")
@click.argument("campaign_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def close_command(campaign_id, yes):
    """Close an open campaign: its figures freeze for good."""
    c = common.campaign(campaign_id)
    if not yes:
        click.confirm(_("结束后数据将冻结，不能再作答或修改。确定结束吗？"), abort=True)
    camp.transition(c, "closed")
    click.echo(_("已结束活动「%(name)s」，数据已冻结。", name=c.name))


@campaign_group.command("copy")
@click.argument("campaign_id", type=int)
@click.option("--name", required=True, help="Name of the new round.")
@click.option("--opens", "opens", required=True, help="Opening time, e.g. 2027-01-05 09:00")
@click.option("--closes", "closes", required=True, help="Closing time, e.g. 2027-01-31 18:00")
def copy_command(campaign_id, name, opens, closes):
    """Copy a campaign to a new round: a draft with the same scope, thresholds and questionnaire keys."""
    source = common.campaign(campaign_id)
    opens_at, closes_at = _when(opens, _("开始时间")), _when(closes, _("结束时间"))
    values = {**camp.settings_form(source), "name": name, "opens_at": opens, "closes_at": closes}
    _settings, errors = camp.parse_settings(values)
    if errors:
        raise click.ClickException(_("；").join(str(e) for e in errors.values()))
    new = camp.copy_round(source, name.strip(), opens_at, closes_at)
    click.echo(_("已复制为新一轮活动 %(id)s「%(name)s」（草稿）。", id=new.id, name=new.name))


@campaign_group.command("export-questionnaire")
@click.argument("campaign_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def export_command(campaign_id, out):
    """Write the questionnaire to an Excel workbook (维度, 题目, 选项 sheets)."""
    c = common.campaign(campaign_id)
    with open(out, "wb") as f:
        f.write(qx.export_workbook(c))
    click.echo(_("已导出活动「%(name)s」的问卷：%(out)s", name=c.name, out=out))


@campaign_group.command("import-questionnaire")
@click.argument("campaign_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
def import_command(campaign_id, file, dry_run):
    """Replace the questionnaire from an Excel workbook: all rows or none (typo fixes only once answered)."""
    c = common.campaign(campaign_id)
    with open(file, "rb") as f:
        data = f.read()
    # A dry run writes nothing although the command succeeds: import_workbook(dry_run=True) only
    # reads and checks, and returns before it changes anything, so the final commit stores nothing.
    result = qx.import_workbook(c, data, dry_run=dry_run)
    if not result.ok:
        click.echo(_("问卷未导入：发现 %(n)s 处问题：", n=len(result.problems)), err=True)
        for p in result.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(_("检查通过（试运行，未写入）：%(summary)s", summary=result.summary()))
        return
    click.echo(result.summary())


@campaign_group.command("compare")
@click.argument("campaign_id", type=int)
@click.option("--compound", "compound_id", type=int, help="A compound id.")
@click.option("--company", "company_id", type=int, help="A company id (over the whole city).")
def compare_command(campaign_id, compound_id, company_id):
    """Show a compound's or company's change against the previous round."""
    if (compound_id is None) == (company_id is None):
        raise click.UsageError(_("请给出 --compound 或 --company 其中之一。"))
    c = common.campaign(campaign_id)
    if compound_id is not None:
        level, unit = "compound", common.get(Compound, compound_id)
        missing = _("没有编号为 %(id)s 的小区。", id=compound_id)
    else:
        level, unit = "company", common.get(Company, company_id)
        missing = _("没有编号为 %(id)s 的物业企业。", id=company_id)
    if unit is None:
        raise click.ClickException(missing)
    result = rounds.compare_unit(c, level, unit.id, Area("city"))
    if result.previous is None:
        click.echo(_("没有可比较的上一轮。"))
        return
    click.echo(_("上一轮：%(id)s「%(name)s」", id=result.previous.id, name=result.previous.name))
    marks = {"up": _("↑ 超出误差"), "down": _("↓ 超出误差"), "flat": _("误差内"), "unknown": _("样本太少"),
             "none": _("无上轮数据")}
    for ch in ([result.overall] if result.overall else []) + result.dimensions:
        now_ = f"{ch.current.mean:.1f}" if ch.current and ch.current.mean is not None else "—"
        then = f"{ch.previous.mean:.1f}" if ch.previous and ch.previous.mean is not None else "—"
        delta = f"{ch.delta:+.1f}" if ch.delta is not None else "—"
        click.echo(_("  %(label)s 本轮 %(now)6s  上轮 %(then)6s  变化 %(delta)6s  %(mark)s", label=f"{ch.label:10}",
                     now=now_, then=then, delta=delta, mark=marks[ch.direction]))
