"""`flask qr pdf` and `flask codes export` for a street, community or compound."""
import io

import openpyxl
from sqlalchemy import func, select

from survey_app.domain.printing import labels as labels_pdf, selection
from survey_app.domain.responses import codes as tokens
from survey_app.extensions import db as _db
from survey_app.models import Community, District, Household, HouseholdCode, Street

from ..factories import add_compound, households_of, issue

from ..sheets import header_row, title_block
from .pdfqr import read_pdf, tokens_of


def _live(db) -> int:
    return db.session.scalar(select(func.count()).select_from(HouseholdCode)
                             .where(HouseholdCode.revoked_at.is_(None)))


def test_qr_pdf_for_a_street_then_refuses_to_reissue_without_yes(runner, world, db, tmp_path):
    out = tmp_path / "labels.pdf"
    args = ["qr", "pdf", "--campaign", str(world.campaign.id), "--street", "文化路街道", "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "已发放 80 户" in result.output and "2 栋楼 6 页" in result.output
    # Progress goes to stderr as buildings finish: buildings done / total and households.
    assert "楼栋 1/2，住户 40/80" in result.stderr and "[100%] 生成标签：楼栋 2/2，住户 80/80" in result.stderr
    assert "生成标签" not in result.stdout
    urls, text, pages = read_pdf(out.read_bytes())
    assert pages == 6 and len(urls) == 80  # each building starts a page; its heading takes the first row
    codes = [tokens.find_code(t) for t in tokens_of(urls)]
    assert {c.household.compound_id for c in codes} == {world.k1.id, world.k2.id}
    assert len({c.household_id for c in codes}) == 80 and _live(db) == 80
    assert not (tmp_path / "labels.pdf.part").exists()

    again = runner.invoke(args=args[:-1] + [str(tmp_path / "again.pdf")])
    assert again.exit_code != 0
    assert "已有 80 户" in again.output and "--yes" in again.output
    assert not (tmp_path / "again.pdf").exists()
    assert all(tokens.find_code(t) is not None for t in tokens_of(urls))

    yes = runner.invoke(args=args[:-1] + [str(tmp_path / "again.pdf"), "--yes", "--compound", "碧水家园",
                                          "--layout", "2x5"])
    assert yes.exit_code == 0, yes.output
    new_urls, _, pages = read_pdf((tmp_path / "again.pdf").read_bytes())
    assert len(new_urls) == 40 and pages == 5  # 2 + 38 cells of 10 per page
    assert {tokens.find_code(t).household.compound_id for t in tokens_of(new_urls)} == {world.k2.id}
    dead = [t for t, c in zip(tokens_of(urls), codes) if c.household.compound_id == world.k2.id]
    assert len(dead) == 40 and all(tokens.find_code(t) is None for t in dead)
    assert _live(db) == 80


def test_street_names_ambiguous_across_districts_need_the_district(runner, world, db, tmp_path):
    twin = Street(district_id=world.west.id, name="文化路街道")
    db.session.add(twin)
    db.session.commit()
    out = str(tmp_path / "x.pdf")
    base = ["qr", "pdf", "--campaign", str(world.campaign.id), "--out", out]
    r = runner.invoke(args=base + ["--street", "文化路街道"])
    assert r.exit_code != 0 and "多个区" in r.output and "东城区" in r.output and "--district" in r.output
    r = runner.invoke(args=base + ["--street", "文化路街道", "--district", "南城区"])
    assert r.exit_code != 0 and "没有名为「南城区」的区" in r.output
    r = runner.invoke(args=base + ["--street", "没有这条街道"])
    assert r.exit_code != 0 and "没有名为「没有这条街道」的街道" in r.output
    r = runner.invoke(args=base + ["--street", "文化路街道", "--district", "西城区"])
    assert r.exit_code != 0 and "没有住户" in r.output
    r = runner.invoke(args=base + ["--street", "文化路街道", "--district", "东城区", "--community", "无此社区"])
    assert r.exit_code != 0 and "没有名为「无此社区」的社区" in r.output
    r = runner.invoke(args=["qr", "pdf", "--campaign", "999", "--street", "文化路街道", "--out", out])
    assert r.exit_code != 0 and "测评活动" in r.output
    assert _live(db) == 0
    r = runner.invoke(args=base + ["--street", "文化路街道", "--district", "东城区", "--community", "幸福社区",
                                   "--compound", "金色花园"])
    assert r.exit_code == 0, r.output
    assert len(read_pdf((tmp_path / "x.pdf").read_bytes())[0]) == 40


def test_compound_names_repeated_in_a_street_need_the_community(world, db):
    other = Community(street_id=world.s1.id, name="第二社区")
    db.session.add(other)
    db.session.flush()
    add_compound(other, "金色花园", world.c1, 2)
    db.session.commit()
    try:
        selection.resolve("文化路街道", compound="金色花园")
        raise AssertionError("ambiguous compound accepted")
    except selection.SelectionError as e:
        assert "--community" in str(e) and "第二社区" in str(e)
    sel = selection.resolve(" 文化路街道 ", community="第二社区", compound="金色花园")
    assert sel.level == "compound" and selection.count(sel) == 2


def test_codes_export_writes_one_safe_row_per_household(runner, world, db, tmp_path):
    # A room written like a formula must stay text.
    h = households_of(world.k3)[0]
    h.room = "=1+1"
    db.session.commit()
    old = issue(world.campaign, h)
    out = tmp_path / "codes.xlsx"
    args = ["codes", "export", "--campaign", str(world.campaign.id), "--street", "光明路街道", "--out", str(out)]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "已有 1 户" in refused.output and not out.exists()
    assert tokens.find_code(old) is not None
    result = runner.invoke(args=args + ["--yes"])
    assert result.exit_code == 0, result.output
    assert tokens.find_code(old) is None

    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    top = header_row(ws, "户编号")
    header = [c.value for c in ws[top]]
    assert header == ["户编号", "区", "街道", "社区", "小区", "楼栋", "单元", "房号", "完整地址", "问卷地址"]
    assert ws.freeze_panes == f"A{top + 1}" and ws.auto_filter.ref == f"A{top}:J{top + 30}"
    block = title_block(ws, top)
    assert block[0] == "住户问卷地址清单" and "光明路街道" in block[1] and "制表单位：全市" in block[2], block
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == f"${top}:${top}"
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=top + 1)]
    assert len(rows) == 30
    notes = wb["说明"]  # the notes' long texts wrap
    assert all(r[1].alignment.wrap_text for r in notes.iter_rows(min_row=header_row(notes, "项目") + 1))
    for row in rows:
        code = tokens.find_code(tokens_of([row[9]])[0])
        assert code is not None and code.household_id == row[0] and code.campaign_id == world.campaign.id
        hh = db.session.get(Household, row[0])
        assert row[1:6] == ["东城区", "光明路街道", "阳光社区", "翡翠名苑", "1号楼"]
        assert row[7] in (hh.room, "'" + hh.room)
    for sheet in wb.worksheets:
        for r in sheet.iter_rows():
            for c in r:
                assert c.data_type != "f"
                assert not (isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")))
    assert any(r[7] == "'=1+1" for r in rows)
    assert rows[0][8].startswith("东城区光明路街道阳光社区翡翠名苑1号楼1单元")


def test_worker_processes_draw_the_same_labels(app, world, db):
    """The process pool used for large prints yields the same, valid labels in door order."""
    campaign = world.campaign
    sel = selection.resolve("文化路街道")
    buf = io.BytesIO()
    seen = []
    result = labels_pdf.write_labels(buf, campaign, sel, "http://survey.test", workers=2, batch_size=30,
                                     progress=seen.append)
    _db.session.commit()
    assert result.labels == 80 and result.pages == 6 and result.reissued == 0 and result.buildings == 2
    assert seen[-1] == labels_pdf.Progress(80, 80, 2, 2) and len(seen) > 2
    assert labels_pdf.Progress(40, 80, 1, 2) in seen
    urls, _, _ = read_pdf(buf.getvalue())
    order = [(tokens.find_code(t).household.compound_id, tokens.find_code(t).household.room) for t in tokens_of(urls)]
    compounds = [c for c, _ in order]
    assert sum(a != b for a, b in zip(compounds, compounds[1:])) == 1  # one compound after the other
    assert order[0][1] == "101" and order[1][1] == "102"
    assert db.session.scalar(select(func.count()).select_from(District)) == 2


def test_base_url_too_long_for_a_small_qr_is_refused(app, world, db, tmp_path, runner):
    app.config["PUBLIC_BASE_URL"] = "https://" + "x" * 80 + ".example.gov.cn"
    r = runner.invoke(args=["qr", "pdf", "--campaign", str(world.campaign.id), "--street", "文化路街道",
                            "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code != 0 and "PUBLIC_BASE_URL" in r.output
    assert _live(db) == 0
