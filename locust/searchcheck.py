"""Request mix and response checks for the product-search load test.

Pure Python (no Locust import) so that the unit tests can exercise every
check without a server. The locustfile builds its requests with the
generators below and turns every reason returned by a check into a Locust
failure.

Catalog facts used here come from the generated catalog: brands Alpha..Kappa,
twelve categories, names "Product {brand} {id}", prices 1.00..999.99. With
the default SCAN_LIMIT=100 only ids 1..100 are searched, so every brand and
category query below hits, and the "miss" queries can never match a
generated name.

Search parameters beyond q and limit (offset, sort, category, brand,
min_price, max_price, match, facets, and browsing without q when a filter is
given) are built as a request dict (see feature_path) and their answers are
checked by check_search_request: the answer's shape, the page size after
offset, the order that sort asks for, every filter respected by every
product, the text test (one phrase, or every term with match=all), and the
facets (only the keys asked for, counts ordered by count descending then
value ascending, their sum equal to total_found).
"""

import json
import random
import re
from decimal import Decimal, InvalidOperation
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
MAX_FACET_VALUES = 100
MAX_MATCH_TERMS = 8
SORTS = ("id", "price", "-price")
FACET_KEYS = ("category", "brand")
# the generated catalog's prices: 1.00 + ((i * 7919) % 99900) / 100
MIN_CATALOG_PRICE_CENTS = 100
MAX_CATALOG_PRICE_CENTS = 99999
ASCII_SPACE = " \t\r\n\f\v"

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


# ----------------------------------------------------------------- search features

# Each entry: (short label, query string after "?", the error code). Every one must
# answer 400 with that code.
INVALID_FEATURE_REQUESTS = [
    ("offset -1", "q=alpha&offset=-1", "invalid_offset"),
    ("offset over 1000000", "q=alpha&offset=1000001", "invalid_offset"),
    ("sort name", "q=alpha&sort=name", "invalid_sort"),
    ("empty category value", "q=alpha&category=Books,,Home", "invalid_filter"),
    ("17 brands", "q=alpha&brand=" + ",".join(["Alpha"] * 17), "invalid_filter"),
    ("min_price with 3 decimals", "q=alpha&min_price=1.234", "invalid_price"),
    ("max_price negative", "q=alpha&max_price=-1", "invalid_price"),
    ("min_price above max_price", "q=alpha&min_price=10&max_price=5", "invalid_price"),
    ("match any", "q=alpha&match=any", "invalid_match"),
    ("facets price", "q=alpha&facets=price", "invalid_facets"),
    ("facets category twice", "q=alpha&facets=category,category", "invalid_facets"),
    ("9 terms with match=all", "q=a%20b%20c%20d%20e%20f%20g%20h%20i&match=all", "invalid_query"),
    ("no q and no filter", "sort=price", "missing_query"),
]


def invalid_feature_request(rng):
    return rng.choice(INVALID_FEATURE_REQUESTS)


def _value_list(rng, names, most=3):
    return [mixed_case(v, rng) for v in rng.sample(names, rng.randint(1, most))]


def _price_text(cents):
    """Decimal text as a client writes it: 12, 12.5 or 12.34."""
    text = "%d.%02d" % divmod(cents, 100)
    return text.rstrip("0").rstrip(".") if text.endswith("0") else text


