#!/usr/bin/python3
"""Measurements for bench/run.sh that a shell does poorly (the performance targets).

Subcommands, each printing one JSON object on stdout:
  sample-body       a contract-shaped response to q=alpha (10 products), used as
                    the constant body when the server itself is not benchmarked
  ready PORT -- CMD start CMD several times; milliseconds from spawn to the
                    first 200 on GET /health, polled every 0.2 ms; then (whole catalog)
                    from spawn to product_search_index_ready 1 on /metrics, when
                    the server has that metric, and its peak resident memory
  index-wait PORT   waits until /metrics shows product_search_index_ready 1,
                    or returns at once when the server has no such metric
  scan PORT         full-catalog scan times: search_time_ns over the default
                    query mix (or --queries), many requests each, on a server
                    with SCAN_LIMIT=0
  mix-times PORT    one GET per line of a query file (the whole-catalog text mix):
                    search_time_ns, total_found and the listed ids of each,
                    written to a file in bench/fts5.c's format
  mix-compare       pools mix-times and bench/fts5.c files over rounds:
                    median, mean, p99 per query, and whether the answers agree
  catalog PORT -- SERVER [ARGS]
                    catalog files (issue 9): export the generated catalog of
                    each size as JSON Lines, start the server on it several
                    times; its logged load_ms and its peak resident memory

Exit status: 0 ok, 1 when the server misbehaves (crash, non-200, wrong
answer), 2 on bad usage. Standard library only; run with /usr/bin/python3.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

BRANDS = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta",
          "Theta", "Iota", "Kappa"]
CATEGORIES = ["Electronics", "Books", "Home", "Sports", "Clothing", "Toys",
              "Garden", "Food", "Health", "Automotive", "Beauty", "Office"]
ADJECTIVES = ["Durable", "Compact", "Premium", "Classic", "Lightweight",
              "Smart", "Handcrafted", "Eco-friendly"]

# The default query mix for the full-catalog scan figure.
SCAN_QUERIES = ["alpha", "zzz-none", "Electronics", "kappa 99"]


class BenchError(Exception):
    """The server did something a benchmark must count as an error."""


def product(i):
    """Product i (1-based) of the generated catalog, by the catalog formula."""
    brand = BRANDS[(i - 1) % 10]
    category = CATEGORIES[(i - 1) % 12]
    cents = 100 + (i * 7919) % 99900
    return ("{" f'"id":{i},"name":"Product {brand} {i}",'
            f'"category":"{category}",'
            f'"description":"{ADJECTIVES[(i - 1) % 8]} {category.lower()} '
            f'item by {brand}.","brand":"{brand}",'
            f'"price":{cents // 100}.{cents % 100:02d}' "}")


def cmd_sample_body(_args):
    """Prints what the server answers to q=alpha with default settings."""
    ids = [i for i in range(1, 101) if BRANDS[(i - 1) % 10] == "Alpha"]
    body = ('{"products":[' + ",".join(product(i) for i in ids) + "]," +
            f'"total_found":{len(ids)},"checked":100,'
            '"search_time":"3.2\u00b5s","search_time_ns":3200}')
    sys.stdout.write(body)
    return 0


def health_ok(port):
    """True when GET /health on 127.0.0.1:port answers 200 right now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n"
                         b"Connection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def stop(proc, what):
    """SIGTERM proc and require a clean exit (status 0)."""
    proc.terminate()
    try:
        status = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise BenchError(f"{what}: did not exit within 15 s of SIGTERM")
    if status != 0:
        raise BenchError(f"{what}: exit status {status} after SIGTERM")


INDEX_METRIC = "product_search_index_ready"


