#!/usr/bin/python3
"""Checks scripts/make-example-catalog.py (Python 3, standard library only):

- deterministic: the same seed and count give the same bytes (also under another
  PYTHONHASHSEED and locale), another seed gives other bytes;
- every line is a product PRODUCTS_FILE accepts: the six keys in export order, a
  positive unique id, strings of valid UTF-8 of at most 4096 bytes without NUL, a
  price written with exactly 2 decimals from 0 to 10^13, a description of 10 to 40
  words;
- the CSV holds the same products as the JSON Lines;
- docs/examples/catalog.jsonl and docs/examples/catalog.csv equal a regeneration by
  the commands in the script's header.

    /usr/bin/python3 -m unittest tests/test_example_catalog.py     (from the top folder)
    /usr/bin/python3 tests/test_example_catalog.py
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "make-example-catalog.py")
SAMPLE_JSONL = os.path.join(ROOT, "docs", "examples", "catalog.jsonl")
SAMPLE_CSV = os.path.join(ROOT, "docs", "examples", "catalog.csv")
KEYS = ["id", "name", "category", "description", "brand", "price"]
PRICE = re.compile(r'"price":(0|[1-9][0-9]*)\.([0-9]{2})}$')


def generate(*args, env=None):
    """The script's stdout, as bytes."""
    return subprocess.run([sys.executable, SCRIPT, *args], check=True,
                          stdout=subprocess.PIPE, env=env).stdout


def check_products(test, data):
    """Every line of JSON Lines bytes is a valid product; returns them as dicts."""
    text = data.decode("utf-8")  # strict: invalid UTF-8 raises
    test.assertTrue(text.endswith("\n"))
    products, ids = [], set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        p = json.loads(line, object_pairs_hook=lambda kv: kv)
        test.assertEqual([k for k, _ in p], KEYS, "line %d" % n)
        p = dict(p)
        test.assertIsInstance(p["id"], int)
        test.assertGreater(p["id"], 0)
        test.assertNotIn(p["id"], ids, "line %d: duplicate id" % n)
        ids.add(p["id"])
        for k in KEYS[1:5]:
            s = p[k]
            test.assertIsInstance(s, str)
            test.assertLessEqual(len(s.encode("utf-8")), 4096, "line %d %s" % (n, k))
            test.assertNotIn("\0", s)
        test.assertTrue(p["name"], "line %d: empty name" % n)
        m = PRICE.search(line)
        test.assertIsNotNone(m, "line %d: price not written with 2 decimals" % n)
        cents = int(m.group(1)) * 100 + int(m.group(2))
        test.assertLessEqual(cents, 10 ** 15)
        words = len(p["description"].split())
        test.assertTrue(10 <= words <= 40, "line %d: %d words" % (n, words))
        p["cents"] = cents
        products.append(p)
    return products


class Deterministic(unittest.TestCase):
    def test_same_seed_same_bytes(self):
        a = generate("--seed", "5", "--count", "2000")
        b = generate("--seed", "5", "--count", "2000")
        self.assertEqual(a, b)
        self.assertEqual(len(a.splitlines()), 2000)

    def test_same_bytes_whatever_the_hash_seed_and_locale(self):
        runs = []
        for hashseed, lang in (("1", "C"), ("2", "C.UTF-8"), ("random", "")):
            env = dict(os.environ, PYTHONHASHSEED=hashseed, LANG=lang, LC_ALL=lang)
            runs.append(generate("--seed", "9", "--count", "3000", "--format", "csv",
                                 env=env))
        self.assertEqual(runs[0], runs[1])
        self.assertEqual(runs[0], runs[2])

    def test_other_seed_other_bytes(self):
        a = generate("--seed", "5", "--count", "500")
        b = generate("--seed", "6", "--count", "500")
        self.assertNotEqual(a, b)
        check_products(self, b)

    def test_out_file_equals_stdout(self):
        path = os.path.join("/tmp", "ps-example-%d.jsonl" % os.getpid())
        try:
            subprocess.run([sys.executable, SCRIPT, "--count", "300", "--out", path],
                           check=True)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), generate("--count", "300"))
        finally:
            if os.path.exists(path):
                os.unlink(path)

    def test_bad_count_refused(self):
        for count in ("0", "-3", "10000001"):
            r = subprocess.run([sys.executable, SCRIPT, "--count", count],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stdout, b"")
            self.assertIn(b"--count", r.stderr)


class Content(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SAMPLE_JSONL, "rb") as f:
            cls.jsonl = f.read()
        with open(SAMPLE_CSV, "rb") as f:
            cls.csv = f.read()
        cls.products = check_products(unittest.TestCase(), cls.jsonl)

    def test_sample_is_3000_valid_products_with_ids_1_to_n(self):
        self.assertEqual([p["id"] for p in self.products], list(range(1, 3001)))

    def test_csv_holds_the_same_products(self):
        self.assertTrue(self.csv.startswith(b"id,name,category,description,brand,price\r\n"))
        rows = list(csv.reader(io.StringIO(self.csv.decode("utf-8"), newline="")))
        self.assertEqual(rows[0], KEYS)
        self.assertEqual(len(rows) - 1, len(self.products))
        for row, p in zip(rows[1:], self.products):
            self.assertEqual(row[0], str(p["id"]))
            self.assertEqual(row[1:5], [p[k] for k in KEYS[1:5]])
            self.assertEqual(row[5], "%d.%02d" % (p["cents"] // 100, p["cents"] % 100))

    def test_shows_what_relevance_ranking_does(self):
        names = [p["name"] for p in self.products]
        for exact in ("iPhone 15 Pro", "iPhone 15 Pro Max", "iPhone 15 Pro Case", "Phone",
                      "Smartphone", "Headphones", "Headphone Stand", "Galaxy S24 Ultra",
                      "Keyboard", "Wireless Keyboard"):
            self.assertIn(exact, names)
        # a brand that is not in the product's name
        self.assertTrue(any(p["brand"] == "Samsung" and "Samsung" not in p["name"]
                            for p in self.products))
        words = " ".join(n.lower() for n in names)
        for w in ("phone", "headphone", "phones", "smartphone", "headphones", "wireless",
                  "keyboard", "samsung galaxy", "usb-c", "2-in-1", "1/2\"", " xl "):
            self.assertIn(w, words)
        self.assertIn("Electronics", {p["category"] for p in self.products})

    def test_has_non_ascii_words_and_line_breaks(self):
        text = self.jsonl.decode("utf-8")
        for w in ("café", "Müller", "日本", "naïve", "crème brûlée", "ß"):
            self.assertIn(w, text.lower() if w == "café" else text)
        self.assertTrue(any("\n" in p["description"] for p in self.products))
        self.assertTrue(any('"' in p["name"] for p in self.products))  # 1/2", 15.6"
        self.assertTrue(any("," in p["name"] for p in self.products))  # quoted in CSV

    def test_descriptions_vary(self):
        descriptions = {p["description"] for p in self.products}
        self.assertGreater(len(descriptions), 2900)
        categories = {p["category"] for p in self.products}
        self.assertGreaterEqual(len(categories), 14)

    def test_committed_samples_equal_a_regeneration(self):
        # the commands of the script's header and docs/catalog.md, to stdout
        self.assertEqual(generate(), self.jsonl)
        self.assertEqual(generate("--format", "csv"), self.csv)


if __name__ == "__main__":
    unittest.main()
