"""Load benchmark: the survey under real gunicorn (the project's gunicorn.conf.py) beside a bare Flask
"hello" served the same way, in one run, so the ratios compare like with like.

Usage:  python bench/load.py [--database-url URL] [--duration 10] [--connections 16] [--households 8000]
                             [--driver auto|wrk|python] [--floor]

Without --database-url it builds the small demo city in a temporary SQLite file (with it, the
database must be empty or hold the demo). The set-up issues fresh household codes through the
app's own `issue_codes` and makes each household's session in-process (the code's id, when it was
scanned, a CSRF token: what `GET /s/<code>` would have set), so every new-answer POST is a
different household that has not answered yet, with a valid CSRF token (CSRF and the rate limits
stay on, as in production). Then, on loopback with N keep-alive connections for a fixed time each:

* hello           GET of a Flask view returning "hello" (gunicorn, same config);
* survey GET      GET /s/ of a household that has not answered (the blank questionnaire);
* POST new        POST /s/ with every 5-point question answered (a household's first answers);
* POST edit       POST /s/ again from the same households and devices (answers replaced).

With --floor, bare Flask views served the same way, as a floor under the survey path (nothing of
the app: no CSRF, locale, checks or ORM): "floor page" returns the survey page's bytes; "floor +row"
also reads the visit's tables in one DBAPI query; "floor +sess" also reads Flask's signed session
cookie (the households' own); "floor write" writes the submitted form's fields in one transaction
(a table made for it and dropped after).

`wrk` drives the load when it is on PATH (a Lua script hands each request its own household),
else a Python driver (processes of threads, http.client keep-alive; it cannot send as fast as gunicorn
answers "hello", so its ratios flatter the app: prefer wrk, `apt-get install wrk`). Prints req/s, p50, p99 and
the ratio of each to hello's req/s; after the run, how many responses were stored, as a check that
the POSTs really saved (a 302 to the thank-you page).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from benchkit import ROOT

HELLO_APP = '''"""A bare Flask endpoint, the bench's yardstick."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
'''

# --floor: bare Flask views through the same gunicorn, what a survey page or a submission could cost
# at best with nothing of the app's: the page's bytes; plus the visit's tables read in one DBAPI
# query; plus Flask's signed session cookie read; and the form's fields written in one transaction.
FLOOR_APP = '''"""Bare Flask views, the floor under the survey path (bench/load.py --floor)."""
import os
import threading

from flask import Flask, redirect, request, session

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
app.config["SESSION_COOKIE_NAME"] = os.environ["FLOOR_SESSION_COOKIE"]
PAGE = open(os.environ["FLOOR_PAGE"], "rb").read()
DB = os.environ["FLOOR_DB"]  # a SQLite file, or a PostgreSQL conninfo
if DB.startswith("postgresql://"):
    import psycopg

    def connect():
        return psycopg.connect(DB, autocommit=True)
    MARK = "%s"
else:
    import sqlite3

    def connect():
        conn = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    MARK = "?"
VISIT = ("SELECT hc.id, hc.revoked_at, h.unit, h.room, b.name, c.name, co.name, ca.status, ca.closes_at, r.id "
         "FROM household_codes hc JOIN households h ON h.id = hc.household_id "
         "JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = h.compound_id "
         "LEFT JOIN companies co ON co.id = c.company_id JOIN campaigns ca ON ca.id = hc.campaign_id "
         "LEFT JOIN responses r ON r.campaign_id = hc.campaign_id AND r.household_id = hc.household_id "
         "AND r.status != 'rejected' WHERE hc.id = " + MARK)
WRITE = f"INSERT INTO bench_floor_answers (code, name, value) VALUES ({MARK}, {MARK}, {MARK})"
local = threading.local()


def db():
    if not hasattr(local, "conn"):
        local.conn = connect()
    return local.conn


@app.get("/page")
def page():
    return PAGE


@app.get("/page-row")
def page_row():
    db().execute(VISIT, (1,)).fetchone()
    return PAGE


@app.get("/s/")
def page_row_session():
    db().execute(VISIT, (session.get("household_code"),)).fetchone()
    return PAGE


@app.post("/s/")
def write():
    rows = [(session.get("household_code"), name, value) for name, value in request.form.items()]
    conn = db()
    if MARK == "?":
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(WRITE, rows)
        conn.execute("COMMIT")
    else:
        with conn.transaction():
            conn.cursor().executemany(WRITE, rows)
    return redirect("/s/thanks")
