"""What several command groups read the same way: a campaign named by id (or the default one),
an area written as `city`, `district:ID` or `street:ID`, and a row named by id."""
from __future__ import annotations

import click
from flask_babel import gettext as _

from ..access import Area
from ..database import parse_id
from ..domain.campaigns import lifecycle
from ..errors import Invalid
from ..extensions import db
from ..models import Campaign


def campaign(campaign_id: int | None) -> Campaign:
    """The campaign with this id, or the one pages show when none is named (`lifecycle.default_campaign`)."""
    if campaign_id is None:
        found = lifecycle.default_campaign()
        if found is None:
            raise click.ClickException(_("没有找到测评活动。"))
        return found
    found = get(Campaign, campaign_id)
    if found is None:
        raise click.ClickException(_("没有编号为 %(id)s 的测评活动。", id=campaign_id))
    return found


def get(model, ident: int | None):
    """The row of `model` with this id, or None (also for an id no row can have: 0, negative, too large)."""
    pk = parse_id(ident)
    return db.session.get(model, pk) if pk is not None else None


def area(raw: str, option: str = "--area") -> Area:
    """An area as `Area.parse` reads it, which must exist; else a usage error naming the option."""
    try:
        parsed = Area.parse(raw)
    except Invalid as e:
        raise click.BadParameter(e.message, param_hint=option) from None
    if not parsed.exists():
        raise click.BadParameter(_("没有这个范围。"), param_hint=option)
    return parsed
