"""The office print page: PDF labels for a building, compound, community or street."""
from urllib.parse import quote

from sqlalchemy import func, select

from survey_app.domain.responses import codes as tokens
from survey_app.models import AuditEvent, Building, Household, HouseholdCode, Street
from survey_app.web import printing

from ..factories import issue
from .pdfqr import read_pages, read_pdf, tokens_of


def _building(db, compound):
    return db.session.scalar(select(Building).where(Building.compound_id == compound.id))


def _codes(db) -> int:
    return db.session.scalar(select(func.count()).select_from(HouseholdCode))


def test_building_pdf_holds_a_working_qr_code_for_every_household(client, world, login, db):
    b = _building(db, world.k1)
    login("street1")
    page = client.get(f"/office/print/building/{b.id}?campaign={world.campaign.id}")
    assert page.status_code == 200
    html = page.data.decode()
    assert "共 40 户" in html and "confirm_reissue" not in html and 'name="csrf_token"' in html
    resp = client.post(f"/office/print/building/{b.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("二维码标签-金色花园1号楼-2026年测试测评.pdf") in disposition
    assert resp.headers["Cache-Control"] == "no-store"

    urls, text, pages = read_pdf(resp.data)
    assert pages == 3  # the heading row (3 cells) and 40 labels, 21 cells per page
    found = tokens_of(urls)
    assert len(found) == len(set(found)) == 40
    households = {h.id for h in b.households}
    codes = [tokens.find_code(t) for t in found]
    assert all(c is not None and c.campaign_id == world.campaign.id for c in codes)
    assert {c.household_id for c in codes} == households
    # Labels follow the doors: room 101, 102, 201, ... in reading order.
    rooms = [db.session.get(type(b.households[0]), c.household_id).room for c in codes]
    assert rooms[:4] == ["101", "102", "201", "202"]
    assert "请用手机扫码，为小区物业服务打分（每户一份）" in text
    assert "金色花园" in text and "1号楼" in text and "1单元 101室" in text and "2026年测试测评" in text
    printed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "codes.printed"))
    assert printed.user_id is not None and "40 户" in printed.detail


