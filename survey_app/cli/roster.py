"""`flask roster ...`: the roster import and its template, from the command line."""
import sys

import click

from ..domain import roster
from ..extensions import db


@click.group("roster")
def roster_group():
    """Household rosters from Excel."""


@roster_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def template_command(out):
    """Write the import template (Chinese headers, one example row)."""
    with open(out, "wb") as f:
        f.write(roster.template_workbook())
    click.echo(f"已写出导入模板：{out}")


@roster_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
def import_command(file, dry_run):
    """Import households from an .xlsx roster: all rows or none."""
    with open(file, "rb") as f:
        data = f.read()
    click.echo(f"正在检查 {file} …", err=True)
    try:
        result = roster.import_roster(data, dry_run=dry_run)
    except roster.RosterFileError as e:
        db.session.rollback()
        raise click.ClickException(str(e))
    if not result.ok:
        db.session.rollback()
        click.echo(f"文件未导入：发现 {len(result.errors)} 处错误（工作表「{result.sheet}」）：", err=True)
        for line in roster.format_errors(result.errors):
            click.echo("  " + line, err=True)
        sys.exit(1)
    if not dry_run:
        db.session.commit()
    click.echo(result.summary())
