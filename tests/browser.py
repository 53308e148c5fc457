"""Headless Chromium from Debian's packages, driven by Selenium through the packaged chromedriver.

A plugin of the suite (tests/conftest.py): the `browser` and `browsers` fixtures hand out the test
process's browsers, started once and cleaned between tests. `assert_accessible` checks the page a browser
shows with axe-core (npm, pinned in package-lock.json; `make test` installs it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
import websocket
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait as SeleniumWait

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("PARLEY_ARTIFACTS", ROOT / "artifacts"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-sync",
)


# How often a test's wait looks at the page again. Selenium's default, every half second, makes a wait for
# what happens a moment later last a quarter of a second longer on average, and a run has hundreds of them.
POLL_SECONDS = 0.1


class WebDriverWait(SeleniumWait):
    """Selenium's wait, looking again every POLL_SECONDS instead of every half second."""

    def __init__(self, driver: Any, timeout: float, poll_frequency: float = POLL_SECONDS, **kwargs: Any) -> None:
        super().__init__(driver, timeout, poll_frequency, **kwargs)


class Chrome(webdriver.Chrome):
    """Chromium that remembers the scripts a test added to every page, so that they can be taken away."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parley_scripts: list[str] = []
        self.parley_profile = ""

    def execute_cdp_cmd(self, cmd: str, cmd_args: dict) -> Any:
        result = super().execute_cdp_cmd(cmd, cmd_args)
        if cmd == "Page.addScriptToEvaluateOnNewDocument":
            self.parley_scripts.append(result["identifier"])
        return result


def make_driver(width: int = 1280, height: int = 900) -> Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="parley-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # driver.get_log("browser"): the console
    driver = Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    driver.set_page_load_timeout(30)
    driver.parley_profile = profile
    return driver


def quit_driver(driver: Chrome) -> None:
    driver.quit()
    shutil.rmtree(driver.parley_profile, ignore_errors=True)


def clean(driver: Chrome) -> None:
    """Undo what a test did to a browser: its extra windows, page scripts, phone and print emulation, downloads,
    cookies and storage; leave it on a blank page."""
    first, *others = driver.window_handles
    for handle in others:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(first)
    for identifier in driver.parley_scripts:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": identifier})
    driver.parley_scripts.clear()
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
    origin = urlsplit(driver.current_url)
    if origin.scheme in ("http", "https"):
        where = f"{origin.scheme}://{origin.netloc}"
        driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": where, "storageTypes": "all"})
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})


class Browsers:
    """This test process's browsers: started when first wanted, kept for the session, handed out clean.

    Starting Chromium costs a second or two of CPU; a test that needs three browsers takes three.
    """

    def __init__(self) -> None:
        self.idle: list[Chrome] = []

    def take(self, width: int, height: int) -> Chrome:
        if not self.idle:
            return make_driver(width, height)  # started at that size
        driver = self.idle.pop()
        driver.set_window_size(width, height)
        return driver

    def give_back(self, driver: Chrome) -> None:
        try:
            clean(driver)
        except WebDriverException:  # a browser the test left unusable is not handed out again
            quit_driver(driver)
        else:
            self.idle.append(driver)

    def quit_all(self) -> None:
        while self.idle:
            quit_driver(self.idle.pop())


@pytest.fixture(scope="session")
def browser_pool() -> Iterator[Browsers]:
    pool = Browsers()
    try:
        yield pool
    finally:
        pool.quit_all()


@pytest.fixture
def browsers(browser_pool: Browsers) -> Iterator[Callable[..., Chrome]]:
    """`browsers(width=1280, height=900)` gives the test one more browser of the session's, clean, with a
    window of that size and a profile (cookies) of its own; the test gives them all back when it ends."""
    taken: list[Chrome] = []

    def take(width: int = 1280, height: int = 900) -> Chrome:
        taken.append(browser_pool.take(width, height))
        return taken[-1]

    yield take
    for driver in taken:
        browser_pool.give_back(driver)


@pytest.fixture
def browser(browsers: Callable[..., Chrome]) -> Chrome:
    return browsers()


class People:
    """Windows of one Chromium, each in a browser context of its own (cookies and storage apart), as people
    on their own devices: a class in one browser process instead of one process a person.

    A page's DevTools session may not make browser contexts, so this speaks to the browser's own endpoint.
    Each window is a visible window of its own, not a background tab: its timers are not throttled.
    """

    def __init__(self, driver: Chrome) -> None:
        self.driver = driver
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        with urlopen(f"http://{address}/json/version", timeout=10) as answer:
            endpoint = json.load(answer)["webSocketDebuggerUrl"]
        self.socket = websocket.create_connection(endpoint, timeout=30, suppress_origin=True)
        self.last_id = 0
        self.contexts: list[str] = []

    def _cdp(self, method: str, **params: Any) -> dict:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:  # the browser's events come on the same socket: skip to the answer
            message = json.loads(self.socket.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise WebDriverException(f"{method}: {message['error']}")
                return message["result"]

    def window(self, width: int = 1280, height: int = 900, url: str = "about:blank") -> str:
        """A new window in a new browser context, loading `url` while the caller goes on; its handle, for
        `driver.switch_to.window` (whose next command waits for the page to load)."""
        context = self._cdp("Target.createBrowserContext")["browserContextId"]
        self.contexts.append(context)
        target = self._cdp(
            "Target.createTarget",
            url=url,
            browserContextId=context,
            newWindow=True,
            width=width,
            height=height,
        )
        return str(target["targetId"])

    def close(self) -> None:
        for context in self.contexts:  # its windows with it
            with contextlib.suppress(WebDriverException):
                self._cdp("Target.disposeBrowserContext", browserContextId=context)
        self.contexts.clear()
        self.socket.close()


@pytest.fixture
def people(browsers: Callable[..., Chrome]) -> Iterator[People]:
    """One browser of the session's, in which `people.window()` opens a window for one more person."""
    crowd = People(browsers())
    try:
        yield crowd
    finally:
        crowd.close()
        crowd.driver.switch_to.window(crowd.driver.window_handles[0])