def price_range(rng):
    """(min_price, max_price) text within the catalog's prices; either may be None."""
    low = rng.randint(MIN_CATALOG_PRICE_CENTS, MAX_CATALOG_PRICE_CENTS // 2)
    high = rng.randint(low, MAX_CATALOG_PRICE_CENTS)
    style = rng.randrange(3)
    return (_price_text(low) if style != 2 else None,
            _price_text(high) if style != 1 else None)


def browse_request(rng):
    """No q: a category (or brand) with optional sort and facets (browsing)."""
    request = {"q": None}
    if rng.random() < 0.7:
        request["category"] = _value_list(rng, CATEGORIES, 2)
    else:
        request["brand"] = _value_list(rng, BRANDS, 2)
    if rng.random() < 0.5:
        request["sort"] = rng.choice(SORTS)
    if rng.random() < 0.3:
        request["facets"] = ["brand"]
    return request


def filtered_request(rng):
    """A text query with category, brand and price filters."""
    request = {"q": rng.choice(["Product", "product"] + BRANDS)}
    kind = rng.randrange(4)
    if kind in (0, 3):
        request["category"] = _value_list(rng, CATEGORIES, 4)
    if kind in (1, 3):
        request["brand"] = _value_list(rng, BRANDS, 3)
    if kind in (2, 3) or rng.random() < 0.3:
        request["min_price"], request["max_price"] = price_range(rng)
    return request


def sorted_request(rng):
    """Sorted by price (either way) or id, often with a limit."""
    request = {"q": rng.choice([brand_query, category_query])(rng),
               "sort": rng.choice(SORTS)}
    if rng.random() < 0.5:
        request["limit"] = random_limit(rng)
    return request


def page_request(rng):
    """Page 2, 3, ... of a query: offset a multiple of limit, sometimes past the end."""
    limit = rng.choice([5, 10, 20])
    return {"q": rng.choice(["Product", "product", "e"]), "limit": limit,
            "offset": limit * rng.randint(1, 12), "sort": rng.choice(SORTS)}


def facets_request(rng):
    """Counts per category and/or brand for a query or a browse."""
    request = {"q": rng.choice(["Product", "a", "e"] + BRANDS),
               "facets": rng.choice([["category"], ["brand"], ["category", "brand"],
                                     ["brand", "category"]])}
    if rng.random() < 0.3:
        request["min_price"], request["max_price"] = price_range(rng)
    return request


def match_all_request(rng):
    """All terms must match, each in name or category: "alpha electronics"."""
    terms = [rng.choice(BRANDS), rng.choice(CATEGORIES)]
    if rng.random() < 0.3:
        terms.insert(0, "product")
    rng.shuffle(terms)
    return {"q": mixed_case(" ".join(terms), rng), "match": "all"}


def feature_path(request):
    """URL path + query of a request dict; list values are comma-joined.

    Keys: q (None: browse), limit, offset, sort, category, brand (lists),
    min_price, max_price (decimal text), match, facets (list).
    """
    params = []
    if request.get("q") is not None:
        params.append(("q", request["q"]))
    for key in ("limit", "offset", "sort", "category", "brand", "min_price", "max_price",
                "match", "facets"):
        value = request.get(key)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(value)
        params.append((key, str(value)))
    return "/products/search?" + "&".join(
        "%s=%s" % (k, quote(v, safe=",")) for k, v in params)


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


def ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def check_search(status, body, q, limit, expect_miss=False):
    """Validate a 200 answer to ?q=...[&limit=...]. None when valid, else a reason.

    limit is the effective limit (the one sent, or the service default).
    """
    reason = check_search_request(status, body, {"q": q}, limit)
    if reason is None and expect_miss:
        total = json.loads(body)["total_found"]
        if total != 0:
            return "miss query %r found %d products" % (q, total)
    return reason


def _price_cents(value):
    """A price as integer cents: a JSON number (80.19) or decimal text ("80.19")."""
    return int((Decimal(str(value)) * 100).to_integral_value())


def _terms(q):
    return [t for t in re.split("[%s]+" % re.escape(ASCII_SPACE), q.strip(ASCII_SPACE)) if t]


def text_matches(product, q, match="phrase"):
    """The text test: q (trimmed) is a substring of name or category ignoring ASCII
    case; with match=all every ASCII-blank-separated term is, each in either field."""
    if q is None:
        return True
    haystacks = (ascii_lower(product["name"]), ascii_lower(product["category"]))
    needles = [ascii_lower(t) for t in _terms(q)] if match == "all" \
        else [ascii_lower(q.strip(ASCII_SPACE))]
    return all(any(n in h for h in haystacks) for n in needles)


def _filter_reason(product, request):
    """Why product breaks a filter of request, or None."""
    for field in ("category", "brand"):
        wanted = request.get(field)
        if wanted and ascii_lower(product[field]) not in {ascii_lower(v) for v in wanted}:
            return "product %d has %s %r, filter %s=%s" % (
                product["id"], field, product[field], field, ",".join(wanted))
    cents = _price_cents(product["price"])
    low, high = request.get("min_price"), request.get("max_price")
    if low is not None and cents < _price_cents(low):
        return "product %d price %s below min_price %s" % (product["id"], product["price"], low)
    if high is not None and cents > _price_cents(high):
        return "product %d price %s above max_price %s" % (product["id"], product["price"], high)
    return None


def _sort_key(product, sort):
    if sort == "price":
        return (_price_cents(product["price"]), product["id"])
    if sort == "-price":
        return (-_price_cents(product["price"]), product["id"])
    return (product["id"],)


def _check_facets(data, request, products, total):
    wanted = request.get("facets")
    if not wanted:
        if "facets" in data:
            return "facets in an answer that asked for none"
        return None
    facets = data.get("facets")
    if not isinstance(facets, dict):
        return "facets is %r, expected an object" % (facets,)
    if sorted(facets) != sorted(wanted):
        return "facets keys %s, asked for %s" % (sorted(facets), sorted(wanted))
    for key in wanted:
        entries = facets[key]
        if not isinstance(entries, list):
            return "facets.%s is not a list" % key
        if len(entries) > MAX_FACET_VALUES:
            return "facets.%s has %d values, at most %d" % (key, len(entries), MAX_FACET_VALUES)
        seen = set()
        previous = None
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != {"value", "count"} \
                    or not isinstance(entry["value"], str) or not _is_int(entry["count"]) \
                    or entry["count"] < 1:
                return "facets.%s entry %.80r is not {value: string, count >= 1}" % (key, entry)
            if entry["value"] in seen:
                return "facets.%s lists %r twice" % (key, entry["value"])
            seen.add(entry["value"])
            order = (-entry["count"], entry["value"].encode("utf-8"))
            if previous is not None and order < previous:
                return ("facets.%s not ordered by count descending, then value ascending "
                        "(%r after %r)" % (key, entry["value"], previous[1].decode("utf-8")))
            previous = order
            filt = request.get(key)
            if filt and ascii_lower(entry["value"]) not in {ascii_lower(v) for v in filt}:
                return "facets.%s value %r is outside the filter %s=%s" % (
                    key, entry["value"], key, ",".join(filt))
        counted = sum(entry["count"] for entry in entries)
        if len(entries) < MAX_FACET_VALUES:
            if counted != total:
                return "facets.%s counts sum to %d, total_found is %d" % (key, counted, total)
            for product in products:
                if product[key] not in seen:
                    return "product %d %s %r is missing from facets.%s" % (
                        product["id"], key, product[key], key)
        elif counted > total:
            return "facets.%s counts sum to %d > total_found %d" % (key, counted, total)
    return None


def check_search_request(status, body, request, limit):
    """Validate a 200 search answer to `request` (a dict, see feature_path).

    limit is the effective limit (request["limit"], or the service default).
    Returns None when the answer is valid, else the reason.
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
    offset = request.get("offset") or 0
    sort = request.get("sort") or "id"
    q = request.get("q")
    match = request.get("match") or "phrase"
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
    expected = max(0, min(limit, total - offset))
    if len(products) != expected:
        if offset:
            return "%d products returned, expected min(limit %d, total_found %d - offset %d)" % (
                len(products), limit, total, offset)
        return "%d products returned, expected min(limit %d, total_found %d)" % (
            len(products), limit, total)
    if total > checked:
        return "total_found %d > checked %d" % (total, checked)
    previous = None
    for product in products:
        if not isinstance(product, dict):
            return "product is not an object: %.80r" % (product,)
        for field, kind in PRODUCT_FIELDS.items():
            if field not in product:
                return "product without %r: %.120r" % (field, product)
            value = product[field]
            if not isinstance(value, kind) or isinstance(value, bool):
                return "product %s is %r" % (field, value)
        key = _sort_key(product, sort)
        if previous is not None and key <= previous[0]:
            if sort == "id":
                return "products not in ascending id order (%d after %d)" % (
                    product["id"], previous[1]["id"])
            return "products not in sort=%s order (id %d, price %s after id %d, price %s)" % (
                sort, product["id"], product["price"], previous[1]["id"], previous[1]["price"])
        previous = (key, product)
        if not text_matches(product, q, match):
            return "product %d (%r, %r) does not match q=%r%s" % (
                product["id"], product["name"], product["category"], q,
                " (match=all)" if match == "all" else "")
        reason = _filter_reason(product, request)
        if reason:
            return reason
    return _check_facets(data, request, products, total)


def check_error(status, body, expected_status=400, expected_code=None):
    """Validate an error answer: the status and {"error": "...", "message": "..."}
    (and the error code, when expected_code is given)."""
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
    if expected_code and data["error"] != expected_code:
        return "error %r, expected %r" % (data["error"], expected_code)
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
