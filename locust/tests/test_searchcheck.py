"""Unit tests for locust/searchcheck.py: the request mix and every response check.

A small reference model of the catalog and search rules (catalog ids 1..100, the
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
    """The search over ids 1..100: (status, body)."""
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


FEATURE_ANSWERS = os.path.join(HERE, "fixtures", "search", "answers.json")


def feature_cases():
    """Hand-checked answers of the generated catalog (SCAN_LIMIT=100) to requests with
    the search parameters beyond q and limit: [{"name", "request", "limit", "answer"}]."""
    with open(FEATURE_ANSWERS, encoding="utf-8") as handle:
        return json.load(handle)


def reference_feature_search(request, default_limit=20):
    """The search parameters over ids 1..100, in their evaluation order: text test,
    filters, sort, offset, limit; facets over everything counted in total_found."""
    def cents(value):
        return int(round(float(value) * 100))

    found = [p for p in CATALOG
             if searchcheck.text_matches(p, request.get("q"), request.get("match") or "phrase")]
    for field in ("category", "brand"):
        if request.get(field):
            wanted = {v.lower() for v in request[field]}
            found = [p for p in found if p[field].lower() in wanted]
    if request.get("min_price") is not None:
        found = [p for p in found if cents(p["price"]) >= cents(request["min_price"])]
    if request.get("max_price") is not None:
        found = [p for p in found if cents(p["price"]) <= cents(request["max_price"])]
    sort = request.get("sort") or "id"
    if sort == "price":
        found.sort(key=lambda p: (cents(p["price"]), p["id"]))
    elif sort == "-price":
        found.sort(key=lambda p: (-cents(p["price"]), p["id"]))
    offset = request.get("offset") or 0
    limit = request.get("limit") or default_limit
    answer = {"products": found[offset:offset + limit], "total_found": len(found),
              "checked": len(CATALOG), "search_time": "3.2µs", "search_time_ns": 3200}
    if request.get("facets"):
        answer["facets"] = {}
        for key in request["facets"]:
            counts = {}
            for product in found:
                counts[product[key]] = counts.get(product[key], 0) + 1
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].encode()))
            answer["facets"][key] = [{"value": v, "count": c} for v, c in ordered[:100]]
    return json.dumps(answer)


class FeatureFixtureTests(unittest.TestCase):
    """The checks on the hand-written answers in fixtures/search/answers.json."""

    def setUp(self):
        self.cases = {case["name"]: case for case in feature_cases()}

    def check(self, name, answer=None, status=200):
        case = self.cases[name]
        text = json.dumps(case["answer"] if answer is None else answer)
        return searchcheck.check_search_request(status, text, case["request"], case["limit"])

    def answer(self, name):
        return json.loads(json.dumps(self.cases[name]["answer"]))

    def test_every_fixture_answer_is_valid(self):
        self.assertEqual(len(self.cases), 7)
        for name in self.cases:
            self.assertIsNone(self.check(name), name)

    def test_fixtures_agree_with_the_reference_model(self):
        for name, case in self.cases.items():
            self.assertEqual(json.loads(reference_feature_search(case["request"])),
                             case["answer"], name)

    def test_request_paths(self):
        self.assertEqual(searchcheck.feature_path(
            self.cases["browse a category, cheapest first"]["request"]),
            "/products/search?limit=3&sort=price&category=books")
        self.assertEqual(searchcheck.feature_path(
            self.cases["match=all across name and category"]["request"]),
            "/products/search?q=alpha%20electronics&match=all")
        self.assertEqual(searchcheck.feature_path(
            self.cases["filters: category, brand and price range"]["request"]),
            "/products/search?q=Product&category=Electronics,Home&brand=Alpha,Gamma,Epsilon"
            "&min_price=100&max_price=900.5")
        self.assertEqual(searchcheck.feature_path(
            {"q": "a&b", "facets": ["category", "brand"]}),
            "/products/search?q=a%26b&facets=category,brand")

    def test_sort_order_broken(self):
        data = self.answer("page 2 by price descending")
        data["products"][1], data["products"][2] = data["products"][2], data["products"][1]
        self.assertIn("not in sort=-price order", self.check("page 2 by price descending", data))
        data = self.answer("browse a category, cheapest first")
        data["products"].reverse()
        self.assertIn("not in sort=price order",
                      self.check("browse a category, cheapest first", data))

    def test_equal_prices_must_be_in_id_order(self):
        data = self.answer("browse a category, cheapest first")
        first, second = data["products"][0], data["products"][1]
        second["price"] = first["price"]
        first["id"], second["id"] = 2, 14
        self.assertIsNone(self.check("browse a category, cheapest first", data))
        first["id"], second["id"] = 14, 2
        self.assertIn("not in sort=price order",
                      self.check("browse a category, cheapest first", data))

    def test_filters_respected(self):
        name = "filters: category, brand and price range"
        data = self.answer(name)
        data["products"][0]["category"] = "Books"
        self.assertIn("has category 'Books', filter category=Electronics,Home",
                      self.check(name, data))
        data = self.answer(name)
        data["products"][0]["brand"] = "Beta"
        self.assertIn("has brand 'Beta'", self.check(name, data))
        data = self.answer(name)
        data["products"][0]["price"] = 99.99
        self.assertIn("price 99.99 below min_price 100", self.check(name, data))
        data = self.answer(name)
        data["products"][0]["price"] = 900.51
        self.assertIn("price 900.51 above max_price 900.5", self.check(name, data))
        data["products"][0]["price"] = 900.5
        self.assertIsNone(self.check(name, data))

    def test_filters_ignore_ascii_case(self):
        data = self.answer("browse two brands with brand facets")
        self.assertEqual({p["brand"] for p in data["products"]}, {"Alpha", "Kappa"})
        self.assertIsNone(self.check("browse two brands with brand facets", data))

    def test_answer_of_a_server_that_ignores_the_filters(self):
        # what a server without these parameters answers: the plain q=Product search
        status, text = reference_search("Product", 20)
        reason = searchcheck.check_search_request(
            status, text, self.cases["filters: category, brand and price range"]["request"], 20)
        self.assertIsNotNone(reason)
        # and a browse without q is answered 400 missing_query by such a server
        self.assertEqual(self.check("browse a category, cheapest first", status=400,
                                    answer={"error": "missing_query", "message": "q"}),
                         "status 400, expected 200")

    def test_offset_page_size(self):
        data = self.answer("offset past the end")
        data["products"] = json.loads(body())["products"][:2]
        self.assertIn("2 products returned, expected min(limit 20, total_found 10 - offset 40)",
                      self.check("offset past the end", data))
        data = self.answer("page 2 by price descending")
        del data["products"][-1]
        self.assertIn("4 products returned", self.check("page 2 by price descending", data))

    def test_total_found_at_least_the_products(self):
        data = self.answer("match=all across name and category")
        data["total_found"] = 1
        self.assertIn("total_found 1 < 2 products returned",
                      self.check("match=all across name and category", data))

    def test_match_all_needs_every_term(self):
        name = "match=all across name and category"
        data = self.answer(name)
        data["products"][1]["category"] = "Books"  # "Product Alpha 61", no "electronics"
        self.assertIn("does not match q='alpha electronics' (match=all)", self.check(name, data))
        # one phrase would not match "alpha electronics" at all: the terms are separate
        self.assertFalse(searchcheck.text_matches(data["products"][0], "alpha electronics"))
        self.assertTrue(searchcheck.text_matches(data["products"][0], " ALPHA \t electronics ",
                                                 "all"))

    def test_facet_order(self):
        name = "facets on category and brand"
        data = self.answer(name)
        cats = data["facets"]["category"]
        cats[0], cats[1] = cats[1], cats[0]  # equal counts: value ascending
        self.assertIn("facets.category not ordered by count descending, then value ascending "
                      "('Books' after 'Sports')", self.check(name, data))
        data = self.answer(name)
        brands = data["facets"]["brand"]
        brands.insert(0, brands.pop())  # Epsilon (4) before the tens
        self.assertIn("facets.brand not ordered", self.check(name, data))

    def test_facet_order_is_byte_order(self):
        case = {"q": None, "brand": ["Zeta", "alpha"], "facets": ["brand"]}
        answer = {"products": [], "total_found": 2, "checked": 100, "search_time": "1µs",
                  "search_time_ns": 1000, "facets": {"brand": [
                      {"value": "Zeta", "count": 1}, {"value": "alpha", "count": 1}]}}
        case["offset"] = 2
        self.assertIsNone(searchcheck.check_search_request(200, json.dumps(answer), case, 20))
        answer["facets"]["brand"].reverse()
        self.assertIn("not ordered", searchcheck.check_search_request(
            200, json.dumps(answer), case, 20))

    def test_facet_counts_and_keys(self):
        name = "facets on category and brand"
        data = self.answer(name)
        data["facets"]["brand"][0]["count"] += 1
        self.assertIn("facets.brand counts sum to 95, total_found is 94", self.check(name, data))
        data = self.answer(name)
        del data["facets"]["brand"]
        self.assertIn("facets keys ['category'], asked for ['brand', 'category']",
                      self.check(name, data))
        data = self.answer(name)
        data["facets"]["category"][0]["count"] = "9"
        self.assertIn("is not {value: string, count >= 1}", self.check(name, data))
        data = self.answer(name)
        data["facets"]["category"].append({"value": "Books", "count": 0})
        self.assertIn("is not {value: string, count >= 1}", self.check(name, data))

    def test_facets_only_when_asked(self):
        name = "match=all across name and category"
        data = self.answer(name)
        data["facets"] = {"category": [{"value": "Electronics", "count": 2}]}
        self.assertEqual(self.check(name, data), "facets in an answer that asked for none")

    def test_facet_value_outside_the_filter(self):
        name = "browse two brands with brand facets"
        data = self.answer(name)
        data["facets"]["brand"][1]["value"] = "Beta"
        self.assertIn("facets.brand value 'Beta' is outside the filter brand=ALPHA,kappa",
                      self.check(name, data))


class FeatureGeneratorTests(unittest.TestCase):
    def setUp(self):
        self.rng = searchcheck.new_rng(11)

    def test_generated_requests_follow_the_rules_and_pass_the_reference(self):
        generators = [searchcheck.browse_request, searchcheck.filtered_request,
                      searchcheck.sorted_request, searchcheck.page_request,
                      searchcheck.facets_request, searchcheck.match_all_request]
        hits = {g.__name__: 0 for g in generators}
        for _ in range(300):
            for gen in generators:
                request = gen(self.rng)
                params = parse_qs(urlsplit(searchcheck.feature_path(request)).query,
                                  keep_blank_values=True)
                self.assertTrue(all(len(v) == 1 for v in params.values()), params)
                if "q" not in params:
                    self.assertTrue({"category", "brand", "min_price", "max_price"} & set(params))
                for key in ("category", "brand"):
                    if key in params:
                        values = params[key][0].split(",")
                        self.assertTrue(1 <= len(values) <= 16 and all(values), params)
                for key in ("min_price", "max_price"):
                    if key in params:
                        self.assertRegex(params[key][0], r"^[0-9]+(\.[0-9]{1,2})?$")
                if "min_price" in params and "max_price" in params:
                    self.assertLessEqual(float(params["min_price"][0]),
                                         float(params["max_price"][0]))
                if "sort" in params:
                    self.assertIn(params["sort"][0], searchcheck.SORTS)
                if request.get("match") == "all":
                    self.assertLessEqual(len(request["q"].split()), 8)
                limit = request.get("limit") or 20
                text = reference_feature_search(request)
                self.assertIsNone(searchcheck.check_search_request(200, text, request, limit),
                                  request)
                if json.loads(text)["total_found"]:
                    hits[gen.__name__] += 1
        # every kind of request finds something in ids 1..100 most of the time
        for name, count in hits.items():
            self.assertGreater(count, 150, name)

    def test_invalid_feature_requests_name_their_error_code(self):
        codes = {code for _label, _query, code in searchcheck.INVALID_FEATURE_REQUESTS}
        self.assertEqual(codes, {"invalid_offset", "invalid_sort", "invalid_filter",
                                 "invalid_price", "invalid_match", "invalid_facets",
                                 "invalid_query", "missing_query"})
        good = '{"error":"invalid_sort","message":"sort must be id, price or -price"}'
        self.assertIsNone(searchcheck.check_error(400, good, expected_code="invalid_sort"))
        self.assertEqual(searchcheck.check_error(400, good, expected_code="invalid_offset"),
                         "error 'invalid_sort', expected 'invalid_offset'")


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
