"""The command line's structure: one module per group, one transaction per command (commit on
success, roll back on any failure), refusals printed as errors, and `flask user create`."""
import ast
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from survey_app import create_app
from survey_app.cli import COMMANDS, keeps_nothing, one_transaction
from survey_app.errors import Conflict
from survey_app.models import District, User

from .conftest import make_config

CLI = Path(__file__).resolve().parent.parent / "survey_app" / "cli"


def _leaves(command):
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _leaves(sub)
    else:
        yield command


def _districts(db) -> int:
    return db.session.scalar(select(func.count()).select_from(District))


def test_every_command_runs_in_one_transaction_wrapped_once(app, tmp_path):
    create_app(make_config(f"sqlite:///{tmp_path / 'again.db'}"))  # registers the same commands again
    names = {c.name for c in COMMANDS}
    assert names == {"demo", "user", "ranking", "rectify", "integrity", "totals", "qr", "codes", "roster", "campaign",
                     "jobs", "backup"}
    assert names <= set(app.cli.commands)
    leaves = [leaf for c in COMMANDS for leaf in _leaves(c)]
    assert len(leaves) >= 15
    for leaf in leaves:
        assert getattr(leaf.callback, "one_transaction", False), leaf.name
        assert not getattr(leaf.callback.__wrapped__, "one_transaction", False), leaf.name


def test_commands_neither_commit_nor_roll_back_by_hand_nor_import_inside_functions():
    assert not (CLI / "core.py").exists()
    commits = {}
    for path in sorted(CLI.glob("*.py")) + [CLI.parent / "domain" / "users.py"]:
        text = path.read_text(encoding="utf-8")
        assert "session.rollback()" not in text or path.name == "__init__.py", path
        commits[path.name] = text.count("session.commit()")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}: import inside {node.name}"
    # The wrapper commits; codes.py stores the codes before its file is moved into place.
    assert {k: v for k, v in commits.items() if v} == {"__init__.py": 1, "codes.py": 1}


def _command(app, name, body, keep=True):
    @click.command(name)
    @click.pass_context
    def command(ctx):
        app_db = app.extensions["sqlalchemy"]
        app_db.session.add(District(name=name))
        app_db.session.flush()
        body(ctx)

    if not keep:
        command.callback = keeps_nothing(command.callback)

    command.callback = one_transaction(command.callback)
    app.cli.add_command(command)


def _refuse(_ctx):
    raise Conflict("该操作与当前状态冲突，未执行。")


def _exit_1(_ctx):
    sys.exit(1)


def _click_error(_ctx):
    raise click.ClickException("出错了")


def _crash(_ctx):
    raise ValueError("boom")


def _abort(_ctx):
    raise click.Abort()


@pytest.mark.parametrize("body, code, shown", [
    (lambda ctx: None, 0, None),
    (lambda ctx: ctx.exit(0), 0, None),
    (lambda ctx: sys.exit(0), 0, None),
    (_refuse, 1, "Error: 该操作与当前状态冲突，未执行。"),
    (_exit_1, 1, None),
    (lambda ctx: ctx.exit(3), 3, None),
    (_click_error, 1, "Error: 出错了"),
    (_abort, 1, "Aborted!"),
    (_crash, 1, None),
])
def test_a_command_commits_when_it_succeeds_and_keeps_nothing_when_it_fails(app, db, runner, body, code, shown):
    _command(app, "测试区", body)
    result = runner.invoke(args=["测试区"])
    assert result.exit_code == code, result.output
    if shown:
        assert shown in result.stderr and not result.stdout
    db.session.remove()
    assert _districts(db) == (1 if code == 0 else 0)


@pytest.mark.parametrize("body, code", [
    (lambda ctx: None, 0),
    (lambda ctx: ctx.exit(0), 0),
    (_exit_1, 1),
    (_crash, 1),
])
def test_a_command_that_keeps_nothing_is_rolled_back_even_when_it_succeeds(app, db, runner, body, code):
    _command(app, "模拟区", body, keep=False)
    result = runner.invoke(args=["模拟区"])
    assert result.exit_code == code, result.output
    db.session.remove()
    assert _districts(db) == 0
    _command(app, "保留区", lambda ctx: None)  # the next command commits as usual
    assert runner.invoke(args=["保留区"]).exit_code == 0
    db.session.remove()
    assert _districts(db) == 1


