"""Hostile input through every page, form, upload and query parameter: a 4xx with a message, never
a 500, and text stored as written and shown escaped.

The corpus reaches the app by construction: the GET routes come from the URL map (ids filled in
from the test world), the forms from the pages themselves (every <form> a role is shown, with its
fields), and the query parameters from the views' own reads and the pages' GET forms. A new page,
form or field joins the corpus without editing this file. With TESTING on, an unexpected error is
raised into the test instead of becoming a 500 page, so it is caught and reported with its route.
"""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from markupsafe import escape
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from survey_app.access import Area
from survey_app.api import clients as api_clients
from survey_app.domain.rectification import photos
from survey_app.domain.responses import codes as tokens
from survey_app.models import Building, Household, RectificationItem, RectificationPhoto, Response, User

from ..factories import PASSWORD, answer, form_for, households_of, issue

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE = [
    MARKUP,
    "' OR '1'='1'; DROP TABLE households; --",
    "=HYPERLINK(\"http://evil.test\",\"x\")", "+1+1", "-1-1", "@SUM(A1)", "\t=1", "\r=1", "＝１＋１", "＋１", "－１", "＠A1",
    "x" * 100_000,
    "a\x00b\x01c\x1b\x7f",
    "١٢", "１２", "12\u200b", "١", "𝟏𝟐", "½", "²",
    "-1", "0", "-99999999999999999999", "99999999999999999999", "2147483648", "1e309", "NaN", "inf",
    "", " ", "../../etc/passwd", "%00", "\ufeff1", "city:", "street:١", "district:-1", "compound:99999999999",
]
# What a second database can answer differently from SQLite (NUL bytes, integers past the
# column's range, other scripts' digits, very long text, quoting): the corpus PostgreSQL gets.
# The rest (markup, spreadsheet formulas, paths) is the application's business, swept on SQLite.
DATABASE_SENSITIVE = [v for v in HOSTILE if "\x00" in v or len(v) > 1000 or v in {
    "' OR '1'='1'; DROP TABLE households; --", "١٢", "𝟏𝟐", "-99999999999999999999", "99999999999999999999",
    "2147483648", "1e309", "NaN", "\ufeff1", "street:١", "compound:99999999999"}]
QUERY_NAMES = {"campaign", "area", "compound", "building", "grid", "held", "lang", "q", "role", "state", "page",
               "level", "id", "status", "next", "kind", "district", "street", "community", "pending_page"}
SKIP_ACTIONS = ("/logout",)  # would end the session the rest of the corpus uses


