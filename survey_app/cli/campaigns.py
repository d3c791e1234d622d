"""`flask campaign ...`: campaigns and questionnaires from the command line (same domain functions as the pages)."""
import sys

import click
from sqlalchemy import func, select

from ..domain.campaigns import lifecycle as camp
from ..domain.stats import rounds
from ..domain.xlsx import questionnaire as qx
from ..access import Area
from ..extensions import db
from ..models import Campaign, Response


def _get(campaign_id: int) -> Campaign:
    c = db.session.get(Campaign, campaign_id)
    if c is None:
        raise click.ClickException(f"没有编号为 {campaign_id} 的测评活动。")
    return c


def _when(raw: str, what: str):
    value = camp.parse_datetime(raw)
    if value is None:
        raise click.BadParameter(f"{what}无效，请按 2026-07-01 09:00 的格式填写。")
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
        click.echo(f"{c.id:>4}  {camp.STATUS_LABELS.get(c.status, c.status):4}  {camp.scope_name(c):12}  "
                   f"{c.opens_at:%Y-%m-%d %H:%M} – {c.closes_at:%Y-%m-%d %H:%M}  答卷 {counts.get(c.id, 0):>6}  {c.name}")


def _transition(campaign_id: int, to: str, done: str) -> None:
    c = _get(campaign_id)
    try:
        camp.transition(c, to)
    except camp.CampaignError as e:
        db.session.rollback()
        raise click.ClickException(str(e))
    db.session.commit()
    click.echo(done.format(name=c.name))


@campaign_group.command("open")
@click.argument("campaign_id", type=int)
def open_command(campaign_id):
    """Open a draft (residents may answer from its opening time)."""
    _transition(campaign_id, "open", "已开启活动「{name}」。")


@campaign_group.command("close")
@click.argument("campaign_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def close_command(campaign_id, yes):
    """Close an open campaign: its figures freeze for good."""
    if not yes:
        click.confirm("结束后数据将冻结，不能再作答或修改。确定结束吗？", abort=True)
    _transition(campaign_id, "closed", "已结束活动「{name}」，数据已冻结。")


@campaign_group.command("copy")
@click.argument("campaign_id", type=int)
@click.option("--name", required=True, help="Name of the new round.")
@click.option("--opens", "opens", required=True, help="Opening time, e.g. 2027-01-05 09:00")
@click.option("--closes", "closes", required=True, help="Closing time, e.g. 2027-01-31 18:00")
def copy_command(campaign_id, name, opens, closes):
    """Copy a campaign to a new round: a draft with the same scope, thresholds and questionnaire keys."""
    source = _get(campaign_id)
    opens_at, closes_at = _when(opens, "开始时间"), _when(closes, "结束时间")
    values = {**camp.settings_form(source), "name": name, "opens_at": opens, "closes_at": closes}
    _settings, errors = camp.parse_settings(values)
    if errors:
        raise click.ClickException("；".join(errors.values()))
    try:
        new = camp.copy_round(source, name.strip(), opens_at, closes_at)
    except camp.CampaignError as e:
        db.session.rollback()
        raise click.ClickException(str(e))
    db.session.commit()
    click.echo(f"已复制为新一轮活动 {new.id}「{new.name}」（草稿）。")


@campaign_group.command("export-questionnaire")
@click.argument("campaign_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def export_command(campaign_id, out):
    """Write the questionnaire to an Excel workbook (维度, 题目, 选项 sheets)."""
    c = _get(campaign_id)
    with open(out, "wb") as f:
        f.write(qx.export_workbook(c))
    click.echo(f"已导出活动「{c.name}」的问卷：{out}")


@campaign_group.command("import-questionnaire")
@click.argument("campaign_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
def import_command(campaign_id, file, dry_run):
    """Replace the questionnaire from an Excel workbook: all rows or none (typo fixes only once answered)."""
    c = _get(campaign_id)
    with open(file, "rb") as f:
        data = f.read()
    try:
        result = qx.import_workbook(c, data, dry_run=dry_run)
    except qx.QuestionnaireFileError as e:
        db.session.rollback()
        raise click.ClickException(str(e))
    if not result.ok:
        db.session.rollback()
        click.echo(f"问卷未导入：发现 {len(result.problems)} 处问题：", err=True)
        for p in result.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo("检查通过（试运行，未写入）：" + result.summary())
        return
    db.session.commit()
    click.echo(result.summary())


@campaign_group.command("compare")
@click.argument("campaign_id", type=int)
@click.option("--compound", "compound_id", type=int, help="A compound id.")
@click.option("--company", "company_id", type=int, help="A company id (over the whole city).")
def compare_command(campaign_id, compound_id, company_id):
    """Show a compound's or company's change against the previous round."""
    if (compound_id is None) == (company_id is None):
        raise click.UsageError("请给出 --compound 或 --company 其中之一。")
    c = _get(campaign_id)
    level, unit = ("compound", compound_id) if compound_id else ("company", company_id)
    result = rounds.compare_unit(c, level, unit, Area("city"))
    if result.previous is None:
        click.echo("没有可比较的上一轮。")
        return
    click.echo(f"上一轮：{result.previous.id}「{result.previous.name}」")
    marks = {"up": "↑ 超出误差", "down": "↓ 超出误差", "flat": "误差内", "unknown": "样本太少", "none": "无上轮数据"}
    for ch in ([result.overall] if result.overall else []) + result.dimensions:
        now_ = f"{ch.current.mean:.1f}" if ch.current and ch.current.mean is not None else "—"
        then = f"{ch.previous.mean:.1f}" if ch.previous and ch.previous.mean is not None else "—"
        delta = f"{ch.delta:+.1f}" if ch.delta is not None else "—"
        click.echo(f"  {ch.label:10} 本轮 {now_:>6}  上轮 {then:>6}  变化 {delta:>6}  {marks[ch.direction]}")
