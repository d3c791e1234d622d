"""A resident's pages on a small phone and with large system fonts, in headless Chromium without JavaScript.

Two phones: 320×640 at the normal text size, and 390×844 with the text at 200%. The large-font phone emulates
Android, where the system font size (and Chrome's own Accessibility → Text scaling) multiplies the computed
font size of every piece of text, whatever unit the page's CSS used, and so also `rem` and `em` lengths. The
test does the same to each page once it is laid out: every element's computed font size is doubled (read
for all elements first, then written inline). A root `html{font-size:200%}` would understate it: the body's
text is set in px and would not grow.

On each phone, with JavaScript off (the resident pages have none): the survey, the error page after a bad
submit, the thank-you page (first answer and a change), and the "is it fixed?" page; on each: no sideways
scrolling, no two controls overlapping, every answer label whole and inside the screen with text of at least
12 px, the submit button on screen and not covered when scrolled to. On the survey: the part headings say
第 n / N 部分, every required question carries its mark, the sticky line counts the required answers ticked
(a CSS counter, read from the rendered layout), and each error links to its question.
"""
from __future__ import annotations

import re

import pytest

from survey_app import create_app
from survey_app.domain.rectification import rules, workflow
from survey_app.extensions import db

from ..conftest import make_config
from ..factories import answer, build_world, households_of, issue
from .conftest import serve
from .test_pages_look import LOOK

pytestmark = pytest.mark.browser

PHONES = ((320, 640, 1), (390, 844, 2))  # width, height, text scale

SCALE_TEXT = """
(factor) => {
  const all = [document.documentElement, ...document.documentElement.querySelectorAll('*')];
  const sizes = all.map(el => parseFloat(getComputedStyle(el).fontSize));
  all.forEach((el, i) => el.style.setProperty('font-size', (sizes[i] * factor) + 'px', 'important'));
}
"""

# Answer labels and the submit button as a thumb meets them.
CONTROLS = """
() => {
  // The layout viewport's width: a phone's innerWidth grows with content wider than the screen.
  const out = [], W = document.documentElement.clientWidth;
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
                            Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  document.querySelectorAll('.scale').forEach(scale => {
    const opts = Array.from(scale.querySelectorAll('label.opt'));
    opts.forEach((label, i) => {
      const r = box(label), input = label.querySelector('input'), text = label.querySelector('span');
      const name = '"' + label.innerText.trim() + '"';
      if (r.left < -1 || r.right > W + 1) out.push(name + ' runs off the screen (' + Math.round(r.left) + '..' + Math.round(r.right) + ')');
      if (r.height < 40) out.push(name + ' is only ' + Math.round(r.height) + ' px tall');
      const size = parseFloat(getComputedStyle(text).fontSize);
      if (size < 12) out.push(name + ' text is ' + size + ' px');
      const ri = box(input), rt = box(text);
      if (ri.left < r.left - 1 || ri.right > r.right + 1 || ri.top < r.top - 1 || ri.bottom > r.bottom + 1)
        out.push(name + ' radio sticks out of its label');
      if (rt.right > r.right + 1 || rt.bottom > r.bottom + 1) out.push(name + ' text is cut off by its label');
      if (overlap(ri, rt)) out.push(name + ' radio covers its text');
      opts.slice(i + 1).forEach(other => {
        if (overlap(r, box(other))) out.push(name + ' overlaps "' + other.innerText.trim() + '"');
      });
    });
  });
  return out;
}
"""

REACHABLE = """
(button) => {
  button.scrollIntoView({block: 'center'});
  const r = button.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {left: r.left, right: r.right, height: r.height, hit: !!hit && (hit === button || button.contains(hit)),
          on: hit ? hit.tagName + '.' + hit.className : null};
}
"""