def texts(driver, selector: str) -> list[str]:
    """The text of each element that `selector` finds, in one script: read element by element, a timeline
    of a hundred messages is a hundred questions to the browser, on each look of a wait."""
    script = "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.innerText.trim())"
    return driver.execute_script(script, selector)


SHOWN_TEXT = """const [how, what] = arguments;
const element = how === "id" ? document.getElementById(what) : document.querySelector(what);
if (!element || !element.checkVisibility({opacityProperty: true, visibilityProperty: true})) return null;
const lines = element.innerText.replace(/\\u00a0/g, " ").split("\\n");
return lines.map((line) => line.replace(/[ \\t]+/g, " ").trim()).filter(Boolean).join("\\n");"""


def shown_text(driver, locator: tuple[str, str]) -> str | None:
    """The text a person sees in the first element `locator` (By.ID, By.CSS_SELECTOR or By.TAG_NAME) finds, as
    Selenium's `element.text` gives it, or None when there is no such element or it is hidden. (Unlike
    Selenium's, it keeps the text of a transparent element inside a visible one: no page here has one.)"""
    how, what = locator
    if how not in ("id", "css selector", "tag name"):
        raise ValueError(f"shown_text: {how} locators are not supported")
    return driver.execute_script(SHOWN_TEXT, "id" if how == "id" else "css", what)


def gone(element: Any) -> Callable[[Any], bool]:
    """A wait's condition: the element left the document (its page was replaced, or it was redrawn). As
    Selenium's staleness_of, but Chromium may answer a node of a page being replaced with "Node with given
    id does not belong to the document", an unknown error, instead of a stale element: that is gone too."""

    def check(_driver: Any) -> bool:
        from selenium.common.exceptions import StaleElementReferenceException

        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check


