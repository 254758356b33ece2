"""Every page of both roles on a phone, a tablet, a desktop and at 200% zoom.

The pages come from the apps' routing tables: every GET route is visited, its path filled
from the sample data, unless it is listed below as not being a page (JSON, a calendar, a
feed) or as one that cannot be filled, each with its reason. A new route that is neither
filled nor listed fails the test, so no page escapes.

At each width a page must fit (no sideways scrolling of the document: WCAG 1.4.10 reflow),
pass axe (WCAG 2.x A/AA and a few best-practice rules about headings and landmarks), and
show where the focus is: every focusable element, once focused, has an outline (or box
shadow) of at least 3:1 against the colour next to it (WCAG 1.4.11, 2.4.7), and its text
stays readable on its focus background.

Every page, public and beheer, is checked at 320, 360, 640 (1280 at 200% zoom), 768 and 1280
CSS px: a volunteer answers a sign-up from the phone as often as from the laptop.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from starlette.routing import Route

from node.gemeente.routes import gemeente_routes
from node.kern.ideas.pages import form_stamp
from node.kern.meetings import evaluations
from node.kern.routes import kern_routes
from node.kern.subscriptions import model as subscriptions
from node.settings import load_settings
from tests.browser.conftest import GEMEENTE_PASSWORD, GEMEENTE_USER, log_in

pytestmark = pytest.mark.browser

# 640 is 1280 px at 200% zoom, as WCAG's reflow criterion means it.
WIDTHS = [320, 360, 640, 768, 1280]
HEIGHT = 800
SCREENSHOT_WIDTHS = {360, 1280}

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    # Best practice, cheap to check and a real help to a screen reader user.
    "rules": {
        rule: {"enabled": True}
        for rule in (
            "heading-order",
            "page-has-heading-one",
            "landmark-one-main",
            "landmark-unique",
            "landmark-no-duplicate-banner",
            "landmark-no-duplicate-contentinfo",
            "landmark-no-duplicate-main",
            "region",
        )
    },
    "resultTypes": ["violations"],
}
AXE_SOURCE = Axe().axe_script

# Routes that do not answer with an HTML page, and why they are not visited.
NOT_PAGES = {
    "/huisstijl.css": "a style sheet",
    "/favicon.ico": "an icon",
    "/feed.atom": "an Atom feed",
    "/bijeenkomsten.ics": "an iCalendar feed",
    "/bijeenkomsten/{slug}/kalender.ics": "an iCalendar file",
    "/bijeenkomsten/{slug}/poster.svg": "an SVG image",
    "/bijeenkomsten/{slug}/poster.pdf": "a PDF",
    "/kalender.ics": "an iCalendar feed",
    "/inzicht.json": "JSON",
    "/inzicht/{figuur}.csv": "CSV",
    "/inzicht/{figuur}.json": "JSON",
    "/.well-known/webfinger": "ActivityPub discovery (JSON)",
    "/.well-known/nodeinfo": "NodeInfo (JSON)",
    "/nodeinfo/2.1": "NodeInfo (JSON)",
    "/actor": "an ActivityPub actor (JSON)",
    "/actor/outbox": "an ActivityPub collection (JSON)",
    "/actor/followers": "an ActivityPub collection (JSON)",
    "/actor/following": "an ActivityPub collection (JSON)",
    "/actor/activities/{activity}": "an ActivityPub activity (JSON)",
    "/reacties/{key}": "an ActivityPub object (JSON)",
    "/berichten/{key}": "an ActivityPub object (JSON)",
    "/ns/bloei.jsonld": "Bloei's JSON-LD context",
    "/antwoorden/{answer}": "an ActivityPub object (JSON); a person is sent on to its page",
}
NOT_PAGE_PREFIXES = {"/api/v1": "the open data API (JSON)"}

# Pages that cannot be reached with the sample data alone, and why.
UNFILLABLE = {
    "/aanmelding/bevestigen/{token}": "its token exists only in the mail sent to a resident",
    "/beheer/inloggen/code": "needs a beheerder with two-step login half-way through logging in",
    "/beheer/projecten/{project_id:id}/foto/verwijderen": "only for a project with a photo; "
    "the sample has none (without one it answers 404)",
    "/beheer/gemeente/antwoord": "answers a reactie of the gemeente (?op=its id), which a kern "
    "only holds once its gemeente sent one; the sample kern has no gemeente (404 without)",
}

# Pages visited without signing in (signed in, they send you on).
ANONYMOUS = {"/beheer/inloggen"}

# The pages a person looks at first, saved as screenshots.
SCREENSHOTS = {
    "/",
    "/agenda",
    "/projecten",
    "/projecten/{slug}",
    "/bijeenkomsten/{slug}",
    "/inzicht",
    "/beheer",
}


def get_routes(routes: list) -> list[str]:
    paths = []
    for route in routes:
        is_get = isinstance(route, Route) and "GET" in (route.methods or ())
        if is_get and route.path not in paths:
            paths.append(route.path)
    return paths


def is_page(path: str) -> bool:
    return path not in NOT_PAGES and not any(path.startswith(p) for p in NOT_PAGE_PREFIXES)


KERN_PAGES = [p for p in get_routes(kern_routes()) if is_page(p) and p not in UNFILLABLE]
GEMEENTE_PAGES = [p for p in get_routes(gemeente_routes()) if is_page(p) and p not in UNFILLABLE]


# --- Filling the paths from the sample data --------------------------------------------------


def query(data_dir: Path) -> Callable[..., list[tuple]]:
    path = load_settings(data_dir).database_path

    def run(sql: str, *args) -> list[tuple]:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute(sql, args).fetchall()
        finally:
            conn.close()
        assert rows, f"the sample data has nothing for: {sql}"
        return rows

    return run


def one(rows: list[tuple]) -> str:
    return str(rows[0][0])


@pytest.fixture(scope="module")
def kern_values(node, browser) -> dict[str, list[str]]:
    """For each path parameter of the kern's routes, the values to visit it with."""
    db = query(node.data_dir)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    upcoming = db(
        "SELECT id, slug FROM meetings WHERE status = 'gepland' AND starts_at > ? "
        "AND removed_at IS NULL ORDER BY starts_at LIMIT 1",
        now,
    )[0]
    past = db(
        "SELECT id FROM meetings WHERE minutes != '' AND ends_at < ? AND removed_at IS NULL "
        "ORDER BY starts_at LIMIT 1",
        now,
    )
    project_id = one(db("SELECT id FROM projects WHERE slug = ?", node.project))
    update = db(
        "SELECT p.slug, u.id FROM project_updates u JOIN projects p ON p.id = u.project_id "
        "WHERE p.id = ? ORDER BY u.id LIMIT 1",
        project_id,
    )[0]
    rsvp_url, idea_status_url = _personal_links(browser, node, upcoming[1])
    confirm_url, unsubscribe_url = _subscription_links(browser, node)
    month_ago = (datetime.now(UTC) - timedelta(days=evaluations.EVALUATION_DAYS)).isoformat()
    open_for_evaluation = db(
        "SELECT slug FROM meetings WHERE status = 'gepland' AND ends_at BETWEEN ? AND ? "
        "AND removed_at IS NULL ORDER BY starts_at LIMIT 1",
        month_ago,
        now,
    )
    evaluated = db("SELECT meeting_id FROM meeting_evaluations ORDER BY id LIMIT 1")
    looked_back = db("SELECT project_id FROM project_reflections ORDER BY project_id LIMIT 1")
    return {
        # Whole routes with addresses of their own.
        # Every project: their facts differ in length, and a long one once widened the page.
        "/projecten/{slug}": [
            f"/projecten/{row[0]}"
            for row in db("SELECT slug FROM projects WHERE removed_at IS NULL ORDER BY id")
        ],
        "/projecten/{slug}/updates/{update_id:id}": [f"/projecten/{update[0]}/updates/{update[1]}"],
        "/beheer/bijeenkomsten/{meeting_id:id}/verslag": [
            f"/beheer/bijeenkomsten/{one(past)}/verslag"
        ],
        # A coming meeting with its sign-up form, a recent one with its evaluation form.
        "/bijeenkomsten/{slug}": [
            f"/bijeenkomsten/{upcoming[1]}",
            f"/bijeenkomsten/{one(open_for_evaluation)}",
        ],
        "/beheer/bijeenkomsten/{meeting_id:id}/evaluaties": [
            f"/beheer/bijeenkomsten/{one(evaluated)}/evaluaties"
        ],
        "/beheer/projecten/{project_id:id}/terugblik": [
            f"/beheer/projecten/{one(looked_back)}/terugblik"
        ],
        # The search page with results whose passages are marked (checked in full), and empty.
        "/zoeken": ["/zoeken?q=speeltuin", "/zoeken"],
        "/aanmelding/{token}": [rsvp_url],
        "/ideeen/status/{token}": [idea_status_url],
        "/volgen/bevestigen/{token}": [confirm_url],
        "/afmelden/{token}": [unsubscribe_url],
        # A {slug}, by the part of the path before it.
        "/agenda/themas/": [node.thema],
        "/agenda/versies/": [node.version],
        "/bijeenkomsten/": [upcoming[1]],
        "/ideeen/": [
            one(db("SELECT slug FROM ideas WHERE status = 'gepubliceerd' AND removed_at IS NULL"))
        ],
        "/nieuws/": [one(db("SELECT slug FROM news ORDER BY published_at DESC"))],
        # The partner with the most work: its page lists thema's and projects.
        "/partners/": [one(db(PARTNER_WITH_MOST_WORK.format(column="slug")))],
        # Ids, by their name.
        "{thema_id:id}": [one(db("SELECT id FROM themas WHERE removed_at IS NULL ORDER BY id"))],
        "{project_id:id}": [project_id],
        "{update_id:id}": [str(update[1])],
        "{meeting_id:id}": [str(upcoming[0])],
        "{idea_id:id}": [
            one(db("SELECT id FROM ideas WHERE status = 'nieuw' AND removed_at IS NULL"))
        ],
        "{news_id:id}": [one(db("SELECT id FROM news ORDER BY id"))],
        "{partner_id:id}": [one(db(PARTNER_WITH_MOST_WORK.format(column="id")))],
    }


