"""Every message a user can see exists in English, and none is left as a bare Chinese literal.

Three checks, none of which needs a database server:

a. Catalogue completeness: the messages extracted from the code now (same mapping as babel.cfg,
   same keywords as the `pybabel extract` command) all have an English translation in
   translations/en/LC_MESSAGES/messages.po, with no Chinese left in it and the same %(name)s
   placeholders; and the committed messages.mo holds exactly what the .po compiles to.
b. No bare Chinese messages: flash(), refusals and other exceptions, render_error(), the
   questionnaire/roster problem records and form errors (`errors[...] = ...`) get their text
   through gettext, never as a Chinese string literal or f-string. Document text (Excel headers,
   sheet names, PDF labels) is not a message and is not checked.
c. At run time, real refusals and form errors from the domain and the access module come out in
   English under ?lang=en and in Chinese under ?lang=zh_CN.
"""
from __future__ import annotations

import ast
import re
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import flask_babel
import pytest
from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PACKAGE = ROOT / "survey_app"

# As in the extract command: pybabel extract -F babel.cfg -k _l -k lazy_gettext
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

CJK = re.compile("[\u4e00-\u9fff]")
# A printf-style conversion, named or not; "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%(?:\(([^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")


def placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text or "") if m.group(2) != "%")


def _key(msgid, context=None):
    """A message's key as a catalogue stores it: the singular id, with its context if any."""
    ident = msgid[0] if isinstance(msgid, (tuple, list)) else msgid
    return (ident, context) if context else ident


def _strings(message) -> list[str]:
    s = message.string
    return list(s) if isinstance(s, (tuple, list)) else [s]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]


# ---------------------------------------------------------------- a. catalogue

def _method_map():
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = frontend.parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    return method_map, options_map


@pytest.fixture(scope="module")
def extracted() -> dict:
    """key -> (msgid, [file:line, ...]) for every message in the code and templates now."""
    method_map, options_map = _method_map()
    found: dict = {}
    for filename, lineno, msgid, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        key = _key(msgid, context)
        found.setdefault(key, (msgid, []))[1].append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


def test_babel_cfg_covers_code_and_templates():
    method_map, _options = _method_map()
    patterns = dict(method_map)
    assert patterns.get("survey_app/**.py") == "python", method_map
    assert patterns.get("templates/**.html") == "jinja2", method_map


def test_extraction_finds_messages(extracted):
    # Guard against a silently broken extraction (wrong mapping, wrong directory).
    assert len(extracted) > 100
    assert "范围参数无效：请用 city、district:编号 或 street:编号。" in extracted  # access.py
    assert any(loc.startswith("templates") for _id, locs in extracted.values() for loc in locs)


def test_every_message_has_an_english_translation(extracted, catalog):
    problems = []
    for key, (msgid, locations) in sorted(extracted.items(), key=lambda kv: str(kv[0])):
        where = ", ".join(locations[:3])
        msgid_text = msgid[0] if isinstance(msgid, (tuple, list)) else msgid
        context = key[1] if isinstance(key, tuple) else None
        message = catalog.get(msgid_text, context=context)
        if message is None:
            problems.append(f"not in messages.po (run pybabel extract/update): {msgid_text!r}  [{where}]")
        elif message.fuzzy:
            problems.append(f"fuzzy (not compiled into the .mo): {msgid_text!r}  [{where}]")
        elif not all(_strings(message)):
            problems.append(f"no English msgstr: {msgid_text!r}  [{where}]")
    assert not problems, f"{len(problems)} message(s) without English:\n" + "\n".join(problems)


def test_translations_are_english_and_keep_placeholders(catalog):
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ident = _ids(message)[0]
        strings = [s for s in _strings(message) if s]
        for s in strings:
            if CJK.search(s):
                problems.append(f"Chinese left in the translation: {ident!r} -> {s!r}")
        if not strings:
            continue
        wanted = set().union(*(placeholders(i) for i in _ids(message)))
        if isinstance(message.id, (tuple, list)):
            # Plural forms: each form uses only the msgid's placeholders, all forms together use them all.
            got = set().union(*(placeholders(s) for s in strings))
            stray = [s for s in strings if set(placeholders(s)) - wanted]
            if got != wanted or stray:
                problems.append(f"placeholders differ: {ident!r} {sorted(wanted)} -> {strings!r}")
        else:
            if placeholders(message.id) != placeholders(strings[0]):
                problems.append(f"placeholders differ: {ident!r} {sorted(placeholders(message.id).elements())}"
                                f" -> {strings[0]!r} {sorted(placeholders(strings[0]).elements())}")
    assert not problems, f"{len(problems)} bad translation(s):\n" + "\n".join(problems)


def test_no_fuzzy_or_obsolete_entries(catalog):
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries (review and clear the flag): {fuzzy}"
    assert not catalog.obsolete, f"obsolete (#~) entries, remove them: {list(catalog.obsolete)}"


