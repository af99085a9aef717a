#!/usr/bin/env python3
"""openapi_check: the live service against its OpenAPI document.

Usage: tests/openapi_check.py [path/to/product-search]
       (default: $PRODUCT_SEARCH_BIN, else build/product-search)

Checks docs/openapi.json itself (JSON, 2-space canonical form, OpenAPI 3
shape, every $ref resolves, every schema valid, every example valid), then
starts the server on 127.0.0.1 with PORT=0 and sends live requests to every
route with every error code the service can be made to answer. Each answer's
status, Content-Type and body are checked against the document (the schema of
that route, method and status, with $refs resolved), and search answers
against a plain reference scan written here from the catalog's rules. HEAD
answers must carry no body; 405 answers carry `Allow: GET, HEAD`;
GET /openapi.json must equal docs/openapi.json byte for byte, GET / (the search
page) ui/index.html, and a header the document gives a pattern (the page's
Content-Security-Policy) must match it. A second server, with UI=off (so / is
an unknown path), loads a file catalog with awkward values (facet cap,
exact-bytes grouping, ties, sparse ids) and is then stopped with SIGTERM to see
/health answer 503. Two more load the example catalog
(docs/examples/catalog.jsonl), one over the whole catalog (the index) and one
with a bounded window (the scan), and answer hand-picked and random typo
requests (`typos=1|2`: misspelt words, non-ASCII and punctuation-joined ones,
every other parameter mixed in), each checked against the reference, which
implements the typo rule literally (the optimal-string-alignment distance to
every word of the listed fields).

Needs only Python 3 and python3-jsonschema (Debian 12: 4.10). Prints one line
per check, then `N passed, M failed`; exit status 1 when any check failed,
2 when the server cannot be started.
"""
import functools
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from urllib.parse import quote


def die(message):
    """Stops before any check could run: exit status 2."""
    print(f"openapi_check: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import jsonschema
except ImportError:
    die("python3-jsonschema is missing (apt-get install python3-jsonschema)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_PATH = os.path.join(ROOT, "docs", "openapi.json")

PRODUCT_COUNT = 1000  # the generated catalog of the main server
ERROR_CODES = [
    "missing_query", "invalid_query", "invalid_limit", "invalid_offset", "invalid_sort",
    "invalid_filter", "invalid_price", "invalid_match", "invalid_facets", "invalid_fields",
    "invalid_highlight", "invalid_typos", "duplicate_parameter",
    "invalid_id", "product_not_found", "not_found", "method_not_allowed", "body_too_large",
    "bad_request", "header_too_large", "internal_error", "starting",
]
ROUTES = ["/products/search", "/products/{id}", "/health", "/metrics", "/openapi.json", "/"]
# the parameters /products/search reads (src/query.c); the document declares each
SEARCH_PARAMS = ["q", "limit", "offset", "sort", "category", "brand", "min_price", "max_price",
                 "match", "facets", "fields", "highlight", "typos"]
ASCII_WS = " \t\n\v\f\r"


# ---- results ----

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        """Counts one check; prints `ok   name` or `FAIL name: detail`."""
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")
        return ok


R = Results()


# ---- the document ----

def strict_json(text):
    """Parses JSON with exact decimals; a repeated key is an error."""
    def pairs(items):
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError(f"repeated key in {keys}")
        return dict(items)
    return json.loads(text, parse_float=Decimal, object_pairs_hook=pairs)


def pointer(doc, ref):
    """The node a local $ref ("#/a/b") names; KeyError when it does not resolve."""
    if not ref.startswith("#/"):
        raise KeyError(f"{ref}: only local references are used")
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(doc, node, seen=()):
    """A copy of node with every $ref replaced by its target, recursively."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise KeyError(f"{ref}: circular reference")
            return deref(doc, pointer(doc, ref), seen + (ref,))
        return {k: deref(doc, v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(doc, v, seen) for v in node]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def schema_errors(schema, instance):
    """Validation messages (empty when the instance is valid). OpenAPI 3.0
    schemas are a JSON Schema draft 4 dialect; `example` is ignored."""
    validator = jsonschema.Draft4Validator(schema)
    try:
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in validator.iter_errors(instance)]
    except (TypeError, ValueError, jsonschema.exceptions.SchemaError) as e:
        return [f"the schema cannot be applied ({e})"]


def check_document(raw):
    """Checks the document itself; returns it parsed (exact decimals), or None."""
    try:
        text = raw.decode("utf-8")
        doc = strict_json(text)
        canonical = json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    except (UnicodeDecodeError, ValueError) as e:
        R.check("document: UTF-8 JSON without repeated keys", False, str(e))
        return None
    R.check("document: UTF-8 JSON without repeated keys", True)
    R.check("document: canonical form (2-space indent, one final newline)", canonical == text,
            "reformat with json.dumps(doc, indent=2, ensure_ascii=False)")
    version = doc.get("openapi", "")
    R.check("document: OpenAPI 3.0.x or 3.1.x with info, paths, components",
            re.fullmatch(r"3\.[01]\.[0-9]+", str(version)) is not None
            and isinstance(doc.get("info"), dict) and "title" in doc["info"]
            and "version" in doc["info"] and isinstance(doc.get("paths"), dict)
            and isinstance(doc.get("components"), dict), f"openapi={version!r}")
    bad = []
    for ref in sorted(set(all_refs(doc))):
        try:
            deref(doc, {"$ref": ref})
        except (KeyError, IndexError, ValueError) as e:
            bad.append(f"{ref} ({e})")
    R.check("document: every $ref resolves", not bad, ", ".join(bad))
    if bad:
        return None
    full = deref(doc, doc)
    missing = [f"{m.upper()} {p}" for p in ROUTES for m in ("get", "head")
               if m not in full["paths"].get(p, {})]
    R.check("document: GET and HEAD on every route", not missing, ", ".join(missing))
    extra = [m.upper() + " " + p for p, item in full["paths"].items() for m in item
             if m not in ("get", "head", "parameters", "summary", "description")]
    R.check("document: no method besides GET and HEAD", not extra, ", ".join(extra))
    problems = []
    op_ids = []
    for p, item in full["paths"].items():
        for m, op in item.items():
            if m not in ("get", "head"):
                continue
            op_ids.append(op.get("operationId"))
            declared = {q["name"] for q in op.get("parameters", []) if q["in"] == "path"}
            if declared != set(re.findall(r"\{([^}]+)\}", p)):
                problems.append(f"{m} {p}: path parameters {sorted(declared)}")
            if not op.get("responses"):
                problems.append(f"{m} {p}: no responses")
            for status, resp in op.get("responses", {}).items():
                if "description" not in resp:
                    problems.append(f"{m} {p} {status}: no description")
                if m == "head" and "content" in resp:
                    problems.append(f"head {p} {status}: a HEAD answer has no body")
    R.check("document: operations well formed (unique operationIds, path parameters, "
            "responses with descriptions, HEAD without content)",
            not problems and len(op_ids) == len(set(op_ids)) and None not in op_ids,
            "; ".join(problems) or f"operationIds {op_ids}")
    for m in ("get", "head"):
        declared = [q["name"] for q in full["paths"]["/products/search"][m].get("parameters", [])]
        R.check(f"document: {m.upper()} /products/search declares every parameter the service "
                "reads",
                sorted(declared) == sorted(SEARCH_PARAMS),
                f"missing {sorted(set(SEARCH_PARAMS) - set(declared))}, "
                f"extra {sorted(set(declared) - set(SEARCH_PARAMS))}")
    enum = full["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    R.check("document: the error schema's code enum is exactly the service's codes",
            sorted(enum) == sorted(ERROR_CODES),
            f"missing {sorted(set(ERROR_CODES) - set(enum))}, extra {sorted(set(enum) - set(ERROR_CODES))}")
    # every schema is a valid draft-4 schema, every example valid against its schema
    schemas, examples = [], []

    def walk(node, where):
        if isinstance(node, dict):
            if isinstance(node.get("schema"), dict):
                schemas.append((where, node["schema"]))
                if "example" in node:
                    examples.append((where, node["schema"], node["example"]))
                for name, ex in node.get("examples", {}).items():
                    examples.append((f"{where}/examples/{name}", node["schema"], ex["value"]))
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")
    walk(full, "#")
    for name, s in full["components"]["schemas"].items():
        schemas.append((f"#/components/schemas/{name}", s))
        if "example" in s:
            examples.append((f"#/components/schemas/{name}", s, s["example"]))
    bad = []
    for where, s in schemas:
        try:
            jsonschema.Draft4Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            bad.append(f"{where}: {e.message}")
    R.check(f"document: all {len(schemas)} schemas are valid JSON Schema", not bad, "; ".join(bad[:5]))
    bad = []
    for where, s, ex in examples:
        errs = schema_errors(s, ex)
        if errs:
            bad.append(f"{where}: {errs[0]}")
    R.check(f"document: all {len(examples)} examples match their schemas", not bad, "; ".join(bad[:5]))
    codes_in_examples = set()
    for _, _, ex in examples:
        if isinstance(ex, dict) and set(ex) == {"error", "message"}:
            codes_in_examples.add(ex["error"])
    R.check("document: an example for the codes no live request can cause (internal_error)",
            "internal_error" in codes_in_examples, f"examples show {sorted(codes_in_examples)}")
    return full


# ---- HTTP over a raw socket (so HEAD bodies and framing are seen as sent) ----

class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return values[0] if len(values) == 1 else (None if not values else values)

    def __repr__(self):
        return f"{self.status} {self.header('content-type')} {self.body[:160]!r}"


def exchange(port, data, timeout=5.0):
    """Sends raw bytes, reads until the server closes; parses one answer.
    Returns None when nothing parseable came back."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return None
    out = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    head, sep, rest = out.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0] + " ")
    if not m:
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Answer(int(m.group(1)), headers, rest)