def index_state(port):
    """The value of product_search_index_ready on /metrics (1 ready, 0 not
    yet), or None when the server has no such metric."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
    finally:
        conn.close()
    if resp.status != 200:
        raise BenchError(f"GET /metrics: status {resp.status}")
    for line in body.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name == INDEX_METRIC:
            return float(line.rsplit(" ", 1)[1]) >= 1
    return None


def wait_index(port, deadline_ns, proc=None):
    """Polls /metrics until the index is ready; True when it became ready,
    False when the server has no index metric."""
    while True:
        state = index_state(port)
        if state is None:
            return False
        if state:
            return True
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"server exited with status {proc.returncode} "
                             "before its index was ready")
        if time.perf_counter_ns() > deadline_ns:
            raise BenchError(f"{INDEX_METRIC} still 0 at the time-out")
        time.sleep(0.001)


def cmd_index_wait(args):
    """Exit 0 once the index is ready (or there is no index metric)."""
    start = time.perf_counter_ns()
    ready = wait_index(args.port, start + args.timeout * 1e9)
    json.dump({"index_metric": ready,
               "waited_ms": round((time.perf_counter_ns() - start) / 1e6, 1)},
              sys.stdout)
    return 0


def cmd_ready(args):
    """Spawn-to-first-200 on /health, args.runs times; the median counts.
    With --index, also spawn to product_search_index_ready 1 (when the
    server has that metric) and the peak resident memory by then."""
    times_ms, index_ms, peaks = [], [], []
    for run in range(args.runs):
        start = time.perf_counter_ns()
        deadline = start + args.timeout * 1e9
        proc = subprocess.Popen(args.command, stdout=subprocess.DEVNULL)
        try:
            while not health_ok(args.port):
                if proc.poll() is not None:
                    raise BenchError(f"ready run {run + 1}: server exited "
                                     f"with status {proc.returncode}")
                if time.perf_counter_ns() > deadline:
                    raise BenchError(f"ready run {run + 1}: no 200 on /health "
                                     f"within {args.timeout} s")
                time.sleep(0.0002)
            times_ms.append((time.perf_counter_ns() - start) / 1e6)
            if args.index and wait_index(args.port, deadline, proc):
                index_ms.append((time.perf_counter_ns() - start) / 1e6)
            if args.index:
                peaks.append(vm_hwm_kb(proc.pid))
        finally:
            if proc.poll() is None:
                stop(proc, f"ready run {run + 1}")
            elif proc.returncode != 0:
                raise BenchError(f"ready run {run + 1}: exit status "
                                 f"{proc.returncode}")
    out = {"runs_ms": [round(t, 2) for t in times_ms],
           "median_ms": round(statistics.median(times_ms), 2)}
    if args.index:
        out["index_metric"] = bool(index_ms)
        out["index_runs_ms"] = [round(t, 2) for t in index_ms]
        out["index_median_ms"] = (round(statistics.median(index_ms), 2)
                                  if index_ms else None)
        out["peak_rss_kb"] = max(peaks)
    json.dump(out, sys.stdout)
    return 0


def get_json(conn, path):
    """GET path on a keep-alive connection; the parsed body of a 200."""
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise BenchError(f"GET {path}: status {resp.status}")
    try:
        return json.loads(body)
    except ValueError as err:
        raise BenchError(f"GET {path}: body is not JSON ({err})") from err


def cmd_scan(args):
    """Median search_time_ns of full scans over the default query mix, or
    over --queries (the worst single queries)."""
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    catalog = get_json(conn, "/health").get("products")
    if not isinstance(catalog, int) or catalog < 1:
        raise BenchError(f"/health gives no product count: {catalog!r}")
    queries = args.queries or SCAN_QUERIES
    per_query = {q: [] for q in queries}
    found = {}
    # Interleave the queries, so that a slow stretch of the machine does
    # not land on one query only.
    for _ in range(args.requests):
        for query in queries:
            path = "/products/search?" + urllib.parse.urlencode({"q": query})
            answer = get_json(conn, path)
            if answer.get("checked") != catalog:
                raise BenchError(f"q={query}: checked {answer.get('checked')}"
                                 f", expected the whole catalog ({catalog});"
                                 " is SCAN_LIMIT=0 honoured?")
            found[query] = answer.get("total_found")
            per_query[query].append(int(answer["search_time_ns"]))
    conn.close()
    every = [t for times in per_query.values() for t in times]
    json.dump({
        "catalog": catalog,
        "requests_per_query": args.requests,
        "median_ns": int(statistics.median(every)),
        "per_query": {q: {"median_ns": int(statistics.median(times)),
                          "min_ns": min(times), "max_ns": max(times),
                          "total_found": found[q]}
                      for q, times in per_query.items()},
    }, sys.stdout)
    return 0


# Targets of the catalog-file issue: load time by catalog size, and peak
# resident memory at most twice the file's size.
CATALOG_TARGET_MS = {100000: 300, 1000000: 3000}
CATALOG_RSS_FACTOR = 2


def vm_hwm_kb(pid):
    """Peak resident memory of a live process, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError(f"no VmHWM for pid {pid}")