PARTNER_WITH_MOST_WORK = """SELECT {column} FROM partners p WHERE removed_at IS NULL ORDER BY
    (SELECT count(*) FROM thema_partners t WHERE t.partner_id = p.id)
    + (SELECT count(*) FROM project_partners l WHERE l.partner_id = p.id) DESC, id LIMIT 1"""


def _personal_links(browser, node, meeting: str) -> tuple[str, str]:
    """A resident's personal RSVP page and an idea's status page, made through the forms:
    their tokens are never stored in the clear."""
    ctx = browser.new_context(locale="nl-NL")
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        page.goto(node(f"/bijeenkomsten/{meeting}"))
        form = page.locator("#aanmelden")
        form.get_by_label("Uw naam").fill("Marieke van den Heuvel-Oosterwijk")
        form.get_by_label("Met hoeveel personen komt u?").fill("2")
        form.get_by_role("button", name="Aanmelden").click()
        page.wait_for_url(re.compile(r"/aanmelding/[A-Za-z0-9_-]{43}#aanmelding-melding$"))
        rsvp = page.url.removeprefix(node.url).split("#")[0]

        page.goto(node("/ideeen/nieuw"))
        page.get_by_label("Titel van uw idee").fill("Een bankje bij de bushalte")
        page.get_by_label("Uw idee", exact=True).fill("Wie op de bus wacht, wil kunnen zitten.")
        secret = load_settings(node.data_dir).secret_key
        page.locator("input[name=started]").evaluate(
            "(el, value) => { el.value = value; }", form_stamp(secret, time.time() - 60)
        )
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/ideeen/status/[A-Za-z0-9_-]+#idee-melding$"))
        status = page.url.removeprefix(node.url).split("#")[0]
    finally:
        ctx.close()
    return rsvp, status


