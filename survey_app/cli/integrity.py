"""`flask integrity scan|purge|simulate`: the integrity checks over a campaign, the purge of old
signals, and the proof by simulation that the checks hold cheating and not genuine answers."""
import click
from flask import current_app
from flask_babel import gettext as _

from . import common, keeps_nothing
from ..domain.integrity import scan as scanning, signals, simulate as simulation


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


@integrity_group.command("simulate")
@click.option("--campaign", "campaign_id", type=int)
@click.option("--seed", type=int, default=1, show_default=True)
@keeps_nothing
def integrity_simulate(campaign_id, seed):
    """Inject cheating into the campaign, scan, print what was held; the database is left unchanged."""
    result = simulation.simulate(common.campaign(campaign_id), seed=seed)
    click.echo(_("模拟（随机种子 %(seed)s）：原有答卷 %(own)s 份，生成真实答卷 %(background)s 份；"
                 "目标：注入答卷待复核不低于 %(held)s，真实答卷与对照组待复核不超过 %(genuine)s，"
                 "受益企业公布的等级组不变。",
                 seed=result.seed, own=result.own, background=result.background,
                 held=f"{simulation.AIM_HELD:.0%}", genuine=f"{simulation.AIM_GENUINE:.0%}"))
    for line in table(result):
        click.echo(line)
    if not result.passed:
        raise click.ClickException(_("有场景未达到目标。"))
    click.echo(_("全部场景通过；数据库未作任何改动。"))


def table(result: "simulation.Simulation") -> list[str]:
    """The outcomes as lines of text: one per scenario, figures as percentages."""
    def band(value):
        return "—" if value is None else str(value)

    lines = ["| " + " | ".join([_("场景"), _("注入"), _("注入待复核"), _("真实待复核"), _("对照组待复核"),
                                _("受益企业"), _("注入前等级组"), _("公布等级组"), _("含待复核等级组"),
                                _("结果")]) + " |",
             "|" + "---|" * 10]
    for o in result.outcomes:
        lines.append("| " + " | ".join([
            o.label, str(o.injected), f"{o.injected_share:.1%}", f"{o.genuine_share:.2%}（{o.genuine_held}/{o.genuine}）",
            f"{o.control_share:.2%}（{o.control_held}/{o.control}）", o.company or "—", band(o.band_before),
            band(o.band_published), band(o.band_with_held), _("通过") if o.passed else _("未通过")]) + " |")
    return lines
