#!/usr/bin/python3
"""The search page (GET /) in a real browser: Debian's Chromium, headless,
driven through Selenium (python3-selenium and chromium-driver; `scripts/install-deps.sh
browser` installs them).

Starts build/product-search on 127.0.0.1 with PORT=0 (the start-up line names the
port) on the example catalog (PRODUCTS_FILE=docs/examples/catalog.jsonl), waits for
/health 200, then, as a user would:

- types a query: results with <mark> highlights, the total and the first page
  equal to the API's answer to the same request;
- ticks a category facet: the total equals the count beside the box and the API's;
- pages on: the results equal the API's at that offset;
- moves through the results with the keyboard (/, arrows);
- sees an API error (min price above max price) as text;
- sees a product whose name is HTML as text (a second server, a tiny catalog).

No console error may appear (a Content-Security-Policy violation would be one),
except the failed request of the error case. Bounded: every wait has a timeout.

    /usr/bin/python3 -m unittest tests/browser_test.py      (from the top folder, after make)
    PRODUCT_SEARCH_BIN=path CHROMIUM=path CHROMEDRIVER=path  override the programs
"""

import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:  # pragma: no cover
    raise SystemExit("browser_test: python3-selenium is missing "
                     "(scripts/install-deps.sh browser installs it)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("PRODUCT_SEARCH_BIN", os.path.join(ROOT, "build", "product-search"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CATALOG = os.path.join(ROOT, "docs", "examples", "catalog.jsonl")
WAIT_S = 10
# What the page asks along with the query, unless the user changes it.
DEFAULTS = {"sort": "relevance", "typos": "1", "fields": "name,category"}


class Server:
    """build/product-search on 127.0.0.1, a free port, stopped with SIGTERM."""

    def __init__(self, products_file):
        env = {k: v for k, v in os.environ.items()
               if k not in ("PORT", "BIND", "SCAN_LIMIT", "UI", "PRODUCT_COUNT")}
        env.update(PORT="0", BIND="127.0.0.1", THREADS="2", PRODUCTS_FILE=products_file)
        self.proc = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.monotonic() + WAIT_S
        line = b""
        while self.port is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
                m = re.search(rb'"event":"start".*"port":(\d+)', line)
                if m:
                    self.port = int(m.group(1))
        if self.port is None:
            self.stop()
            raise RuntimeError(f"{BINARY} did not start: {line!r}")
        self.base = f"http://127.0.0.1:{self.port}"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except urllib.error.HTTPError:
                pass  # 503 starting: the index is being built
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("/health never answered 200")

    def api(self, **params):
        """The API's answer to a search with these parameters."""
        url = self.base + "/products/search?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
        finally:
            self.proc.stdout.close()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--metrics-recording-only", "--no-default-browser-check"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class SearchPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(CATALOG)
        try:
            cls.driver = browser()
        except Exception:
            cls.server.stop()
            raise
        cls.driver.set_page_load_timeout(WAIT_S)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        status = cls.server.stop()
        assert status == 0, f"the server exited {status} after SIGTERM"

    # ---- helpers ----

    def until(self, what, condition):
        """Waits for condition() to be true (returns its value); fails after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def el(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def els(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def shown_for(self, **expect):
        """Waits until the results shown answer a request holding these
        parameters (the page writes the request's URL on the list); returns
        the parameters of that request."""
        def match():
            if self.driver.execute_script("return document.body.dataset.state") != "done":
                return None
            url = self.el("#results").get_attribute("data-url") or ""
            got = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            return got if all(got.get(k) == v for k, v in expect.items()) else None
        return self.until(f"results for {expect}", match)

    def page_ids(self):
        return [int(li.get_attribute("data-id")) for li in self.els("#results > li")]

    def total(self):
        return int(self.el("#count").get_attribute("data-total"))

    def console_errors(self):
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def open(self, query=""):
        self.driver.get(self.server.base + "/" + query)
        self.driver.get_log("browser")  # start with an empty console

    # ---- the tests ----

    def test_search_facet_and_pages_match_the_api(self):
        self.open()
        # the page opens on the whole catalog: its size, and every category
        # (the first 8, then all of them on a click)
        self.shown_for(min_price="0")
        whole = self.server.api(min_price="0", facets="category", limit=1)
        self.assertEqual(self.total(), whole["total_found"])
        self.assertEqual(self.el("#count").text, f"{whole['total_found']:,} products")
        values = [c["value"] for c in whole["facets"]["category"]]
        self.assertGreater(len(values), 8)
        boxes = lambda: [b.get_attribute("value") for b in self.els("#facet-category input")]
        self.assertEqual(boxes(), values[:8])
        self.el("#facet-category button").click()
        self.assertEqual(boxes(), values)
        self.el("#q").send_keys("headphones")
        got = self.shown_for(q="headphones")
        for k, v in DEFAULTS.items():
            self.assertEqual(got.get(k), v, f"the page asks {k}={got.get(k)}")
        self.assertEqual(got.get("highlight"), "true")
        want = self.server.api(q="headphones", limit=20, facets="category", **DEFAULTS)
        self.assertEqual(self.total(), want["total_found"])
        self.assertGreater(want["total_found"], 40)
        self.assertEqual(self.page_ids(), [p["id"] for p in want["products"]])
        self.assertIn(f"{want['total_found']:,} results", self.el("#count").text)
        self.assertIn(want["search_time"][-2:], self.el("#took").text)  # "µs" or "ms"
        marks = [m.text.lower() for m in self.els("#results mark")]
        self.assertIn("headphones", marks)
        self.assertEqual(self.el("#results > li a").get_attribute("href"),
                         f"{self.server.base}/products/{want['products'][0]['id']}")

        # the category facet: its values and counts are the API's
        boxes = self.els('#facet-category input[type="checkbox"]')
        self.assertTrue(boxes)
        counts = {c["value"]: c["count"] for c in want["facets"]["category"]}
        label = boxes[0].find_element(By.XPATH, "..")
        value = boxes[0].get_attribute("value")
        shown = int(label.find_element(By.CSS_SELECTOR, ".count").text.replace(",", ""))
        self.assertEqual(shown, counts[value])
        boxes[0].click()
        self.shown_for(q="headphones", category=value)
        want = self.server.api(q="headphones", category=value, limit=20, **DEFAULTS)
        self.assertEqual(self.total(), want["total_found"])
        self.assertEqual(self.total(), shown)
        self.assertEqual(self.page_ids(), [p["id"] for p in want["products"]])
        self.assertTrue(self.el(f'#facet-category input[value="{value}"]').is_selected())
        self.assertGreater(want["total_found"], 20, "too few results to page")

        # the next page
        self.el("#next").click()
        self.shown_for(q="headphones", category=value, offset="20")
        want = self.server.api(q="headphones", category=value, limit=20, offset=20, **DEFAULTS)
        ids = self.page_ids()
        self.assertEqual(ids[0], want["products"][0]["id"])
        self.assertEqual(ids, [p["id"] for p in want["products"]])
        self.assertIn("Page 2 of", self.el("#page").text)
        # the address holds the search, so a reload shows it again
        self.assertIn("offset=20", self.driver.current_url)
        self.driver.refresh()
        self.shown_for(q="headphones", category=value, offset="20")
        self.assertEqual(self.page_ids(), ids)
        self.assertEqual(self.console_errors(), [])

    def test_sort_typos_and_price_reach_the_api(self):
        self.open()
        self.shown_for(min_price="0")
        self.el("#q").send_keys("hedphones")  # one typo
        self.shown_for(q="hedphones", typos="1")
        self.assertGreater(self.total(), 0)
        self.el('#sort option[value="-price"]').click()
        self.el("#min").send_keys("100")
        self.el("#max").send_keys("300")
        got = self.shown_for(q="hedphones", sort="-price", min_price="100", max_price="300")
        want = self.server.api(**{k: v for k, v in got.items() if k not in ("facets",)},
                               facets="category,brand")
        self.assertEqual(self.total(), want["total_found"])
        self.assertEqual(self.page_ids(), [p["id"] for p in want["products"]])
        prices = [float(e.text) for e in self.els("#results .amount")]
        self.assertEqual(prices, sorted(prices, reverse=True))
        self.assertTrue(all(100 <= p <= 300 for p in prices))
        self.el('#typos option[value="0"]').click()
        self.shown_for(q="hedphones", typos="0")
        self.assertEqual(self.total(), 0)
        self.assertEqual(self.el("#count").text, "0 results for \u201chedphones\u201d")
        self.assertEqual(self.console_errors(), [])

    def test_keyboard(self):
        self.open("?q=phone")
        self.shown_for(q="phone")
        active = lambda: self.driver.switch_to.active_element
        self.el("body").click()
        self.el("body").send_keys("/")
        self.assertEqual(active().get_attribute("id"), "q")
        active().send_keys(Keys.ARROW_DOWN)
        links = self.els("#results > li a")
        self.assertEqual(active(), links[0])
        active().send_keys(Keys.ARROW_DOWN)
        self.assertEqual(active(), links[1])
        active().send_keys(Keys.ARROW_UP)
        active().send_keys(Keys.ARROW_UP)
        self.assertEqual(active().get_attribute("id"), "q")
        # the labels and the live region a screen reader relies on
        for control in ("q", "min", "max", "sort", "typos", "fields"):
            self.assertTrue(self.els(f'label[for="{control}"]'), f"no label for #{control}")
        self.assertEqual(self.el("#count").get_attribute("aria-live"), "polite")
        self.assertEqual(self.console_errors(), [])

    def test_api_errors_are_shown_as_text(self):
        self.open("?q=lamp&min_price=50&max_price=10")
        self.until("the error", lambda: self.el("#error").is_displayed())
        want = None
        try:
            self.server.api(q="lamp", min_price="50", max_price="10")
        except urllib.error.HTTPError as e:
            want = json.load(e)
        self.assertIsNotNone(want)
        self.assertEqual(self.el("#error").text, f"{want['message']} ({want['error']})")
        self.assertEqual(self.els("#results > li"), [])
        # the one console error is the failed request itself, no policy violation
        errors = self.console_errors()
        self.assertTrue(all("status of 400" in e["message"] for e in errors), errors)


class HostileCatalog(unittest.TestCase):
    """Product text is text: a name that is HTML is shown, never run."""

    def test_html_in_a_product_is_text(self):
        name = '<img src=x onerror="document.title=\'pwned\'"> Lamp <b>bold</b>'
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(json.dumps({"id": 1, "name": name, "category": "<i>Home</i>",
                                "description": "A lamp & a <script>alert(1)</script>.",
                                "brand": "Ac\u00e9 \u65e5\u672c", "price": 10.5}) + "\n")
        server = Server(f.name)
        driver = None
        try:
            driver = browser()
            driver.get(server.base + "/?q=lamp")
            deadline = time.monotonic() + WAIT_S
            while driver.execute_script("return document.body.dataset.state") != "done":
                self.assertLess(time.monotonic(), deadline, "no results")
                time.sleep(0.05)
            link = driver.find_element(By.CSS_SELECTOR, "#results > li a")
            self.assertEqual(link.text, name)
            self.assertEqual(link.find_element(By.TAG_NAME, "mark").text, "Lamp")
            self.assertEqual(driver.find_elements(By.CSS_SELECTOR, "#results img, #results b, "
                                                  "#results i, #results script"), [])
            self.assertEqual(driver.title, "product-search")
            meta = driver.find_element(By.CSS_SELECTOR, "#results .meta").text
            self.assertIn("Ac\u00e9 \u65e5\u672c", meta)
            self.assertEqual([e for e in driver.get_log("browser") if e["level"] == "SEVERE"], [])
        finally:
            if driver is not None:
                driver.quit()
            self.assertEqual(server.stop(), 0)
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
