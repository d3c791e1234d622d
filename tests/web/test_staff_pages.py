"""Staff pages that look careless otherwise: breadcrumbs that navigate, a confirmation before deleting a
draft, no import on a frozen questionnaire, a household's QR named and captioned with its address, and an
assisted answer that returns to the visits list."""
import base64
import io
import re
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image

from survey_app.models import Campaign

from ..factories import answer, form_for, households_of
from .test_campaign_pages import _new_draft


def _crumbs(html: str) -> str:
    return re.search(r'<p class="crumbs">(.*?)</p>', html, re.S).group(1)


def _hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


def test_compound_breadcrumb_links_each_level_the_user_may_open(client, world, login):
    k = world.k1
    street, district = k.community.street, k.community.street.district
    for username, sees_district in (("city", True), ("street1", False)):
        login(username)
        for page in (f"/office/compounds/{k.id}", f"/office/overview/compound/{k.id}"):
            crumbs = _crumbs(client.get(page).data.decode())
            for name in (district.name, street.name, k.community.name, k.name):
                assert name in crumbs
            links = _hrefs(crumbs)
            assert any(f"area=street:{street.id}" in h for h in links)
            assert any(f"area=district:{district.id}" in h for h in links) == sees_district
            assert f">{street.name}</a>" in crumbs and f">{k.community.name}</a>" in crumbs
            assert (f">{district.name}</a>" in crumbs) == sees_district
            for h in links:
                assert client.get(h).status_code == 200, (username, h)
        client.post("/logout")


def test_deleting_a_draft_asks_first_on_a_page_that_names_it(client, world, login, db):
    login("city")
    cid = _new_draft(client, name="待删除的草稿")
    show = client.get(f"/office/campaigns/{cid}").data.decode()
    assert f'action="/office/campaigns/{cid}/delete"' not in show
    assert f'href="/office/campaigns/{cid}/delete"' in show
    confirm = client.get(f"/office/campaigns/{cid}/delete")
    page = confirm.data.decode()
    assert confirm.status_code == 200 and "待删除的草稿" in page and "确定删除" in page
    assert f'method="post" action="/office/campaigns/{cid}/delete"' in page and 'name="csrf_token"' in page
    assert db.session.get(Campaign, cid) is not None  # asking deletes nothing
    assert client.post(f"/office/campaigns/{cid}/delete").status_code == 302
    assert db.session.get(Campaign, cid) is None
    # An open or closed campaign is never offered for deletion.
    assert client.get(f"/office/campaigns/{world.campaign.id}/delete").status_code == 409
    login("street1")
    assert client.get(f"/office/campaigns/{world.campaign.id}/delete").status_code == 403


def test_a_frozen_questionnaire_offers_no_import(client, world, login):
    login("city")
    cid = _new_draft(client)
    importer = 'enctype="multipart/form-data" action="/office/campaigns/{}/questionnaire.xlsx"'
    assert importer.format(cid) in client.get(f"/office/campaigns/{cid}/questionnaire").data.decode()
    answer(world.campaign, households_of(world.k1)[0])
    page = client.get(f"/office/campaigns/{world.campaign.id}/questionnaire").data.decode()
    assert "问卷已冻结" in page and importer.format(world.campaign.id) not in page
    assert "导出问卷 Excel" in page  # the export stays


def test_household_qr_is_named_and_captioned_with_its_address(client, world, login):
    login("street1")
    h = households_of(world.k1)[0]
    page = client.post(f"/office/households/{h.id}/code").data.decode()
    names = re.findall(r'download="([^"]+)"', page)
    assert names == [f"金色花园-{h.label}.png", f"金色花园-{h.label}.svg"]
    raw = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    img = Image.open(io.BytesIO(base64.b64decode(raw))).convert("L")
    found = zxingcpp.read_barcodes(img)
    assert found and found[0].text.startswith("http://survey.test/s/")
    pos = found[0].position
    code_bottom = max(pos.bottom_left.y, pos.bottom_right.y)
    below = img.crop((0, code_bottom + 8 * 4, img.width, img.height))  # past the quiet zone
    assert below.height > 20 and below.getextrema()[0] < 100  # dark pixels: the address is drawn


def test_assisted_answer_returns_to_the_visits_list_it_came_from(client, world, login, db):
    login("grid1")
    page = client.get(f"/office/visits?compound={world.k1.id}").data.decode()
    link = next(h for h in _hrefs(page) if h.startswith("/office/assist/"))
    query = parse_qs(urlsplit(link).query)
    assert query["back"] == ["visits"] and query["compound"] == [str(world.k1.id)]
    form = client.get(link).data.decode()
    action = re.search(r'<form[^>]*action="([^"]*/office/assist/[^"]*)"', form).group(1).replace("&amp;", "&")
    assert "back=visits" in action
    resp = client.post(action, data=form_for(world.campaign, "4"))
    assert resp.status_code == 302
    loc = urlsplit(resp.headers["Location"])
    assert loc.path == "/office/visits" and loc.fragment == "pending"
    assert parse_qs(loc.query)["compound"] == [str(world.k1.id)]
    # From the building page (no list to return to) it still goes back to the building.
    h = households_of(world.k1)[1]
    resp = client.post(f"/office/assist/{h.id}", data=form_for(world.campaign, "4"))
    assert resp.headers["Location"].split("?")[0].endswith(f"/office/buildings/{h.building_id}")


def test_visits_tables_scroll_inside_the_page(client, world, login):
    login("grid1")
    page = client.get("/office/visits").data.decode()
    assert page.count('<div class="table-scroll"><table class="data') == page.count("<table")


def test_without_a_chinese_font_the_png_is_the_bare_code(monkeypatch):
    from survey_app.domain.printing import qr

    monkeypatch.setattr(qr, "_cjk_font_file", lambda: None)
    url = "http://survey.test/s/AAAAAAAAAAAAAAAAAAAAAA"
    assert qr.captioned_png(url, ["金色花园", "1号楼101室"]) == qr.png_bytes(url)
