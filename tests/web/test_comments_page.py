"""居民意见: what residents wrote, for officers: masked, identical texts counted once, small compounds,
held responses and other jurisdictions left out, filters, the workbook."""
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from survey_app.access import Area
from survey_app.domain.clock import now
from survey_app.domain.responses import codes as tokens
from survey_app.domain.responses.survey import ParsedSurvey, save_response
from survey_app.domain.stats import comments
from survey_app.extensions import db
from survey_app.models import AuditEvent, Question, RectificationItem, RectificationRequest, UserGrid

from ..factories import add_user, households_of
from ..sheets import header_row, table, title_block


def _respond(campaign, household, value=4, overrides=None, comment=None, texts=None):
    """A published response: every 5-point question `value` (but `overrides`), a comment, free texts."""
    token = tokens.issue_codes(campaign.id, [household.id])[household.id]
    answers = {q.id: value for q in campaign.questions if q.scored}
    answers.update(overrides or {})
    resp = save_response(campaign, household.id, ParsedSurvey(answers=answers, comment=comment, texts=texts or {}),
                         code_id=tokens.find_code(token).id)
    db.session.commit()
    return resp


def _request(campaign, household, text):
    """A resident's follow-up request, joined to an item of the household's compound."""
    item = db.session.scalar(select(RectificationItem).where(RectificationItem.campaign_id == campaign.id,
                                                             RectificationItem.compound_id == household.compound_id))
    if item is None:
        item = RectificationItem(campaign_id=campaign.id, compound_id=household.compound_id, category_key="other",
                                 category="其他", source="request", evidence="居民求助", created_at=now())
        db.session.add(item)
        db.session.flush()
    db.session.add(RectificationRequest(campaign_id=campaign.id, household_id=household.id, item_id=item.id,
                                        text=text, created_at=now() - timedelta(days=1)))
    db.session.commit()


@pytest.fixture
def said(world):
    """金色花园 (6 published, 1 held), 碧水家园 (5), 翡翠名苑 (4: withheld), 御景华庭 in the west (5)."""
    c = world.campaign
    dim = c.dimensions[0]
    note = Question(dimension=dim, key="note", text="您对绿化有什么建议？", kind="text", position=99)
    db.session.add(note)
    db.session.commit()
    k1 = households_of(world.k1)
    _respond(c, k1[0], comment="电梯 经常坏，请联系13812345678")
    _respond(c, k1[1], comment="  电梯  经常坏，请联系13987654321 ")  # masks to the same words
    _respond(c, k1[2], comment="我住3号楼2单元301室，楼道太脏", texts={note.id: "多种树"})
    _respond(c, k1[3], value=1, comment="物业太差了")
    _respond(c, k1[4], overrides={q.id: 1 for q in dim.questions if q.scored}, comment=f"{dim.name}很差")
    _respond(c, k1[5], texts={note.id: "多种树"})
    held = _respond(c, k1[6], comment="待复核答卷的意见")
    held.status = "held"
    _request(c, k1[0], "请尽快修电梯")
    _request(c, k1[6], "待复核住户的求助")
    for h in households_of(world.k2)[:5]:
        _respond(c, h, comment="碧水家园的意见")
    for h in households_of(world.k3)[:4]:
        _respond(c, h, comment="翡翠名苑四户的意见")
    _request(c, households_of(world.k3)[0], "翡翠名苑的求助")
    for h in households_of(world.k4)[:5]:
        _respond(c, h, comment="西城区的意见")
    db.session.commit()
    return dim


def _rows(page: str) -> list[str]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return body.split("<tr>")[1:]


def test_officers_read_masked_texts_counted_once(client, world, login, said):
    login("district")
    page = client.get("/office/comments").get_data(as_text=True)
    assert "13812345678" not in page and "13987654321" not in page and "3号楼" not in page
    assert "[手机号已隐藏]" in page and "[门牌已隐藏]" in page
    rows = _rows(page)
    elevator = [r for r in rows if "电梯 经常坏" in r]
    assert len(elevator) == 1 and "2 户相同" in elevator[0] and "金色花园" in elevator[0]
    assert "甲物业服务有限公司" in elevator[0] and "意见建议栏" in elevator[0]
    assert "5 户相同" in next(r for r in rows if "碧水家园的意见" in r)
    trees = next(r for r in rows if "多种树" in r)
    assert "2 户相同" in trees and "您对绿化有什么建议？" in trees
    assert "求助跟进" in next(r for r in rows if "请尽快修电梯" in r)
    assert rows[0].count("碧水家园的意见") == 1  # the most said first
    assert now().strftime("%Y-%m-%d") in page and now().strftime("%H:%M") not in page
    english = client.get("/office/comments?lang=en")
    assert english.status_code == 200 and "[手机号已隐藏]" in english.get_data(as_text=True)


