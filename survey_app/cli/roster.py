"""`flask roster ...`: the roster import and its template, from the command line."""
import sys

import click
from flask_babel import gettext as _

from ..domain import roster


@click.group("roster")
def roster_group():
    """Household rosters from Excel."""


@roster_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def template_command(out):
    """Write the import template (Chinese headers, one example row)."""
    with open(out, "wb") as f:
        f.write(roster.template_workbook())
    click.echo(_("已写出导入模板：%(out)s", out=out))


@roster_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
def import_command(file, dry_run):
    """Import households from an .xlsx roster: all rows or none."""
    with open(file, "rb") as f:
        data = f.read()
    click.echo(_("正在检查 %(file)s …", file=file), err=True)
    # A dry run writes nothing although the command succeeds: import_roster(dry_run=True) plans on
    # plain values and never touches the session's objects, so the commit that ends every command
    # finds nothing to store.
    result = roster.import_roster(data, dry_run=dry_run)
    if not result.ok:
        click.echo(_("文件未导入：发现 %(n)s 处错误（工作表「%(sheet)s」）：", n=len(result.errors), sheet=result.sheet),
                   err=True)
        for line in roster.format_errors(result.errors):
            click.echo("  " + line, err=True)
        sys.exit(1)
    click.echo(result.summary())