def request(port, method, target, extra_headers="", body=b""):
    head = (f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"{extra_headers}\r\n")
    return exchange(port, head.encode("latin-1") + body)


def query(**params):
    """A query string from (name, value) pairs; values percent-encoded as
    bytes, lists give repeated parameters."""
    parts = []
    for name, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            raw = v if isinstance(v, bytes) else str(v).encode("utf-8")
            parts.append(f"{name}={quote(raw, safe='')}")
    return "&".join(parts)


# ---- answers against the document ----

def documented_response(doc, route, method, status):
    if route is None:
        return doc["components"]["responses"]["NotFound"] if status == 404 else None
    return doc["paths"][route][method.lower()]["responses"].get(str(status))


def conforms(doc, name, ans, route, method, want_status, want_code=None):
    """One check: the answer has the wanted status and error code, and its
    Content-Type, headers and body are those the document gives for that
    route, method and status. Returns the parsed body, or None when the
    check failed (so that later checks do not read a wrong answer)."""
    if ans is None:
        R.check(name, False, "no answer (connection closed without a response)")
        return None
    problems = []
    parsed = None
    if ans.status != want_status:
        problems.append(f"status {ans.status}, want {want_status}")
    resp = documented_response(doc, route, method, ans.status)
    if resp is None:
        problems.append(f"status {ans.status} is not documented for {method} {route or 'unknown paths'}")
    else:
        allow = resp.get("headers", {}).get("Allow")
        if allow is not None and ans.header("allow") not in allow["schema"]["enum"]:
            problems.append(f"Allow {ans.header('allow')!r}, want one of {allow['schema']['enum']}")
        for header, h in resp.get("headers", {}).items():
            pattern = h.get("schema", {}).get("pattern")
            if header in ("Allow", "X-Catalog-Version") or pattern is None:
                continue
            value = ans.header(header.lower())
            if value is None or not re.search(pattern, value):
                problems.append(f"{header} {value!r}, want {pattern}")
        if "X-Catalog-Version" in resp.get("headers", {}):
            pattern = doc["components"]["headers"]["CatalogVersion"]["schema"]["pattern"]
            version = ans.header("x-catalog-version")
            if version is None or not re.fullmatch(pattern, version):
                problems.append(f"X-Catalog-Version {version!r}, want {pattern}")
        content = resp.get("content")
        ctype = ans.header("content-type")
        if method == "HEAD":
            if ans.body:
                problems.append(f"HEAD answer has a body of {len(ans.body)} bytes")
        elif content:
            if ctype not in content:
                problems.append(f"Content-Type {ctype!r}, want one of {sorted(content)}")
            else:
                cl = ans.header("content-length")
                if cl is not None and cl != str(len(ans.body)):
                    problems.append(f"Content-Length {cl} but {len(ans.body)} body bytes")
                schema = content[ctype]["schema"]
                try:
                    text = ans.body.decode("utf-8")
                    parsed = strict_json(text) if ctype == "application/json" else text
                    problems += schema_errors(schema, parsed)
                except (UnicodeDecodeError, ValueError) as e:
                    problems.append(f"body is not {ctype}: {e}")
    if want_code is not None and method != "HEAD":
        got = parsed.get("error") if isinstance(parsed, dict) else None
        if got != want_code:
            problems.append(f"error {got!r}, want {want_code!r}")
    ok = R.check(name, not problems, "; ".join(problems) + f" [{ans!r}]")
    return parsed if ok else None


# ---- the reference scan (the catalog's and the search's rules, product by product) ----

BRANDS = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa"]
CATEGORIES = ["Electronics", "Books", "Home", "Sports", "Clothing", "Toys", "Garden", "Food",
              "Health", "Automotive", "Beauty", "Office"]
ADJECTIVES = ["Durable", "Compact", "Premium", "Classic", "Lightweight", "Smart", "Handcrafted",
              "Eco-friendly"]


def generated_catalog(n):
    out = []
    for i in range(1, n + 1):
        b, c = BRANDS[(i - 1) % 10], CATEGORIES[(i - 1) % 12]
        out.append({"id": i, "name": f"Product {b} {i}", "category": c,
                    "description": f"{ADJECTIVES[(i - 1) % 8]} {c.lower()} item by {b}.",
                    "brand": b, "cents": 100 + (i * 7919) % 99900})
    return out


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def alower(s):
    return s.translate(_LOWER)


def cents_of(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


_BLOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") | \
    frozenset(range(0x80, 0x100))


def placement(p, fields, term):
    """A term's best placement in product p: the least 4 * field index + class
    (whole 0, word 1, prefix 2, infix 3) over every occurrence, or None."""
    best = None
    for i, field in enumerate(fields):
        s = lowered(p, field)
        at = -1
        while True:
            at = s.find(term, at + 1)
            if at < 0:
                break
            end = at + len(term)
            starts = at == 0 or s[at - 1] not in WORD_BYTES or term[0] not in WORD_BYTES
            ends = end == len(s) or s[end] not in WORD_BYTES or term[-1] not in WORD_BYTES
            cls = 0 if at == 0 and end == len(s) else 1 if starts and ends else 2 if starts else 3
            best = 4 * i + cls if best is None else min(best, 4 * i + cls)
    return best


_LOWERED = {}


def lowered(p, field):
    """Field of p as UTF-8 bytes, ASCII lower-cased (kept: fields are read often)."""
    key = (id(p), field)
    if key not in _LOWERED:
        _LOWERED[key] = (p, p[field].encode("utf-8").translate(_BLOWER))
    return _LOWERED[key][1]


WORD = re.compile(rb"[A-Za-z0-9\x80-\xff]+")


def words(p, field):
    """The words of a field (maximal runs of word bytes) as (start, end, bytes)."""
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(lowered(p, field))]