def test_small_compounds_held_responses_and_other_districts_stay_out(client, world, login, said):
    login("district")
    page = client.get("/office/comments").get_data(as_text=True)
    assert "翡翠名苑四户的意见" not in page and "翡翠名苑的求助" not in page
    assert "1 个小区的意见未显示" in page and "样本不足 5 份，不显示" in page
    assert "待复核答卷的意见" not in page and "待复核住户的求助" not in page
    assert "西城区的意见" not in page and "御景华庭" not in page
    assert "碧水家园的意见" in page
    login("city")
    assert "西城区的意见" in client.get("/office/comments").get_data(as_text=True)
    login("street3")
    page = client.get("/office/comments").get_data(as_text=True)
    assert "西城区的意见" in page and "碧水家园的意见" not in page
    assert client.get(f"/office/comments?area=district:{world.east.id}").status_code == 403
    assert client.get(f"/office/comments?compound={world.k1.id}").status_code == 404


def test_a_grid_worker_reads_only_the_compounds_of_their_grids(client, world, login, said):
    grid = add_user("grid_one", "grid", district_id=world.east.id, street_id=world.s1.id)
    grid.grids = [UserGrid(grid="一网格")]  # 金色花园; 碧水家园 lies in 二网格
    db.session.commit()
    login("grid_one")
    page = client.get("/office/comments").get_data(as_text=True)
    assert "物业太差了" in page and "碧水家园" not in page
    assert "碧水家园" not in client.get(f"/office/comments?area=street:{world.s1.id}").get_data(as_text=True)
    assert client.get(f"/office/comments?compound={world.k2.id}").status_code == 404


def test_a_fifth_response_brings_a_compound_in(client, world, login, said):
    login("district")
    assert "翡翠名苑四户的意见" not in client.get("/office/comments").get_data(as_text=True)
    _respond(world.campaign, households_of(world.k3)[4], comment="翡翠名苑四户的意见")
    page = client.get("/office/comments").get_data(as_text=True)
    assert "翡翠名苑四户的意见" in page and "翡翠名苑的求助" in page and "未显示" not in page


def test_company_users_are_refused(client, world, login, said):
    login("company1")
    assert client.get("/office/comments").status_code == 403
    assert client.get("/office/comments.xlsx").status_code == 403


@pytest.mark.parametrize("query, shown, hidden", [
    ("compound={k2}", ["碧水家园的意见"], ["电梯 经常坏", "多种树"]),
    ("company={c1}", ["电梯 经常坏", "多种树", "请尽快修电梯"], ["碧水家园的意见"]),
    ("low=1", ["物业太差了"], ["电梯 经常坏", "多种树", "碧水家园的意见", "请尽快修电梯"]),
    ("dimension={dim}", ["物业太差了", "很差"], ["电梯 经常坏", "多种树", "碧水家园的意见"]),
    ("source=text", ["多种树"], ["电梯 经常坏", "碧水家园的意见", "请尽快修电梯"]),
    ("source=request", ["请尽快修电梯"], ["电梯 经常坏", "多种树", "碧水家园的意见"]),
    ("source=comment", ["电梯 经常坏", "碧水家园的意见"], ["多种树", "请尽快修电梯"]),
    ("area=street:{s2}", [], ["电梯 经常坏", "碧水家园的意见"]),
])
def test_each_filter_narrows_the_list(client, world, login, said, query, shown, hidden):
    login("district")
    url = "/office/comments?" + query.format(k2=world.k2.id, c1=world.c1.id, dim=said.id, s2=world.s2.id)
    page = client.get(url).get_data(as_text=True)
    body = "".join(_rows(page))
    assert all(s in body for s in shown) and not any(h in body for h in hidden), body
    everything = "".join(_rows(client.get("/office/comments").get_data(as_text=True)))
    assert all(h in everything for h in hidden)  # each hidden text is there without the filter


@pytest.mark.parametrize("query", ["dimension=999999", "source=phone", "company=abc", "compound=x", "page=0x1",
                                   "company=999999"])
def test_bad_filters_are_refused_with_a_message(client, world, login, said, query):
    login("district")
    resp = client.get("/office/comments?" + query)
    assert resp.status_code in (400, 404)


def test_the_workbook_has_the_rows_of_the_page(client, world, login, said, db):
    login("district")
    page = client.get("/office/comments?source=comment").get_data(as_text=True)
    resp = client.get("/office/comments.xlsx?source=comment")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["居民意见"]
    head, rows = table(ws, "意见内容")
    assert head == ["意见内容", "相同条数", "小区", "物业服务企业", "来源", "日期"]
    assert len(rows) == len(_rows(page))
    texts = [r[0] for r in rows]
    assert texts == [t for t in texts if t in page]  # the same texts, in the page's order
    assert [t for t in texts] == sorted(texts, key=lambda t: page.index(t))
    elevator = next(r for r in rows if "电梯 经常坏" in r[0])
    assert elevator[1] == 2 and elevator[2] == "金色花园" and elevator[4] == "意见建议栏"
    assert elevator[5].date() == now().date()
    everything = " ".join(str(c.value) for sheet in wb for row in sheet.iter_rows() for c in row if c.value)
    for secret in ("13812345678", "3号楼", "翡翠名苑四户", "待复核", "西城区的意见", "多种树"):
        assert secret not in everything
    block = title_block(ws, header_row(ws, "意见内容"))
    assert block[0] == "居民意见汇总" and "范围：东城区" in block[1] and world.campaign.name in block[1]
    assert "制表单位：东城区" in block[2]
    assert "来源：意见建议栏" in everything and "1 个（样本不足 5 份，不显示）" in everything
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "export.comments")) == 1