def _mo_content(catalog_) -> dict:
    return {(m.id if not isinstance(m.id, list) else tuple(m.id), m.context): m.string
            if not isinstance(m.string, list) else tuple(m.string)
            for m in catalog_ if m.id}


def test_compiled_mo_matches_po(catalog):
    """The committed .mo holds what the .po compiles to (run `pybabel compile -d translations`)."""
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    fresh = _mo_content(read_mo(buf))
    with open(MO, "rb") as f:
        committed = _mo_content(read_mo(f))
    missing = sorted(str(k[0]) for k in fresh.keys() - committed.keys())
    stale = sorted(str(k[0]) for k in committed.keys() - fresh.keys())
    changed = sorted(str(k[0]) for k in fresh.keys() & committed.keys() if fresh[k] != committed[k])
    assert not (missing or stale or changed), (
        "messages.mo is out of date with messages.po; run `pybabel compile -d translations`.\n"
        f"in the .po only ({len(missing)}): {missing[:20]}\n"
        f"in the .mo only ({len(stale)}): {stale[:20]}\n"
        f"translated differently ({len(changed)}): {changed[:20]}")


# ---------------------------------------------------------------- b. no bare Chinese messages

REFUSALS = {"Refusal", "Invalid", "Forbidden", "NotFound", "Conflict", "Gone"}
EXCEPTION_SUFFIXES = ("Error", "Refused", "Refusal", "Closed", "Frozen")
CLICK_EXCEPTIONS = {"ClickException", "BadParameter", "UsageError"}
# Records that carry a message for the user in one argument (their other arguments name a
# sheet or a column of a workbook, which is document text): name -> (position, keyword).
MESSAGE_RECORDS = {"Problem": (0, "reason"), "RowError": (2, "reason")}


def _callee(node: ast.Call) -> tuple[str | None, str | None]:
    """(module-ish prefix, name) of what is called: flash -> (None, 'flash'), click.X -> ('click', 'X')."""
    f = node.func
    if isinstance(f, ast.Name):
        return None, f.id
    if isinstance(f, ast.Attribute):
        prefix = f.value.id if isinstance(f.value, ast.Name) else None
        return prefix, f.attr
    return None, None


def _message_args(node: ast.Call) -> list[ast.expr] | None:
    """The arguments of this call that are messages for the user, or None if it is not such a call."""
    prefix, name = _callee(node)
    if name is None:
        return None
    if name in MESSAGE_RECORDS:
        pos, kw = MESSAGE_RECORDS[name]
        args = node.args[pos:pos + 1]
        return args + [k.value for k in node.keywords if k.arg == kw]
    everything = list(node.args) + [k.value for k in node.keywords]
    if name in ("flash", "render_error"):
        return everything
    if name in REFUSALS or name.endswith(EXCEPTION_SUFFIXES):
        return everything
    if name in CLICK_EXCEPTIONS and prefix in (None, "click", "exceptions"):
        return everything
    return None


