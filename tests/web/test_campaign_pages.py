"""Campaign pages: who may do what, transitions by POST, the editor, Excel upload, preview, round changes on pages."""
import io
import re
from datetime import timedelta

import openpyxl
from sqlalchemy import func, select

from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.xlsx import questionnaire as qx
from survey_app.domain.clock import now
from survey_app.models import Campaign, Response, WordingChange

from ..factories import answer, households_of

FORM = {"name": "2027年上半年测评", "scope": "city:", "opens_at": "2030-01-05T09:00", "closes_at": "2030-01-31T18:00",
        "min_responses": "8", "min_coverage": "15", "source": ""}


def _responses(db):
    return db.session.scalar(select(func.count()).select_from(Response))


def _new_draft(client, **kw):
    resp = client.post("/office/campaigns/new", data={**FORM, **kw})
    assert resp.status_code == 302, resp.data.decode()[:2000]
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_only_city_and_district_admins_reach_the_campaign_pages(client, world, login):
    assert client.get("/office/campaigns/").status_code == 302  # to the login page
    for username in ("street1", "grid1", "company1"):
        login(username)
        assert client.get("/office/campaigns/").status_code == 403
        assert client.post("/office/campaigns/new", data=FORM).status_code == 403
        assert client.post(f"/office/campaigns/{world.campaign.id}/close", data={"confirm": "yes"}).status_code == 403
        assert "测评活动</a>" not in client.get("/office/participation").data.decode()
        client.post("/logout")
    login("city")
    page = client.get("/office/campaigns/").data.decode()
    assert "2026年测试测评" in page and "进行中" in page
    assert 'href="/office/campaigns/"' in client.get("/office/participation").data.decode()


def test_city_admin_creates_a_draft_from_the_form(client, world, login, db):
    login("city")
    assert "标准问卷" in client.get("/office/campaigns/new").data.decode()
    cid = _new_draft(client)
    c = db.session.get(Campaign, cid)
    assert (c.status, c.min_responses, c.min_coverage, c.scope_level) == ("draft", 8, 0.15, "city")
    page = client.get(f"/office/campaigns/{cid}").data.decode()
    assert "草稿" in page and "开启活动" in page and "客户服务" in page and "12.0%" in page


def test_bad_settings_get_a_message_per_field_and_a_422(client, world, login, db):
    login("city")
    resp = client.post("/office/campaigns/new", data={**FORM, "name": "", "closes_at": "2029-01-01T00:00",
                                                      "min_coverage": "200", "source": "abc"})
    html = resp.data.decode()
    assert resp.status_code == 422
    for msg in ("请填写活动名称", "结束时间必须晚于开始时间", "最低参评率应为 0 到 100", "问卷来源无效"):
        assert msg in html
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1


def test_a_district_admin_works_within_its_district(client, world, login, db):
    login("district")
    page = client.get("/office/campaigns/new").data.decode()
    assert f'value="district:{world.east.id}"' in page and "city:" not in page
    assert f"street:{world.s3.id}" not in page  # a street of the other district
    resp = client.post("/office/campaigns/new", data={**FORM, "scope": "city:"})
    assert resp.status_code == 403 and "区级管理员只能为本区" in resp.data.decode()
    resp = client.post("/office/campaigns/new", data={**FORM, "scope": f"street:{world.s3.id}"})
    assert resp.status_code == 403
    cid = _new_draft(client, scope=f"street:{world.s1.id}", source=str(world.campaign.id))
    assert client.post(f"/office/campaigns/{cid}/open").status_code == 302
    # The city-wide campaign is visible but read-only.
    page = client.get(f"/office/campaigns/{world.campaign.id}").data.decode()
    assert "只能查看" in page and "结束活动" not in page
    resp = client.post(f"/office/campaigns/{world.campaign.id}/close", data={"confirm": "yes"})
    assert resp.status_code == 403 and db.session.get(Campaign, world.campaign.id).status == "open"
    assert client.post(f"/office/campaigns/{world.campaign.id}/dimensions/service",
                       data={"name": "x", "weight": "1"}).status_code == 403
    # A campaign of the other district does not exist for it.
    other = camp.create(camp.Settings("西城区测评", camp.Area("district", world.west.id), now(),
                                      now() + timedelta(days=3), 5, 0.1))
    db.session.commit()
    assert client.get(f"/office/campaigns/{other.id}").status_code == 404
    assert "西城区测评" not in client.get("/office/campaigns/").data.decode()


