"""The HTML player in a real browser: headless Chromium, driven by Selenium,
loads a saved player, presses next and play, and reads what changed.

`make test` installs Chromium where it can (scripts/ensure-chromium.sh); elsewhere
this test is skipped, saying how to enable it. The network is not needed: the
player is one file with nothing to fetch."""

from __future__ import annotations

import shutil
import time

import pytest
from micrograd_style import lecture_expression

from autograd import animate

HOW = ("headless Chromium is not installed: install Debian's chromium and chromium-driver packages "
       "(bash scripts/ensure-chromium.sh, which make test runs, does so as root) to run the browser test")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[dev]'")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not (CHROMIUM and DRIVER), reason=HOW)]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,900"]
HOSTILE = "</script><script>alert(1)</script>"


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def player_file(tmp_path):
    L = lecture_expression(b=HOSTILE, f='"><img src=x onerror=alert(1)>')["L"]
    animation = animate(L)
    return animation, animation.save(tmp_path / "player.html")


def state(driver):
    """(the current node's name, the caption, the counter) as the page shows them."""
    return driver.execute_script("""
        var g = document.querySelector('.dg-picture g.node.current:not(.op) title');
        return [g ? g.textContent : null, document.querySelector('.dg-caption').textContent,
                document.querySelector('.dg-counter').textContent];""")


def test_next_and_play_move_the_highlight_and_the_caption_with_no_console_errors(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    animation, path = player_file(tmp_path)
    captions = [f.caption for f in animation.frames]
    browser.get(path.as_uri())
    node, caption, counter = state(browser)
    assert (caption, counter) == (captions[0], "step 1 / 6 · forward")
    first_node = node

    browser.find_element(By.CSS_SELECTOR, ".dg-next").click()
    node, caption, counter = state(browser)
    assert caption == captions[1] and counter.startswith("step 2 / 6")
    assert node != first_node

    browser.find_element(By.CSS_SELECTOR, ".dg-play").click()
    WebDriverWait(browser, 30, poll_frequency=0.2).until(lambda d: state(d)[2].startswith("step 6 / 6"))
    node, caption, _ = state(browser)
    assert caption == captions[-1] and node is not None
    assert browser.find_element(By.CSS_SELECTOR, ".dg-play").text == "▶ play"  # stopped at the end

    # The hostile labels are text in the picture and the captions, and ran nothing.
    text = browser.execute_script("return document.querySelector('.dg-picture').textContent")
    assert HOSTILE in text and '"><img src=x onerror=alert(1)>' in text
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert browser.execute_script("return document.querySelectorAll('script').length") == 2
    time.sleep(0.2)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def test_arrow_keys_and_the_slider_step_through_the_frames(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    animation, path = player_file(tmp_path)
    browser.get(path.as_uri())
    player = browser.find_element(By.CSS_SELECTOR, ".dg-player")
    player.send_keys(Keys.ARROW_RIGHT)
    player.send_keys(Keys.ARROW_RIGHT)
    assert state(browser)[1] == animation.frames[2].caption
    player.send_keys(Keys.END)
    assert state(browser)[1] == animation.frames[-1].caption
    browser.execute_script("var s = document.querySelector('.dg-slider'); s.value = 3;"
                           "s.dispatchEvent(new Event('input'));")
    assert state(browser)[1] == animation.frames[3].caption