def _subscription_links(browser, node) -> tuple[str, str]:
    """The confirmation and unsubscribe links of a subscription made through the form: their
    tokens are keyed hashes of the row, made here with the node's key as the mail has them."""
    ctx = browser.new_context(locale="nl-NL")
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        page.goto(node("/nieuws"))
        form = page.locator("#volgen")
        form.get_by_label("Uw e-mailadres").fill("marieke.van.den.heuvel-oosterwijk@example.org")
        form.get_by_role("button", name="Volgen").click()
        page.wait_for_url(re.compile(r"/nieuws(#melding)?$"))
    finally:
        ctx.close()
    rows = query(node.data_dir)(
        "SELECT id, email, created_at, confirm_sent_at FROM subscriptions ORDER BY id DESC LIMIT 1"
    )
    row = dict(zip(("id", "email", "created_at", "confirm_sent_at"), rows[0], strict=True))
    settings = load_settings(node.data_dir)
    return (
        subscriptions.confirm_path(subscriptions.link_token(settings, subscriptions.CONFIRM, row)),
        subscriptions.unsubscribe_path(
            subscriptions.link_token(settings, subscriptions.UNSUBSCRIBE, row)
        ),
    )


def fill_kern(path: str, values: dict[str, list[str]]) -> list[str]:
    """The addresses to visit for one route."""
    if path in values:
        return values[path]
    urls = [path]
    for name in re.findall(r"\{[^}]+\}", path):
        if name == "{slug}":
            before = path.split("{slug}")[0]
            choices = values.get(before)
        else:
            choices = values.get(name)
        assert choices, (
            f"{path}: no sample value for {name}; fill it in kern_values, or list the "
            "route in UNFILLABLE with the reason"
        )
        urls = [url.replace(name, choice, 1) for url in urls for choice in choices]
    return urls


