"""Every page looked at as a person sees it, in headless Chromium, at a laptop (1366×768) and a phone (390×844).

For each staff role the pages come from the navigation in the page header and from the app's URL map (every
GET rule without arguments that is not a file download), so a new page is checked without anyone adding it
here; pages the role may not open (403/404, or not HTML) are skipped and counted. The resident pages are a
household's code link, the survey page and the thank-you page after answering.

On each page and width: no sideways scrolling of the page (wide tables scroll inside .table-scroll), every
table body row has as many cells as its header row, no HTML text under 12 px (SVG chart text under 12 px is
printed as a warning), no two controls of one form or nav overlapping, no console error and no own resource
answering 4xx/5xx. Every failure is collected and asserted once at the end. Full-page screenshots go to the
`shots` folder as <role>-<endpoint>-<width>.png.
"""
from __future__ import annotations

import re
import warnings
from urllib.parse import urljoin, urlsplit

import pytest

from survey_app import create_app
from survey_app.extensions import db

from ..conftest import make_config
from ..factories import PASSWORD, build_world, households_of, issue
from .conftest import serve

pytestmark = pytest.mark.browser

ROLES = ("city", "district", "street1", "grid1", "company1")
SIZES = ((1366, 768), (390, 844))
DOWNLOAD_ENDINGS = ("xlsx", "pdf", "png", "svg", "export", "template")

# Problems known and not yet fixed, as (role, endpoint, width, check); each names why it is allowed.
KNOWN: set[tuple[str, str, int, str]] = set()

LOOK = r"""
() => {
  const out = {overflow: null, tables: [], small: [], svgSmall: [], overlaps: []};
  const de = document.documentElement;
  // The layout width: on a phone (is_mobile) window.innerWidth grows to fit content that is too
  // wide, so it would hide the very overflow this looks for.
  const W = de.clientWidth;
  if (de.scrollWidth > W + 1) {
    // Name the widest culprits: elements whose right edge passes the window.
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > W + 1 && r.width > 0) {
        if (!el.parentElement || el.parentElement.getBoundingClientRect().right <= W + 1) {
          wide.push(describe(el) + ' right=' + Math.round(r.right));
        }
      }
      if (wide.length >= 3) break;
    }
    out.overflow = 'scrollWidth ' + de.scrollWidth + ' > ' + W + (wide.length ? ' (' + wide.join('; ') + ')' : '');
  }
  function describe(el) {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + Array.from(el.classList).join('.');
    return s;
  }
  function visible(el) {
    if (el.offsetParent === null && getComputedStyle(el).position !== 'fixed') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }
  // Tables: each body row (no colspan) has as many cells as the header's first row, rowspans counted.
  document.querySelectorAll('table').forEach((table, ti) => {
    const own = (el) => el.closest('table') === table;  // not the rows of a table nested in a cell
    const head = Array.from(table.querySelectorAll('thead tr')).find(own);
    if (!head) return;
    const span = (c) => parseInt(c.getAttribute('colspan') || '1', 10) || 1;
    const width = Array.from(head.querySelectorAll('td,th')).reduce((n, c) => n + span(c), 0);
    let carry = [];  // remaining rows of cells with rowspan > 1, each {cols}
    Array.from(table.querySelectorAll('tbody tr')).filter(own).forEach((tr, ri) => {
      const cells = Array.from(tr.children).filter(c => c.matches('td,th'));
      const carried = carry.reduce((n, c) => n + c.cols, 0);
      carry = carry.map(c => ({cols: c.cols, left: c.left - 1})).filter(c => c.left > 0);
      cells.forEach(c => {
        const rs = parseInt(c.getAttribute('rowspan') || '1', 10) || 1;
        if (rs > 1) carry.push({cols: span(c), left: rs - 1});
      });
      if (cells.some(c => span(c) > 1)) return;
      const n = cells.length + carried;
      if (n !== width) {
        out.tables.push('table ' + (ti + 1) + ' (' + describe(table) + ') row ' + (ri + 1) + ': ' + n +
                        ' cells, header has ' + width + ' — "' + tr.innerText.trim().slice(0, 40) + '"');
      }
    });
  });
  // Text under 12 px: elements with their own non-whitespace text, visible.
  for (const el of document.body.querySelectorAll('*')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const inSvg = el instanceof SVGElement;
    if (inSvg) {
      const r = el.getBoundingClientRect();
      if (!(r.width > 0 && r.height > 0)) continue;
    } else if (!visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 12) {
      const what = describe(el) + ' ' + size + 'px "' + el.textContent.trim().slice(0, 30) + '"';
      (inSvg ? out.svgSmall : out.small).push(what);
    }
  }
  // Controls of one form or nav do not overlap.
  document.querySelectorAll('form, nav').forEach(group => {
    const ctrls = Array.from(group.querySelectorAll('a, button, input:not([type=hidden]), select, textarea'))
      .filter(visible).map(el => [el, el.getBoundingClientRect()]);
    for (let i = 0; i < ctrls.length; i++) {
      for (let j = i + 1; j < ctrls.length; j++) {
        const [a, ra] = ctrls[i], [b, rb] = ctrls[j];
        if (a.contains(b) || b.contains(a)) continue;
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 2 && h > 2) {
          out.overlaps.push(describe(a) + ' "' + (a.innerText || a.name || '').trim().slice(0, 20) + '" overlaps ' +
                            describe(b) + ' "' + (b.innerText || b.name || '').trim().slice(0, 20) + '"');
        }
      }
    }
  });
  return out;
}
"""