@functools.lru_cache(maxsize=None)
def osa(a, b):
    """The optimal-string-alignment distance between two byte strings, read off
    the definition: insertions, deletions, substitutions, transpositions of two
    adjacent bytes, no substring edited twice. The whole table, plainly."""
    d = [[i + j if i == 0 or j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            v = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, d[i - 2][j - 2] + 1)
            d[i][j] = v
    return d[len(a)][len(b)]


def allowance(term, typos):
    """Typos a term (lower-cased bytes) may use: none with an ASCII digit, a
    byte that is not a word byte, or under 4 bytes; min(typos, 1) from 4 bytes,
    min(typos, 2) from 8."""
    if any(b in b"0123456789" or b not in WORD_BYTES for b in term):
        return 0
    return min(typos, 2 if len(term) >= 8 else 1 if len(term) >= 4 else 0)


def term_match(p, fields, term, typos):
    """How a term matches p: (typos used, placement), or None. An occurrence
    costs no typo; else the least distance d from the term to a word of a
    listed field, within the allowance, placed as a word (class 1) in the
    first field holding a word at distance d."""
    place = placement(p, fields, term)
    if place is not None:
        return 0, place
    allowed = allowance(term, typos)
    best = None
    for i, field in enumerate(fields):
        for _, _, w in words(p, field) if allowed else []:
            if abs(len(w) - len(term)) <= allowed:
                d = osa(term, w)
                if d <= allowed and (best is None or d < best[0]):
                    best = (d, 4 * i + 1)
    return best


def highlight(p, fields, terms, typos=0):
    """docs/api.md's highlight of p: per field, each term's occurrences left to
    right without overlap (for a term matched with d typos, the words of the
    field at distance d), merged where they touch or overlap."""
    used = [term_match(p, fields, t, typos)[0] if typos else 0 for t in terms or []]
    out = {}
    for field in fields:
        s = lowered(p, field)
        spans = []
        for t, d in zip(terms or [], used):
            if d > 0:
                spans += [[a, b] for a, b, w in words(p, field) if osa(t, w) == d]
                continue
            at = s.find(t)
            while at >= 0:
                spans.append([at, at + len(t)])
                at = s.find(t, at + len(t))
        merged = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        if merged:
            out[field] = merged
    return out


def reference(catalog, scan_limit, params):
    """The answer (without timings) a request must get, evaluated in the
    documented order: window, text test, filters, sort, offset, limit."""
    window = catalog[:len(catalog) if scan_limit == 0 else min(scan_limit, len(catalog))]
    q = params.get("q")
    typos = int(params.get("typos", 0))
    terms = None
    if q is not None:
        q = q.strip(ASCII_WS)
        terms = ([t for t in re.split(r"[ \t\n\v\f\r]+", q) if t]
                 if params.get("match") == "all" or typos > 0 else [q])
        terms = [alower(t).encode("utf-8") for t in terms]
    fields = params.get("fields", "name,category").split(",")
    cats = [alower(v) for v in params["category"].split(",")] if "category" in params else None
    brands = [alower(v) for v in params["brand"].split(",")] if "brand" in params else None
    lo = cents_of(params["min_price"]) if "min_price" in params else None
    hi = cents_of(params["max_price"]) if "max_price" in params else None
    found, score = [], {}
    for p in window:
        matches = [term_match(p, fields, t, typos) for t in terms or []]
        if None in matches:
            continue
        # the relevance key: typos first, then the placements' sum
        score[p["id"]] = (sum(m[0] for m in matches), sum(m[1] for m in matches))
        if cats is not None and alower(p["category"]) not in cats:
            continue
        if brands is not None and alower(p["brand"]) not in brands:
            continue
        if (lo is not None and p["cents"] < lo) or (hi is not None and p["cents"] > hi):
            continue
        found.append(p)
    sort = params.get("sort", "id")
    if sort == "price":
        found.sort(key=lambda p: (p["cents"], p["id"]))
    elif sort == "-price":
        found.sort(key=lambda p: (-p["cents"], p["id"]))
    elif sort == "relevance":
        found.sort(key=lambda p: (score[p["id"]], p["id"]))
    offset = int(params.get("offset", 0))
    limit = int(params.get("limit", 20))
    listed = [public(p) for p in found[offset:offset + limit]]
    if params.get("highlight") == "true":
        for shown, p in zip(listed, found[offset:offset + limit]):
            shown["highlight"] = highlight(p, fields, terms, typos)
    ans = {"products": listed,
           "total_found": len(found), "checked": len(window)}
    if "facets" in params:
        ans["facets"] = {}
        for key in params["facets"].split(","):
            counts = {}
            for p in found:
                counts[p[key]] = counts.get(p[key], 0) + 1
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].encode("utf-8")))
            ans["facets"][key] = [{"value": v, "count": n} for v, n in ordered[:100]]
    return ans


def public(p):
    """A product as the service writes it (fields in order, price in cents / 100)."""
    return {"id": p["id"], "name": p["name"], "category": p["category"],
            "description": p["description"], "brand": p["brand"],
            "price": Decimal(p["cents"]) / 100}


def render_seed(ans):
    """The exact bytes of an answer without facets, up to search_time."""
    def product(p):
        cents = int(p["price"] * 100)
        fields = [f'"id":{p["id"]}'] + [
            f'"{k}":{json.dumps(p[k], ensure_ascii=False)}'
            for k in ("name", "category", "description", "brand")]
        return "{" + ",".join(fields) + f',"price":{cents // 100}.{cents % 100:02d}' + "}"
    return ('{"products":[' + ",".join(product(p) for p in ans["products"]) + "]"
            f',"total_found":{ans["total_found"]},"checked":{ans["checked"]}')


PRODUCT_FIELDS = ["id", "name", "category", "description", "brand", "price"]
TIMES = re.compile(r',"search_time":"[^"]*","search_time_ns":[0-9]+')
PRICE_TEXT = re.compile(r'"price":[0-9]+\.[0-9]{2}[,}]')


def search_matches(doc, name, port, catalog, scan_limit, params, seed=False):
    """One request to /products/search: conforms to the document, and equals
    the reference answer (byte for byte up to the timings when seed)."""
    ans = request(port, "GET", "/products/search?" + query(**params))
    body = conforms(doc, name + ": status, type, schema", ans, "/products/search", "GET", 200)
    if body is None:
        R.check(name + ": equals the reference scan", False, "no valid 200 answer to compare")
        return None
    want = reference(catalog, scan_limit, params)
    got = {k: body.get(k) for k in want}
    problems = []
    if got != want:
        for k in want:
            if got[k] != want[k]:
                problems.append(f"{k}: got {str(got[k])[:300]}, want {str(want[k])[:300]}")
    if "facets" not in params and "facets" in body:
        problems.append("facets present but not asked for")
    fields_written = PRODUCT_FIELDS + (["highlight"] if params.get("highlight") == "true" else [])
    orders = [list(p) for p in body["products"] if list(p) != fields_written]
    if orders:
        problems.append(f"product fields out of order: {orders[0]}")
    text = ans.body.decode("utf-8")
    if text.count('"price":') != len(PRICE_TEXT.findall(text)):
        problems.append("a price is not written with exactly two decimals")
    if seed:
        masked = TIMES.sub("", text)
        if masked != render_seed(want) + "}":
            problems.append(f"bytes differ from the classic answer: {masked[:200]}")
        elif not TIMES.search(text) or not text.endswith("}"):
            problems.append("search_time/search_time_ns not last")
    R.check(name + ": equals the reference scan", not problems, "; ".join(problems))
    return body


