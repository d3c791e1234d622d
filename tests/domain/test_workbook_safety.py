"""No workbook cell, header or sheet name is ever a formula, whatever names people typed.

A hypothesis test renames everything a workbook shows (district, street, community, compound,
building, grid, unit, room, company, campaign, dimension, question, option, comment, rectification
item) to hostile text and drives every writer in survey_app/domain/xlsx/ through every .xlsx download
in the URL map (the audit log's included; a new download joins by construction) and the codes export
through its domain function, then reads each file back with openpyxl.
"""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from sqlalchemy import select

from survey_app.domain.printing.selection import selection_for
from survey_app.domain.stats.comments import normalise
from survey_app.domain.xlsx.codes import write_codes_workbook
from survey_app.domain.xlsx.common import FORMULA_STARTS, safe_text, safe_title
from survey_app.models import Building, Household, RectificationItem, Response

from ..factories import answer, households_of

STARTERS = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", " =", "\u3000=", "  +"]
PAYLOADS = ['=1+1', '=HYPERLINK("http://evil.test","点我")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3",
            "=cmd|'/c calc'!A1", "<script>alert(1)</script>", "'; DROP TABLE household;--", "\x00", "\x01\x1f",
            "a\x0bb", "[x]:*?/\\", "'quoted'", "名称"]
hostile = st.builds(lambda s, p, t: s + p + t, st.sampled_from(STARTERS + [""]), st.sampled_from(PAYLOADS),
                    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))
# The questionnaire export's own live formula (a weight's share), written by the program, not from text.
WEIGHT_SHARE = re.compile(r"^=IF\(SUM\(\$D\$2:\$D\$\d+\)>0,D\d+/SUM\(\$D\$2:\$D\$\d+\),0\)$")


@pytest.fixture
def db_url(tmp_path):
    # NUL cannot be stored in PostgreSQL text; the writers are the same on both databases.
    return f"sqlite:///{tmp_path / 'test.db'}"


def test_safe_text_and_title():
    for s in STARTERS:
        assert safe_text(s + "1") == "'" + s + "1"
    assert safe_text("a\x00b") == "a\ufffdb" and safe_text("普通") == "普通" and safe_text("") == ""
    assert safe_title("=各[区]:*?") == "各_区____" and len(safe_title("x" * 99)) == 31 and safe_title("'") == "Sheet"


def _assert_inert(data: bytes, what: str) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    texts = []  # as written: the XML file turns a CR into LF
    for ws in wb.worksheets:
        assert not ws.title.lstrip(" \u3000").startswith(FORMULA_STARTS), (what, ws.title)
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if cell.data_type == "f":
                    assert ws.title == "维度" and isinstance(v, str) and WEIGHT_SHARE.match(v), (what, ws.title,
                                                                                             cell.coordinate, v)
                    continue
                if isinstance(v, str):
                    assert not v.lstrip(" \u3000").startswith(FORMULA_STARTS), (what, ws.title, cell.coordinate, v)
                    texts.append(v)
    return texts


def _written(text: str) -> str:
    return safe_text(text).replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture
def stage(app, db, world, client, login):
    for h in households_of(world.k1)[:8]:
        answer(world.campaign, h, 1, comment="初始意见")
    login("city")
    assert client.post(f"/rectification/generate?campaign={world.campaign.id}").status_code == 302
    return world


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(names=st.lists(hostile, min_size=16, max_size=16))
def test_every_workbook_writer_keeps_hostile_text_inert(app, db, stage, client, names):
    w = stage
    n = iter(f"{x}{i}" for i, x in enumerate(names))  # distinct, as some names are unique
    w.east.name, w.s1.name, w.k1.community.name, w.k1.name, w.c1.name = next(n), next(n), next(n), next(n), next(n)
    w.campaign.name = next(n)
    b = db.session.scalar(select(Building).where(Building.compound_id == w.k1.id))
    b.name, b.grid = next(n), next(n)
    h = db.session.scalars(select(Household).where(Household.compound_id == w.k1.id).order_by(Household.id)).all()
    h[-1].unit, h[-1].room = next(n), next(n)  # a household still to visit
    dim = w.campaign.dimensions[0]
    dim.name = next(n)
    q = dim.questions[0]
    q.text = next(n)
    comment = next(n)
    for r in db.session.scalars(select(Response).where(Response.compound_id == w.k1.id)):
        r.comment = comment
    item = db.session.scalars(select(RectificationItem)).first()
    item.category, item.evidence = next(n), next(n)
    db.session.commit()

    cid = w.campaign.id
    # Every workbook download in the URL map (a new one joins by construction), as who may fetch it.
    files = {}
    for who in ("city", "company1"):
        client.post("/logout")
        client.post("/login", data={"username": who, "password": "pw-123456"})
        # The audit log's export last: it lists the other downloads (with the campaign's name).
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: "audit" in r.rule):
            if "GET" not in rule.methods or not rule.rule.endswith(".xlsx"):
                continue
            if (who == "company1") != rule.endpoint.startswith("company."):
                continue
            url = rule.rule.replace("<id:campaign_id>", str(cid))
            assert "<" not in url, f"{rule.rule}: give this workbook's URL arguments here"
            files[rule.endpoint] = client.get(url, query_string={"campaign": cid, "area": "city:"},
                                              follow_redirects=True)
    client.post("/logout")
    client.post("/login", data={"username": "city", "password": "pw-123456"})
    assert {"office.ranking_xlsx", "rectification_sheets.export", "visits.pending_xlsx", "campaigns.export",
            "roster.template", "company.report_xlsx", "comments.export", "overview.benchmarks_xlsx"} <= set(files)
    texts = {}
    for what, resp in files.items():
        assert resp.status_code == 200, (what, resp.status_code)
        texts[what] = _assert_inert(resp.data, what)
    out = io.BytesIO()
    write_codes_workbook(out, w.campaign, selection_for(w.k1), app.config["PUBLIC_BASE_URL"])
    db.session.rollback()  # the codes issued for the file are not needed
    texts["codes"] = _assert_inert(out.getvalue(), "codes")

    # The hostile text really reached the files (as inert text), headers included.
    assert _written(dim.name) in texts["office.ranking_xlsx"]  # a header of 企业×维度
    assert _written(w.c1.name) in texts["office.ranking_xlsx"] and _written(w.k1.name) in texts["office.ranking_xlsx"]
    assert _written(item.category) in texts["rectification_sheets.export"]
    assert _written(item.evidence) in texts["rectification_sheets.export"]
    assert _written(w.k1.name) in texts["rectification_sheets.export"] and _written(w.c1.name) in texts["company.report_xlsx"]
    assert _written(b.grid) in texts["visits.pending_xlsx"] and _written(h[-1].room) in texts["visits.pending_xlsx"]
    assert _written(dim.name) in texts["campaigns.export"] and _written(q.text) in texts["campaigns.export"]
    assert _written(dim.name) in texts["company.report_xlsx"]
    assert _written(normalise(comment)) in texts["comments.export"] and _written(w.k1.name) in texts["comments.export"]
    assert _written(w.c1.name) in texts["comments.export"]
    assert _written(b.name) in texts["codes"] and _written(w.campaign.name) in texts["codes"]