def cmd_catalog(args):
    """Load time and peak memory of PRODUCTS_FILE catalogs of each size."""
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
            path = os.path.join(tmp, f"catalog-{size}.jsonl")
            with open(path, "wb") as out:
                exported = subprocess.run(
                    args.command + ["--export-catalog"], stdout=out, check=False,
                    env=dict(os.environ, PRODUCT_COUNT=str(size)), timeout=120)
            if exported.returncode != 0:
                raise BenchError(f"--export-catalog of {size} products: exit "
                                 f"status {exported.returncode}")
            file_bytes = os.path.getsize(path)
            loads, peaks = [], []
            for run in range(args.runs):
                env = dict(os.environ, PRODUCTS_FILE=path, PORT=str(args.port),
                           BIND="127.0.0.1", THREADS="1")
                proc = subprocess.Popen(args.command, stdout=subprocess.PIPE,
                                        env=env)
                try:
                    start = json.loads(proc.stdout.readline() or "{}")
                    if start.get("event") != "start":
                        raise BenchError(f"catalog {size}, run {run + 1}: no "
                                         "start line (did the load fail?)")
                    if start.get("products") != size:
                        raise BenchError(f"catalog {size}: loaded "
                                         f"{start.get('products')} products")
                    if not health_ok(args.port):
                        raise BenchError(f"catalog {size}: /health is not 200")
                    loads.append(float(start["load_ms"]))
                    peaks.append(vm_hwm_kb(proc.pid))
                finally:
                    if proc.poll() is None:
                        stop(proc, f"catalog {size}, run {run + 1}")
                    proc.stdout.close()
            median_ms = statistics.median(loads)
            results.append({
                "products": size, "file_bytes": file_bytes,
                "load_ms": [round(t, 1) for t in loads],
                "median_load_ms": round(median_ms, 1),
                "peak_rss_kb": max(peaks),
                "rss_over_file": round(max(peaks) * 1024 / file_bytes, 2),
                "target_ms": CATALOG_TARGET_MS.get(size),
                "target_rss_over_file": CATALOG_RSS_FACTOR,
            })
    json.dump({"sizes": results}, sys.stdout)
    return 0


def cmd_mix_times(args):
    """search_time_ns, total_found and ids per query of a query file, one
    request each, in order, on a keep-alive connection (a SCAN_LIMIT=0
    server). Writes "ns total_found id,id,..." lines, as bench/fts5.c."""
    with open(args.queries, encoding="utf-8") as f:
        queries = [line.rstrip("\n") for line in f if line.strip()]
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    catalog = get_json(conn, "/health").get("products")
    round_trips = []
    with open(args.out, "w", encoding="utf-8") as out:
        for query in queries:
            path = "/products/search?" + urllib.parse.urlencode({"q": query})
            start = time.perf_counter_ns()
            answer = get_json(conn, path)
            round_trips.append(time.perf_counter_ns() - start)
            if answer.get("checked") != catalog:
                raise BenchError(f"q={query}: checked {answer.get('checked')}"
                                 f", expected the whole catalog ({catalog})")
            ids = ",".join(str(p["id"]) for p in answer["products"])
            out.write(f"{int(answer['search_time_ns'])} "
                      f"{answer['total_found']} {ids}\n")
    conn.close()
    json.dump({"queries": len(queries),
               "round_trip_median_ns": int(statistics.median(round_trips)),
               "search_time": pooled([args.out])}, sys.stdout)
    return 0


