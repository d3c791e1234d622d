"""`flask` commands, one module per command group, registered here. Each command parses its
options, calls the same domain functions as the web views, and prints.

Every command runs as one transaction, decided here and nowhere else: `register_cli` wraps each
command's callback so that it commits once when the command succeeds and rolls back when it
fails in any way (an exception, a usage error, an abort, a non-zero exit). A command marked
`@keeps_nothing` (a what-if, such as `flask integrity simulate`) is rolled back even when it
succeeds: it may write to compute its answer, and the database is left as it was. A domain
`Refusal` becomes a `click.ClickException`: its message on stderr and exit status 1. Commands run
in the default locale (there is no request to choose another one).
"""
from __future__ import annotations

import functools

import click
from flask import Flask, current_app
from flask_babel import force_locale

from ..errors import Refusal
from ..extensions import db

KEEPS_NOTHING = "keeps_nothing"


def keeps_nothing(callback):
    """Mark a command whose transaction is always rolled back (put it right above the function).

    Defined before the command modules are imported below: they import it from here.
    """
    setattr(callback, KEEPS_NOTHING, True)
    return callback


from . import backup, campaigns, codes, demo, integrity, jobs, ranking, rectification, roster, totals, users  # noqa: E402

# Every top-level command and command group, in the order `flask --help` lists them anyway.
COMMANDS = (
    demo.demo_command,
    users.user_group,
    ranking.ranking_group,
    rectification.rectify_group,
    integrity.integrity_group,
    totals.totals_group,
    codes.qr_group,
    codes.codes_group,
    roster.roster_group,
    campaigns.campaign_group,
    jobs.jobs_group,
    backup.backup_group,
)


def register_cli(app: Flask) -> None:
    for command in COMMANDS:
        _wrap_commands(command)
        app.cli.add_command(command)


def _wrap_commands(command: click.Command) -> None:
    """Give every command under `command` (groups walked recursively) one transaction."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _wrap_commands(sub)
    elif command.callback is not None:
        command.callback = one_transaction(command.callback)


def _exit_code(e: BaseException) -> int | None:
    code = e.exit_code if isinstance(e, click.exceptions.Exit) else e.code
    return 0 if code is None else code


def _commit() -> None:
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def one_transaction(callback):
    """The command callback run as one transaction: commit on success, roll back on any failure
    (always roll back for a command marked `keeps_nothing`).

    Idempotent: the command objects are module-level, and every app the factory builds registers them.
    """
    if getattr(callback, "one_transaction", False):
        return callback
    end = db.session.rollback if getattr(callback, KEEPS_NOTHING, False) else _commit

    @functools.wraps(callback)
    def run(*args, **kwargs):
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
            try:
                result = callback(*args, **kwargs)
            except Refusal as e:
                db.session.rollback()
                raise click.ClickException(e.message) from None
            except (click.exceptions.Exit, SystemExit) as e:
                if _exit_code(e) == 0:
                    end()
                else:
                    db.session.rollback()
                raise
            except BaseException:
                db.session.rollback()
                raise
            end()
            return result

    run.one_transaction = True
    return run
