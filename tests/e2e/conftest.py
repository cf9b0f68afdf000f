"""Browser tests: pytest-playwright driving Debian's chromium against `live_server`.

- The browser is the system's `/usr/bin/chromium` (`make e2e-deps` or `.ci/run` installs it;
  `E2E_CHROMIUM` names another binary); Playwright's own browser downloads are never used.
- The site runs with its Content Security Policy on, as in production. axe-core is evaluated
  through DevTools (`page.evaluate`), which CSP does not govern, so nothing is relaxed for it,
  and any CSP violation, uncaught script error or 5xx response a page meets fails the test.
- `axe_check(page, name)` requires no serious or critical axe violation and records the rest
  in `test-artifacts/e2e/axe-report.json`, and that the page does not scroll sideways on a
  390 px phone (`assert_no_sideways_scroll`). With `E2E_SCREENSHOTS=1` it also saves a screenshot
  of each checked page under `test-artifacts/e2e/pages/`; a failing test saves one of each of
  its open pages under `test-artifacts/e2e/failures/`.
"""

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

E2E_DIR = Path(__file__).resolve().parent
ROOT = E2E_DIR.parents[1]
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
HTMX_SETTLE_MS = 20
"""htmx settles a swap (and shortcuts.js moves focus to the new card) ~20 ms after it."""

FAILING_IMPACTS = ("serious", "critical")
AXE_RESULTS: list[dict] = []
"""Every axe check of the session: page, colour scheme, violations (written at the end)."""

REPORTS = pytest.StashKey[dict]()
PAGES = pytest.StashKey[list]()


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: browser test (Playwright + chromium)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def _axe_report() -> Path:
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # one report per pytest-xdist worker
    return ARTIFACTS / (f"axe-report-{worker}.json" if worker else "axe-report.json")


def pytest_sessionfinish(session):
    if AXE_RESULTS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        _axe_report().write_text(json.dumps(AXE_RESULTS, indent=2))


def pytest_terminal_summary(terminalreporter):
    if not AXE_RESULTS:
        return
    pages = {result["page"] for result in AXE_RESULTS}
    terminalreporter.section("axe-core")
    terminalreporter.write_line(
        f"{len(AXE_RESULTS)} checks of {len(pages)} page states: {_axe_report().relative_to(ROOT)}"
    )
    for result in AXE_RESULTS:
        if result["violations"]:
            found = ", ".join(f"{v['impact']}: {v['id']}" for v in result["violations"])
            terminalreporter.write_line(f"  {result['page']} ({result['scheme']}): {found}")


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in the test thread, which makes
    Django refuse ORM calls there (the test's own queries, the flush between tests). The
    loop lives only as long as this package's browser, so the rest of the suite keeps
    Django's check."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# pytest-playwright's fixtures are session-scoped; these overrides make the Playwright
# driver (and its running loop) start with the first browser test and stop after the last.


@pytest.fixture(scope="package")
def playwright(_orm_beside_playwright):
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser_type(playwright):
    return playwright.chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's chromium at {CHROMIUM}: run `make e2e-deps` "
            "(or `apt-get install chromium` as root).",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type) -> Callable[..., Browser]:
    return lambda **options: browser_type.launch(**{**browser_type_launch_args, **options})


@pytest.fixture(scope="package")
def browser(launch_browser) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(live_server) -> dict:
    # Viewport and colour scheme come from `new_page`, so they can be chosen per page.
    return {
        "base_url": live_server.url,
        "locale": "en-GB",
        "timezone_id": "UTC",
        "reduced_motion": "reduce",
    }


@pytest.fixture
def new_page(new_context, request) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (its own cookies): `new_page(color_scheme="dark",
    viewport=PHONE, is_mobile=True)`. A CSP violation, an uncaught script error or a server
    error (5xx) on any of them fails the test; if the test fails, each is screenshot."""
    pages = request.node.stash.setdefault(PAGES, [])

    def open_page(**options) -> Page:
        options = {"viewport": DESKTOP, "color_scheme": "light", **options}
        context: BrowserContext = new_context(**options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.color_scheme = options["color_scheme"]  # type: ignore[attr-defined]
        page.problems = []  # type: ignore[attr-defined]
        page.on("console", lambda message: _note_csp_violation(page, message.text))
        page.on("response", lambda response: _note_server_error(page, response))
        page.on("pageerror", lambda error: page.problems.append(f"{page.url}: uncaught {error}"))
        pages.append(page)
        return page

    yield open_page

    reports = request.node.stash.get(REPORTS, {})
    if any(report.failed for report in reports.values()):
        folder = ARTIFACTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages, start=1):
            if not page.is_closed():
                path = folder / f"{request.node.name}-{number}.png"
                page.screenshot(path=path, full_page=True)
                print(f"screenshot of {page.url}: {path.relative_to(ROOT)}")
    problems = [problem for page in pages for problem in page.problems]
    assert not problems, "The browser reported:\n" + "\n".join(problems)


def _note_csp_violation(page: Page, text: str) -> None:
    if "Content Security Policy" in text:
        page.problems.append(f"{page.url}: {text}")


def _note_server_error(page: Page, response) -> None:
    if response.status >= 500:
        page.problems.append(f"{response.request.method} {response.url}: HTTP {response.status}")


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


# --------------------------------------------------------------------------- the site


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Fast hashes for users made here, and the demo fixtures' PBKDF2 hashes still accepted
    # (each is rehashed with the fast hasher at its first login).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def seeded(live_server) -> None:
    """The content bank and the demo accounts and class (teacher, ani, elvin; KARABAKH).
    live_server runs on a transactional database that is emptied after each test."""
    call_command("seed_content", verbosity=0, stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())


def wait_for_shortcuts(page: Page) -> None:
    expect(page.locator("html[data-shortcuts=ready]")).to_have_count(1)


def wait_for_autosave(page: Page) -> None:
    """A quiz page saves a pick once htmx has wired its forms: a person cannot pick sooner."""
    expect(page.locator("html[data-autosave=ready]")).to_have_count(1)


def htmx_settle(page: Page) -> None:
    """The one documented wait: let htmx settle a swap before the next key press."""
    page.wait_for_timeout(HTMX_SETTLE_MS)


def assert_no_sideways_scroll(page: Page) -> None:
    """The page as it is now fits a phone's width (390 px): nothing makes it scroll sideways.
    Checked at that width whatever the page's own viewport, which is then put back."""
    viewport = page.viewport_size
    if viewport and viewport["width"] != PHONE["width"]:
        page.set_viewport_size({"width": PHONE["width"], "height": viewport["height"]})
    try:
        overflow = page.evaluate(OVERFLOW)
        wide = page.evaluate(WIDEST_ELEMENTS) if overflow > 0 else []
    finally:
        if viewport and viewport["width"] != PHONE["width"]:
            page.set_viewport_size(viewport)
    assert overflow <= 0, (
        f"{page.url} scrolls sideways on a phone: {overflow} px wider than "
        f"{PHONE['width']} px; the widest elements: {wide}"
    )


