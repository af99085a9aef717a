"""Request mix and response checks for the product-search load test.

Pure Python (no Locust import) so that the unit tests can exercise every
check without a server. The locustfile builds its requests with the
generators below and turns every reason returned by a check into a Locust
failure.

Catalog facts used here come from SPEC section 1: brands Alpha..Kappa,
twelve categories, names "Product {brand} {id}". With the default
SCAN_LIMIT=100 only ids 1..100 are searched, so every brand and category
query below hits, and the "miss" queries can never match a generated name.
"""

import json
import random
import re
from urllib.parse import quote

BRANDS = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon",
          "Zeta", "Eta", "Theta", "Iota", "Kappa"]
CATEGORIES = ["Electronics", "Books", "Home", "Sports", "Clothing", "Toys",
              "Garden", "Food", "Health", "Automotive", "Beauty", "Office"]
MISS_QUERIES = ["zzz", "zzz-none", "no such product", "qwertyuiop",
                "xylophone", "Product Omega"]

MAX_Q_BYTES = 256
MIN_LIMIT = 1
MAX_LIMIT = 100

PRODUCT_FIELDS = {
    "id": int,
    "name": str,
    "category": str,
    "description": str,
    "brand": str,
    "price": (int, float),
}

# Go-style duration as printed by the service: 850ns, 3.2µs, 1.25ms, 2s.
_DURATION_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(ns|µs|us|ms|s)$")


def mixed_case(word, rng):
    """Return word with a random casing style (the search ignores ASCII case)."""
    style = rng.randrange(4)
    if style == 0:
        return word
    if style == 1:
        return word.lower()
    if style == 2:
        return word.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)


def brand_query(rng):
    return mixed_case(rng.choice(BRANDS), rng)


def category_query(rng):
    return mixed_case(rng.choice(CATEGORIES), rng)


def multi_word_query(rng):
    """Queries with a space in them: "Product Alpha", "kappa 10", " Product Gamma 3 "."""
    brand = rng.choice(BRANDS)
    style = rng.randrange(3)
    if style == 0:
        q = "Product " + brand
    elif style == 1:
        q = brand + " " + str(rng.randint(1, 100))
    else:
        # surrounding blanks are trimmed by the service
        q = " Product %s %d " % (brand, rng.randint(1, 100))
    return mixed_case(q, rng)


def miss_query(rng):
    return rng.choice(MISS_QUERIES)


def random_limit(rng):
    return rng.randint(MIN_LIMIT, MAX_LIMIT)


# Each entry: (short label, query string after "?"). Every one must answer 400.
INVALID_REQUESTS = [
    ("missing q", "limit=5"),
    ("empty q", "q="),
    ("blank q", "q=%20%20%20"),
    ("q over 256 bytes", "q=" + "a" * (MAX_Q_BYTES + 1)),
    ("limit 0", "q=alpha&limit=0"),
    ("limit 101", "q=alpha&limit=101"),
    ("limit abc", "q=alpha&limit=abc"),
    ("limit negative", "q=alpha&limit=-3"),
]


def invalid_request(rng):
    return rng.choice(INVALID_REQUESTS)


def search_path(q, limit=None):
    """URL path + query for a search; q is percent-encoded (spaces as %20)."""
    path = "/products/search?q=" + quote(q, safe="")
    if limit is not None:
        path += "&limit=%d" % limit
    return path


def _parse_json_object(body):
    if body is None:
        return None, "empty body"
    try:
        data = json.loads(body)
    except ValueError as exc:
        return None, "body is not JSON (%s): %.80r" % (exc.__class__.__name__, body)
    if not isinstance(data, dict):
        return None, "body is JSON but not an object: %.80r" % (body,)
    return data, None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def product_matches(product, q):
    """SPEC 2: q (trimmed) is a substring of name or category, ignoring ASCII case."""
    needle = ascii_lower(q.strip(" \t\r\n\f\v"))
    return (needle in ascii_lower(product["name"])
            or needle in ascii_lower(product["category"]))


def ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def check_search(status, body, q, limit, expect_miss=False):
    """Validate a 200 search answer. Return None when valid, else a reason string.

    limit is the effective limit (the one sent, or the service default).
    """
    if status != 200:
        return "status %s, expected 200" % status
    data, err = _parse_json_object(body)
    if err:
        return err
    for key in ("products", "total_found", "checked", "search_time", "search_time_ns"):
        if key not in data:
            return "missing key %r" % key
    products = data["products"]
    total = data["total_found"]
    checked = data["checked"]
    if not isinstance(products, list):
        return "products is %s, expected a list" % type(products).__name__
    for key in ("total_found", "checked", "search_time_ns"):
        if not _is_int(data[key]) or data[key] < 0:
            return "%s is %r, expected an integer >= 0" % (key, data[key])
    if not isinstance(data["search_time"], str) or not _DURATION_RE.match(data["search_time"]):
        return "search_time %r is not a duration string" % (data["search_time"],)
    if len(products) > limit:
        return "%d products for limit %d" % (len(products), limit)
    if total < len(products):
        return "total_found %d < %d products returned" % (total, len(products))
    if len(products) != min(limit, total):
        return "%d products returned, expected min(limit %d, total_found %d)" % (
            len(products), limit, total)
    if total > checked:
        return "total_found %d > checked %d" % (total, checked)
    last_id = 0
    for product in products:
        if not isinstance(product, dict):
            return "product is not an object: %.80r" % (product,)
        for field, kind in PRODUCT_FIELDS.items():
            if field not in product:
                return "product without %r: %.120r" % (field, product)
            value = product[field]
            if not isinstance(value, kind) or isinstance(value, bool):
                return "product %s is %r" % (field, value)
        if product["id"] <= last_id:
            return "products not in ascending id order (%d after %d)" % (product["id"], last_id)
        last_id = product["id"]
        if not product_matches(product, q):
            return "product %d (%r, %r) does not match q=%r" % (
                product["id"], product["name"], product["category"], q)
    if expect_miss and total != 0:
        return "miss query %r found %d products" % (q, total)
    return None


def check_error(status, body, expected_status=400):
    """Validate an error answer: the status and {"error": "...", "message": "..."}."""
    if status != expected_status:
        return "status %s, expected %d" % (status, expected_status)
    data, err = _parse_json_object(body)
    if err:
        return err
    for key in ("error", "message"):
        if not isinstance(data.get(key), str) or not data[key]:
            return "error body without a non-empty %r string" % key
    if not re.match(r"^[a-z][a-z0-9_]*$", data["error"]):
        return "error code %r is not snake_case" % (data["error"],)
    return None


def check_health(status, body):
    if status != 200:
        return "status %s, expected 200" % status
    data, err = _parse_json_object(body)
    if err:
        return err
    if data.get("status") != "ok":
        return "status field %r, expected 'ok'" % (data.get("status"),)
    if not _is_int(data.get("products")) or data["products"] < 1:
        return "products field %r, expected an integer >= 1" % (data.get("products"),)
    return None


def parse_wait_time(text):
    """Parse WAIT_TIME: "1-2" (uniform between 1 and 2 s) or "0.5" (constant).

    Returns (low, high) in seconds; raises ValueError with a clear message.
    """
    raw = (text or "").strip()
    parts = raw.split("-")
    try:
        if len(parts) == 1:
            low = high = float(parts[0])
        elif len(parts) == 2:
            low, high = float(parts[0]), float(parts[1])
        else:
            raise ValueError
    except ValueError:
        raise ValueError("WAIT_TIME %r is not 'SECONDS' or 'MIN-MAX' (e.g. 1-2)" % raw) from None
    if low < 0 or high < low or high > 3600:
        raise ValueError("WAIT_TIME %r must satisfy 0 <= MIN <= MAX <= 3600" % raw)
    return low, high


def new_rng(seed=None):
    return random.Random(seed)