def test_pages_of_groups(app, world, said):
    c, area = world.campaign, Area("district", world.east.id)
    everything = comments.comment_groups(c, area, comments.Filters())
    first = comments.comment_page(c, area, comments.Filters(), 1, per_page=2)
    last = comments.comment_page(c, area, comments.Filters(), 99, per_page=2)
    assert first.total == len(everything) and first.pages == -(-len(everything) // 2)
    assert first.groups == everything[:2] and last.number == first.pages
    assert last.groups == everything[(last.number - 1) * 2:] and 1 <= len(last.groups) <= 2
    assert first.texts == sum(g.count for g in everything)
    assert [g.count for g in everything] == sorted((g.count for g in everything), reverse=True)


ADVERTS = ("专业开锁换锁 疏通下水道 电话13812345678", "北京 上海 广州 深圳 办证 刻章")


def test_adverts_are_counted_not_shown_and_never_reach_a_rectification_item(client, world, login, said, db):
    from survey_app.domain.rectification import rules

    c = world.campaign
    for household, text in zip(households_of(world.k1)[7:9], ADVERTS):
        _respond(c, household, value=1, comment=text)  # the lowest scores: first in line for samples
    login("district")
    page = client.get("/office/comments").get_data(as_text=True)
    assert "疑似广告 2 条，未显示。" in page
    assert not any(word in page for word in ("开锁", "疏通", "办证", "刻章"))
    assert "物业太差了" in page  # the compound's other texts are listed as before
    assert "条，未显示" not in client.get(f"/office/comments?compound={world.k2.id}").get_data(as_text=True)
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/office/comments.xlsx").data))
    everything = " ".join(str(cell.value) for sheet in wb for row in sheet.iter_rows() for cell in row if cell.value)
    assert "2 条，未显示" in everything and "开锁" not in everything and "办证" not in everything

    assert "物业太差了" in rules.sample_comments(c.id, world.k1.id)
    rules.generate(c)
    db.session.commit()
    items = db.session.scalars(select(RectificationItem).where(RectificationItem.compound_id == world.k1.id)).all()
    samples = " ".join(item.samples or "" for item in items)
    assert items and "物业太差了" in samples
    assert not any(word in samples for word in ("开锁", "疏通", "办证", "刻章"))


def test_adverts_never_reach_a_company_page_nor_a_follow_up_request(app, world, db):
    from survey_app.domain.rectification import residents, rules
    from survey_app.domain.stats.company_report import company_report

    c = world.campaign
    homes = households_of(world.k1)
    for household, text in zip(homes[:2], ADVERTS):
        _respond(c, household, value=3, comment=text)
    for household in homes[2:7]:
        _respond(c, household, value=3, comment="电梯经常坏，希望尽快维修")
    report = company_report(c, world.c1.id)
    said = " ".join(text for _, text in report.comments)
    assert "电梯经常坏" in said and not any(w in said for w in ("开锁", "疏通", "办证", "刻章"))
    key = c.dimensions[0].key
    rules.raise_request(c, homes[0], key, ADVERTS[0])
    rules.raise_request(c, homes[1], key, "楼道灯坏了两周没人修，电话13812345678")
    db.session.flush()
    item = db.session.scalar(select(RectificationItem).where(RectificationItem.compound_id == world.k1.id))
    texts = [r.text for r in residents.requests_of(item)]
    assert texts == ["[疑似广告，未显示]", "楼道灯坏了两周没人修，电话[手机号已隐藏]"]
    assert "开锁" not in item.evidence and "疑似广告" in item.evidence


def test_the_area_picker_narrows_by_street_and_compound(client, world, login, said):
    """The shared picker's ?street= and ?compound= narrow the list and stay in its links; an old
    ?area=street: link still narrows; another district is refused, a compound outside is not found."""
    login("district")
    by_street = client.get(f"/office/comments?street={world.s1.id}").get_data(as_text=True)
    assert "碧水家园的意见" in "".join(_rows(by_street))
    assert "碧水家园的意见" not in "".join(_rows(client.get(f"/office/comments?street={world.s2.id}")
                                            .get_data(as_text=True)))
    assert "".join(_rows(client.get(f"/office/comments?area=street:{world.s2.id}").get_data(as_text=True))) \
        == "".join(_rows(client.get(f"/office/comments?street={world.s2.id}").get_data(as_text=True)))
    by_compound = client.get(f"/office/comments?compound={world.k2.id}").get_data(as_text=True)
    body = "".join(_rows(by_compound))
    assert "碧水家园的意见" in body and "电梯 经常坏" not in body
    assert f"compound={world.k2.id}" in by_compound  # the download link keeps it
    assert client.get(f"/office/comments?district={world.west.id}").status_code == 403
    assert client.get(f"/office/comments?compound={world.k4.id}").status_code == 404
    assert client.get(f"/office/comments.xlsx?compound={world.k4.id}").status_code == 404
