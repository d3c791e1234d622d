"""What the benchmarks in bench/ share: timers, the app set-up and the demo city.

* `timed(fn, repeat)`: the median wall time of `repeat` calls of fn, in seconds;
* `timed_once(fn)`: one call of fn, as (seconds, what fn returned);
* `peak_memory(fn)`: one call of fn under tracemalloc, as (peak bytes, what fn returned);
* `bench_app(database_url, **config)`: a `Config` pointed at database_url (or, when it is None, at
  a SQLite file in a new temporary directory), rate limits and CSRF switched off (the benches log
  in and post with plain requests), any further settings from config; returns `create_app`'s app;
* `ensure_demo(size)`: inside an app context, brings the schema up to date and, if the database
  is empty, loads the demo city of that size, commits and prints what it built.

The benches run as `python bench/<name>.py`, so bench/ is sys.path[0] and `import benchkit`
works; importing it also puts the repository root (`ROOT`) on sys.path, for `survey_app`.
survey_app itself is imported only inside the functions, so that `--help` stays quick.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def timed(fn, repeat: int) -> float:
    """The median wall time of `repeat` calls of fn, in seconds."""
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def timed_once(fn) -> tuple[float, object]:
    """One call of fn: (seconds, what fn returned)."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def peak_memory(fn) -> tuple[int, object]:
    """Peak Python memory of one call of fn: (bytes, what fn returned). Measure it in a separate
    pass from the times: tracemalloc slows code down."""
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, out


def bench_app(database_url: str | None, **config):
    """The app over database_url, or over a SQLite file in a new temporary directory when it is None;
    rate limits and CSRF off; `config` sets further Config attributes (or overrides these)."""
    from survey_app import create_app
    from survey_app.config import Config

    cfg = Config()
    cfg.SQLALCHEMY_DATABASE_URI = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.db"
    cfg.RATELIMIT_ENABLED = False
    cfg.WTF_CSRF_ENABLED = False  # benches log in and post with plain requests
    for key, value in config.items():
        setattr(cfg, key, value)
    return create_app(cfg)


def ensure_demo(size: str) -> None:
    """In an app context: upgrade the schema and, if the database is empty, load the demo city of
    `size`, commit and print how much was built and how long it took."""
    from flask_migrate import upgrade

    from survey_app.domain import demo
    from survey_app.extensions import db

    upgrade()
    if demo.is_empty():
        t = time.perf_counter()
        info = demo.load(size)
        db.session.commit()
        print(f"built demo city ({size}): {info['households']} households, {info['responses']} responses "
              f"in {time.perf_counter() - t:.1f} s")