def test_user_create_adds_an_account_or_prints_why_not(app, world, db, runner):
    ok = runner.invoke(args=["user", "create", "grid9", "--role", "grid", "--street-id", str(world.s3.id),
                             "--name", "网格员九", "--password", "Lantern-Pebble-42"])
    assert ok.exit_code == 0 and "已创建用户 grid9（grid）" in ok.output, ok.output
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "grid9"))
    assert user.display_name == "网格员九" and user.district_id == world.west.id
    assert user.check_password("Lantern-Pebble-42")
    weak = runner.invoke(args=["user", "create", "grid10", "--role", "grid", "--street-id", str(world.s3.id),
                               "--password", "password1234"])
    assert weak.exit_code == 1 and "太常见" in weak.stderr
    taken = runner.invoke(args=["user", "create", "grid9", "--role", "city", "--password", "x"])
    assert taken.exit_code == 1 and "Error: 用户名 grid9 已存在。" in taken.stderr
    unplaced = runner.invoke(args=["user", "create", "nobody", "--role", "district", "--password", "x"])
    assert unplaced.exit_code == 1 and "需要指定所属区" in unplaced.stderr
    nowhere = runner.invoke(args=["user", "create", "nobody", "--role", "company", "--company-id", "999",
                                  "--password", "x"])
    assert nowhere.exit_code == 1 and "没有编号为 999 的物业企业" in nowhere.stderr
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "nobody")) == 0


def test_areas_and_campaigns_are_read_in_one_place(app, world, db, runner, tmp_path):
    out = str(tmp_path / "r.xlsx")
    bad = runner.invoke(args=["ranking", "export", "--area", "district:x", "--out", out])
    assert bad.exit_code == 2 and "范围参数无效" in bad.output and "--area" in bad.output
    gone = runner.invoke(args=["ranking", "export", "--area", "district:999", "--out", out])
    assert gone.exit_code == 2 and "没有这个范围" in gone.output
    none = runner.invoke(args=["ranking", "export", "--campaign", "999", "--out", out])
    assert none.exit_code == 1 and "没有编号为 999 的测评活动。" in none.output
    huge = runner.invoke(args=["rectify", "generate", "--campaign", str(2**40)])
    assert huge.exit_code == 1 and f"没有编号为 {2**40} 的测评活动。" in huge.output
    default = runner.invoke(args=["rectify", "generate"])
    assert default.exit_code == 0 and "新生成整改事项" in default.output
    ok = runner.invoke(args=["ranking", "export", "--area", f"district:{world.east.id}", "--out", out])
    assert ok.exit_code == 0, ok.output


def test_user_disable_enable_and_reset_password_from_the_command_line(app, world, db, runner):
    def grid1():
        db.session.expire_all()
        return db.session.scalar(select(User).where(User.username == "grid1"))
    version = grid1().session_version
    assert runner.invoke(args=["user", "disable", "grid1"]).exit_code == 0
    assert not grid1().active and grid1().session_version == version + 1
    again = runner.invoke(args=["user", "disable", "grid1"])
    assert again.exit_code == 1 and "已经停用" in again.stderr
    assert runner.invoke(args=["user", "enable", "grid1"]).exit_code == 0 and grid1().active
    weak = runner.invoke(args=["user", "reset-password", "grid1", "--password", "grid1grid1grid1"])
    assert weak.exit_code == 1 and "不能包含用户名" in weak.stderr
    ok = runner.invoke(args=["user", "reset-password", "grid1", "--password", "Orchid+Kettle-731"])
    assert ok.exit_code == 0 and grid1().check_password("Orchid+Kettle-731")
    missing = runner.invoke(args=["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "没有用户名为 nobody 的账户" in missing.stderr