# ---- the server ----

class Server:
    def __init__(self, binary, env):
        self.log = tempfile.TemporaryFile()
        full = dict(os.environ, PORT="0", BIND="127.0.0.1", THREADS="2")
        for k in ("SCAN_LIMIT", "MAX_RESULTS", "PRODUCTS_FILE", "DRAIN_S", "ACCESS_LOG", "UI"):
            full.pop(k, None)
        full.update(env)
        self.proc = subprocess.Popen([binary], env=full, stdout=subprocess.PIPE,
                                     stderr=self.log)
        self.port = None
        line = b""
        for _ in range(3):  # a small whole catalog's index_ready line may come first
            line = self.proc.stdout.readline()
            try:
                start = json.loads(line)
                if start.get("event") == "start":
                    self.port = int(start["port"])
                    break
            except ValueError:
                break
        # a whole catalog answers searches once its index is in: /health 200
        for _ in range(6000):
            ans = request(self.port, "GET", "/health") if self.port else None
            if ans is None or ans.status == 200:
                break
            time.sleep(0.01)
        if self.port is None:
            self.stop()
            self.log.seek(0)
            die(f"{binary} did not start: {line!r} "
                f"{self.log.read().decode('utf-8', 'replace')[:500]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# ---- the live checks ----

def check_static_routes(doc, raw_doc, port):
    with open(os.path.join(ROOT, "ui", "index.html"), "rb") as f:
        page = f.read()
    for target in ("/", "/?q=lamp&category=Home", "http://127.0.0.1"):
        ans = request(port, "GET", target)
        conforms(doc, f"GET {target} (the search page)", ans, "/", "GET", 200)
        R.check(f"GET {target} is ui/index.html byte for byte", ans is not None and ans.body == page,
                f"{len(ans.body) if ans else 0} bytes served, {len(page)} in the file")
    ans = request(port, "GET", "/openapi.json")
    conforms(doc, "GET /openapi.json", ans, "/openapi.json", "GET", 200)
    R.check("GET /openapi.json equals docs/openapi.json byte for byte",
            ans is not None and ans.body == raw_doc,
            f"{len(ans.body) if ans else 0} bytes served, {len(raw_doc)} in the file")
    body = conforms(doc, "GET /health", request(port, "GET", "/health"), "/health", "GET", 200)
    R.check("GET /health counts the catalog", body == {"status": "ok", "products": PRODUCT_COUNT},
            f"{body}")
    ans = request(port, "GET", "/metrics")
    text = conforms(doc, "GET /metrics", ans, "/metrics", "GET", 200)
    sample = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})?'
                        r' (-?[0-9.]+([eE][-+]?[0-9]+)?|[-+]Inf|NaN)( -?[0-9]+)?')
    bad = [ln for ln in (text or "").split("\n")[:-1]
           if not (re.fullmatch(r"# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*", ln) or sample.fullmatch(ln))]
    families = ["product_search_requests_total{", "product_search_request_duration_seconds_bucket{",
                "product_search_request_duration_seconds_sum{",
                "product_search_request_duration_seconds_count{",
                "product_search_requests_in_flight ", f"product_search_products_loaded {PRODUCT_COUNT}\n",
                "product_search_build_info{"]
    missing = [f for f in families if f not in (text or "")]
    R.check("GET /metrics is Prometheus text with every documented family",
            text is not None and text.endswith("\n") and not bad and not missing,
            f"bad lines {bad[:3]}, missing {missing}")


def check_heads(doc, port):
    """HEAD gives GET's status and headers with no body."""
    cases = [("/products/search?q=alpha", "/products/search", 200, False),
             ("/products/search?q=alpha&facets=category,brand", "/products/search", 200, False),
             ("/products/1", "/products/{id}", 200, True), ("/health", "/health", 200, True),
             ("/metrics", "/metrics", 200, False), ("/openapi.json", "/openapi.json", 200, True),
             ("/", "/", 200, True),
             ("/products/search", "/products/search", 400, True),
             ("/products/search?q=a&limit=0", "/products/search", 400, True),
             ("/products/0", "/products/{id}", 400, True),
             ("/products/1001", "/products/{id}", 404, True), ("/nope", None, 404, True)]
    for target, route, status, same_length in cases:
        get = request(port, "GET", target)
        head = request(port, "HEAD", target)
        if get is None or head is None:
            R.check(f"HEAD {target}", False, "no answer")
            continue
        conforms(doc, f"HEAD {target} -> {status}, no body", head, route, "HEAD", status)
        problems = []
        if head.status != get.status:
            problems.append(f"status HEAD {head.status}, GET {get.status}")
        for h in ("content-type", "allow", "x-content-type-options"):
            if head.header(h) != get.header(h):
                problems.append(f"{h}: HEAD {head.header(h)!r}, GET {get.header(h)!r}")
        if head.header("content-length") is None:
            problems.append("no Content-Length")
        elif same_length and head.header("content-length") != get.header("content-length"):
            problems.append(f"Content-Length HEAD {head.header('content-length')}, "
                            f"GET {get.header('content-length')}")
        R.check(f"HEAD {target}: the headers GET gets", not problems, "; ".join(problems))