def fill_gemeente(path: str, gemeente) -> list[str]:
    # The broad thema the pilot's kernen share most, with both kernen and their thema's.
    filled = path.replace("{kern_id:id}", str(gemeente.kern_id)).replace("{categorie}", "verkeer")
    if path == "/beheer/reactie":
        filled += f"?op={gemeente.project}"
    assert "{" not in filled, (
        f"{path}: no sample value; fill it in fill_gemeente, or list it in UNFILLABLE"
    )
    return [filled]


# --- The checks ------------------------------------------------------------------------------

# The first focusable elements, each focused in turn; the colours of its focus indicator and
# of what lies next to it (the nearest ancestor's background, for an outline outside the
# element), read from the computed style.
FOCUS_SCRIPT = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const parse = (text) => {
    const m = text.match(/^rgba?\\(([^)]+)\\)$/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05);
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '')
      + (text ? ' "' + text.slice(0, 40) + '"' : '');
  };
  const problems = [];
  const all = [...document.querySelectorAll(selector)].filter(
    (el) => !el.disabled && el.checkVisibility({visibilityProperty: true}));
  for (const el of all.slice(0, 150)) {
    el.focus({preventScroll: true});
    if (document.activeElement !== el) continue;
    if (!el.matches(':focus-visible')) {
      problems.push(describe(el) + ': focus is not shown (no :focus-visible)');
      continue;
    }
    const style = getComputedStyle(el);
    let indicator = null;
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
      indicator = parse(style.outlineColor);
    } else if (style.boxShadow !== 'none') {
      indicator = parse((style.boxShadow.match(/rgba?\\([^)]+\\)/) || [''])[0]);
    }
    if (!indicator) {
      problems.push(describe(el) + ': no outline or box shadow of 2 px or more when focused');
      continue;
    }
    const inside = parseFloat(style.outlineOffset) < 0;
    const next = background(inside ? el : el.parentElement);
    const seen = over(indicator, next);
    const contrast = ratio(seen, next);
    if (contrast < 3) {
      problems.push(describe(el) + ': focus indicator ' + style.outlineColor + ' on '
        + 'rgb(' + next.slice(0, 3).join(', ') + ') is ' + contrast.toFixed(2) + ':1, needs 3:1');
    }
    const text = (el.innerText || '').trim();
    if (text) {
      const own = background(el);
      const colour = over(parse(style.color) || [0, 0, 0, 1], own);
      const large = parseFloat(style.fontSize) >= 24
        || (parseFloat(style.fontSize) >= 18.66 && parseInt(style.fontWeight) >= 700);
      const needed = large ? 3 : 4.5;
      const readable = ratio(colour, own);
      if (readable < needed) {
        problems.push(describe(el) + ': focused text ' + style.color + ' on rgb('
          + own.slice(0, 3).join(', ') + ') is ' + readable.toFixed(2) + ':1, needs '
          + needed + ':1');
      }
    }
  }
  if (document.activeElement) document.activeElement.blur();
  return problems;
}"""

# The elements that stick out on the right, deepest first: what widens the page.
OVERFLOW_SCRIPT = """() => {
  const width = window.innerWidth;
  const name = (el) => el.tagName.toLowerCase()
    + (el.className ? '.' + String(el.className).split(' ')[0] : '')
    + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const childOut = [...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5);
    if (childOut || inScroller(el)) continue;
    if (right > width + 0.5) {
      out.push(name(el) + ' to ' + Math.round(right));
    } else if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
               && getComputedStyle(el).overflowX === 'visible') {
      out.push(name(el) + ': its text runs ' + (el.scrollWidth - el.clientWidth) + ' px out');
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: width, out: out.slice(0, 5)};
}"""


# Every box that scrolls sideways at this width: a keyboard can reach it (axe checks that
# too), it has a role and a name to announce when focused, and a visible cue that there is
# more (the shadow, a background image on the box).
SCROLLERS_SCRIPT = """() => {
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || el.scrollWidth <= el.clientWidth + 1) {
      continue;
    }
    const missing = [];
    if (el.tabIndex < 0) missing.push('tabindex="0"');
    if (!['region', 'group'].includes(el.getAttribute('role'))) missing.push('a role');
    if (!el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) {
      missing.push('a name');
    }
    if (style.backgroundImage === 'none') missing.push('a cue that it scrolls');
    if (missing.length) {
      bad.push(el.tagName.toLowerCase() + '.' + String(el.className).split(' ')[0]
        + ' scrolls sideways without ' + missing.join(', '));
    }
  }
  return bad;
}"""


def run_axe(page) -> list[str]:
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']}: "
        + " | ".join(", ".join(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
    ]


def check_page(
    page,
    url: str,
    widths: list[int],
    shots: Path | None,
    *,
    fit_only: bool = False,
    role: str = "kern",
) -> list[str]:
    """Every problem of one page, each with the widths it shows at. `fit_only`: the same
    template with other data, where only the length of the content differs."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    # A key press first: from then on Chromium shows the focus of focus() as :focus-visible,
    # as it does for a keyboard user.
    page.keyboard.press("Shift")
    problems: dict[str, list[int]] = {}
    for width in widths:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        found = []
        fits = page.evaluate(OVERFLOW_SCRIPT)
        if fits["scroll"] > fits["inner"]:
            found.append(f"the page is wider than the window, sticking out: {fits['out']}")
        found += page.evaluate(SCROLLERS_SCRIPT)
        if not fit_only:
            found += run_axe(page)
        # Colours do not change with the width: the narrowest and widest layouts will do.
        if not fit_only and width in (widths[0], widths[-1]):
            found += page.evaluate(FOCUS_SCRIPT)
        for line in found:
            problems.setdefault(line, []).append(width)
        if shots is not None and not fit_only and width in SCREENSHOT_WIDTHS:
            name = re.sub(r"[^a-z0-9]+", "-", url.split("//", 1)[1].split("/", 1)[1]).strip("-")
            target = shots / f"{role}-{name or 'home'}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
    return [f"{', '.join(map(str, w))} px: {line}" for line, w in problems.items()]


