"""Nobody sees an identified household's answers: a group of fewer than 5 responses shows no figure.

One compound (金色花园) answers in two rounds, with answers whose figures are distinctive; every
page and workbook an officer of each level, a grid worker or the compound's company can open is
read (workbooks back through openpyxl). With 1 to 4 responses none of the compound's figures
appears anywhere (its street, district, company and the city hold the same few responses, so
they are suppressed too) and the pages say why; with 5 they appear.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.clock import now
from survey_app.domain.responses.survey import dimension_specs
from survey_app.domain.stats.privacy import MIN_GROUP
from survey_app.domain.stats.scoring import dimension_scores
from survey_app.models import Building

from ..factories import PASSWORD, answer, households_of

OFFICERS = ("city", "district", "street1", "grid1")
WITHHELD = f"样本不足 {MIN_GROUP} 份，不显示"


def _values(campaign, i: int) -> dict:
    """Answers of the i-th response: a pattern that gives uncommon means."""
    return {q.id: (i * 3 + j * 2 + (j * j) % 3) % 5 + 1 for j, q in enumerate(campaign.questions)}


def _answer(campaign, households, n: int) -> set[str]:
    """n responses in the campaign; the figures they make, as pages and workbooks would print them."""
    scores, dims, satisfied, overall = [], {}, 0, 0
    specs = dimension_specs(campaign)
    overall_q = next(q for q in campaign.questions if q.is_overall)
    for i, h in enumerate(households[:n]):
        values = _values(campaign, i)
        resp = answer(campaign, h, overrides=values, comment=f"金色花园第{i}户的意见")
        scores.append(resp.score)
        for did, s in dimension_scores(values, specs).items():
            dims.setdefault(did, []).append(s)
        overall += 1
        satisfied += values[overall_q.id] >= 4
    figures = {f"{sum(scores) / len(scores):.1f}"} | {f"{sum(v) / len(v):.1f}" for v in dims.values()}
    figures.add(f"{satisfied / overall * 100:.1f}%")
    return figures


def _pages(world, campaign, building_id: int) -> dict[str, list[str]]:
    k1, s1, east = world.k1.id, world.s1.id, world.east.id
    q = f"campaign={campaign.id}"
    office = [f"/office/participation?{q}", f"/office/ranking?{q}", f"/office/ranking?{q}&area=street:{s1}",
              f"/office/ranking.xlsx?{q}", f"/office/ranking.xlsx?{q}&area=street:{s1}",
              f"/office/overview/?{q}", f"/office/overview/?{q}&area=street:{s1}",
              f"/office/overview/?{q}&area=street:{s1}&held=1",
              f"/office/overview/compound/{k1}?{q}", f"/office/overview/benchmarks?{q}",
              f"/office/overview/benchmarks?{q}&area=street:{s1}", f"/office/compounds/{k1}?{q}",
              f"/office/buildings/{building_id}?{q}", f"/office/visits?{q}", f"/office/visits/pending.xlsx?{q}",
              f"/rectification/?{q}", f"/rectification/export.xlsx?{q}", f"/office/comments?{q}",
              f"/office/comments.xlsx?{q}"]
    wide = [f"/office/overview/?{q}&area=district:{east}", f"/office/ranking.xlsx?{q}&area=district:{east}",
            f"/office/campaigns/{campaign.id}", f"/office/overview/?{q}&area=city:",
            f"/office/ranking.xlsx?{q}&area=city:"]
    company = [f"/company/?{q}", f"/company/report.xlsx?{q}", f"/rectification/?{q}", f"/rectification/export.xlsx?{q}"]
    return {"city": office + wide, "district": office + wide[:3], "street1": office, "grid1": office,
            "company1": company}


def _text(data: bytes) -> str:
    if data[:2] == b"PK":
        wb = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                         for v in row if v is not None)
    return data.decode("utf-8", "replace")


def _read_all(app, world, campaigns, building_id, db) -> dict[tuple[str, str], str]:
    """{(user, url): what it shows} for every user and page, each request in its own app context
    (so no user or session carries over from one client to the next)."""
    db.session.commit()  # the test's own read transaction ends before the requests write
    out = {}
    for user in OFFICERS + ("company1",):
        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"username": user, "password": PASSWORD}).status_code == 302
        for campaign in campaigns:
            for url in _pages(world, campaign, building_id)[user]:
                with app.app_context():
                    resp = client.get(url)
                assert resp.status_code == 200, (user, url, resp.status_code)
                out[(user, url)] = _text(resp.get_data())
    db.session.commit()
    return out


def _two_rounds(world, db):
    """Round 1 (closed) and round 2 (open, a copy), the same questionnaire."""
    first = world.campaign
    camp.transition(first, "closed")
    db.session.commit()
    second = camp.copy_round(first, "第二轮", now() - timedelta(hours=1), now() + timedelta(days=10))
    camp.transition(second, "open")
    db.session.commit()
    return first, second


@pytest.mark.parametrize("n", [1, 4, 5])
def test_a_compound_under_five_responses_shows_no_figure_to_anyone(app, world, db, n):
    households = households_of(world.k1)
    building_id = db.session.scalar(db.select(Building.id).where(Building.compound_id == world.k1.id))
    first = world.campaign
    baseline_first = _read_all(app, world, [first], building_id, db)
    figures = _answer(first, households, n)
    first, second = _two_rounds(world, db)
    figures |= _answer(second, households[n:], n)
    seen = _read_all(app, world, [first, second], building_id, db)
    baseline = "\n".join(baseline_first.values())
    figures = {f for f in figures if f not in baseline}  # a string the empty pages print anyway proves nothing
    assert len(figures) >= 2, figures
    shown = {f for text in seen.values() for f in figures if f in text}
    comments = [k for k, text in seen.items() if "金色花园第" in text]
    if n < MIN_GROUP:
        leaks = {k: sorted(f for f in figures if f in text) for k, text in seen.items()}
        assert not {k: v for k, v in leaks.items() if v}, "figures of a group under 5 are shown"
        assert not comments, comments
        for user in OFFICERS:
            for path in (f"/office/overview/compound/{world.k1.id}?campaign={second.id}",
                         f"/office/compounds/{world.k1.id}?campaign={second.id}",
                         f"/office/participation?campaign={second.id}", f"/office/comments?campaign={second.id}"):
                assert WITHHELD in seen[(user, path)], (user, path)
        assert WITHHELD in seen[("company1", f"/company/?campaign={second.id}")]
    else:
        assert shown == figures, figures - shown
        for user in OFFICERS:
            assert WITHHELD not in seen[(user, f"/office/overview/compound/{world.k1.id}?campaign={second.id}")]
            assert "金色花园第" in seen[(user, f"/office/comments?campaign={second.id}")]
        assert any("金色花园第" in seen[("company1", f"/company/?campaign={c.id}")] for c in (first, second))