def check_search(doc, port, catalog):
    seed = [dict(q="alpha", limit="2"), dict(q="product"), dict(q="zzz-none"),
            dict(q="ELECTRONICS", limit="100"), dict(q=" \tbeta\n"), dict(q="kappa 10"),
            dict(q="ok", limit="1"), dict(q="o", limit="100"), dict(q="Product Alpha 1")]
    for p in seed:
        search_matches(doc, f"search {query(**p)} (classic)", port, catalog, 100, p, seed=True)
    seed_unknown = dict(Q="x", LIMIT="7", Limit="1", q="alpha", limit="2", foo="bar")
    search_matches(doc, "search with unknown and differently-cased names (ignored)", port, catalog,
                   100, seed_unknown, seed=True)
    features = [
        dict(q="product", sort="id"), dict(q="product", sort="price", limit="10"),
        dict(q="product", sort="-price", limit="10"), dict(q="alpha", sort="price"),
        dict(q="product", offset="95"), dict(q="product", offset="100"),
        dict(q="product", offset="1000000", limit="100"), dict(q="product", offset="0", limit="5"),
        dict(q="product", sort="-price", offset="3", limit="4"),
        dict(q="alpha", facets="category,brand"), dict(q="alpha", facets="brand"),
        dict(q="alpha", facets="category", limit="1"), dict(q="zzz-none", facets="brand,category"),
        dict(q="product", limit="100", facets="category,brand"),
        dict(q="product", category="books"), dict(q="product", category="BOOKS,electronics,Nope"),
        dict(q="product", brand="alpha,Beta", sort="-price"), dict(category="books"),
        dict(brand="kappa", facets="category"), dict(min_price="100", max_price="300"),
        dict(min_price="999.99"), dict(max_price="10000000", limit="3"),
        dict(min_price="0", max_price="0"), dict(min_price="80.19", max_price="80.19"),
        dict(min_price="0.5", max_price="150.5", sort="price", facets="brand"),
        dict(q="alpha electronics", match="all"), dict(q="alpha electronics", match="phrase"),
        dict(q="books  beta", match="all"), dict(q=" product\tkappa ", match="all"),
        dict(q="a a a a a a a a", match="all"), dict(q="alpha", match="all"),
        dict(q="product", match="all", category="books,home", brand="beta,gamma,delta",
             min_price="50", max_price="900", sort="price", offset="1", limit="3",
             facets="brand,category"),
        dict(q="alpha", sort="relevance"), dict(q="1", sort="relevance", limit="100"),
        dict(q="alpha", fields="brand", highlight="true"),
        dict(q="a", fields="description,name", sort="relevance", highlight="true", limit="30"),
        dict(q="item alpha", match="all", fields="description", sort="relevance",
             highlight="true"),
        dict(q="product", sort="relevance", highlight="false", offset="40"),
        dict(q="e", fields="name,brand,category,description", sort="relevance", highlight="true",
             facets="category", category="books,toys", limit="50"),
        dict(category="books", sort="relevance", highlight="true"),
        # typos: misspelt words of names, categories, descriptions and brands
        dict(q="electroincs", typos="1"), dict(q="electroincs", typos="0"),
        dict(q="electroincs", typos="1", match="phrase", facets="category,brand"),
        dict(q="prodcut", typos="1", sort="relevance", highlight="true", limit="5"),
        dict(q="alpah electroincs", typos="1", sort="relevance", highlight="true"),
        dict(q="alpah", typos="2", sort="relevance"), dict(q="alpah"),
        dict(q="gamam", fields="brand", typos="1", facets="category,brand"),
        dict(q="durabel itme", fields="description,name", typos="2", sort="relevance",
             highlight="true", limit="50"),
        dict(q="prodcut alpah 1", typos="1", sort="relevance", highlight="true"),
        dict(q="kappa 10", typos="1"), dict(q="kappa 10"),
        dict(q="electornics", typos="1", category="electronics", min_price="100", sort="-price"),
        dict(q="elctronics", typos="1", sort="relevance", offset="3", limit="2"),
        dict(q="bty", typos="2"), dict(q="bety", typos="2", fields="name,brand"),
        dict(q="lightwieght eletcronics", typos="2", fields="description", sort="relevance",
             highlight="true", facets="brand"),
        dict(q="electronics", typos="2", sort="relevance", limit="100"),
        dict(q="beta", typos="1", sort="relevance", limit="30", highlight="true"),
        dict(q="a b c d e f g h", typos="1"), dict(category="books", typos="2", sort="relevance"),
    ]
    for p in features:
        body = search_matches(doc, f"search {query(**p)}", port, catalog, 100, p)
        if "facets" in p:
            got = sorted((body or {}).get("facets", {}))
            R.check(f"search {query(**p)}: facets hold only the requested keys",
                    got == sorted(p["facets"].split(",")), f"{got}")
    # a product answer equals the product in search results
    hit = request(port, "GET", "/products/search?q=Product%20Alpha%2011&limit=1")
    one = request(port, "GET", "/products/11")
    conforms(doc, "GET /products/11", one, "/products/{id}", "GET", 200)
    R.check("GET /products/11 is byte for byte the product in search results",
            hit is not None and one is not None and hit.body.startswith(b'{"products":[' + one.body + b"]"),
            f"{one.body if one else None!r}")
    for pid in (1, 500, PRODUCT_COUNT):
        body = conforms(doc, f"GET /products/{pid} (whole catalog, beyond the scan window)",
                        request(port, "GET", f"/products/{pid}"), "/products/{id}", "GET", 200)
        R.check(f"GET /products/{pid}: the catalog's product", body == public(catalog[pid - 1]),
                f"{body}")