class Forms(HTMLParser):
    """The <form>s of a page: action, method and {field name: a plausible value}."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": {}, "files": set()})
        elif self.forms and tag in ("input", "textarea", "select", "button") and a.get("name"):
            f = self.forms[-1]
            if a.get("type") == "file":
                f["files"].add(a["name"])
            else:
                f["fields"].setdefault(a["name"], a.get("value") or "")
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._select and self.forms:
            fields = self.forms[-1]["fields"]
            if not fields.get(self._select):
                fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    p = Forms()
    p.feed(html)
    return p.forms


@pytest.fixture
def stage(app, world, client):
    for h in households_of(world.k1)[:8]:
        answer(world.campaign, h, 1, comment="初始意见")
    from survey_app.domain import rectification
    from survey_app.extensions import db
    rectification.generate(world.campaign)
    item = db.session.scalars(select(RectificationItem).order_by(RectificationItem.id)).first()
    if item is not None:  # a photo of it: the photo's page joins the corpus
        photos.accept_photos([FileStorage(io.BytesIO(_png()), "photo.png")], item=item, user=None)
    db.session.commit()
    return world


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def _args(app, world) -> dict[str, str]:
    from survey_app.extensions import db
    b = db.session.scalar(select(Building).where(Building.compound_id == world.k1.id))
    h = households_of(world.k1)[-1]
    item = db.session.scalars(select(RectificationItem)).first()
    photo = db.session.scalars(select(RectificationPhoto)).first()
    grid = db.session.scalar(select(User.id).where(User.username == "grid1"))
    return {"campaign_id": world.campaign.id, "compound_id": world.k1.id, "building_id": b.id, "household_id": h.id,
            "item_id": item.id if item else 1, "user_id": grid, "ident": world.k1.id, "level": "compound",
            "rest": "", "token": issue(world.campaign, households_of(world.k2)[0]),
            "photo_id": photo.id if photo else 1, "client_id": _api_client(db)}


def _api_client(db) -> int:
    """An API client, so that its pages (and the revoke form) join the corpus."""
    city = db.session.scalar(select(User).where(User.username == "city"))
    client, _token = api_clients.create(city, "热线平台", Area("city"), can_write=True)
    db.session.commit()
    return client.id


def _get_rules(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]


def _path(rule, values, world) -> str | None:
    out = rule.rule
    for arg in rule.arguments:
        if arg == "key":
            value = world.campaign.dimensions[0].key if "dimensions" in rule.rule else world.campaign.questions[0].key
        elif arg in values:
            value = values[arg]
        else:
            return None
        out = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, str(value), out)
    return out


class Corpus:
    """Requests that must not fail: collects the ones that raised or answered 5xx."""

    def __init__(self, client):
        self.client = client
        self.failures: list[str] = []
        self.count = 0

    def send(self, method: str, url: str, what: str, **kw):
        self.count += 1
        try:
            resp = self.client.open(url, method=method, **kw)
        except Exception as e:  # noqa: BLE001 — the test reports every unexpected error with its request
            self.failures.append(f"{method} {url} [{what}]: {type(e).__name__}: {str(e)[:200]}")
            return None
        if resp.status_code >= 500:
            self.failures.append(f"{method} {url} [{what}]: {resp.status_code}")
        return resp


def _login(client, username):
    client.post("/logout")
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302, (username, resp.status_code)


def _crawl(app, client, world, values):
    """Every GET page this role may open, and the forms on them."""
    pages, forms = {}, []
    for rule in _get_rules(app):
        url = _path(rule, values, world)
        if url is None or rule.endpoint.startswith("resident."):
            continue
        resp = client.get(url)
        pages[url] = resp.status_code
        if resp.status_code == 200 and resp.mimetype == "text/html":
            for f in forms_of(resp.get_data(as_text=True)):
                action = urlsplit(f["action"]).path or url
                f["url"] = f["action"] or url
                if not action.endswith(SKIP_ACTIONS):
                    forms.append(f)
    return pages, forms


@pytest.mark.parametrize("username", ["city", "street1", "grid1", "company1"])
def test_every_page_query_and_form_survives_the_corpus(app, stage, client, username):
    world, values = stage, _args(app, stage)
    hostile = DATABASE_SENSITIVE if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else HOSTILE
    _login(client, username)
    corpus = Corpus(client)
    pages, forms = _crawl(app, client, world, values)
    names = set(QUERY_NAMES)
    for f in forms:
        if f["method"] == "get":
            names |= set(f["fields"])
    # Every page the role can reach, with each query parameter hostile in turn, then all at once.
    for url, status in pages.items():
        if status != 200:
            continue
        for value in hostile[::3] + ["١٢", "１２", "12\u200b", "-1", "99999999999999999999"]:
            corpus.send("GET", url, f"all params={value[:20]!r}", query_string={n: value for n in names})
        corpus.send("GET", url, "repeated", query_string=MultiDict([(n, v) for n in names for v in ("1", "x", "١")]))
        corpus.send("GET", url + "?campaign=%ff%fe&area=%c3%28&grid=%ed%a0%80", "invalid UTF-8")
        # Raw bytes that are not UTF-8 in the query (a WSGI environ carries them as latin-1 text).
        corpus.send("GET", url, "raw bytes", environ_overrides={"QUERY_STRING": "campaign=\xff\xfe&area=\xc3(&q=\x00"})
    # Every form, each field hostile (all at once per value), fields missing, repeated, invalid UTF-8.
    seen = set()
    for f in forms:
        key = (f["method"], urlsplit(f["url"]).path, tuple(sorted(f["fields"])))
        if key in seen:
            continue
        seen.add(key)
        method = "POST" if f["method"] == "post" else "GET"
        fields = list(f["fields"])
        for value in hostile:
            data = {n: value for n in fields}
            kw = {"data": data} if method == "POST" else {"query_string": data}
            if f["files"] and method == "POST":
                kw["data"] = dict(data, **{n: (io.BytesIO(value.encode("utf-8", "replace")), "x.xlsx")
                                           for n in f["files"]})
                kw["content_type"] = "multipart/form-data"
            corpus.send(method, f["url"], f"form {fields} = {value[:20]!r}", **kw)
        for n in fields:  # one field hostile, the others as the page offered them
            for value in ("١٢", "-1", "99999999999999999999", MARKUP, "=1+1", "a\x00b\x1b", "长" * 100_000):
                data = dict(f["fields"], **{n: value})
                corpus.send(method, f["url"], f"field {n} = {value!r}",
                            **({"data": data} if method == "POST" else {"query_string": data}))
        if method == "POST":
            corpus.send("POST", f["url"], "no fields", data={})
            corpus.send("POST", f["url"], "repeated fields",
                        data=MultiDict([(n, v) for n in fields for v in ("1", "١", "")]))
            corpus.send("POST", f["url"], "invalid UTF-8 body", data=b"&".join(
                n.encode() + b"=\xff\xfe\xc3(" for n in fields) or b"x=\xff",
                content_type="application/x-www-form-urlencoded")
        _login(client, username)  # a form may have changed the user's own account or session
    print(f"\n{username}: {len(pages)} pages, {len(forms)} forms, {corpus.count} requests")
    assert corpus.count > 100
    assert not corpus.failures, "\n".join(corpus.failures[:60])


def test_ids_written_in_other_scripts_answer_4xx(app, stage, client, login):
    login("city")
    world = stage
    for raw in ("١٢", "１２", "12\u200b", "¹", "-1", "0", "99999999999999999999", "1.0", "0x1", "1e3"):
        for url in (f"/office/compounds/{raw}", f"/office/campaigns/{raw}", f"/office/households/{raw}"):
            assert 400 <= client.get(url).status_code < 500, url
        resp = client.get("/office/participation", query_string={"campaign": raw})
        assert resp.status_code in (400, 404), (raw, resp.status_code)
        assert "参数" in resp.get_data(as_text=True) or "测评活动" in resp.get_data(as_text=True)
        resp = client.post(f"/office/print/compound/{world.k1.id}/pdf", data={"campaign": raw, "layout": raw})
        assert 400 <= resp.status_code < 500, (raw, resp.status_code)


def test_a_resident_comment_is_stored_as_written_and_shown_escaped(app, stage, client, login, db):
    world = stage
    household = households_of(world.k1)[9]
    token = issue(world.campaign, household)
    comment = MARKUP + " =1+1 ＠x ' OR 1=1 --"
    resident = app.test_client()
    assert resident.get(f"/s/{token}").status_code == 302
    assert resident.post("/s/", data=form_for(world.campaign, comment=comment)).status_code == 302
    stored = db.session.scalar(select(Response.comment).where(Response.household_id == household.id))
    assert stored == comment
    page = resident.get("/s/").get_data(as_text=True)  # the resident sees their saved comment again
    assert str(escape(comment)) in page and MARKUP not in page
    login("company1")
    page = client.get(f"/company/?campaign={world.campaign.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in page and MARKUP not in page and "<img src=x" not in page
    # NUL and over-long comments are refused with a message, and nothing is stored.
    for bad in ("a\x00b", "长" * 100_000):
        resp = resident.post("/s/", data=form_for(world.campaign, comment=bad))
        assert resp.status_code == 422 and "意见建议" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Response.comment).where(Response.household_id == household.id)) == comment


def test_resident_survey_survives_the_corpus(app, stage, db):
    world = stage
    household = households_of(world.k1)[10]
    token = issue(world.campaign, household)
    resident = app.test_client()
    corpus = Corpus(resident)
    assert resident.get(f"/s/{token}").status_code == 302
    names = list(form_for(world.campaign)) + ["comment", "csrf_token", "household", "campaign", "followup",
                                              "followup_category", "followup_text"]
    key = world.campaign.dimensions[0].key
    for value in HOSTILE:
        corpus.send("POST", "/s/", f"all = {value[:20]!r}", data={n: value for n in names})
        corpus.send("POST", "/s/", f"comment = {value[:20]!r}", data=form_for(world.campaign, comment=value))
        corpus.send("POST", "/s/", f"follow-up = {value[:20]!r}", data=form_for(
            world.campaign, followup="1", followup_category=key, followup_text=value))
        corpus.send("POST", "/s/confirm", f"confirmation = {value[:20]!r}",
                    data={"item-1": value, f"item-{value}": "fixed", "csrf_token": value})
    corpus.send("POST", "/s/", "repeated", data=MultiDict([(n, v) for n in names for v in ("5", "1", "١")]))
    corpus.send("POST", "/s/", "invalid UTF-8", data=b"comment=\xff\xfe&" + "&".join(
        f"{n}=4" for n in form_for(world.campaign)).encode(), content_type="application/x-www-form-urlencoded")
    for raw in ("١٢", "%ff", "a" * 5000, "<script>", "' OR 1=1", "\x00"):
        corpus.send("GET", "/s/" + raw, "token")
        corpus.send("GET", "/s/", "query", query_string={"lang": raw, "t": raw})
    assert not corpus.failures, "\n".join(corpus.failures)


def test_oversized_bodies_answer_413_with_a_message(app, stage, client, login):
    login("city")
    assert client.get(f"/s/{issue(stage.campaign, households_of(stage.k3)[0])}").status_code == 302
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    for url, kw in (("/office/roster/", {"data": {"file": (io.BytesIO(big), "roster.xlsx")},
                                         "content_type": "multipart/form-data"}),
                    (f"/office/campaigns/{stage.campaign.id}/questionnaire.xlsx",
                     {"data": {"file": (io.BytesIO(big), "q.xlsx")}, "content_type": "multipart/form-data"}),
                    ("/s/", {"data": big, "content_type": "application/x-www-form-urlencoded"})):
        resp = client.post(url, **kw)
        assert resp.status_code == 413, url
        assert "过大" in resp.get_data(as_text=True) and "MB" in resp.get_data(as_text=True)


def _broken_xlsx() -> bytes:
    from ..domain.test_upload_files import BROKEN
    return BROKEN["broken sheet XML"][0]


@pytest.mark.parametrize("name,payload", [
    ("a PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
    ("text", "区,街道\n=1+1,<script>\n".encode()),
    ("empty", b""),
    ("broken sheet XML", None),
    ("a zip bomb of a declared range", "bomb"),
])
def test_uploads_refuse_files_that_are_not_what_they_say(app, stage, client, login, db, name, payload):
    from ..domain.test_upload_files import BROKEN
    if payload is None:
        payload = _broken_xlsx()
    elif payload == "bomb":
        payload = BROKEN["a declared range A1:XFD1048576"][0]
    login("city")
    before = db.session.scalar(select(db.func.count()).select_from(Household))
    for url in ("/office/roster/", f"/office/campaigns/{stage.campaign.id}/questionnaire.xlsx"):
        for dry in ("yes", ""):
            resp = client.post(url, data={"file": (io.BytesIO(payload), "roster.xlsx"), "dry_run": dry},
                               content_type="multipart/form-data")
            body = resp.get_data(as_text=True)
            assert 400 <= resp.status_code < 500, (url, name, resp.status_code)
            assert re.search("Excel|文件|范围|选择", body), (url, name)
    assert db.session.scalar(select(db.func.count()).select_from(Household)) == before


def test_code_lookups_never_reach_sql_as_text(app, stage):
    for raw in ("' OR 1=1 --", "١٢٣", "\x00", "a" * 10_000, "%", "_"):
        assert tokens.find_any_code(raw) is None


def test_staff_text_is_stored_as_written_and_shown_escaped(app, stage, client, login, db):
    """A campaign's and a dimension's name with markup and formula starters: kept, and escaped on every page."""
    from survey_app.domain.campaigns.spec import clean_text
    from survey_app.models import Campaign, Dimension
    login("city")
    name = MARKUP + " =1+1 ＠x"
    form = next(f for f in forms_of(client.get("/office/campaigns/new").get_data(as_text=True))
                if f["method"] == "post" and "name" in f["fields"])
    resp = client.post("/office/campaigns/new", data=dict(form["fields"], name=name, scope="city:"))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    c = db.session.scalar(select(Campaign).where(Campaign.name == clean_text(name)))
    assert c is not None  # as written (whitespace runs collapsed, as for every name)
    dim_name = "<b onmouseover=alert(1)>维度</b>=SUM(A1)"
    resp = client.post(f"/office/campaigns/{c.id}/dimensions",
                       data={"name": dim_name, "weight": "1", "text": "+您满意吗？<i>"})
    assert resp.status_code == 302
    assert db.session.scalar(select(Dimension.name).where(Dimension.campaign_id == c.id,
                                                          Dimension.name == dim_name)) == dim_name
    for url in ("/office/campaigns/", f"/office/campaigns/{c.id}", f"/office/campaigns/{c.id}/questionnaire",
                f"/office/participation?campaign={c.id}", f"/office/campaigns/{c.id}/preview"):
        page = client.get(url).get_data(as_text=True)
        assert MARKUP not in page and "<b onmouseover" not in page, url
    page = client.get(f"/office/campaigns/{c.id}/questionnaire").get_data(as_text=True)
    assert str(escape(dim_name)) in page and "&lt;script&gt;" in client.get("/office/campaigns/").get_data(as_text=True)


API_QUERY_NAMES = ("limit", "offset", "area", "level", "by", "status", "source", "campaign")


def test_every_api_query_and_body_survives_the_corpus(app, stage, client, db):
    """The API answers bearer tokens, not staff sessions, so the crawl above reaches only its document:
    here every /api/ GET route takes each hostile value in every query parameter, and the hotline write
    each hostile value in every field, with a token; 4xx problems, never a 5xx."""
    hostile = DATABASE_SENSITIVE if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else HOSTILE
    city = db.session.scalar(select(User).where(User.username == "city"))
    _made, token = api_clients.create(city, "语料客户端", Area("city"), can_write=True, rate_limit="1000000 per minute")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    values = _args(app, stage)
    corpus = Corpus(client)
    urls = [_path(r, values, stage) for r in _get_rules(app) if r.rule.startswith("/api/")]
    assert len(urls) >= 9
    for url in urls:
        assert client.get(url, headers=headers).status_code == 200, url
        for value in hostile[::3] + ["١٢", "１２", "-1", "99999999999999999999", "street:١", "district:0"]:
            corpus.send("GET", url, f"params={value[:20]!r}", headers=headers,
                        query_string={n: value for n in API_QUERY_NAMES})
        corpus.send("GET", url, "raw bytes", headers=headers,
                    environ_overrides={"QUERY_STRING": "limit=\xff\xfe&area=\xc3(&status=\x00"})
    case = {"work_order_id": "H-1", "compound_id": stage.k1.id, "category": "other", "text": "垃圾没人清",
            "received_at": "2026-11-30T09:00:00+08:00"}
    for value in hostile + [12, -1, 2**63, 1.5, None, True, [], {}]:
        corpus.send("POST", "/api/v1/hotline-cases", f"all = {str(value)[:20]!r}", headers=headers,
                    json={n: value for n in case})
        for n in case:
            corpus.send("POST", "/api/v1/hotline-cases", f"{n} = {str(value)[:20]!r}", headers=headers,
                        json=dict(case, **{n: value}))
    for body in (b"\xff\xfe", b"{", b"[]", b"null", b'"x"'):
        corpus.send("POST", "/api/v1/hotline-cases", f"body {body!r}", headers=headers, data=body,
                    content_type="application/json")
    assert not corpus.failures, "\n".join(corpus.failures[:30])