def _bare_chinese(expr: ast.expr) -> bool:
    """A Chinese string literal or f-string, also inside a conditional, a concatenation or a
    %-format; a call (gettext or anything else) decides its own text and is not looked into."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str) and bool(CJK.search(expr.value))
    if isinstance(expr, ast.JoinedStr):
        return any(_bare_chinese(v) for v in expr.values)
    if isinstance(expr, ast.FormattedValue):
        return False
    if isinstance(expr, ast.IfExp):
        return _bare_chinese(expr.body) or _bare_chinese(expr.orelse)
    if isinstance(expr, ast.BinOp):
        return _bare_chinese(expr.left) or _bare_chinese(expr.right)
    if isinstance(expr, ast.BoolOp):
        return any(_bare_chinese(v) for v in expr.values)
    return False


def _is_errors_target(target: ast.expr) -> bool:
    if not isinstance(target, ast.Subscript):
        return False
    v = target.value
    name = v.id if isinstance(v, ast.Name) else v.attr if isinstance(v, ast.Attribute) else ""
    return name == "errors" or name.endswith("_errors")


def bare_messages(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            args = _message_args(node)
            if args and any(_bare_chinese(a) for a in args):
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:100]}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_errors_target(t) for t in targets) and _bare_chinese(node.value):
                found.append(f"{rel}:{node.lineno}: form error {ast.unparse(node)[:90]}")
    return found


def test_scanner_finds_bare_messages(tmp_path):
    """The scanner itself: bare Chinese in each kind of call is found, gettext-wrapped is not."""
    sample = tmp_path / "sample.py"
    code = '\n'.join([
        'flash("已保存。")',                              # 1 found
        'flash(_("已保存。"))',                           # 2 fine
        'raise Invalid(f"第 {n} 行无效")',                # 3 found
        'raise CampaignFrozen(_l("冻结"))',               # 4 fine
        'raise click.ClickException("没有活动。")',       # 5 found
        'raise click.BadParameter(msg or "无效")',        # 6 found
        'render_error(404, "没有")',                      # 7 found
        'errors["name"] = "请填写。"',                    # 8 found
        'errors["name"] = _("请填写。")',                 # 9 fine
        'Problem(_("缺少"), sheet="题目")',               # 10 fine: a sheet name is document text
        'RowError(3, "街道", "未知")',                    # 11 found
        'raise ValueError("bad value")',                  # 12 fine: not Chinese
        'ws.title = "维度"',                              # 13 fine: a sheet name
        'raise StepRefused("不能" if a else _("好"))',    # 14 found
    ])
    sample.write_text(code, encoding="utf-8")
    lines = sorted(int(f.split(":")[1]) for f in bare_messages(sample))
    assert lines == [1, 3, 5, 6, 7, 8, 11, 14]


def test_no_bare_chinese_messages():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += bare_messages(path)
    assert not found, (f"{len(found)} Chinese message(s) not wrapped in _(), gettext, ngettext, _l or "
                       "lazy_gettext:\n" + "\n".join(found))


# ---------------------------------------------------------------- c. at run time
# The app and the domain are imported inside the cases, so that the static checks (a, b) still
# run and report when a half-edited module does not import.

@pytest.fixture(scope="module")
def app():
    from survey_app import create_app
    from survey_app.extensions import db as _db

    from .conftest import make_config

    app = create_app(make_config("sqlite://"))
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()


@contextmanager
def language(app, lang: str):
    with app.test_request_context(f"/?lang={lang}"):
        flask_babel.refresh()
        assert flask_babel.get_locale().language == lang.split("_")[0]
        yield


def _refusal_message(call) -> str:
    from survey_app.errors import Refusal

    with pytest.raises(Refusal) as info:
        call()
    return info.value.message


def _area_parse():
    from survey_app.access import Area
    return [_refusal_message(lambda: Area.parse("bogus"))]


def _default_refusal():
    from survey_app.errors import Conflict, NotFound
    return [Conflict().message, NotFound().message]


def _area_outside():
    from survey_app import access
    from survey_app.access import Area
    from survey_app.models import User
    officer = User(username="t", role="city")
    return [_refusal_message(lambda: access.require_area(officer, Area("district", 987654)))]


def _get_visible():
    from survey_app import access
    from survey_app.models import Campaign, User
    return [_refusal_message(lambda: access.get_visible(User(username="t", role="city"), Campaign, "abc"))]


def _create_user():
    from survey_app.domain import users
    return [_refusal_message(lambda: users.create_user("", "city", password="x")),
            _refusal_message(lambda: users.create_user("bob", "no-such-role", password="x")),
            _refusal_message(lambda: users.create_user("bob", "district", district_id=987654, password="x"))]


def _campaign_settings():
    from survey_app.domain.campaigns import lifecycle
    settings, errors = lifecycle.parse_settings({"min_responses": "0", "min_coverage": "150"})
    assert settings is None and len(errors) >= 5
    return list(errors.values())


def _closed_campaign():
    from survey_app.domain.campaigns import lifecycle
    from survey_app.domain.responses import survey
    from survey_app.models import Campaign
    closed = Campaign(name="t", status="closed", opens_at=datetime(2026, 1, 1), closes_at=datetime(2026, 2, 1))
    return [survey.closed_reason(closed), _refusal_message(lambda: lifecycle.transition(closed, "open"))]


def _survey_form():
    from survey_app.domain.responses import survey
    q1 = SimpleNamespace(id=1, kind="score", allow_na=True, options=[])
    q2 = SimpleNamespace(id=2, kind="choice", allow_na=False, options=[SimpleNamespace(key="a")])
    fake = SimpleNamespace(questions=[q1, q2])
    missing = survey.parse_form(fake, {"q1": "9", "comment": "\x00"})
    all_na = survey.parse_form(fake, {"q1": "na", "q2": "a"}) if survey.NA == "na" else None
    return list(missing.errors.values()) + (list(all_na.errors.values()) if all_na else [])


def _rectification_step():
    from survey_app.domain import rectification
    from survey_app.models import RectificationItem, User
    item = RectificationItem(status="submitted")
    return [_refusal_message(lambda: rectification.act(item, "verify", user=User(username="c", role="company"))),
            _refusal_message(lambda: rectification.act(item, "start", user=User(username="c", role="company")))]


RUNTIME_CASES = {
    "access.Area.parse": _area_parse,
    "errors default messages": _default_refusal,
    "access.require_area": _area_outside,
    "access.get_visible": _get_visible,
    "users.create_user": _create_user,
    "lifecycle.parse_settings": _campaign_settings,
    "closed campaign": _closed_campaign,
    "survey.parse_form": _survey_form,
    "rectification.act": _rectification_step,
}


@pytest.mark.parametrize("case", list(RUNTIME_CASES))
def test_refusals_follow_the_language(app, case):
    with language(app, "en"):
        english = [str(m) for m in RUNTIME_CASES[case]()]
    with language(app, "zh_CN"):
        chinese = [str(m) for m in RUNTIME_CASES[case]()]
    assert english and len(english) == len(chinese)
    assert not [m for m in english if CJK.search(m)], english
    assert all(CJK.search(m) for m in chinese), chinese
