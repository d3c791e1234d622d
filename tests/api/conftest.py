"""API fixtures: the test world's answers, and clients with tokens of each scope."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey_app.access import Area
from survey_app.api import clients
from survey_app.extensions import db as _db
from survey_app.models import User

from ..factories import answer, households_of


def answer_world(world):
    """金色花园 10 × 5, 碧水家园 10 × 2, 翡翠名苑 8 × 4, 御景华庭 3 × 3 (a group under 5)."""
    for h in households_of(world.k1)[:10]:
        answer(world.campaign, h, 5)
    for h in households_of(world.k2)[:10]:
        answer(world.campaign, h, 2)
    for h in households_of(world.k3)[:8]:
        answer(world.campaign, h, 4)
    for h in households_of(world.k4)[:3]:
        answer(world.campaign, h, 3)


def make_token(area: Area, can_write: bool = False, name: str = "一网统管平台", rate_limit=None) -> str:
    """A client of the area and its token (committed, as the admin page would)."""
    admin = _db.session.scalar(select(User).where(User.username == "city"))
    _client, token = clients.create(admin, name, area, can_write, rate_limit)
    _db.session.commit()
    return token


class ApiCaller:
    """The test client with a bearer token."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def get(self, url, **kw):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.client.get(url, headers=headers, **kw)

    def post(self, url, **kw):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.client.post(url, headers=headers, **kw)


@pytest.fixture
def api(client, world):
    """Callers of each scope: city (read), city_writer, east (district), s1 (street), s3 writer."""
    return SimpleNamespace(
        world=world,
        city=ApiCaller(client, make_token(Area("city"))),
        writer=ApiCaller(client, make_token(Area("city"), can_write=True, name="12345 热线")),
        east=ApiCaller(client, make_token(Area("district", world.east.id), name="东城区平台")),
        s1=ApiCaller(client, make_token(Area("street", world.s1.id), name="文化路街道平台")),
        s3_writer=ApiCaller(client, make_token(Area("street", world.s3.id), can_write=True, name="龙山路热线")),
    )