def test_reprinting_reissues_only_after_confirmation(client, world, login, db):
    b = _building(db, world.k1)
    old = issue(world.campaign, b.households[0])
    login("street1")
    page = client.get(f"/office/print/building/{b.id}?campaign={world.campaign.id}").data.decode()
    assert "已有 1 户持有有效二维码" in page and 'name="confirm_reissue"' in page

    refused = client.post(f"/office/print/building/{b.id}/pdf?campaign={world.campaign.id}")
    assert refused.status_code == 302 and refused.headers["Location"].startswith(f"/office/print/building/{b.id}")
    assert tokens.find_code(old) is not None and _codes(db) == 1
    assert "请勾选确认" in client.get(refused.headers["Location"]).data.decode()

    resp = client.post(f"/office/print/building/{b.id}/pdf?campaign={world.campaign.id}",
                       data={"confirm_reissue": "yes", "layout": "2x5"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert tokens.find_code(old) is None
    urls, _text, pages = read_pdf(resp.data)
    assert pages == 5  # the heading row (2 cells) and 40 labels, 10 cells per page
    assert len({tokens.find_code(t).household_id for t in tokens_of(urls)}) == 40
    live = db.session.scalar(select(func.count()).select_from(HouseholdCode)
                             .where(HouseholdCode.revoked_at.is_(None)))
    assert live == 40 and _codes(db) == 41


def test_compound_community_and_street_selections(client, world, login, db):
    login("street1")
    k1 = world.k1
    for level, ident, n in (("compound", k1.id, 40), ("community", k1.community_id, 80), ("street", world.s1.id, 80)):
        html = client.get(f"/office/print/{level}/{ident}").data.decode()
        assert f"共 {n} 户" in html, level
    resp = client.post(f"/office/print/community/{k1.community_id}/pdf")
    urls, text, _ = read_pdf(resp.data)
    compounds = {tokens.find_code(t).household.compound_id for t in tokens_of(urls)}
    assert len(urls) == 80 and compounds == {world.k1.id, world.k2.id}
    assert "碧水家园" in text and "金色花园" in text
    assert client.post(f"/office/print/street/{world.s1.id}/pdf", data={"layout": "bogus"}).status_code == 400


def test_printing_is_refused_outside_the_jurisdiction(client, world, login, db):
    b = _building(db, world.k1)
    login("street3")  # another street's officer
    assert client.get(f"/office/print/building/{b.id}").status_code == 404
    assert client.post(f"/office/print/building/{b.id}/pdf").status_code == 404
    assert client.post(f"/office/print/compound/{world.k1.id}/pdf").status_code == 404
    assert client.get(f"/office/print/community/{world.k1.community_id}").status_code == 403
    assert client.post(f"/office/print/community/{world.k1.community_id}/pdf").status_code == 403
    assert client.post(f"/office/print/street/{world.s1.id}/pdf").status_code == 403
    assert client.get("/office/print/street/999999").status_code == 404
    assert client.get("/office/print/district/1").status_code == 404
    assert _codes(db) == 0
    # Its own street is fine.
    assert client.get(f"/office/print/street/{world.s3.id}").status_code == 200


def test_district_officer_prints_its_streets_and_company_users_print_nothing(app, world, db):
    c = app.test_client()
    c.post("/login", data={"username": "district", "password": "pw-123456"})
    assert c.get(f"/office/print/street/{world.s2.id}").status_code == 200
    assert c.get(f"/office/print/street/{world.s3.id}").status_code == 403
    c2 = app.test_client()
    c2.post("/login", data={"username": "company1", "password": "pw-123456"})
    assert c2.get(f"/office/print/compound/{world.k1.id}").status_code == 403
    assert c2.post(f"/office/print/compound/{world.k1.id}/pdf").status_code == 403
    assert _codes(db) == 0


def test_pdf_is_streamed_in_chunks(client, world, login, db, monkeypatch):
    monkeypatch.setattr(printing, "CHUNK_SIZE", 4096)
    login("street1")
    resp = client.post(f"/office/print/compound/{world.k1.id}/pdf", buffered=False)
    assert resp.status_code == 200 and resp.is_streamed
    chunks = list(resp.response)
    resp.close()
    assert len(chunks) > 2 and all(len(c) <= 4096 for c in chunks)
    data = b"".join(chunks)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert int(resp.headers["Content-Length"]) == len(data)
    assert len(read_pdf(data)[0]) == 40


def test_empty_selection_prints_nothing(client, world, login, db):
    from survey_app.models import Community

    empty = Community(street_id=world.s1.id, name="空社区")
    db.session.add(empty)
    db.session.commit()
    login("street1")
    assert "没有住户" in client.get(f"/office/print/community/{empty.id}").data.decode()
    resp = client.post(f"/office/print/community/{empty.id}/pdf")
    assert resp.status_code == 302 and _codes(db) == 0


def test_building_and_compound_pages_link_to_printing(client, world, login, db):
    b = _building(db, world.k1)
    login("street1")
    building_page = client.get(f"/office/buildings/{b.id}").data.decode()
    # One way to print a building: the PDF print page; no second form on the building page.
    assert f"/office/print/building/{b.id}" in building_page and "打印二维码标签" in building_page
    assert "/labels" not in building_page and "confirm_reissue" not in building_page
    assert f"/office/print/compound/{world.k1.id}" in client.get(f"/office/compounds/{world.k1.id}").data.decode()
    page = client.get(f"/office/print/building/{b.id}").data.decode()
    assert f"/office/print/street/{world.s1.id}" in page and f"/office/print/community/{world.k1.community_id}" in page
    assert db.session.get(Street, world.s1.id) is not None


def test_the_old_building_label_sheet_redirects_to_the_one_print_page(client, world, login, db):
    b = _building(db, world.k1)
    old = issue(world.campaign, b.households[0])
    login("street1")
    page = f"/office/print/building/{b.id}?campaign={world.campaign.id}"
    got = client.get(f"/office/buildings/{b.id}/labels?campaign={world.campaign.id}")
    assert got.status_code == 308 and got.headers["Location"] == page
    # The old form's POST (even confirmed) issues nothing: it lands on the print page, which asks again.
    posted = client.post(f"/office/buildings/{b.id}/labels?campaign={world.campaign.id}",
                         data={"confirm_reissue": "yes"})
    assert posted.status_code == 303 and posted.headers["Location"] == page
    assert _codes(db) == 1 and tokens.find_code(old) is not None
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "codes.printed"))
    html = client.get(page).data.decode()
    assert "统一为 PDF 打印" in html and "已有 1 户持有有效二维码" in html and 'name="confirm_reissue"' in html
    login("street3")
    assert client.get(f"/office/buildings/{b.id}/labels").status_code == 404
    assert client.post(f"/office/buildings/{b.id}/labels").status_code == 404