def test_state_transitions_by_post_and_their_refusals(client, world, login, db):
    login("city")
    cid = _new_draft(client, opens_at=(now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                     closes_at=(now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    resp = client.post(f"/office/campaigns/{cid}/close", data={"confirm": "yes"})
    assert resp.status_code == 409 and "草稿尚未开启，不能直接结束" in resp.data.decode()
    assert client.post(f"/office/campaigns/{cid}/open").status_code == 302
    resp = client.post(f"/office/campaigns/{cid}/open")
    assert resp.status_code == 409 and "已经是“进行中”" in resp.data.decode()
    resp = client.post(f"/office/campaigns/{cid}/delete")
    assert resp.status_code == 409 and "只能删除草稿" in resp.data.decode()
    resp = client.post(f"/office/campaigns/{cid}/close")
    assert resp.status_code == 400 and "请勾选确认" in resp.data.decode()
    assert client.post(f"/office/campaigns/{cid}/close", data={"confirm": "yes"}).status_code == 302
    assert db.session.get(Campaign, cid).status == "closed"
    resp = client.post(f"/office/campaigns/{cid}/open")
    assert resp.status_code == 409 and "不能重新开启" in resp.data.decode()
    resp = client.post(f"/office/campaigns/{cid}/settings", data={**FORM, "name": "改个名"})
    assert resp.status_code == 409 and "设置不能再修改" in resp.data.decode()
    assert db.session.get(Campaign, cid).name == FORM["name"]
    assert client.post("/office/campaigns/999999/open").status_code == 404


def test_settings_form_saves_and_refuses_by_state(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    resp = client.post(f"/office/campaigns/{cid}/settings", data={**FORM, "name": "新名字", "min_responses": "x"})
    assert resp.status_code == 422 and "最少有效答卷数应为" in resp.data.decode()
    assert client.post(f"/office/campaigns/{cid}/settings", data={**FORM, "name": "新名字"}).status_code == 302
    assert db.session.get(Campaign, cid).name == "新名字"
    resp = client.post(f"/office/campaigns/{world.campaign.id}/settings",
                       data={**camp.settings_form(world.campaign), "scope": f"district:{world.east.id}"})
    assert resp.status_code == 409 and "不能修改测评范围" in resp.data.decode()


def test_draft_deletion_and_copy_to_a_new_round(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    assert client.post(f"/office/campaigns/{cid}/delete").status_code == 302
    assert db.session.get(Campaign, cid) is None
    page = client.get(f"/office/campaigns/{world.campaign.id}/copy").data.decode()
    assert "（下一轮）" in page
    resp = client.post(f"/office/campaigns/{world.campaign.id}/copy",
                       data={"name": "", "opens_at": "2030-07-01T09:00", "closes_at": "2030-07-31T18:00"})
    assert resp.status_code == 422 and "请填写活动名称" in resp.data.decode()
    resp = client.post(f"/office/campaigns/{world.campaign.id}/copy",
                       data={"name": "2030年下半年", "opens_at": "2030-07-01T09:00", "closes_at": "2030-07-31T18:00"})
    assert resp.status_code == 302
    new = db.session.scalar(select(Campaign).where(Campaign.name == "2030年下半年"))
    assert new.status == "draft" and new.copied_from_id == world.campaign.id
    assert [q.key for q in new.questions] == [q.key for q in world.campaign.questions]
    page = client.get(f"/office/campaigns/{new.id}").data.decode()
    assert "复制自" in page and "2026年测试测评" in page


def test_questionnaire_editor_adds_moves_and_deletes(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    base = f"/office/campaigns/{cid}"
    assert "新增题目" in client.get(f"{base}/questionnaire").data.decode()
    resp = client.post(f"{base}/questions", data={"dimension": "cleaning", "kind": "choice", "text": "主要问题",
                                                   "text_en": "Main problem", "allow_na": "yes",
                                                   "options": "楼道脏乱 | Dirty stairwells\n垃圾满溢\n\n"})
    assert resp.status_code == 302
    c = db.session.get(Campaign, cid)
    q = next(q for q in c.questions if q.kind == "choice")
    assert [(o.label, o.label_en) for o in q.options] == [("楼道脏乱", "Dirty stairwells"), ("垃圾满溢", "")]
    resp = client.post(f"{base}/questions", data={"dimension": "cleaning", "kind": "choice", "text": "只有一个选项",
                                                   "options": "唯一"})
    assert resp.status_code == 422 and "单选题至少需要 2 个选项" in resp.data.decode()
    # Edit the question: rename an option, delete the other, add one; move it up; then delete it.
    page = client.get(f"{base}/questions/{q.key}").data.decode()
    assert "编辑题目" in page and "楼道脏乱" in page
    o1, o2 = q.options
    resp = client.post(f"{base}/questions/{q.key}", data={
        "action": "save", "text": "最突出的问题", "text_en": "", "kind": "choice", "dimension": "cleaning",
        "allow_na": "yes", f"opt_{o1.key}_label": "楼道脏", f"opt_{o1.key}_label_en": "",
        f"opt_{o2.key}_label": "x", f"opt_{o2.key}_delete": "yes", "new_0_label": "噪音", "new_0_label_en": "Noise"})
    assert resp.status_code == 302
    db.session.expire_all()
    q = next(q for q in db.session.get(Campaign, cid).questions if q.kind == "choice")
    assert q.text == "最突出的问题" and [o.label for o in q.options] == ["楼道脏", "噪音"]
    assert client.post(f"{base}/questions/{q.key}", data={"action": "up"}).status_code == 302
    db.session.expire_all()
    cleaning = next(d for d in db.session.get(Campaign, cid).dimensions if d.key == "cleaning")
    assert [x.key for x in cleaning.questions].index(q.key) == 1
    assert client.post(f"{base}/questions/{q.key}", data={"action": "delete"}).status_code == 302
    # Dimensions: add one (with its first question), reweight, move, delete.
    resp = client.post(f"{base}/dimensions", data={"name": "智慧物业", "name_en": "Smart services", "weight": "0.1",
                                                    "text": "线上报修是否方便", "text_en": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    c = db.session.get(Campaign, cid)
    smart = c.dimensions[-1]
    assert smart.name == "智慧物业" and smart.questions[0].kind == "scale"
    resp = client.post(f"{base}/dimensions/{smart.key}", data={"action": "save", "name": "智慧物业",
                                                               "name_en": "", "weight": "0"})
    assert resp.status_code == 422 and "权重必须是大于 0 的数" in resp.data.decode()
    assert client.post(f"{base}/dimensions/{smart.key}", data={"action": "up"}).status_code == 302
    assert client.post(f"{base}/dimensions/{smart.key}", data={"action": "delete"}).status_code == 302
    resp = client.post(f"{base}/dimensions/overall", data={"action": "delete"})
    assert resp.status_code == 422 and "缺少总体满意度题" in resp.data.decode()
    assert client.post(f"{base}/dimensions/nope", data={"action": "save"}).status_code == 404
    assert client.post(f"{base}/dimensions/service", data={"action": "explode"}).status_code == 400
    db.session.expire_all()
    assert len(db.session.get(Campaign, cid).dimensions) == 9


def test_answered_questionnaire_accepts_only_typo_fixes_in_the_browser(client, world, login, db):
    login("city")
    answer(world.campaign, households_of(world.k1)[0])
    base = f"/office/campaigns/{world.campaign.id}"
    page = client.get(f"{base}/questionnaire").data.decode()
    assert "问卷已冻结" in page and "新增题目" not in page and "删除维度" not in page
    resp = client.post(f"{base}/dimensions/service", data={"action": "save", "name": "客户服务", "name_en": "",
                                                           "weight": "0.5"})
    assert resp.status_code == 409 and "复制为新一轮" in resp.data.decode()
    resp = client.post(f"{base}/questions", data={"dimension": "cleaning", "kind": "scale", "text": "新题"})
    assert resp.status_code == 409
    resp = client.post(f"{base}/questions/service_attitude", data={"action": "delete"})
    assert resp.status_code == 409
    page = client.get(f"{base}/questions/service_attitude").data.decode()
    assert "修正措辞" in page and 'name="kind"' not in page
    resp = client.post(f"{base}/questions/service_attitude", data={
        "action": "save", "text": "一道完全不同的新题目用来代替原来的题目", "text_en": ""})
    assert resp.status_code == 409 and "不属于错别字修正" in resp.data.decode()
    assert "一道完全不同的新题目" in resp.data.decode()  # what was typed stays on the page
    resp = client.post(f"{base}/questions/service_attitude", data={
        "action": "save", "text": "物业服务人员的服务态度和仪容仪表。",
        "text_en": "Attitude and appearance of property staff"})
    assert resp.status_code == 302
    change = db.session.scalar(select(WordingChange))
    assert change.old == "物业服务人员的服务态度和仪容仪表" and change.user.username == "city"
    page = client.get(base).data.decode()
    assert "措辞修改记录" in page and "物业服务人员的服务态度和仪容仪表。" in page


def test_excel_round_trip_through_the_page(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    resp = client.get(f"/office/campaigns/{cid}/questionnaire.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    wb["维度"].cell(2, 3).value = "Customer care"
    wb["题目"].cell(3, 7).value = "可能"
    buf = io.BytesIO()
    wb.save(buf)

    def upload(data, **form):
        return client.post(f"/office/campaigns/{cid}/questionnaire.xlsx",
                           data={"file": (io.BytesIO(data), "问卷.xlsx"), **form}, content_type="multipart/form-data")

    resp = upload(buf.getvalue())
    assert resp.status_code == 422
    assert "「题目」表第 3 行「总体满意度题」列：应填“是”或“否”，现为「可能」" in resp.data.decode()
    assert db.session.get(Campaign, cid).dimensions[0].name_en == "Customer service"
    wb["题目"].cell(3, 7).value = "否"
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(buf.getvalue(), dry_run="yes")
    assert resp.status_code == 302 and db.session.get(Campaign, cid).dimensions[0].name_en == "Customer service"
    assert upload(buf.getvalue()).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, cid).dimensions[0].name_en == "Customer care"
    resp = upload(b"not excel")
    assert resp.status_code == 400 and "无法作为 Excel" in resp.data.decode()
    resp = client.post(f"/office/campaigns/{cid}/questionnaire.xlsx", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择" in resp.data.decode()
    assert qx.export_workbook(db.session.get(Campaign, cid))


def test_resident_preview_shows_the_phone_page_and_stores_nothing(client, world, login, db):
    login("city")
    cid = _new_draft(client, source=str(world.campaign.id))
    client.post(f"/office/campaigns/{cid}/questions", data={"dimension": "cleaning", "kind": "text",
                                                            "text": "关于卫生的其他意见", "text_en": "Other remarks"})
    page = client.get(f"/office/campaigns/{cid}/preview").data.decode()
    assert 'class="resident"' in page and "预览" in page and "非常满意" in page and "关于卫生的其他意见" in page
    assert "<textarea" in page and "示例小区" in page
    assert 'action="/office/campaigns/%d/preview"' % cid in page
    en = client.get(f"/office/campaigns/{cid}/preview?lang=en").data.decode()
    assert "Very satisfied" in en and "Other remarks" in en
    client.get("/office/?lang=zh_CN")
    c = db.session.get(Campaign, cid)
    form = {f"q{q.id}": "4" for q in c.questions if q.kind == "scale"}
    resp = client.post(f"/office/campaigns/{cid}/preview", data={})
    assert resp.status_code == 422 and "未作答" in resp.data.decode()
    resp = client.post(f"/office/campaigns/{cid}/preview", data=form)
    assert resp.status_code == 200 and "填写有效" in resp.data.decode()
    assert _responses(db) == 0
    assert db.session.get(Campaign, cid).status == "draft"


def test_ranking_and_compound_pages_show_the_change_from_the_previous_round(client, world, login, db):
    first = world.campaign
    for i, h in enumerate(households_of(world.k1)[:20]):
        answer(first, h, value=3 if i % 2 else 2)
    for i, h in enumerate(households_of(world.k2)[:10]):
        answer(first, h, value=4 if i % 2 else 3)
    camp.transition(first, "closed")
    db.session.commit()
    second = camp.copy_round(first, "第二轮", now() - timedelta(hours=1), now() + timedelta(days=5))
    camp.transition(second, "open")
    db.session.commit()
    for h in households_of(world.k1)[:20]:
        answer(second, h, value=5)
    for i, h in enumerate(households_of(world.k2)[:10]):
        answer(second, h, value=3 if i % 2 else 4)
    login("city")
    page = client.get(f"/office/ranking?campaign={second.id}").data.decode()
    assert "较上轮" in page and "与「2026年测试测评」相比" in page
    rows = {name: page[page.index(name):page.index("</tr>", page.index(name))] for name in
            ("甲物业服务有限公司", "乙物业服务有限公司")}
    assert re.search(r"\+62\.5 ↑", rows["甲物业服务有限公司"])
    assert "+0.0" in rows["乙物业服务有限公司"] and "误差内" in rows["乙物业服务有限公司"]
    assert "较上轮" in client.get(f"/office/ranking?campaign={first.id}").data.decode()  # column, no previous
    page = client.get(f"/office/compounds/{world.k1.id}?campaign={second.id}").data.decode()
    assert "与上一轮比较" in page and "环境卫生" in page and page.count("↑") >= 9
    page = client.get(f"/office/compounds/{world.k1.id}?campaign={first.id}").data.decode()
    assert "没有可比较的上一轮" in page


def test_campaign_pages_in_english(client, world, login):
    login("city")
    page = client.get(f"/office/campaigns/{world.campaign.id}?lang=en").data.decode()
    assert "Close campaign" in page and "Questionnaire" in page and "Copy to a new round" in page
    assert "Wording changes" in page and "Minimum responses to be ranked" in page
    assert "New campaign" in client.get("/office/campaigns/?lang=en").data.decode()
    page = client.get(f"/office/campaigns/{world.campaign.id}/questionnaire?lang=en").data.decode()
    assert "Add question" in page and "5-point scale" in page and "Normalised weight" in page


def test_a_resident_answers_choice_and_free_text_questions_on_the_phone(client, world, db):
    from survey_app.domain.campaigns import spec as qs

    from ..factories import issue

    spec = qs.spec_of(world.campaign)
    spec.dimension("cleaning").questions.append(qs.QuestionSpec(
        key="cleaning_problem", kind="choice", text="最突出的问题", allow_na=True,
        options=[qs.OptionSpec("stairs", "楼道脏乱"), qs.OptionSpec("bins", "垃圾满溢")]))
    spec.dimension("overall").questions.append(qs.QuestionSpec(key="remarks", kind="text", text="还想说的话"))
    qs.apply(world.campaign, spec)
    db.session.commit()
    choice = next(q for q in world.campaign.questions if q.kind == "choice")
    text = next(q for q in world.campaign.questions if q.kind == "text")
    token = issue(world.campaign, households_of(world.k1)[0])
    client.get(f"/s/{token}")
    page = client.get("/s/").data.decode()
    assert 'value="stairs"' in page and "都没有/不适用" in page and f'name="q{text.id}"' in page
    form = {f"q{q.id}": "4" for q in world.campaign.questions if q.kind == "scale"}
    resp = client.post("/s/", data=form)
    assert resp.status_code == 422 and "未作答" in resp.data.decode()
    form.update({f"q{choice.id}": "bins", f"q{text.id}": "<script>alert(1)</script>"})
    assert client.post("/s/", data=form).status_code == 302
    page = client.get("/s/").data.decode()
    assert 'value="bins" required checked' in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    resp = db.session.scalar(select(Response))
    assert resp.score == 75.0 and resp.overall == 4


def test_garbage_on_campaign_pages_never_causes_a_server_error(client, world, login):
    login("city")
    base = f"/office/campaigns/{world.campaign.id}"
    for path in ("/office/campaigns/0", "/office/campaigns/99999999999", f"{base}/questions/%00",
                 f"{base}/questions/" + "x" * 500, "/office/campaigns/abc/preview"):
        assert client.get(path).status_code < 500, path
    posts = {
        "/office/campaigns/new": {**FORM, "name": "a\x00b", "opens_at": "9999-12-31T23:59", "closes_at": "0001-01-01",
                                  "min_responses": "1e99", "min_coverage": "inf", "source": "１２"},
        f"{base}/settings": {"name": "x" * 1000, "scope": "district:99999999999"},
        f"{base}/dimensions": {"name": "\x00", "weight": "nan", "text": ""},
        f"{base}/dimensions/service": {"action": "save", "name": "", "weight": "-inf"},
        f"{base}/questions": {"dimension": "\x00", "kind": "essay"},
        f"{base}/questions/overall": {"action": "save", "kind": "essay", "dimension": "nope", "text": "x" * 5000},
        f"{base}/copy": {"name": "x", "opens_at": "2099-12-31T00:00", "closes_at": "2100-12-31T00:00"},
        f"{base}/preview": {"comment": "\x00", "q1": "\x00"},
    }
    for path, data in posts.items():
        assert client.post(path, data=data).status_code < 500, path


def test_a_fresh_draft_is_not_what_the_other_pages_show_by_default(client, world, login, db):
    camp.transition(world.campaign, "closed")
    db.session.commit()
    login("city")
    _new_draft(client, name="下一轮草稿")
    page = client.get("/office/ranking").data.decode()
    assert "<option value=\"%d\" selected>" % world.campaign.id in page