'''

WRK_SCRIPT = r'''
-- Each request is the next line of the requests file: method, path, cookie, body (tab-separated).
local reqs = {}
local n, i, step = 0, 0, 1

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
threads = {}

function init(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do
    local method, path, cookie, body = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)")
    local headers = {["Cookie"] = cookie}
    if body ~= "" then headers["Content-Type"] = "application/x-www-form-urlencoded" else body = nil end
    n = n + 1
    reqs[n] = wrk.format(method, path, headers, body)
  end
  f:close()
  i = tid - 1  -- thread t takes lines t, t + threads, ...: no two threads send the same household
  step = tonumber(args[2])
end

function request()
  i = i + step
  if i > n then i = ((i - 1) % n) + 1 end
  return reqs[i]
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %.6f %d %d %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
end
'''


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, env: dict, pythonpath: str | None = None) -> tuple[subprocess.Popen, int]:
    """gunicorn with the project's config for `app` (module:name) on a free loopback port; waits until it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py"), "--chdir", ROOT]
    if pythonpath:
        cmd += ["--pythonpath", pythonpath]
    cmd += [app]
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz-bench-probe")
            c.getresponse().read()
            c.close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"gunicorn for {app} exited with {proc.returncode}")
            time.sleep(0.2)
    stop(proc)
    sys.exit(f"gunicorn for {app} did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    """Stop one gunicorn (its master and workers: the session it leads)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------- drivers

def run_wrk(port: int, lines: list[str], seconds: float, connections: int, workdir: str) -> dict:
    """Drive with wrk: each request takes the next line (method, path, cookie, body)."""
    path = os.path.join(workdir, "requests.tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    script = os.path.join(workdir, "load.lua")
    with open(script, "w", encoding="utf-8") as f:
        f.write(WRK_SCRIPT)
    threads = min(2, connections)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
                          "-s", script, f"http://127.0.0.1:{port}", "--", path, str(threads)],
                         capture_output=True, text=True)
    results = [line.split() for line in out.stdout.splitlines() if line.startswith("RESULT")]
    if not results:
        sys.exit(f"wrk failed: {out.stdout}\n{out.stderr}")
    _, requests, duration, p50, p99, errors, timeouts = results[-1]
    return {"requests": int(requests), "rps": int(requests) / float(duration), "p50": int(p50) / 1000,
            "p99": int(p99) / 1000, "errors": int(errors) + int(timeouts)}


def _driver_thread(port: int, lines: list[str], until: float, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    k = 0
    while time.perf_counter() < until and lines:
        method, path, cookie, body = lines[k % len(lines)].split("\t")
        k += 1
        headers = {"Cookie": cookie}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t = time.perf_counter()
        try:
            conn.request(method, path, body=body.encode() if body else None, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status >= 400:
                errors.append(resp.status)
        except (OSError, http.client.HTTPException):
            errors.append(0)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        out.append(time.perf_counter() - t)
    conn.close()


def _driver_process(port, slices, seconds, queue) -> None:
    until = time.perf_counter() + seconds
    lat: list[float] = []
    errors: list[int] = []
    threads = [threading.Thread(target=_driver_thread, args=(port, s, until, lat, errors)) for s in slices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((lat, len(errors)))


def run_python(port: int, lines: list[str], seconds: float, connections: int) -> dict:
    """Drive with Python: a few processes of threads, one keep-alive connection each, for `seconds`."""
    procs = min(4, connections)
    slices = [lines[c::connections] for c in range(connections)]
    queue = multiprocessing.get_context("fork").Queue()
    started = time.perf_counter()
    workers = [multiprocessing.get_context("fork").Process(target=_driver_process,
                                                           args=(port, slices[p::procs], seconds, queue))
               for p in range(procs)]
    for w in workers:
        w.start()
    lat: list[float] = []
    errors = 0
    for _ in workers:
        got, errs = queue.get()
        lat += got
        errors += errs
    for w in workers:
        w.join()
    took = max(seconds, time.perf_counter() - started - 0.05)
    lat.sort()
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    return {"requests": len(lat), "rps": len(lat) / took, "p50": pick(0.50), "p99": pick(0.99), "errors": errors}


# ---------------------------------------------------------------- set-up

def prepare(app, households: int) -> tuple[dict, list[int], int]:
    """Demo city, fresh codes and their sessions; returns the request lines per phase, the
    households in the order of the lines, and the campaign's stored responses before the run."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import func, select

    from benchkit import ensure_demo
    from survey_app.domain import clock
    from survey_app.domain.responses.codes import find_code, issue_codes
    from survey_app.extensions import db
    from survey_app.models import Campaign, Household, Response
    from survey_app.web import device
    from survey_app.web.resident import SESSION_KEY, SESSION_SINCE

    with app.app_context():
        ensure_demo("small")
        campaign = db.session.scalar(select(Campaign).where(Campaign.status == "open").order_by(Campaign.id))
        unanswered = select(Household).where(~Household.id.in_(
            select(Response.household_id).where(Response.campaign_id == campaign.id))).order_by(Household.id)
        fresh = [h.id for h in db.session.scalars(unanswered.limit(households))]
        if len(fresh) < households:  # more POSTs than the demo's fresh households: new ones beside them
            near = db.session.scalars(unanswered.limit(50)).all()
            # numbered after those an earlier run on this database added (unit "B" is the bench's own)
            added = db.session.scalar(select(func.count()).select_from(Household).where(Household.unit == "B"))
            extra = [Household(building_id=h.building_id, compound_id=h.compound_id, unit="B", room=str(10001 + k))
                     for k, h in zip(range(added, added + households - len(fresh)), itertools.cycle(near))]
            db.session.add_all(extra)
            db.session.flush()
            fresh += [h.id for h in extra]
        tokens = issue_codes(campaign.id, list(fresh), reason="bench")
        db.session.commit()
        code_ids = {hid: find_code(t).id for hid, t in tokens.items()}
        scored = [q.id for q in campaign.questions if q.scored]
        stored = db.session.scalar(select(func.count()).select_from(Response)
                                   .where(Response.campaign_id == campaign.id))
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        device_name = app.config["DEVICE_COOKIE"]
        serializer = app.session_interface.get_signing_serializer(app)
        phases: dict[str, list[str]] = {"survey GET": [], "POST new": [], "POST edit": []}
        for k, hid in enumerate(fresh):
            with app.test_request_context("/s/"):
                g.pop("csrf_token", None)  # generate_csrf keeps its token on g, which the app context shares
                session[SESSION_KEY] = code_ids[hid]
                session[SESSION_SINCE] = clock.now().timestamp()
                session.permanent = True
                device.mark_opened(f"code:{code_ids[hid]}")
                csrf = generate_csrf()
                cookie = (f"{cookie_name}={serializer.dumps(dict(session))}; "
                          f"{device_name}=bench-device-{hid:012d}-abcdefgh")
            for phase, value in (("POST new", 4), ("POST edit", 2)):
                form = {f"q{qid}": str(1 + (value + i + k) % 5) for i, qid in enumerate(scored)}
                form["csrf_token"] = csrf
                if k % 10 == 0:
                    form["comment"] = "电梯经常停运，报修没人来"
                phases[phase].append(f"POST\t/s/\t{cookie}\t{urllib.parse.urlencode(form)}")
            phases["survey GET"].append(f"GET\t/s/\t{cookie}\t")
    return phases, list(fresh), stored


def answered(app, households: list[int]) -> tuple[int, set[int]]:
    """The open campaign's stored responses, and which of these households have one."""
    from sqlalchemy import func, select

    from survey_app.extensions import db
    from survey_app.models import Campaign, Response

    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.status == "open").order_by(Campaign.id))
        n = db.session.scalar(select(func.count()).select_from(Response).where(Response.campaign_id == campaign.id))
        have = set(db.session.scalars(select(Response.household_id).where(Response.campaign_id == campaign.id,
                                                                          Response.household_id.in_(households))))
        return n, have


def run_floor(app, url: str, env: dict, phases: dict, workdir: str, drive) -> dict[str, dict]:
    """Serve FLOOR_APP with the same gunicorn config and load its views (--floor)."""
    from sqlalchemy import make_url, text

    from survey_app.extensions import db

    method, path, cookie, _ = phases["survey GET"][0].split("\t")
    page = app.test_client(use_cookies=False).get(path, headers={"Cookie": cookie})
    with open(os.path.join(workdir, "page.html"), "wb") as f:
        f.write(page.data)  # the blank survey page as the app serves it (~20 KB)
    with open(os.path.join(workdir, "floor_app.py"), "w", encoding="utf-8") as f:
        f.write(FLOOR_APP)
    u = make_url(url)
    where = (u.set(drivername="postgresql").render_as_string(hide_password=False)
             if u.get_backend_name() == "postgresql" else u.database)
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_floor_answers (code INTEGER, name TEXT, value TEXT)"))
        db.session.commit()
    floor_env = {**env, "FLOOR_PAGE": os.path.join(workdir, "page.html"), "FLOOR_DB": where,
                 "FLOOR_SESSION_COOKIE": app.config["SESSION_COOKIE_NAME"]}
    server, port = start_gunicorn("floor_app:app", floor_env, pythonpath=workdir)
    results = {}
    try:
        results["floor page"] = drive(port, ["GET\t/page\t\t"])
        results["floor +row"] = drive(port, ["GET\t/page-row\t\t"])
        results["floor +sess"] = drive(port, phases["survey GET"])
        results["floor write"] = drive(port, phases["POST new"])
    finally:
        stop(server)
        with app.app_context():
            db.session.execute(text("DROP TABLE bench_floor_answers"))
            db.session.commit()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="PostgreSQL (or SQLite) URL; default: a new temporary SQLite file")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--households", type=int, default=8000,
                    help="fresh households (one new-answer POST each; added beside the demo's when it has fewer)")
    ap.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--floor", action="store_true",
                    help="also load bare Flask views (the page's bytes, one query, the session, a bare write)")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-load-")
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    env = {"DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + os.urandom(16).hex()}
    os.environ.update(env)  # the set-up's app signs the sessions with the same key as gunicorn's
    driver = args.driver if args.driver != "auto" else ("wrk" if shutil.which("wrk") else "python")
    with open(os.path.join(workdir, "hello_app.py"), "w", encoding="utf-8") as f:
        f.write(HELLO_APP)

    from survey_app import create_app

    app = create_app()  # the environment's settings, as gunicorn's app reads them
    t = time.perf_counter()
    phases, households, before = prepare(app, args.households)
    print(f"set-up: {len(phases['POST new'])} fresh households with sessions in {time.perf_counter() - t:.1f} s; "
          f"driver {driver}, {args.connections} connections, {args.duration:g} s per endpoint, "
          f"gunicorn workers={os.environ.get('GUNICORN_WORKERS', '2')} threads={os.environ.get('GUNICORN_THREADS', '1')}, "
          f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}")

    def drive(port: int, lines: list[str]) -> dict:
        if driver == "wrk":
            return run_wrk(port, lines, args.duration, args.connections, workdir)
        return run_python(port, lines, args.duration, args.connections)

    results: dict[str, dict] = {}
    hello, port = start_gunicorn("hello_app:app", env, pythonpath=workdir)
    try:
        results["hello"] = drive(port, ["GET\t/\t\t"])
    finally:
        stop(hello)
    if args.floor:
        results.update(run_floor(app, url, env, phases, workdir, drive))
    server, port = start_gunicorn("wsgi:app", env)
    try:
        for phase in ("survey GET", "POST new", "POST edit"):
            lines = phases[phase]
            if phase == "POST edit":  # only the households that answered in the new-answer phase
                after_new, have = answered(app, households)
                lines = [line for hid, line in zip(households, lines) if hid in have] or lines[:1]
            results[phase] = drive(port, lines)
    finally:
        stop(server)

    base = results["hello"]["rps"]
    print(f"{'endpoint':12s} {'requests':>9s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s} {'× hello':>8s}")
    for name, r in results.items():
        print(f"{name:12s} {r['requests']:9d} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:7d} "
              f"{r['rps'] / base:8.2f}")
    sent = results["POST new"]["requests"]
    print(f"responses stored: {after_new - before} new for {sent} new-answer POSTs"
          + (f" (only {len(phases['POST new'])} fresh households: the rest were edits)"
             if sent > len(phases["POST new"]) else "")
          + f"; POST edit replaced the answers of those households ({results['POST edit']['requests']} POSTs)")
    print(json.dumps({k: {m: round(v, 2) for m, v in r.items()} for k, r in results.items()}))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
