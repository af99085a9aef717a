#!/usr/bin/python3
"""Takes docs/images/search-page.png: the search page (GET /) on the example catalog,
in Debian's headless Chromium with the browser test's Selenium setup
(tests/browser_test.py; `scripts/install-deps.sh browser` installs what it needs).

    make && /usr/bin/python3 scripts/screenshot.py [OUT.png] [QUERY]

Starts build/product-search on a free port of 127.0.0.1 with
PRODUCTS_FILE=docs/examples/catalog.jsonl, types QUERY (default: headphones),
ticks the first category facet, and saves the window (1280 x 860) as OUT
(default: docs/images/search-page.png).
"""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from browser_test import CATALOG, WAIT_S, Server, browser  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


def wait_done(driver, url_part):
    """Waits until the results shown answer a request whose URL holds url_part."""
    deadline = time.monotonic() + WAIT_S
    while True:
        state = driver.execute_script("return document.body.dataset.state")
        url = driver.find_element(By.ID, "results").get_attribute("data-url") or ""
        if state == "done" and url_part in url:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: no results for {url_part!r}")
        time.sleep(0.05)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "images",
                                                             "search-page.png")
    query = sys.argv[2] if len(sys.argv) > 2 else "headphones"
    server = Server(CATALOG)
    driver = None
    try:
        driver = browser()
        driver.set_window_size(1280, 860)
        driver.get(server.base + "/")
        wait_done(driver, "min_price=0")
        driver.find_element(By.ID, "q").send_keys(query)
        wait_done(driver, "q=")
        box = driver.find_element(By.CSS_SELECTOR, '#facet-category input[type="checkbox"]')
        box.click()
        wait_done(driver, "category=")
        driver.find_element(By.ID, "q").click()  # the focus ring on the box, not the facet
        driver.execute_script("window.scrollTo(0, 0)")
        if not driver.save_screenshot(out):
            raise SystemExit(f"screenshot: cannot write {out}")
        print(f"screenshot: {out}, {os.path.getsize(out):,} bytes")
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


if __name__ == "__main__":
    main()