def read_times(path):
    """[(ns, "total_found ids")] from a mix-times or bench/fts5.c file."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split(" ", 1) for line in f if line.strip()]
    return [(int(ns), answer.strip()) for ns, answer in rows]


def pooled(files, keep=None):
    """Median, mean and p99 (ns) of every query time of every round; only
    the queries at the positions in keep, when given."""
    times = sorted(ns for path in files
                   for k, (ns, _) in enumerate(read_times(path))
                   if keep is None or k in keep)
    if not times:
        raise BenchError("no query times to pool")
    return {"samples": len(times), "median_ns": int(statistics.median(times)),
            "mean_ns": int(statistics.fmean(times)),
            "p99_ns": times[min(len(times) - 1, len(times) * 99 // 100)]}


def cmd_mix_compare(args):
    """Pools the rounds of both sides; counts queries whose answers (total
    and first ids) differ between product-search and FTS5."""
    ours, fts5 = read_times(args.ours[0]), read_times(args.fts5[0])
    if len(ours) != len(fts5):
        raise BenchError(f"{len(ours)} answers from product-search, "
                         f"{len(fts5)} from FTS5")
    with open(args.queries, encoding="utf-8") as f:
        queries = [line.rstrip("\n") for line in f if line.strip()]
    differ = [q for q, a, b in zip(queries, ours, fts5) if a[1] != b[1]]
    summary = json.loads(args.fts5_summary) if args.fts5_summary else {}
    # The queries FTS5 answers from its trigram index (3 characters or
    # more); bench/fts5.c sends the others through LIKE, a full scan.
    trigram = {k for k, q in enumerate(queries) if len(q) >= 3}
    json.dump({"queries": len(ours), "rounds": len(args.ours),
               "products": summary.get("products"),
               "fts5_load_ms": summary.get("load_ms"),
               "like_fallback": summary.get("like_fallback"),
               "sqlite": summary.get("sqlite"),
               "product_search": pooled(args.ours), "fts5": pooled(args.fts5),
               "trigram_queries": len(trigram),
               "product_search_trigram": pooled(args.ours, trigram),
               "fts5_trigram": pooled(args.fts5, trigram),
               "answers_differ": len(differ), "differ_examples": differ[:5]},
              sys.stdout)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("sample-body").set_defaults(run=cmd_sample_body)
    ready = sub.add_parser("ready")
    ready.add_argument("port", type=int)
    ready.add_argument("command", nargs="+")
    ready.add_argument("--runs", type=int, default=7)
    ready.add_argument("--timeout", type=float, default=30.0)
    ready.add_argument("--index", action="store_true",
                       help="also wait for product_search_index_ready 1")
    ready.set_defaults(run=cmd_ready)
    index_wait = sub.add_parser("index-wait")
    index_wait.add_argument("port", type=int)
    index_wait.add_argument("--timeout", type=float, default=120.0)
    index_wait.set_defaults(run=cmd_index_wait)
    scan = sub.add_parser("scan")
    scan.add_argument("port", type=int)
    scan.add_argument("--requests", type=int, default=200)
    scan.add_argument("--queries", type=lambda v: v.split(","),
                      help="comma-separated queries (default: the default mix)")
    scan.set_defaults(run=cmd_scan)
    mix_times = sub.add_parser("mix-times")
    mix_times.add_argument("port", type=int)
    mix_times.add_argument("--queries", required=True, help="one query a line")
    mix_times.add_argument("--out", required=True)
    mix_times.set_defaults(run=cmd_mix_times)
    mix_compare = sub.add_parser("mix-compare")
    mix_compare.add_argument("--queries", required=True)
    mix_compare.add_argument("--ours", nargs="+", required=True,
                             help="mix-times files, one per round")
    mix_compare.add_argument("--fts5", nargs="+", required=True,
                             help="bench/fts5.c files, one per round")
    mix_compare.add_argument("--fts5-summary", help="fts5's JSON line")
    mix_compare.set_defaults(run=cmd_mix_compare)
    catalog = sub.add_parser("catalog")
    catalog.add_argument("port", type=int)
    catalog.add_argument("command", nargs="+")
    catalog.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")],
                         default=[100000, 1000000])
    catalog.add_argument("--runs", type=int, default=3)
    catalog.set_defaults(run=cmd_catalog)
    args = parser.parse_args()
    try:
        return args.run(args)
    except (BenchError, OSError, http.client.HTTPException) as err:
        print(f"measure.py {args.what}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
