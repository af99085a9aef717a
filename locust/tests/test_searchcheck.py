"""Unit tests for locust/searchcheck.py: the request mix and every response check.

A small reference model of SPEC sections 1 and 2 (catalog ids 1..100, the
default SCAN_LIMIT) answers the generated queries, so the checks are tested
against correct answers and against each kind of wrong one.
"""

import json
import os
import sys
import unittest
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import searchcheck  # noqa: E402

ADJECTIVES = ["Durable", "Compact", "Premium", "Classic", "Lightweight", "Smart",
              "Handcrafted", "Eco-friendly"]


def catalog(n=100):
    products = []
    for i in range(1, n + 1):
        brand = searchcheck.BRANDS[(i - 1) % 10]
        category = searchcheck.CATEGORIES[(i - 1) % 12]
        products.append({
            "id": i, "name": "Product %s %d" % (brand, i), "category": category,
            "description": "%s %s item by %s." % (ADJECTIVES[(i - 1) % 8], category.lower(),
                                                  brand),
            "brand": brand, "price": (100 + (i * 7919) % 99900) / 100,
        })
    return products


CATALOG = catalog()


def reference_search(q, limit):
    """SPEC 2 over ids 1..100: (status, body)."""
    needle = q.strip(" \t\r\n\f\v").lower()
    matches = [p for p in CATALOG if needle in p["name"].lower() or needle in p["category"].lower()]
    return 200, json.dumps({"products": matches[:limit], "total_found": len(matches),
                            "checked": len(CATALOG), "search_time": "3.2µs",
                            "search_time_ns": 3200})


def body(**overrides):
    status, text = reference_search("alpha", 20)
    data = json.loads(text)
    data.update(overrides)
    return json.dumps(data)


class GeneratorTests(unittest.TestCase):
    def setUp(self):
        self.rng = searchcheck.new_rng(7)

    def test_brand_and_category_queries_are_known_names_in_some_case(self):
        for _ in range(200):
            self.assertIn(searchcheck.brand_query(self.rng).capitalize(), searchcheck.BRANDS)
            self.assertIn(searchcheck.category_query(self.rng).capitalize(),
                          searchcheck.CATEGORIES)

    def test_mixed_case_produces_several_casings(self):
        seen = {searchcheck.mixed_case("Electronics", self.rng) for _ in range(200)}
        self.assertIn("electronics", seen)
        self.assertIn("ELECTRONICS", seen)
        self.assertIn("Electronics", seen)
        self.assertGreater(len(seen), 4)

    def test_multi_word_queries_have_a_space(self):
        for _ in range(100):
            self.assertIn(" ", searchcheck.multi_word_query(self.rng).strip())

    def test_search_path_encodes_the_query(self):
        path = searchcheck.search_path(" Product Alpha 1 ", 5)
        self.assertEqual(path, "/products/search?q=%20Product%20Alpha%201%20&limit=5")
        query = parse_qs(urlsplit(path).query, keep_blank_values=True)
        self.assertEqual(query["q"], [" Product Alpha 1 "])
        self.assertEqual(searchcheck.search_path("a&b"), "/products/search?q=a%26b")

    def test_invalid_requests_break_a_rule_of_spec_2(self):
        for label, query in searchcheck.INVALID_REQUESTS:
            params = parse_qs(query, keep_blank_values=True)
            q = params.get("q", [None])[0]
            limit = params.get("limit", [None])[0]
            bad_q = q is None or not q.strip() or len(q.strip().encode()) > 256
            bad_limit = limit is not None and not (limit.isdigit() and 1 <= int(limit) <= 100)
            self.assertTrue(bad_q or bad_limit, label)

    def test_generated_queries_pass_against_the_reference_answers(self):
        hits = {"brand": 0, "category": 0}
        for _ in range(300):
            for kind, gen in (("brand", searchcheck.brand_query),
                              ("category", searchcheck.category_query),
                              ("multi", searchcheck.multi_word_query)):
                q = gen(self.rng)
                limit = searchcheck.random_limit(self.rng)
                status, text = reference_search(q, limit)
                self.assertIsNone(searchcheck.check_search(status, text, q, limit), q)
                if kind in hits and json.loads(text)["total_found"] > 0:
                    hits[kind] += 1
            q = searchcheck.miss_query(self.rng)
            status, text = reference_search(q, 20)
            self.assertIsNone(searchcheck.check_search(status, text, q, 20, expect_miss=True))
        # with SCAN_LIMIT=100 every brand (10 ids) and category (8-9 ids) hits
        self.assertEqual(hits, {"brand": 300, "category": 300})