OVERFLOW = """() => document.documentElement.scrollWidth
  - Math.min(window.innerWidth, document.documentElement.clientWidth)"""
"""How much wider than the screen the page is. A phone (`is_mobile`) zooms out to show a page
wider than its layout viewport, and then reports that wider width as `innerWidth`: the layout
viewport (`clientWidth`) is what the page was meant to fit."""

WIDEST_ELEMENTS = """() => [...document.querySelectorAll("body *")]
  .map((e) => [e, e.getBoundingClientRect().right])
  .filter(([, right]) => right > document.documentElement.clientWidth + 0.5)
  .sort((a, b) => b[1] - a[1]).slice(0, 5)
  .map(([e, right]) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
    + `${e.classList.length ? "." + [...e.classList].join(".") : ""}`
    + ` (right edge ${Math.round(right)})`)"""


def log_in(page: Page, username: str, password: str) -> None:
    """Through the real login form."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name=f"Log out {username}")).to_be_visible()


def admin_log_in(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Teacher home")).to_be_visible()


# --------------------------------------------------------------------------- axe-core


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from npm (tests/e2e/package.json), installed with `npm ci` when missing."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "The browser tests inject axe-core from npm, but npm is not installed: "
                "install Node.js and npm (Debian: `apt-get install npm`), then run "
                "`make e2e-deps` (or `npm ci --prefix tests/e2e`).",
                pytrace=False,
            )
        lock = Path(tempfile.gettempdir()) / "quizapp-e2e-npm.lock"
        with lock.open("w") as handle:  # one `npm ci` at a time (pytest-xdist workers)
            fcntl.flock(handle, fcntl.LOCK_EX)
            if not AXE_JS.exists():
                subprocess.run(
                    [npm, "ci", "--prefix", str(E2E_DIR), "--no-audit", "--no-fund"],
                    check=True,
                )
    return AXE_JS.read_text()


FINISH_TRANSITIONS = """() => Promise.all(document.getAnimations()
  .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
  .map((a) => a.finished.catch(() => null)))"""

AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


@pytest.fixture
def axe_check(axe_source) -> Callable[..., list[dict]]:
    """`axe_check(page, "study")`: run axe-core on the page as it is now, in each of
    `schemes` (emulated on the same page, so any state reached by the journey is checked
    in both), and fail on serious or critical violations, listing them all. `schemes=None`
    keeps the context's own colour scheme. Every checked page must also fit a phone's width
    (`assert_no_sideways_scroll`)."""

    def check(page: Page, name: str, schemes=("light", "dark")) -> list[dict]:
        problems = getattr(page, "problems", [])
        assert not problems, "The browser reported:\n" + "\n".join(problems)
        assert_no_sideways_scroll(page)
        found = []
        for scheme in schemes or (None,):
            if scheme is not None:
                page.emulate_media(color_scheme=scheme)
                # Colours with a CSS transition (the admin's links) change over ~0.15 s: axe
                # would measure a mix of the two schemes.
                page.evaluate(FINISH_TRANSITIONS)
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(axe_source)
            violations = page.evaluate(AXE_RUN)
            label = scheme or page.evaluate(
                "() => matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'"
            )
            AXE_RESULTS.append({"page": name, "scheme": label, "violations": violations})
            if os.environ.get("E2E_SCREENSHOTS") == "1":
                folder = ARTIFACTS / "pages"
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=folder / f"{name}-{label}.png", full_page=True)
            failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
            assert not failing, (
                f"axe-core: serious or critical violations on {name} ({label}, {page.url}):\n"
                + json.dumps(violations, indent=2)
            )
            found += violations
        if schemes:
            page.emulate_media(color_scheme=getattr(page, "color_scheme", "light"))
        return found

    return check