def test_each_building_starts_a_page_with_its_heading_and_every_page_names_it(client, world, login, db):
    k1 = world.k1
    two = Building(compound_id=k1.id, name="2号楼", grid="三网格")
    db.session.add(two)
    db.session.flush()
    for room in ("101", "102", "201"):
        db.session.add(Household(building_id=two.id, compound_id=k1.id, unit="2", room=room))
    db.session.commit()
    one = _building(db, k1)
    login("street1")
    html = client.get(f"/office/print/compound/{k1.id}").data.decode()
    assert "共 43 户，2 栋楼" in html and "43 张标签，共 4 页" in html  # 3x7: 3 + 1 pages
    assert "1号楼</a>（40 户）" in html and "2号楼</a>（3 户）" in html  # split links, by building
    resp = client.post(f"/office/print/compound/{k1.id}/pdf")
    assert resp.status_code == 200
    pages = read_pages(resp.data)
    assert len(pages) == 4
    buildings = [{tokens.find_code(t).household.building_id for t in tokens_of(urls)} for urls, _t in pages]
    assert buildings == [{one.id}, {one.id}, {one.id}, {two.id}]  # a page break before 2号楼
    assert [len(urls) for urls, _t in pages] == [18, 21, 1, 3]  # the heading takes the first row
    texts = [t for _u, t in pages]
    for n, text in enumerate(texts, 1):
        building = "2号楼" if n == 4 else "1号楼"
        assert f"金色花园 {building} · 第 {n} / 4 页" in text, text[-80:]
    heading = "共 40 户 · 网格：一网格"
    assert texts[0].startswith("金色花园 1号楼") and heading in texts[0]
    assert "测评活动：2026年测试测评" in texts[0] and "打印日期：" in texts[0]
    assert texts[3].startswith("金色花园 2号楼") and "共 3 户 · 网格：三网格" in texts[3]
    assert not any("打印日期" in t or "共 40 户" in t for t in texts[1:3])  # headings only on first pages
    # The labels keep the door order within each building.
    rooms = [tokens.find_code(t).household.room for urls, _t in pages for t in tokens_of(urls)]
    assert rooms[:3] == ["101", "102", "201"] and rooms[-3:] == ["101", "102", "201"]


def test_a_street_print_says_how_large_it_is_and_offers_smaller_prints(client, world, login, db, app):
    login("street1")
    html = client.get(f"/office/print/street/{world.s1.id}").data.decode()
    assert "共 80 户，2 栋楼" in html and "80 张标签，共 6 页" in html and "80 张标签，共 10 页" in html
    assert f"/office/print/community/{world.k1.community_id}" in html and "（80 户）" in html
    assert "后台生成" not in html
    app.config["JOB_LARGE_HOUSEHOLDS"] = 50
    assert "PDF 将在后台生成" in client.get(f"/office/print/street/{world.s1.id}").data.decode()
    community = client.get(f"/office/print/community/{world.k1.community_id}").data.decode()
    assert f"/office/print/compound/{world.k1.id}" in community and f"/office/print/compound/{world.k2.id}" in community
