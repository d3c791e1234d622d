"""`flask user ...`: staff accounts (the rules an account must meet live in domain/users.py).

The command line acts with every power (no actor): it is how the first city admin is made.
"""
import click
from flask_babel import gettext as _

from ..domain import users
from ..models.users import ROLES


@click.group("user")
def user_group():
    """Manage staff accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--district-id", type=int)
@click.option("--street-id", type=int)
@click.option("--company-id", type=int)
@click.option("--grid", "grids", multiple=True, help="A grid of the street (grid workers; repeatable).")
@click.option("--name", default="")
@click.password_option()
def create_command(username, role, district_id, street_id, company_id, grids, name, password):
    """Create a staff user with a role and a jurisdiction."""
    user = users.create_user(username, role, display_name=name, district_id=district_id, street_id=street_id,
                             company_id=company_id, password=password, grids=grids)
    click.echo(_("已创建用户 %(username)s（%(role)s）。", username=user.username, role=role))


@user_group.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable an account and end its sessions."""
    users.disable_user(users.find_user(username))
    click.echo(_("已停用用户 %(username)s。", username=username))


@user_group.command("enable")
@click.argument("username")
def enable_command(username):
    """Re-enable a disabled account."""
    users.enable_user(users.find_user(username))
    click.echo(_("已重新启用用户 %(username)s。", username=username))


@user_group.command("reset-password")
@click.argument("username")
@click.password_option()
def reset_password_command(username, password):
    """Give an account a new password and end its sessions."""
    users.reset_password(users.find_user(username), password)
    click.echo(_("已重设用户 %(username)s 的密码。", username=username))
