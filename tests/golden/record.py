#!/usr/bin/env python3
"""Records a server's answers to a deterministic list of seed-era requests.

tests/golden/seed_answers.tsv was written by this script against the server
as it was before the search features (commit 0223744), and check_compat
replays it against today's server: without any of the newer parameters,
every answer must be byte-identical (search_time and search_time_ns masked).

    record.py PORT PRODUCT_COUNT SCAN_LIMIT >> seed_answers.tsv

Each line: setting<TAB>target<TAB>status<TAB>FNV-1a 64 of the masked body.
"""
import http.client
import random
import re
import sys
import urllib.parse

BRANDS = "Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa".split()
CATEGORIES = ("Electronics Books Home Sports Clothing Toys Garden Food Health "
              "Automotive Beauty Office").split()
MASK = re.compile(rb',"search_time":"[^"]*","search_time_ns":[0-9]+')


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def targets(n, products, seed):
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        i = rnd.randint(1, products)
        name = f"Product {BRANDS[(i - 1) % 10]} {i}"
        kind = rnd.randrange(8)
        if kind == 0:
            a = rnd.randrange(len(name))
            q = name[a:a + rnd.randint(1, 12)]
        elif kind == 1:
            q = "".join(c.upper() if rnd.random() < .5 else c for c in rnd.choice(BRANDS))
        elif kind == 2:
            q = rnd.choice(CATEGORIES)[:rnd.randint(2, 11)]
        elif kind == 3:
            q = str(rnd.randint(0, 10 ** rnd.randint(1, 6)))
        elif kind == 4:
            q = name
        elif kind == 5:
            q = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 10)))
        elif kind == 6:
            q = rnd.choice(["product", "prod", "duct", "uct", " alpha ", "caf\u00e9", "a b"])
        else:
            q = rnd.choice(["", "  ", "x" * 257, "\x00", "ok"])
        params = [("q", q)]
        if rnd.random() < .4:
            params.append(("limit", str(rnd.choice([1, 5, 20, 100, 0, 101]))))
        if rnd.random() < .1:
            params.append(("unknown", "1"))
        rnd.shuffle(params)
        out.append("/products/search?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
    out += ["/products/search", "/health", "/nope", "/products/search?limit=5"]
    return out


def main():
    port, products, scan = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for t in targets(2000, products, products * 7 + scan):
        conn.request("GET", t)
        r = conn.getresponse()
        body = MASK.sub(b"", r.read())
        print(f"{products}/{scan}\t{t}\t{r.status}\t{fnv(body):016x}")


if __name__ == "__main__":
    main()
