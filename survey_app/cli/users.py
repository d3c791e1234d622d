"""`flask user ...`: staff accounts (the rules an account must meet live in domain/users.py)."""
import click
from flask_babel import gettext as _

from ..domain.users import create_user
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
@click.option("--name", default="")
@click.password_option()
def create_command(username, role, district_id, street_id, company_id, name, password):
    """Create a staff user with a role and a jurisdiction."""
    user = create_user(username, role, display_name=name, district_id=district_id, street_id=street_id,
                       company_id=company_id, password=password)
    click.echo(_("已创建用户 %(username)s（%(role)s）。", username=user.username, role=role))