# --- The pages ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("BLOEI_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser) -> Iterator:
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": HEIGHT})
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture(scope="module")
def visitor(browser):
    yield from _page(browser)


@pytest.fixture(scope="module")
def kern_beheerder(browser, node):
    for page in _page(browser):
        log_in(page, node)
        yield page


@pytest.fixture(scope="module")
def gemeente_beheerder(browser, gemeente):
    for page in _page(browser):
        page.goto(gemeente("/beheer/inloggen"))
        page.get_by_label("Gebruikersnaam").fill(GEMEENTE_USER)
        page.get_by_label("Wachtwoord").fill(GEMEENTE_PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(gemeente("/beheer"))
        yield page


def is_beheer(path: str) -> bool:
    return path.startswith("/beheer") and path not in ANONYMOUS


@pytest.mark.parametrize("path", KERN_PAGES)
def test_kern_page_fits_and_shows_focus(
    path, node, kern_values, visitor, kern_beheerder, screenshots
):
    page = kern_beheerder if is_beheer(path) else visitor
    problems = []
    for n, address in enumerate(fill_kern(path, kern_values)):
        shots = screenshots if path in SCREENSHOTS else None
        problems += [
            f"{address} at {line}"
            for line in check_page(page, node(address), WIDTHS, shots, fit_only=n > 0)
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", GEMEENTE_PAGES)
def test_gemeente_page_fits_and_shows_focus(
    path, gemeente, visitor, gemeente_beheerder, screenshots
):
    page = gemeente_beheerder if is_beheer(path) else visitor
    problems = []
    for address in fill_gemeente(path, gemeente):
        shots = screenshots if path in SCREENSHOTS else None
        problems += [
            f"gemeente {address} at {line}"
            for line in check_page(page, gemeente(address), WIDTHS, shots, role="gemeente")
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/agenda", "/agenda/versies/{version}"])
def test_kernagenda_on_a_phone_shows_every_column_and_stays_a_table(browser, node, path):
    """On a phone each thema is a card: "Wie is aan zet" shows without scrolling sideways, and
    a screen reader still finds a table with its column headers and cells."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 360, "height": HEIGHT})
    try:
        page = ctx.new_page()
        page.goto(node(path.format(version=node.version)))
        table = page.get_by_role("table")
        assert table.get_by_role("columnheader", name="Wie is aan zet").count() == 1
        assert table.get_by_role("cell").count() >= 3
        hidden = page.evaluate(
            """() => [...document.querySelectorAll('main td')]
                .filter((td) => td.getBoundingClientRect().right > window.innerWidth)
                .map((td) => td.textContent.trim())"""
        )
        assert not hidden, f"cells off the side of a 360 px screen on {path}: {hidden}"
        who = page.locator("main td").nth(2)
        assert who.evaluate("td => getComputedStyle(td, '::before').content").startswith(
            '"Wie is aan zet'
        )
    finally:
        ctx.close()


def test_the_lists_of_skipped_routes_name_real_routes():
    """A route that is renamed or removed must leave these lists too, or they hide nothing."""
    routes = set(get_routes(kern_routes())) | set(get_routes(gemeente_routes()))
    for path in [*NOT_PAGES, *UNFILLABLE, *ANONYMOUS]:
        assert path in routes, f"{path} is listed here but is no GET route of either role"
    for prefix in NOT_PAGE_PREFIXES:
        assert any(route.startswith(prefix) for route in routes), prefix


def test_what_is_not_a_page_answers_with_something_else_than_html(node, gemeente):
    """The routes skipped as "not a page" really answer without HTML (those without a
    parameter; the others are fed by the same code)."""
    with httpx.Client(timeout=10, headers={"Accept": "text/html,*/*;q=0.8"}) as http:
        for base, routes in ((node.url, kern_routes()), (gemeente.url, gemeente_routes())):
            for path in get_routes(routes):
                if is_page(path) or "{" in path:
                    continue
                response = http.get(base + path)
                kind = response.headers.get("content-type", "")
                assert not kind.startswith("text/html"), f"{base}{path} is a page: {kind}"
