"""`flask demo`: load the demo city into an empty database."""
import click
from flask import current_app
from flask_babel import gettext as _

from ..domain import demo


@click.command("demo")
@click.option("--size", type=click.Choice(sorted(demo.SIZES)), default="small", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds data.")
@click.option("--seed", type=int, default=20261123, show_default=True)
def demo_command(size: str, if_empty: bool, seed: int):
    """Load the demo city (Chinese names, one open campaign, simulated responses)."""
    if not demo.is_empty():
        if if_empty:
            click.echo(_("数据库已有数据，跳过演示数据。"))
            return
        raise click.ClickException(_("数据库中已有数据；演示数据只能载入空数据库。"))
    spec = demo.SIZES[size]
    with click.progressbar(length=spec.compounds, label=_("生成小区与答卷")) as bar:
        state = {"done": 0}

        def progress(stage, done, _total):
            if stage != "households":
                return
            bar.update(done - state["done"])
            state["done"] = done

        result = demo.load(size, seed=seed, base_url=current_app.config["PUBLIC_BASE_URL"], progress=progress)
    click.echo(_("已载入演示城市：%(households)s 户，%(responses)s 份答卷，活动「%(campaign)s」。",
                 households=result["households"], responses=result["responses"], campaign=result["campaign"]))
    print_logins(result)


def print_logins(result: dict) -> None:
    click.echo(_("演示账号（密码均为 %(password)s）：", password=demo.DEMO_PASSWORD))
    for username, _pw, name in result["logins"]:
        click.echo(f"  {username:10s} {name}")
    click.echo(_("住户问卷示例地址："))
    for url in result["survey_urls"]:
        click.echo("  " + url)
