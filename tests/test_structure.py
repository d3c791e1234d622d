"""Rules about where rules live: read the source, not the behaviour.

Role names double as area levels ("city", "district", "street") and "company" is also an
aggregation level, so a role *decision* is recognised by what it reads: a user's `.role`, a
comparison with it, or a collection made only of role names that only a role list would hold.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "survey_app"
ROLES = {"city", "district", "street", "grid", "company"}
ROLE_ONLY = {"grid", "company"}  # a collection with one of these and only role names is a role list
ALLOWED_ROLE_READERS = {PACKAGE / "access.py", PACKAGE / "models" / "users.py"}


def _py_files(*parts):
    for part in parts:
        yield from sorted((PACKAGE / part).rglob("*.py")) if (PACKAGE / part).is_dir() else [PACKAGE / part]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _role_decisions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "role" and isinstance(node.ctx, ast.Load):
            found.append(f"{_name(path)}:{node.lineno} reads .role")
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2:
            values = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(values) == len(node.elts) and values <= ROLES and values & ROLE_ONLY:
                found.append(f"{_name(path)}:{node.lineno} lists roles {sorted(values)}")
    return found


def test_no_role_decision_outside_the_access_module():
    files = [p for p in _py_files("web", "domain", "cli", "errors.py", "security.py", "database.py")
             if p not in ALLOWED_ROLE_READERS]
    assert len(files) > 30
    found = [f for p in files for f in _role_decisions(p)]
    assert not found, "role decisions belong in survey_app/access.py:\n" + "\n".join(found)


def test_templates_ask_access_and_never_name_a_role():
    pattern = re.compile(r"\.role\b|role\s*(==|!=|in)\s")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "templates").rglob("*.html"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, "templates must ask access.may_...(current_user):\n" + "\n".join(found)


def test_the_role_detector_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('if user.role == "grid":\n    pass\nASSIST = ("grid", "street")\nLEVELS = ("city", "district")\n')
    found = _role_decisions(sample)
    assert len(found) == 2 and any("reads .role" in f for f in found) and any("lists roles" in f for f in found)


def _calls(path: Path, names: set[str]):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            yield node


def test_views_commands_and_domain_keep_no_hand_written_rollback():
    # survey_app/cli/__init__.py is where every command's one transaction ends (as database.py
    # and errors.py are for requests).
    found = [f"{p.relative_to(ROOT)}:{c.lineno}" for p in _py_files("web", "cli", "domain")
             if p != PACKAGE / "cli" / "__init__.py"
             for c in _calls(p, {"rollback"})
             if not (isinstance(c.func.value, ast.Name) and c.func.value.id in ("trial", "sp", "savepoint"))]
    assert not found, "the request (or command) ends its transaction, not the code inside it:\n" + "\n".join(found)


def test_views_and_domain_never_commit():
    found = [f"{p.relative_to(ROOT)}:{c.lineno}" for p in _py_files("web", "domain") for c in _calls(p, {"commit"})]
    assert not found, "a request commits once, at its end (survey_app/database.py):\n" + "\n".join(found)


def test_every_exception_the_app_defines_is_a_refusal():
    from survey_app.errors import Refusal

    classes = []
    for p in _py_files("web", "cli", "domain", "access.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and (b.id.endswith(("Error", "Exception", "Refused", "Closed", "Frozen"))
                                                 or b.id in ("Refusal", "Invalid", "Forbidden", "NotFound", "Conflict"))
                    for b in node.bases):
                module = ".".join(p.relative_to(ROOT).with_suffix("").parts)
                classes.append(getattr(__import__(module, fromlist=[node.name]), node.name))
    assert len(classes) >= 7
    assert all(issubclass(c, Refusal) for c in classes), [c for c in classes if not issubclass(c, Refusal)]


def test_no_function_level_import_without_a_named_cycle():
    found = []
    for p in _py_files("web", "cli", "domain", "access.py", "errors.py", "i18n.py", "security.py", "database.py"):
        lines = p.read_text().splitlines()
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)) and "cycle" not in lines[inner.lineno - 1]:
                        found.append(f"{p.relative_to(ROOT)}:{inner.lineno}")
    assert not found, "import at the top, or say which cycle the local import breaks:\n" + "\n".join(found)


def test_domain_subpackages_say_what_they_hold():
    packages = [p for p in (PACKAGE / "domain").iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert {p.name for p in packages} >= {"campaigns", "responses", "stats", "printing", "xlsx"}
    for p in packages:
        doc = ast.get_docstring(ast.parse((p / "__init__.py").read_text()))
        assert doc and "May import" in doc, p


@pytest.mark.parametrize("raw", ["", "1e9", "٣", "१२", "-1", "2147483648", "abc", "1 2"])
def test_ids_written_by_users_are_read_in_one_place(raw):
    from survey_app.database import parse_id

    assert parse_id(raw) is None


def test_parse_id_accepts_every_real_id():
    from survey_app.database import MAX_ID, parse_id

    assert parse_id("1") == 1 and parse_id(" 42 ") == 42 and parse_id(str(MAX_ID)) == MAX_ID