def text_shown(locator: tuple[str, str], text: str) -> Callable[[Any], bool]:
    """A wait's condition, as Selenium's `text_to_be_present_in_element`, in one script a look instead of two
    commands and Selenium's visible-text script: a run's waits look thousands of times."""
    return lambda driver: text in (shown_text(driver, locator) or "")


def emulate_phone(driver, width: int = 390, height: int = 844) -> None:
    """A phone's viewport; a headless window cannot be made narrower than about 500 pixels."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
    )


# PARLEY_SCREENSHOTS=0 (as CI runs) takes none: screenshots are for a person to look at, and a full page at
# a phone's pixel ratio costs the 2-core machine about a quarter of a second to encode.
SCREENSHOTS = os.environ.get("PARLEY_SCREENSHOTS", "1") != "0"


def screenshot(driver, name: str, *, full: bool = True) -> Path:
    """Save what the browser shows under artifacts/ (the whole page unless `full` is false), unless
    PARLEY_SCREENSHOTS=0; the path either way."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if not SCREENSHOTS:
        return path
    if not full:
        driver.save_screenshot(str(path))
        return path
    # The whole page, not just the window: what a reviewer needs to see.
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
AXE_RUN = """const [tags, done] = arguments;
axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then((results) => done(results.violations.map((rule) => ({
    rule: rule.id, impact: rule.impact, help: rule.help,
    nodes: rule.nodes.map((node) => ({target: node.target.join(" "), summary: node.failureSummary})),
  }))))
  .catch((error) => done({error: String(error)}));"""


@cache
def axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"axe-core is not installed ({AXE} is missing): run `npm ci` (`make test` does)")
    return AXE.read_text()


def axe_violations(driver) -> list[dict]:
    """axe-core's violations on the page the browser shows now. The page's Content-Security-Policy allows no
    inline script, but a script the driver runs is not the page's: Chromium does not hold it to the policy."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    result = driver.execute_async_script(AXE_RUN, list(AXE_TAGS))
    if isinstance(result, dict):
        raise AssertionError(f"axe-core failed to run: {result['error']}")
    return result


def format_violations(violations: list[dict]) -> str:
    lines = []
    for rule in violations:
        lines.append(f"- {rule['rule']} ({rule['impact']}): {rule['help']}")
        for node in rule["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def assert_accessible(driver, what: str, *, expected: Collection[str] = ()) -> None:
    """Fail, listing each (rule, impact, element, what is wrong), when axe-core finds any violation of WCAG
    2.x A and AA or of its best practices on the page the browser shows. `what` names the page and its state
    in the message. `expected` names rules known to fail on this state: each must still fail (so that the
    exception is removed once it is fixed), and nothing else may."""
    violations = axe_violations(driver)
    found = {rule["rule"] for rule in violations}
    unexpected = [rule for rule in violations if rule["rule"] not in expected]
    fixed = sorted(set(expected) - found)
    problems = []
    if unexpected:
        problems.append(f"axe-core: {len(unexpected)} rule(s) violated on {what} ({driver.current_url}):")
        problems.append(format_violations(unexpected))
    if fixed:
        problems.append(f"axe-core: {', '.join(fixed)} expected to fail on {what} but passed: drop the exception")
    assert not problems, "\n".join(problems)


def log_in(driver, base: str) -> None:
    """Log in on the login page as the tests' instructor (tests/base.py), as a person does, and wait to be
    let in."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login/")
    driver.find_element(By.ID, "id_username").send_keys("ines@example.com")
    driver.find_element(By.ID, "id_password").send_keys("a-long-password")
    driver.find_element(By.XPATH, "//button[normalize-space()='Log in']").click()
    WebDriverWait(driver, 10).until(lambda d: "/login/" not in d.current_url)


def skip_survey(driver, base: str, exercise_id: int) -> None:
    """A student's survey comes before their results: skip it, as its page offers, and land on them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{base}/s/exercises/{exercise_id}/survey/")
    driver.find_element(By.CSS_SELECTOR, "#survey-skip button[name=skip]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "my-debrief")))