class CheckSearchTests(unittest.TestCase):
    def check(self, text, q="alpha", limit=20, status=200, **kw):
        return searchcheck.check_search(status, text, q, limit, **kw)

    def test_valid_answer(self):
        self.assertIsNone(self.check(body()))
        status, text = reference_search("electronics", 3)
        self.assertIsNone(self.check(text, q="electronics", limit=3))
        self.assertEqual(json.loads(text)["total_found"], 9)

    def test_wrong_status(self):
        self.assertEqual(self.check(body(), status=500), "status 500, expected 200")

    def test_not_json_and_not_an_object(self):
        self.assertIn("not JSON", self.check("<html>oops</html>"))
        self.assertIn("not an object", self.check("[1, 2]"))
        self.assertEqual(self.check(None), "empty body")

    def test_missing_keys(self):
        for key in ("products", "total_found", "checked", "search_time", "search_time_ns"):
            data = json.loads(body())
            del data[key]
            self.assertEqual(self.check(json.dumps(data)), "missing key %r" % key)

    def test_products_null(self):
        self.assertIn("expected a list", self.check(body(products=None)))

    def test_more_products_than_limit(self):
        self.assertEqual(self.check(body(), limit=5), "10 products for limit 5")

    def test_total_found_below_products(self):
        self.assertIn("total_found 3 < 10", self.check(body(total_found=3)))

    def test_truncated_page(self):
        data = json.loads(body())
        data["products"] = data["products"][:4]
        self.assertIn("4 products returned, expected min(limit 20, total_found 10)",
                      self.check(json.dumps(data)))

    def test_product_that_does_not_match(self):
        data = json.loads(body())
        data["products"][3]["name"] = "Product Beta 31"
        self.assertIn("does not match q='alpha'", self.check(json.dumps(data)))

    def test_match_on_category_only(self):
        status, text = reference_search("BOOKS", 20)
        self.assertIsNone(self.check(text, q="BOOKS"))

    def test_ids_out_of_order(self):
        data = json.loads(body())
        data["products"][0], data["products"][1] = data["products"][1], data["products"][0]
        self.assertIn("not in ascending id order", self.check(json.dumps(data)))

    def test_product_field_types(self):
        data = json.loads(body())
        data["products"][0]["price"] = "80.19"
        self.assertIn("product price is '80.19'", self.check(json.dumps(data)))
        data = json.loads(body())
        del data["products"][0]["brand"]
        self.assertIn("product without 'brand'", self.check(json.dumps(data)))

    def test_bad_counters_and_duration(self):
        self.assertIn("total_found is -1", self.check(body(total_found=-1)))
        self.assertIn("checked is True", self.check(body(checked=True)))
        self.assertIn("total_found 10 > checked 5", self.check(body(checked=5)))
        self.assertIn("not a duration", self.check(body(search_time="fast")))
        for good in ("850ns", "3.2µs", "1.25ms", "2s"):
            self.assertIsNone(self.check(body(search_time=good)), good)

    def test_miss_query_with_results(self):
        self.assertIn("miss query", self.check(body(), expect_miss=True))


class CheckErrorAndHealthTests(unittest.TestCase):
    def test_error_body(self):
        good = '{"error":"invalid_limit","message":"limit must be 1..100"}'
        self.assertIsNone(searchcheck.check_error(400, good))
        self.assertEqual(searchcheck.check_error(200, good), "status 200, expected 400")
        self.assertIn("'message'", searchcheck.check_error(400, '{"error":"bad_query"}'))
        self.assertIn("snake_case", searchcheck.check_error(
            400, '{"error":"Bad Query","message":"x"}'))
        self.assertIn("not JSON", searchcheck.check_error(400, "Bad Request"))

    def test_health(self):
        self.assertIsNone(searchcheck.check_health(200, '{"status":"ok","products":100000}'))
        self.assertEqual(searchcheck.check_health(503, '{"status":"draining"}'),
                         "status 503, expected 200")
        self.assertIn("'draining'", searchcheck.check_health(200, '{"status":"draining"}'))
        self.assertIn("products field", searchcheck.check_health(200, '{"status":"ok"}'))


class WaitTimeTests(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(searchcheck.parse_wait_time("1-2"), (1.0, 2.0))
        self.assertEqual(searchcheck.parse_wait_time("0.5"), (0.5, 0.5))
        self.assertEqual(searchcheck.parse_wait_time(" 0-0.1 "), (0.0, 0.1))

    def test_rejects(self):
        for bad in ("", "fast", "2-1", "1-2-3", "-1", "5000"):
            with self.assertRaises(ValueError, msg=bad):
                searchcheck.parse_wait_time(bad)


if __name__ == "__main__":
    unittest.main()