@pytest.fixture
def world(tmp_path):
    """The test world on a SQLite file, served on a free port; two households' codes for the resident pages."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'look.db'}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        w = build_world()
        homes = households_of(w.k1)
        tokens = [issue(w.campaign, h) for h in homes[:len(SIZES)]]
        db.session.remove()
    with serve(app) as base:
        yield app, base, tokens


def _candidates(app) -> dict[str, str]:
    """Path → endpoint for every GET rule without arguments that is not a download, logout or static."""
    out = {}
    for rule in app.url_map.iter_rules():
        ep = rule.endpoint
        if "GET" not in rule.methods or rule.arguments or ep == "static" or ep.endswith(".static"):
            continue
        if ep.lower().endswith(DOWNLOAD_ENDINGS) or "logout" in ep or rule.rule.endswith(DOWNLOAD_ENDINGS):
            continue
        out[rule.rule] = ep
    return out


def _endpoint(app, path: str) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        ep, _ = adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 — a redirect or unknown path: name it by its path
        return path.strip("/").replace("/", "_") or "root"
    return ep


class Looker:
    """Checks pages in one browser context, collecting failures."""

    def __init__(self, base, shots, failures, warns):
        self.base, self.shots, self.failures, self.warns = base, shots, failures, warns
        self.origin = urlsplit(base).netloc

    def watch(self, page):
        self.events: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.events.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.events.append(f"script error: {e}"))
        page.on("response", lambda r: (r.status >= 400 and urlsplit(r.url).netloc == self.origin
                                       and r.request.resource_type != "document"
                                       and not r.url.endswith("/favicon.ico")  # the browser's own guess
                                       and self.events.append(f"{r.status} for {r.url}")))

    def check(self, page, role: str, endpoint: str, width: int) -> None:
        page.wait_for_load_state("load")
        found = page.evaluate(LOOK)
        problems = []
        if found["overflow"]:
            problems.append(("overflow", f"page scrolls sideways: {found['overflow']}"))
        problems += [("table", t) for t in found["tables"]]
        problems += [("small-text", s) for s in found["small"][:5]]
        problems += [("overlap", o) for o in found["overlaps"][:5]]
        problems += [("errors", e) for e in self.events]
        self.events.clear()
        for kind, what in problems:
            if (role, endpoint, width, kind) not in KNOWN:
                self.failures.append(f"{role} {endpoint} @{width}: {what}")
        for s in found["svgSmall"][:3]:
            self.warns.append(f"{role} {endpoint} @{width}: SVG text under 12 px: {s}")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{role}-{endpoint}-{width}.png")
        page.screenshot(path=str(self.shots / name), full_page=True)


def _log_in(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.locator("header .who")).to_have_text(username)


def _nav_paths(page, base: str) -> list[str]:
    origin = urlsplit(base).netloc
    out = []
    for href in page.locator("header nav a[href]").evaluate_all("els => els.map(a => a.getAttribute('href'))"):
        url = urlsplit(urljoin(page.url, href))
        if url.netloc != origin or url.scheme not in ("http", "https"):
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if "logout" in path or "lang" in url.query or "/lang" in url.path or path.endswith(DOWNLOAD_ENDINGS):
            continue
        out.append(path)
    return out


def test_every_page_looks_right(world, browser, shots):
    app, base, tokens = world
    failures: list[str] = []
    warns: list[str] = []
    checked, skipped = 0, []
    candidates = _candidates(app)

    for role in ROLES:
        pages: list[tuple[str, str]] | None = None  # (path, endpoint) the role may open
        for width, height in SIZES:
            ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      is_mobile=width < 800, has_touch=width < 800)
            page = ctx.new_page()
            look = Looker(base, shots, failures, warns)
            _log_in(page, base, role)
            look.watch(page)
            if pages is None:
                paths = dict.fromkeys(_nav_paths(page, base))
                paths.update(dict.fromkeys(candidates))
                pages, seen = [], set()
                for path in paths:
                    resp = ctx.request.get(base + path, max_redirects=5)
                    kind = resp.headers.get("content-type", "")
                    if resp.status != 200 or not kind.startswith("text/html"):
                        skipped.append(f"{role} {path}: {resp.status} {kind.split(';')[0]}")
                        continue
                    # A path that redirects (/, /login, an old address) is checked once, as where it lands.
                    final = urlsplit(resp.url)
                    landed = final.path + (f"?{final.query}" if final.query else "")
                    if landed in seen:
                        continue
                    seen.add(landed)
                    pages.append((landed, candidates.get(landed) or _endpoint(app, final.path)))
                assert pages, f"{role} may open no page"
            look.events.clear()
            for path, endpoint in pages:
                resp = page.goto(base + path)
                assert resp is not None
                if resp.status != 200:
                    failures.append(f"{role} {endpoint} @{width}: answered {resp.status} in the browser")
                    continue
                look.check(page, role, endpoint, width)
                checked += 1
            ctx.close()

    # The resident: a household's code link (lands on the survey), answers every question, thanks.
    for (width, height), token in zip(SIZES, tokens):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  is_mobile=width < 800, has_touch=width < 800)
        page = ctx.new_page()
        look = Looker(base, shots, failures, warns)
        look.watch(page)
        page.goto(f"{base}/login")
        look.check(page, "anonymous", "auth.login", width)
        resp = page.goto(f"{base}/s/{token}")
        assert resp is not None and resp.ok, resp and resp.status
        assert urlsplit(page.url).path == "/s/", page.url
        look.check(page, "resident", "resident.survey", width)
        questions = page.locator("fieldset.question:has(input[type=radio])")
        for i in range(questions.count()):
            questions.nth(i).locator("label.opt:has(input[value='4'])").click()
        page.get_by_role("button", name="提交问卷").click()
        page.wait_for_url(f"{base}/s/thanks")
        look.check(page, "resident", "resident.thanks", width)
        checked += 3
        ctx.close()

    if warns:
        warnings.warn("SVG text under 12 px (a warning, not a failure):\n" + "\n".join(warns))
    print(f"\n{checked} page views checked across {len(ROLES)} roles and the resident at {len(SIZES)} sizes; "
          f"{len(skipped)} role/page pairs skipped (not allowed or not HTML); screenshots in {shots}")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