@pytest.fixture
def world(tmp_path):
    """The test world on a SQLite file, served on a free port: for each phone a household to answer,
    and a household asked whether a submitted item is fixed."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'phone.db'}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        w = build_world()
        homes = households_of(w.k1)
        fresh = [issue(w.campaign, h) for h in homes[:len(PHONES)]]
        requester, respondent = households_of(w.k2)[:2]  # another compound: the fresh ones are not asked
        answer(w.campaign, respondent, 3)
        request = rules.raise_request(w.campaign, requester, w.campaign.dimensions[0].key, "楼道灯坏了一个月")
        db.session.flush()
        for action in ("assign", "start"):
            workflow.act(request.item, action)
        workflow.act(request.item, "submit", note="已更换楼道灯")
        db.session.commit()
        asked = issue(w.campaign, respondent)
        db.session.remove()
    with serve(app) as base:
        yield base, fresh, asked


def _look(page, scale: int, where: str, failures: list[str]) -> None:
    """Check the page as it is now; at a text scale above 1, first scale its text like the phone would."""
    page.wait_for_load_state("load")
    if scale != 1:
        page.evaluate(SCALE_TEXT, scale)
    found = page.evaluate(LOOK)
    if found["overflow"]:
        failures.append(f"{where}: page scrolls sideways: {found['overflow']}")
    # LOOK compares with innerWidth, which on a phone grows to the widest content: compare with the screen.
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide > page.viewport_size["width"]:
        failures.append(f"{where}: page is {wide} px wide on a {page.viewport_size['width']} px screen")
    failures += [f"{where}: text under 12 px: {s}" for s in found["small"][:5]]
    failures += [f"{where}: {o}" for o in found["overlaps"][:5]]
    failures += [f"{where}: {c}" for c in page.evaluate(CONTROLS)[:5]]
    button = page.locator("button.submit")
    if button.count():
        r = button.evaluate(REACHABLE)
        if r["left"] < 0 or r["right"] > page.viewport_size["width"] or r["height"] < 40 or not r["hit"]:
            failures.append(f"{where}: the submit button is not within reach: {r}")


def _layout_text(page) -> str:
    """The text as laid out, generated content (CSS counters) included, which no DOM property returns."""
    cdp = page.context.new_cdp_session(page)
    snap = cdp.send("DOMSnapshot.captureSnapshot", {"computedStyles": []})
    cdp.detach()
    strings = snap["strings"]
    return "".join(strings[i] for i in snap["documents"][0]["layout"]["text"] if i >= 0)


def _answered(page) -> tuple[int, int]:
    m = re.search(r"必答题已答\s*(\d+)\s*/\s*(\d+)", _layout_text(page))
    assert m, "the answered-count line is not rendered"
    return int(m.group(1)), int(m.group(2))


def _tick_required(page, value: str = "4", leave: int = 0) -> None:
    """Tick an answer of each required question (all but the last `leave`), by its label, as a thumb does."""
    questions = page.locator("fieldset.question.required")
    for i in range(questions.count() - leave):
        q = questions.nth(i)
        opt = q.locator(f"label.opt:has(input[value='{value}'])")
        (opt if opt.count() else q.locator("label.opt").first).click()


@pytest.mark.parametrize("width,height,scale", PHONES, ids=["320px", "390px-text-200pct"])
def test_resident_pages_hold_on_a_small_phone_and_with_large_fonts(world, browser, shots, width, height, scale):
    base, fresh, asked = world
    token = fresh[PHONES.index((width, height, scale))]
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", is_mobile=True,
                              has_touch=True, java_script_enabled=False)
    page = ctx.new_page()
    failures: list[str] = []
    size = f"{width}px×{scale}"

    page.goto(f"{base}/s/{token}")
    assert page.url == f"{base}/s/", page.url
    assert page.evaluate("() => document.scripts.length") == 0
    _look(page, scale, f"survey {size}", failures)
    # Progress without JavaScript: each part says where it is, the sticky line counts ticked required answers.
    parts = page.locator("h2.dim-head .part-no").all_inner_texts()
    assert parts and parts == [f"第 {i} / {len(parts)} 部分" for i in range(1, len(parts) + 1)], parts
    required = page.locator("fieldset.question.required")
    n_required = required.count()
    assert n_required > 0 and page.locator("fieldset.question.required legend .req").count() == n_required
    assert page.locator("fieldset.question:not(.required) legend .req").count() == 0
    assert page.locator("fieldset.question.required legend .req").first.is_visible()
    assert page.locator("p.req-legend").inner_text().strip() == "*为必答题"
    assert _answered(page) == (0, n_required)
    _tick_required(page, leave=1)
    assert _answered(page) == (n_required - 1, n_required)
    page.screenshot(path=str(shots / f"resident-survey-{width}-{scale}.png"), full_page=True)

    # A bad submit (the last required question left out; the browser's own check switched off, as an old
    # browser would): the error names the question and links to it.
    page.evaluate("() => { document.querySelector('form.survey').noValidate = true; }")
    page.locator("button.submit").click()
    page.wait_for_load_state("load")
    assert page.url == f"{base}/s/"
    _look(page, scale, f"error page {size}", failures)
    links = page.locator("#errors a")
    assert links.count() == 1
    target = links.first.get_attribute("href")
    assert target == "#" + required.nth(n_required - 1).get_attribute("id")
    assert "invalid" in page.locator(target).get_attribute("class")
    links.first.click()
    assert page.locator(target).evaluate("el => el.getBoundingClientRect().top") < height / 2
    page.screenshot(path=str(shots / f"resident-error-{width}-{scale}.png"), full_page=True)

    # Answered in full: thanked; changed later: thanked for the change.
    _tick_required(page)
    page.locator("button.submit").click()
    page.wait_for_url(f"{base}/s/thanks")
    _look(page, scale, f"thanks {size}", failures)
    assert page.locator("h1").inner_text() == "提交成功，感谢您的参与！"
    page.goto(f"{base}/s/")
    _tick_required(page, value="2")
    page.locator("button.submit").click()
    page.wait_for_url(f"{base}/s/thanks")
    _look(page, scale, f"thanks after a change {size}", failures)
    assert page.locator("h1").inner_text() == "您的修改已保存"
    page.screenshot(path=str(shots / f"resident-thanks-{width}-{scale}.png"), full_page=True)

    # "Is it fixed?": asked of a household that answered once the company submitted the item.
    page.goto(f"{base}/s/{asked}")
    assert page.url == f"{base}/s/confirm", page.url
    _look(page, scale, f"confirm {size}", failures)
    page.screenshot(path=str(shots / f"resident-confirm-{width}-{scale}.png"), full_page=True)
    page.locator("label.opt").first.click()
    page.locator("button.submit").click()
    page.wait_for_url(f"{base}/s/thanks")
    ctx.close()
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def test_the_language_of_a_code_link_survives_the_redirect_in_the_browser(world, browser):
    base, fresh, _asked = world
    ctx = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{base}/s/{fresh[0]}?lang=en")
    assert page.url.startswith(f"{base}/s/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("button.submit").inner_text() != "提交问卷"
    ctx.close()
