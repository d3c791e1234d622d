"""`flask` commands; they call the same domain functions as the web views."""
import click
from flask import Flask, current_app
from sqlalchemy import select

from .codes import codes_group, qr_group
from ..domain import demo, rectification
from ..access import Area
from ..domain.clock import now
from ..domain.stats.reports import company_ranking
from ..domain.xlsx.ranking import ranking_workbook_for
from ..extensions import db
from ..models import Campaign, User
from ..models.users import ROLES


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(user_group)
    app.cli.add_command(ranking_group)
    app.cli.add_command(rectify_group)
    app.cli.add_command(totals_group)
    app.cli.add_command(qr_group)
    app.cli.add_command(codes_group)
    from .roster import roster_group

    app.cli.add_command(roster_group)
    from .campaigns import campaign_group

    app.cli.add_command(campaign_group)


def _campaign(campaign_id: int | None) -> Campaign:
    q = select(Campaign).order_by((Campaign.status == "open").desc(), (Campaign.status == "closed").desc(),
                                  Campaign.id.desc())
    c = db.session.get(Campaign, campaign_id) if campaign_id else db.session.scalar(q)
    if c is None:
        raise click.ClickException("没有找到测评活动。")
    return c


def _area(spec: str) -> Area:
    level, _, ident = spec.partition(":")
    if level not in ("city", "district", "street") or (level != "city" and not ident.isdigit()):
        raise click.BadParameter("用 city、district:ID 或 street:ID 表示范围")
    return Area(level, int(ident) if ident else None)


@click.command("demo")
@click.option("--size", type=click.Choice(sorted(demo.SIZES)), default="small", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds data.")
@click.option("--seed", type=int, default=20261123, show_default=True)
def demo_command(size: str, if_empty: bool, seed: int):
    """Load the demo city (Chinese names, one open campaign, simulated responses)."""
    if not demo.is_empty():
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            return
        raise click.ClickException("数据库中已有数据；演示数据只能载入空数据库。")
    spec = demo.SIZES[size]
    with click.progressbar(length=spec.compounds, label="生成小区与答卷") as bar:
        state = {"done": 0}

        def progress(stage, done, _total):
            if stage != "households":
                return
            bar.update(done - state["done"])
            state["done"] = done

        result = demo.load(size, seed=seed, base_url=current_app.config["PUBLIC_BASE_URL"], progress=progress)
    click.echo(f"已载入演示城市：{result['households']} 户，{result['responses']} 份答卷，活动「{result['campaign']}」。")
    print_logins(result)


def print_logins(result: dict) -> None:
    click.echo("演示账号（密码均为 %s）：" % demo.DEMO_PASSWORD)
    for username, _pw, name in result["logins"]:
        click.echo(f"  {username:10s} {name}")
    click.echo("住户问卷示例地址：")
    for url in result["survey_urls"]:
        click.echo("  " + url)


@click.group("user")
def user_group():
    """Manage staff accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--district-id", type=int)
@click.option("--street-id", type=int)
@click.option("--company-id", type=int)
@click.option("--name", default="")
@click.password_option()
def create_user(username, role, district_id, street_id, company_id, name, password):
    """Create a staff user with a role and a jurisdiction."""
    needs = {"district": district_id, "street": street_id, "grid": street_id, "company": company_id}
    if role in needs and not needs[role]:
        raise click.ClickException(f"角色 {role} 需要指定所属范围（--district-id/--street-id/--company-id）。")
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException("用户名已存在。")
    u = User(username=username, role=role, district_id=district_id, street_id=street_id, company_id=company_id,
             display_name=name or username)
    u.set_password(password)
    db.session.add(u)
    db.session.commit()
    click.echo(f"已创建用户 {username}（{role}）。")


@click.group("ranking")
def ranking_group():
    """Rankings."""


@ranking_group.command("export")
@click.option("--campaign", "campaign_id", type=int)
@click.option("--area", default="city", show_default=True, help="city, district:ID or street:ID")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def ranking_export(campaign_id, area, out):
    """Write the company ranking of an area to an Excel workbook."""
    c = _campaign(campaign_id)
    a = _area(area)
    result = company_ranking(c, a)
    with open(out, "wb") as f:
        f.write(ranking_workbook_for(c, a, now()))
    click.echo(f"已导出 {len(result.ranked)} 家排名企业、{len(result.unranked)} 家样本不足企业到 {out}")


@click.group("rectify")
def rectify_group():
    """Rectification items."""


@rectify_group.command("generate")
@click.option("--campaign", "campaign_id", type=int)
def rectify_generate(campaign_id):
    """Generate rectification items from low dimension scores (idempotent)."""
    c = _campaign(campaign_id)
    result = rectification.generate(c)
    db.session.commit()
    click.echo(f"新生成整改事项 {result.created} 条，已存在 {result.existing} 条。")


@click.group("totals")
def totals_group():
    """The running per-dimension totals."""


@totals_group.command("rebuild")
@click.option("--campaign", "campaign_id", type=int, help="Only this campaign (default: every campaign).")
def totals_rebuild(campaign_id):
    """Recompute the per-dimension totals from the stored answers (safe at any time)."""
    from ..domain.responses import totals

    ids = [campaign_id] if campaign_id else db.session.scalars(select(Campaign.id)).all()
    for cid in ids:
        rows = totals.rebuild(cid)
        click.echo(f"活动 {cid}：已重算 {rows} 行维度合计。")
    db.session.commit()