def check_errors(doc, port):
    s = "/products/search"

    def bad(params, code, status=400, note=""):
        target = s + ("?" + query(**params) if params else "")
        conforms(doc, f"GET {target}{note} -> {status} {code}", request(port, "GET", target),
                 s, "GET", status, code)

    bad({}, "missing_query")
    bad(dict(Q="alpha"), "missing_query", note=" (names are exact)")
    bad(dict(limit="5"), "missing_query")
    bad(dict(facets="category"), "missing_query", note=" (facets is not a filter)")
    bad(dict(sort="price", offset="1", match="all"), "missing_query")
    for q in ["", "  \t", b"\xff", b"\xc3\x28", b"a\x00b", "x" * 257]:
        bad(dict(q=q), "invalid_query")
    bad(dict(q=" ", category="books"), "invalid_query", note=" (blank q with a filter)")
    bad(dict(q="a b c d e f g h i", match="all"), "invalid_query", note=" (9 terms)")
    for v in ["0", "101", "-1", "abc", "5x", "", "1.5", "+5"]:
        bad(dict(q="alpha", limit=v), "invalid_limit")
    for v in ["-1", "1000001", "abc", "", "1.5", "+1", "1e3"]:
        bad(dict(q="alpha", offset=v), "invalid_offset")
    for v in ["name", "+price", "price,id", "", "id,price", "desc", "Relevance", "score"]:
        bad(dict(q="alpha", sort=v), "invalid_sort")
    for v in ["", "Name", "name,name", "name,", ",name", "price", "name brand",
              "name,brand,category,description,name"]:
        bad(dict(q="alpha", fields=v), "invalid_fields")
    for v in ["", "True", "yes", "1", "on"]:
        bad(dict(q="alpha", highlight=v), "invalid_highlight")
    for v in ["3", "-1", "01", "", "one", "1.0", " 1", "2 ", "true", "+1"]:
        bad(dict(q="alpha", typos=v), "invalid_typos")
    conforms(doc, f"GET {s}?q=alpha&typos (no value) -> 400 invalid_typos",
             request(port, "GET", s + "?q=alpha&typos"), s, "GET", 400, "invalid_typos")
    bad(dict(q="a b c d e f g h i", typos="1"), "invalid_query", note=" (9 terms with typos)")
    long_list = ",".join(f"c{i}" for i in range(17))
    for key in ("category", "brand"):
        for v in ["", ",", "books,", ",books", "books,,home", long_list, "x" * 65, b"\xff",
                  b"bo\x00oks"]:
            bad({"q": "alpha", key: v}, "invalid_filter")
    bad(dict(category=""), "invalid_filter", note=" (no q)")
    for key in ("min_price", "max_price"):
        for v in ["-1", "+1", "1e3", "1.234", "abc", "", "10000000.01", "1,5", "0x10", "1 000"]:
            bad({"q": "alpha", key: v}, "invalid_price")
    bad(dict(min_price="10", max_price="5"), "invalid_price", note=" (min above max)")
    bad(dict(q="alpha", min_price="10.01", max_price="10"), "invalid_price", note=" (min above max)")
    for v in ["any", "", "phrase,all", "exact"]:
        bad(dict(q="alpha", match=v), "invalid_match")
    for v in ["color", "category,category", "brand,brand", "category,", "", "category,brand,category",
              "price"]:
        bad(dict(q="alpha", facets=v), "invalid_facets")
    for dup in [dict(q=["alpha", "beta"]), dict(q="alpha", limit=["1", "2"]),
                dict(q="alpha", limit=["5", "5"]), dict(q="alpha", offset=["1", "1"]),
                dict(q="alpha", sort=["id", "price"]), dict(category=["books", "home"]),
                dict(brand=["alpha", "beta"]), dict(min_price=["1", "2"]),
                dict(max_price=["1", "2"]), dict(q="alpha", match=["all", "all"]),
                dict(q="alpha", facets=["brand", "category"]),
                dict(q="alpha", fields=["name", "brand"]),
                dict(q="alpha", highlight=["true", "true"]),
                dict(q="alpha", typos=["1", "1"]), dict(q="alpha", typos=["0", "2"])]:
        bad(dup, "duplicate_parameter")
    # the edges of every rule are accepted
    for params in [dict(q="x" * 256), dict(q=" " + "x" * 256 + " "), dict(q="alpha", limit="1"),
                   dict(q="alpha", limit="100"), dict(q="alpha", offset="0"),
                   dict(q="alpha", offset="1000000"),
                   dict(q="alpha", category=",".join(f"c{i}" for i in range(16))),
                   dict(q="alpha", brand="x" * 64), dict(min_price="10000000"),
                   dict(max_price="10000000.00"), dict(min_price="0.5", max_price="0.50"),
                   dict(q="a b c d e f g h", match="all"), dict(q="alpha", facets="brand,category"),
                   dict(q="a b c d e f g h", typos="2"), dict(q="alpha", typos="0")]:
        target = s + "?" + query(**params)
        conforms(doc, f"GET {target[:90]} -> 200 (edge of the rule)", request(port, "GET", target),
                 s, "GET", 200)
    # product ids
    for seg in ["0", "01", "-1", "+1", "abc", "1.5", "1a", "0x10", "9223372036854775808",
                "99999999999999999999", "1e3"]:
        conforms(doc, f"GET /products/{seg} -> 400 invalid_id", request(port, "GET", f"/products/{seg}"),
                 "/products/{id}", "GET", 400, "invalid_id")
    for pid in [PRODUCT_COUNT + 1, 9223372036854775807]:
        conforms(doc, f"GET /products/{pid} -> 404 product_not_found",
                 request(port, "GET", f"/products/{pid}"), "/products/{id}", "GET", 404,
                 "product_not_found")
    # unknown paths, whatever the method
    for path in ["/index.html", "/nope", "/products", "/products/1/x", "/products/search/x", "/health/",
                 "/health/x",
                 "/metrics.txt", "/openapi.yaml", "/PRODUCTS/SEARCH?q=alpha", "/Health"]:
        conforms(doc, f"GET {path} -> 404 not_found", request(port, "GET", path), None, "GET", 404,
                 "not_found")
    conforms(doc, "POST /nope -> 404 not_found (unknown path before method)",
             request(port, "POST", "/nope"), None, "POST", 404, "not_found")
    conforms(doc, "POST /nope with a body -> 404 not_found (unknown path before body)",
             request(port, "POST", "/nope", "Content-Length: 3\r\n", b"q=a"), None, "POST", 404,
             "not_found")
    for path in ["/health%00", "/products/search%00?q=alpha", "/openapi.json%00"]:
        conforms(doc, f"GET {path!r} -> 404 not_found (a NUL in the path is never a route)",
                 request(port, "GET", path), None, "GET", 404, "not_found")
    # absolute-form targets are routed by their path
    conforms(doc, "GET http://127.0.0.1/health (absolute form) -> 200",
             request(port, "GET", "http://127.0.0.1/health"), "/health", "GET", 200)
    body = conforms(doc, "GET http://127.0.0.1/products/search?q=alpha (absolute form) -> 200",
                    request(port, "GET", "http://127.0.0.1/products/search?q=alpha&limit=1"),
                    "/products/search", "GET", 200)
    R.check("absolute form: the search is the one the origin form gets",
            body is not None and [p["id"] for p in body["products"]] == [1], f"{body}")
    conforms(doc, "GET http://127.0.0.1/products/1 (absolute form) -> 200",
             request(port, "GET", "http://127.0.0.1/products/1"), "/products/{id}", "GET", 200)
    conforms(doc, "GET http://127.0.0.1/nope (absolute form) -> 404 not_found",
             request(port, "GET", "http://127.0.0.1/nope"), None, "GET", 404, "not_found")
    body = conforms(doc, f"GET /products/{PRODUCT_COUNT + 1}: the message names the id",
                    request(port, "GET", f"/products/{PRODUCT_COUNT + 1}"), "/products/{id}", "GET",
                    404, "product_not_found")
    R.check("product_not_found message is \"no product has id N\"",
            body is not None and body["message"] == f"no product has id {PRODUCT_COUNT + 1}",
            f"{body}")
    # other methods on every route
    targets = {"/products/search": "/products/search?q=alpha", "/products/{id}": "/products/1",
               "/health": "/health", "/metrics": "/metrics", "/openapi.json": "/openapi.json",
               "/": "/"}
    for route, target in targets.items():
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]:
            conforms(doc, f"{method} {target} -> 405 method_not_allowed, Allow: GET, HEAD",
                     request(port, method, target, "Content-Length: 0\r\n"), route, "GET", 405,
                     "method_not_allowed")
    # bodies, framing, head size
    for route, target in targets.items():
        conforms(doc, f"GET {target} with a 10-byte form body -> 200, answered as without it",
                 request(port, "GET", target, "Content-Type: application/x-www-form-urlencoded\r\n"
                         "Content-Length: 10\r\n", b"timeout=10"), route, "GET", 200)
    conforms(doc, "POST /products/search with a body -> 405 method_not_allowed (method before body)",
             request(port, "POST", "/products/search?q=a", "Content-Length: 3\r\n", b"q=a"),
             "/products/search", "GET", 405, "method_not_allowed")
    conforms(doc, "PUT /health with a body -> 405 method_not_allowed",
             request(port, "PUT", "/health", "Content-Length: 5\r\n", b"hello"), "/health", "GET",
             405, "method_not_allowed")
    conforms(doc, "POST /metrics chunked -> 405 method_not_allowed",
             request(port, "POST", "/metrics", "Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
             "/metrics", "GET", 405, "method_not_allowed")
    conforms(doc, "GET /products/search chunked -> 413 body_too_large",
             request(port, "GET", "/products/search?q=alpha", "Transfer-Encoding: chunked\r\n"),
             "/products/search", "GET", 413, "body_too_large")
    conforms(doc, "GET /health with Content-Length 65537 -> 413 body_too_large",
             request(port, "GET", "/health", "Content-Length: 65537\r\n"), "/health", "GET", 413,
             "body_too_large")
    conforms(doc, "GET /health with two different Content-Lengths -> 400 bad_request",
             request(port, "GET", "/health", "Content-Length: 1\r\nContent-Length: 2\r\n"),
             "/health", "GET", 400, "bad_request")
    framing = [("a folded header line", "X-A: a\r\n b\r\n"),
               ("white space before a colon", "Content-Length : 0\r\n"),
               ("two equal Content-Lengths", "Content-Length: 0\r\nContent-Length: 0\r\n"),
               ("Content-Length and Transfer-Encoding",
                "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"),
               ("two Transfer-Encodings", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
               ("two Host headers", "Host: other\r\n"),
               ("a bare CR inside a field", "X-A: a\rContent-Length: 5\r\n"),
               ("a NUL inside a field value", "X-A: a\x00b\r\n")]
    for what, extra in framing:
        ans = request(port, "GET", "/health", extra, b"0\r\n\r\n" if "chunked" in extra else b"")
        conforms(doc, f"GET /health with {what} -> 400 bad_request", ans, "/health", "GET", 400,
                 "bad_request")
        R.check(f"GET /health with {what}: Connection: close",
                ans is not None and ans.header("connection") == "close", f"{ans!r}")
    ans = exchange(port, b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
    conforms(doc, "HTTP/1.1 GET /health without Host -> 400 bad_request", ans, "/health", "GET", 400,
             "bad_request")
    for what, raw in [("HTTP/1.2 GET /health without Host", b"GET /health HTTP/1.2\r\n"),
                      ("GET /health with Host: a/b@c", b"GET /health HTTP/1.1\r\nHost: a/b@c\r\n"),
                      ("GET /health with a raw NUL in the path",
                       b"GET /health\x00 HTTP/1.1\r\nHost: x\r\n")]:
        ans = exchange(port, raw + b"Connection: close\r\n\r\n")
        conforms(doc, f"{what} -> 400 bad_request", ans, "/health", "GET", 400, "bad_request")
    # heads: up to 8 KB answered, over 8 KB a JSON 431 and a close
    filler = "".join(f"X-H{i:03d}: {'v' * 66}\r\n" for i in range(100))  # 100 headers, 7.6 KB
    conforms(doc, "GET /health with a 7.6 KB head of 100 headers -> 200",
             request(port, "GET", "/health", filler), "/health", "GET", 200)
    # 60 cookies: libmicrohttpd parses them into the same pool (over about 70, a head
    # under 8 KB gets its own HTML 431; docs/api.md states it)
    cookie = "Cookie: " + "; ".join(f"c{i:02d}={'x' * 123}" for i in range(60)) + "\r\n"
    head = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{cookie}\r\n"
    R.check("the cookie head is 7.7 to 8 KB", 7700 < len(head) <= 8192, f"{len(head)} bytes")
    conforms(doc, "GET /health with a 7.9 KB head of 60 cookies -> 200",
             request(port, "GET", "/health", cookie), "/health", "GET", 200)
    ans = request(port, "GET", "/health", filler + "".join(f"X-I{i}: {'w' * 40}\r\n" for i in range(20)))
    conforms(doc, "GET /health with a 8.6 KB head of 120 headers -> 431 header_too_large", ans,
             "/health", "GET", 431, "header_too_large")
    R.check("431 header_too_large: Connection: close",
            ans is not None and ans.header("connection") == "close", f"{ans!r}")
    ans = request(port, "GET", "/products/search?q=alpha", "X-Big: " + "a" * 9000 + "\r\n")
    conforms(doc, "GET with a 9 KB header -> 431 header_too_large", ans, "/products/search", "GET",
             431, "header_too_large")
    ans = request(port, "GET", "/products/search?q=" + "a" * 9000)
    conforms(doc, "GET with a 9 KB URI -> 431 header_too_large (not 414)", ans, "/products/search",
             "GET", 431, "header_too_large")


def file_catalog():
    """Awkward products: case-variant categories, non-ASCII and quoted
    brands, price ties, 0.00, sparse ids up to 5,000,000, 150+ brands."""
    items = []
    cats = ["Books", "books", "BOOKS", "Café", "Toys"]
    for i in range(1, 301):
        items.append({"id": i * 7, "name": f"Item {i} \"quoted\"", "category": cats[i % 5],
                      "description": "awkward", "brand": f"b{(i - 1) % 150:03d}",
                      "cents": (i * 37) % 500})
    extra = [("b149", 6), ("B120", 3), ("Ünïcode", 2), ('Q"uote', 1)]
    pid = 4_999_988  # the last one is 4,999,999
    for brand, n in extra:
        for _ in range(n):
            items.append({"id": pid, "name": f"Extra {brand}", "category": "Café",
                          "description": "late", "brand": brand, "cents": 1999})
            pid += 1
    return sorted(items, key=lambda p: p["id"])


def check_file_catalog(doc, binary, tmp):
    catalog = file_catalog()
    path = os.path.join(tmp, "awkward.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for p in catalog:
            row = {k: p[k] for k in ("id", "name", "category", "description", "brand")}
            row["price"] = float(Decimal(p["cents"]) / 100)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    srv = Server(binary, {"PRODUCTS_FILE": path, "SCAN_LIMIT": "0", "DRAIN_S": "3", "UI": "off"})
    try:
        # UI=off: / is an unknown path, whatever the method
        for method in ("GET", "HEAD", "POST"):
            conforms(doc, f"UI=off: {method} / -> 404 not_found", request(srv.port, method, "/"),
                     None, method, 404, "not_found")
        cases = [dict(q="item", facets="brand", limit="100"),
                 dict(q="e", facets="brand,category", sort="price", limit="100"),
                 dict(category="books", facets="category"), dict(category="CAFÉ,toys", sort="-price"),
                 dict(category="café", facets="brand"), dict(brand="b120", facets="brand"),
                 dict(brand="ünïcode,Q\"UOTE", limit="100"), dict(q="quoted", sort="price", offset="290"),
                 dict(min_price="0", max_price="0"), dict(min_price="4.99", sort="-price", limit="50"),
                 dict(q="ITEM 1", match="all", facets="category"),
                 dict(q="extra ü", match="all"), dict(q="Extra Ü"),
                 dict(q="qouted", typos="1", sort="relevance", highlight="true", limit="5"),
                 dict(q="exrta ünïcdoe", typos="2", fields="name,brand", sort="relevance",
                      highlight="true", facets="brand"),
                 dict(q="cafè", typos="1", fields="category", facets="category", limit="3"),
                 dict(q="cafe", typos="2", fields="category"),
                 dict(q="b12o", typos="1", fields="brand")]
        for p in cases:
            search_matches(doc, f"file catalog: search {query(**p)}", srv.port, catalog, 0, p)
        body = conforms(doc, "file catalog: GET /products/4999999",
                        request(srv.port, "GET", "/products/4999999"), "/products/{id}", "GET", 200)
        R.check("file catalog: GET /products/4999999 is the product",
                body == public(catalog[-1]) and catalog[-1]["id"] == 4_999_999, f"{body}")
        conforms(doc, "file catalog: GET /products/8 (a gap) -> 404 product_not_found",
                 request(srv.port, "GET", "/products/8"), "/products/{id}", "GET", 404, "product_not_found")
        ans = request(srv.port, "GET", "/health")
        body = conforms(doc, "file catalog: GET /health", ans, "/health", "GET", 200)
        R.check("file catalog: GET /health names the catalog and when it was loaded",
                isinstance(body, dict) and body.get("products") == len(catalog) and
                body.get("catalog") == ans.header("x-catalog-version") and "loaded_at" in body,
                f"{body}")
        # shutdown: /health turns 503 while draining
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        conforms(doc, "draining: GET /health -> 503", request(srv.port, "GET", "/health"), "/health",
                 "GET", 503)
        conforms(doc, "draining: HEAD /health -> 503, no body", request(srv.port, "HEAD", "/health"),
                 "/health", "HEAD", 503)
        try:
            status = srv.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            status = None
        R.check("draining: the server exits 0 after DRAIN_S", status == 0, f"exit status {status}")
    finally:
        srv.stop()


EXAMPLE_CATALOG = os.path.join(ROOT, "docs", "examples", "catalog.jsonl")
RANDOM_TYPO_REQUESTS = 150  # per server of the example catalog

# Hand-picked typo requests on the example catalog: the documented examples, the
# allowance's edges (3, 4, 7 and 8 bytes; digits; punctuation), non-ASCII words.
EXAMPLE_TYPO_CASES = [
    dict(q="headphnoes", limit="1"),
    dict(q="headphnoes", typos="1", sort="relevance", limit="3", highlight="true"),
    dict(q="headphnoes", typos="2", sort="relevance", offset="190", limit="10", highlight="true"),
    dict(q="headphnoes", typos="2", fields="description,name", sort="relevance", facets="category"),
    dict(q="samsnug galaxy", typos="1", sort="relevance", limit="5", highlight="true"),
    dict(q="galaxy samsung", typos="1", match="phrase", facets="brand"),
    dict(q="electroincs", typos="1", limit="1", facets="category"),
    dict(q="mouse", typos="1", sort="relevance", offset="55", limit="2", highlight="true"),
    dict(q="mouse", typos="1", sort="price", facets="category,brand"),
    dict(q="xn-972", typos="2"), dict(q="xn-973", typos="2"),
    dict(q="lmap", typos="1", sort="relevance", limit="1", highlight="true"),
    dict(q="lmp", typos="2"), dict(q="usb-c", typos="2", limit="3"),
    dict(q="usb-d", typos="2"), dict(q="usbc", typos="1", fields="description", limit="3"),
    dict(q="wi-fi", typos="2", fields="description", limit="2"),
    dict(q="wifi", typos="1", fields="description"),
    dict(q="wi-fy", typos="2", fields="description"),
    dict(q="crême", typos="1", sort="relevance", limit="3", highlight="true"),
    dict(q="creme", typos="2"), dict(q="crème brulée", typos="2", fields="name,description"),
    dict(q="CRÈME brûlé", typos="2", fields="name,description",
                                     sort="relevance", highlight="true"),
    dict(q="caffé", typos="1", fields="description,brand", sort="relevance", limit="5",
         highlight="true"),
    dict(q="cafè", typos="1", fields="brand", facets="brand"),
    dict(q="müler", typos="1", fields="brand", facets="brand", limit="2", highlight="true"),
    dict(q="kuche", typos="2", fields="brand"), dict(q="zürch", typos="1", fields="description"),
    dict(q="grossmann", typos="2", fields="brand", sort="relevance", highlight="true",
         limit="3"),
    dict(q="grossmann", typos="1", fields="brand"),
    dict(q="日木", typos="1", fields="description", limit="2", highlight="true"),
    dict(q="naive", typos="2", fields="brand,description", sort="relevance", highlight="true"),
    dict(q="ultar", typos="1", sort="relevance", limit="4", highlight="true"),
    dict(q="ultar s23", typos="2", sort="relevance"), dict(q="ultra s32", typos="2"),
    dict(q="samsung galxy s23 ultra", typos="2", sort="relevance", highlight="true"),
    dict(q="iphnoe 15 pro", typos="1", sort="relevance", limit="5"),
    dict(q="keybaord mechanicla", typos="2", sort="relevance", fields="name,category,description",
         highlight="true", facets="brand"),
    dict(q="wireles hedphones", typos="2", sort="relevance", category="headphones",
         min_price="50", max_price="300", facets="brand", limit="5", highlight="true"),
    dict(q="a b c d e f g h", typos="2", fields="description"),
]


def load_example_catalog():
    out = []
    with open(EXAMPLE_CATALOG, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line, parse_float=Decimal)
            row["cents"] = int(Decimal(row.pop("price")) * 100)
            out.append(row)
    return sorted(out, key=lambda p: p["id"])


def misspell(rng, word):
    """word with random edits (0 or 1, 2 now and then from 8 characters), by
    character so that it stays UTF-8:
    insert, delete, substitute (an accented letter for a plain one now and
    then), swap two neighbours; letters in random case."""
    chars = list(word)
    letters = "abcdefghijklmnopqrstuvwxyz" * 3 + "éèüßø"
    for _ in range(rng.choice([0, 1, 1, 1, 2] if len(word) >= 8 else [0, 1, 1, 1, 1, 2])):
        if len(chars) < 2:
            break
        at = rng.randrange(len(chars))
        op = rng.randrange(4)
        if op == 0:
            chars.insert(at, rng.choice(letters))
        elif op == 1:
            del chars[at]
        elif op == 2:
            chars[at] = rng.choice(letters)
        elif at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(c.upper() if rng.randrange(4) == 0 else c for c in chars)


def random_typo_request(rng, catalog):
    """A typo request drawn from the catalog: 1 to 3 terms, each a word of a
    listed field of one random product (now and then of another, or a
    punctuation-joined token such as usb-c), mostly misspelt, with every other
    parameter mixed in now and then."""
    params = {}
    fields = ["name", "category"]
    if rng.randrange(5) < 2:
        fields = ["name", "brand", "category", "description"]
        rng.shuffle(fields)
        fields = fields[:rng.randint(1, 4)]
        params["fields"] = ",".join(fields)
    p = rng.choice(catalog)
    terms = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        if rng.randrange(6) == 0:
            p = rng.choice(catalog)
        text = p[rng.choice(fields)]
        tokens = (text.split() if rng.randrange(6) == 0
                  else re.findall(r"[A-Za-z0-9\u0080-\U0010ffff]+", text))
        word = rng.choice(tokens).strip(".,:;()") if tokens else ""
        terms.append(misspell(rng, word or "x") if rng.randrange(5) else word or "x")
    params.update(q=" ".join(terms), typos=rng.choice(["1", "1", "2", "2", "2", "0"]))
    if rng.randrange(10) < 6:
        params["sort"] = "relevance"
    elif rng.randrange(2):
        params["sort"] = rng.choice(["id", "price", "-price"])
    if rng.randrange(2):
        params["highlight"] = "true"
    if rng.randrange(4) == 0:
        params["facets"] = rng.choice(["category", "brand", "category,brand"])
    if rng.randrange(10) == 0:
        params["category"] = rng.choice([p, rng.choice(catalog)])["category"].upper()
    if rng.randrange(10) == 0:
        params["brand"] = rng.choice([p, rng.choice(catalog)])["brand"]
    if rng.randrange(8) == 0:
        params["min_price"] = str(rng.randrange(200))
        params["max_price"] = str(200 + rng.randrange(800))
    if rng.randrange(7) == 0:
        params["offset"] = str(rng.randrange(30))
    if rng.randrange(3) == 0:
        params["limit"] = str(rng.randint(1, 100))
    if rng.randrange(10) == 0:
        params["match"] = rng.choice(["phrase", "all"])
    return params


def check_example_catalog(doc, binary):
    """Typo requests on the example catalog, over the whole catalog (the index)
    and over a bounded window (the scan), against the reference."""
    catalog = load_example_catalog()
    for scan_limit in (0, 1000):
        srv = Server(binary, {"PRODUCTS_FILE": EXAMPLE_CATALOG, "SCAN_LIMIT": str(scan_limit)})
        where = f"example catalog, SCAN_LIMIT={scan_limit}"
        try:
            for p in EXAMPLE_TYPO_CASES:
                search_matches(doc, f"{where}: search {query(**p)}", srv.port, catalog,
                               scan_limit, p)
            rng = random.Random(22 + scan_limit)
            found = 0
            for _ in range(RANDOM_TYPO_REQUESTS):
                p = random_typo_request(rng, catalog)
                body = search_matches(doc, f"{where}: random search {query(**p)}", srv.port,
                                      catalog, scan_limit, p)
                found += bool(body and body["total_found"])
            R.check(f"{where}: a third of the random typo requests or more find something "
                    f"({found} of {RANDOM_TYPO_REQUESTS})", found >= RANDOM_TYPO_REQUESTS // 3)
        finally:
            srv.stop()


def main():
    binary = (sys.argv[1] if len(sys.argv) > 1
              else os.environ.get("PRODUCT_SEARCH_BIN") or os.path.join(ROOT, "build", "product-search"))
    if not os.access(binary, os.X_OK):
        die(f"no executable at {binary} (run make, or pass its path)")
    with open(DOC_PATH, "rb") as f:
        raw_doc = f.read()
    doc = check_document(raw_doc)
    if doc is not None:
        srv = Server(binary, {"PRODUCT_COUNT": str(PRODUCT_COUNT)})
        try:
            catalog = generated_catalog(PRODUCT_COUNT)
            check_static_routes(doc, raw_doc, srv.port)
            check_search(doc, srv.port, catalog)
            check_errors(doc, srv.port)
            check_heads(doc, srv.port)
        finally:
            R.check("the server exits 0 on SIGTERM", srv.stop() == 0, "see its stderr")
        with tempfile.TemporaryDirectory() as tmp:
            check_file_catalog(doc, binary, tmp)
        check_example_catalog(doc, binary)
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
