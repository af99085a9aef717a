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
  reload PORT -- SERVER
                    reloads under load (SPEC 9): wrk while reloads alternate
                    two catalog files, then the same load without reloads;
                    errors, p99 of each, resident memory sampled every 10 ms
  readiness PORT -- CMD
                    requests from the first moment of a whole-catalog start:
                    every search answer 503 or under 50 ms of server time

Exit status: 0 ok, 1 when the server misbehaves (crash, non-200, wrong
answer), 2 on bad usage. Standard library only; run with /usr/bin/python3.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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
    times_ms, index_ms, peaks, anon = [], [], [], []
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
                anon.append(status_kb(proc.pid, "RssAnon"))
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
        out["anon_rss_kb"] = max(anon)
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


def status_kb(pid, field):
    """A memory figure of a live process (VmHWM, RssAnon, ...), from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {field} for pid {pid}")


def vm_hwm_kb(pid):
    """Peak resident memory of a live process, from /proc."""
    return status_kb(pid, "VmHWM")


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
                # SCAN_LIMIT=100: the scan-window load this phase has always
                # measured (a file alone is now searched whole, and indexed)
                env = dict(os.environ, PRODUCTS_FILE=path, PORT=str(args.port),
                           BIND="127.0.0.1", THREADS="1", SCAN_LIMIT="100")
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


def vm_rss_kb(pid):
    """Resident memory of a live process now, from /proc (0 once gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def metric_value(port, name):
    """The value of an unlabelled metric on /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode("utf-8", "replace")
    finally:
        conn.close()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise BenchError(f"/metrics has no {name}")


def wrk_result(text):
    """The BENCH_RESULT object bench/search.lua's done() printed."""
    for line in text.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise BenchError(f"wrk gave no BENCH_RESULT line: {text[-500:]!r}")


def run_wrk(args, seconds, stop_event=None):
    """wrk with bench/search.lua on the client CPU for `seconds`, or until
    stop_event is set (then SIGINT: wrk stops and prints its summary)."""
    cmd = (["taskset", "-c", str(args.client_cpu)] if args.client_cpu >= 0 else []) + \
        ["wrk", "-t1", f"-c{args.connections}", "--timeout", "5s", "-s", args.lua,
         f"-d{int(seconds) if stop_event is None else 3600}s",
         f"http://127.0.0.1:{args.port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    if stop_event is not None:
        stop_event.wait()
        proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=seconds + 120)
    return wrk_result(out)


def wrk_errors(r):
    return sum(v for k, v in r.items() if k.startswith("errors_"))


def cmd_reload(args):
    """Catalog reloads under load (SPEC 9), ROUNDS interleaved rounds: wrk
    with CONNECTIONS keep-alive connections while RELOADS reloads alternate
    two catalog files of the same size, each a rename over PRODUCTS_FILE then
    SIGHUP, the next one once product_search_reloads_total counted the last;
    wrk stops one second after the last. Then the same load for the same time
    without reloads. Medians over the rounds; resident memory is sampled
    every 10 ms throughout."""
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        files = []
        for name in ("a", "b"):
            path = os.path.join(tmp, f"{name}.jsonl")
            with open(path, "wb") as out:
                exported = subprocess.run(
                    args.command + ["--export-catalog"], stdout=out, check=False,
                    env=dict(os.environ, PRODUCT_COUNT=str(args.products)), timeout=300)
            if exported.returncode != 0:
                raise BenchError(f"--export-catalog: exit status {exported.returncode}")
            if name == "b":  # the same size, other content (every description)
                with open(path, encoding="utf-8") as f:
                    text = f.read().replace("item by", "product by")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            files.append(path)
        served = os.path.join(tmp, "catalog.jsonl")
        shutil.copyfile(files[0], served)
        log_path = os.path.join(tmp, "server.log")
        env = dict(os.environ, PRODUCTS_FILE=served, PORT=str(args.port),
                   BIND="127.0.0.1", THREADS="1")
        cmd = (["taskset", "-c", str(args.server_cpu)] if args.server_cpu >= 0 else []) + \
            args.command
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 120
            while not health_ok(args.port):
                if proc.poll() is not None:
                    raise BenchError(f"server exited with status {proc.returncode}")
                if time.monotonic() > deadline:
                    raise BenchError("no 200 on /health within 120 s")
                time.sleep(0.01)
            run_wrk(args, args.warmup)
            steady_kb = vm_rss_kb(proc.pid)
            samples = []
            sampling = threading.Event()

            def sample():
                while not sampling.is_set():
                    samples.append((time.monotonic(), vm_rss_kb(proc.pid)))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            reload_times, rounds = [], []
            done = 0
            # Interleaved rounds, each RELOADS reloads under load, then the same
            # load for as long without: on a shared machine the two halves of a
            # round see the same neighbours, and medians settle the rest.
            for _ in range(args.rounds):
                wrk_stop = threading.Event()
                first = done

                def reloader(first=first, wrk_stop=wrk_stop):
                    try:
                        time.sleep(1)
                        for i in range(first, first + args.reloads):
                            tmp_path = served + ".tmp"
                            shutil.copyfile(files[(i + 1) % 2], tmp_path)
                            os.rename(tmp_path, served)
                            t0 = time.monotonic()
                            proc.send_signal(signal.SIGHUP)
                            while metric_value(args.port,
                                               "product_search_reloads_total") < i + 1:
                                if time.monotonic() - t0 > 120:
                                    raise BenchError(f"reload {i + 1} did not finish in 120 s")
                                time.sleep(0.05)
                            reload_times.append(round(time.monotonic() - t0, 3))
                        time.sleep(1)
                    finally:
                        wrk_stop.set()

                t_start = time.monotonic()
                worker = threading.Thread(target=reloader)
                worker.start()
                with_reloads = run_wrk(args, 600, wrk_stop)
                worker.join()
                elapsed = time.monotonic() - t_start
                done += args.reloads
                if len(reload_times) != done:
                    raise BenchError(f"{len(reload_times)} of {done} reloads finished")
                without = run_wrk(args, max(1, round(elapsed)))
                rounds.append({"seconds": round(elapsed, 1), "with_reloads": with_reloads,
                               "without_reloads": without})
            sampling.set()
            sampler.join()
            failures = metric_value(args.port, "product_search_reload_failures_total")
            hwm_kb = vm_hwm_kb(proc.pid)
        finally:
            if proc.poll() is None:
                stop(proc, "reload server")
        switches = []
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "reload" and "catalog" in ev:
                    switches.append(ev)
    peak_kb = max(kb for _, kb in samples) if samples else 0

    def median_of(key, field):
        return statistics.median(r[key][field] for r in rounds)

    p99_ratio = median_of("with_reloads", "p99_us") / max(1, median_of("without_reloads", "p99_us"))
    out = {
        "products": args.products, "connections": args.connections,
        "reloads": args.reloads * args.rounds, "rounds": args.rounds,
        "reload_failures": int(failures),
        "reload_wall_s": reload_times,
        "reload_load_ms": [ev.get("load_ms") for ev in switches],
        "switch_wait_ms": [ev.get("switch_wait_ms") for ev in switches],
        "seconds": round(sum(r["seconds"] for r in rounds), 1),
        "round_figures": rounds,
        "with_reloads": {f: median_of("with_reloads", f) for f in
                         ("requests", "duration_us", "p50_us", "p99_us", "p999_us",
                          "latency_max_us")},
        "without_reloads": {f: median_of("without_reloads", f) for f in
                            ("requests", "duration_us", "p50_us", "p99_us", "p999_us",
                             "latency_max_us")},
        "p99_each_round": [[r["with_reloads"]["p99_us"], r["without_reloads"]["p99_us"]]
                           for r in rounds],
        "errors": sum(wrk_errors(r["with_reloads"]) + wrk_errors(r["without_reloads"])
                      for r in rounds),
        "p99_ratio": round(p99_ratio, 2),
        "rss_steady_kb": steady_kb, "rss_peak_kb": peak_kb,
        "rss_at_switch_kb": max((ev.get("rss_both_kb", 0) for ev in switches), default=0),
        "rss_after_kb": [ev.get("rss_kb") for ev in switches],
        "vmhwm_kb": hwm_kb,
        # old + new: two catalogs of this size, each as resident as the one
        # served at steady state (which also counts the process and its
        # connections, so the bound is a little generous)
        "rss_bound_kb": 2 * steady_kb,
    }
    out["ok"] = (out["errors"] == 0 and out["reload_failures"] == 0 and p99_ratio <= 2.0 and
                 peak_kb <= out["rss_bound_kb"])
    json.dump(out, sys.stdout)
    return 0


def cmd_readiness(args):
    """Requests from the first moment (SPEC 9 readiness): the server starts
    with ACCESS_LOG=on; CLIENTS threads connect as soon as it listens and
    send the request paths of --paths (keep-alive), one more thread GETs
    /health every 10 ms, until AFTER seconds past the first /health 200.
    Every answer must be 503 or a search answered in under 50 ms of server
    time (the access log's duration_us: first handler call to answer
    queued)."""
    with open(args.paths, encoding="utf-8") as f:
        paths = [line.strip() for line in f if line.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-readiness-") as tmp:
        log_path = os.path.join(tmp, "server.log")
        env = dict(os.environ, PORT=str(args.port), BIND="127.0.0.1", ACCESS_LOG="on")
        with open(log_path, "wb") as log:
            start = time.monotonic()
            proc = subprocess.Popen(args.command, stdout=log, stderr=subprocess.STDOUT,
                                    env=env)
        done = threading.Event()
        ready_at = []
        seen = {"client": [], "health": []}
        lock = threading.Lock()

        def connect():
            while not done.is_set():
                try:
                    return http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                except OSError:
                    time.sleep(0.001)
            return None

        def client(k, kind):
            conn = None
            i = k * 7919
            while not done.is_set():
                path = "/health" if kind == "health" else paths[i % len(paths)]
                i += 1
                try:
                    if conn is None:
                        conn = connect()
                        if conn is None:
                            return
                    t0 = time.monotonic()
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    resp.read()
                    took = time.monotonic() - t0
                except (OSError, http.client.HTTPException):
                    if conn is not None:
                        conn.close()
                    conn = None
                    time.sleep(0.001)  # not listening yet
                    continue
                with lock:
                    seen[kind].append((t0 - start, resp.status, took))
                if kind == "health":
                    if resp.status == 200 and not ready_at:
                        ready_at.append(time.monotonic() - start)
                    time.sleep(0.01)

        threads = [threading.Thread(target=client, args=(k, "client"))
                   for k in range(args.clients)]
        threads.append(threading.Thread(target=client, args=(0, "health")))
        for t in threads:
            t.start()
        try:
            deadline = time.monotonic() + args.timeout
            while not ready_at and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.01)
            if ready_at:
                time.sleep(args.after)
        finally:
            done.set()
            for t in threads:
                t.join()
            if proc.poll() is None:
                stop(proc, "readiness server")
        if not ready_at:
            raise BenchError(f"/health never answered 200 within {args.timeout} s")
        access = []
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "access":
                    access.append(ev)
    search = [a for a in access if a.get("path") == "/products/search"]
    health = [a for a in access if a.get("path") == "/health"]
    statuses = {}
    for a in search:
        statuses[str(a["status"])] = statuses.get(str(a["status"]), 0) + 1
    before = [s for s in seen["client"] if s[0] < ready_at[0]]
    ms = lambda us: round(us / 1000, 3)  # noqa: E731
    durations = sorted(a["duration_us"] for a in search)
    out = {
        "command": " ".join(args.command),
        "ready_ms": round(ready_at[0] * 1000, 1),
        "first_answer_ms": round(min(s[0] for s in seen["client"]) * 1000, 1)
        if seen["client"] else None,
        "searches": len(search), "search_statuses": statuses,
        "searches_before_ready": len(before),
        "searches_before_ready_503": sum(1 for s in before if s[1] == 503),
        "unexpected_statuses": sorted({a["status"] for a in search} - {200, 503}),
        "max_server_ms": ms(durations[-1]) if durations else None,
        "p99_server_ms": ms(durations[int(len(durations) * 0.99) - 1]) if durations else None,
        "max_server_ms_200": ms(max((a["duration_us"] for a in search if a["status"] == 200),
                                    default=0)),
        "max_server_ms_503": ms(max((a["duration_us"] for a in search if a["status"] == 503),
                                    default=0)),
        "health_checks": len(health),
        "max_health_server_ms": ms(max((a["duration_us"] for a in health), default=0)),
        "max_health_client_ms": round(max((s[2] for s in seen["health"]), default=0) * 1000, 1),
        "limit_ms": 50,
    }
    out["ok"] = (not out["unexpected_statuses"] and out["max_server_ms"] is not None and
                 out["max_server_ms"] < 50)
    json.dump(out, sys.stdout)
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
    reload = sub.add_parser("reload")
    reload.add_argument("port", type=int)
    reload.add_argument("command", nargs="+")
    reload.add_argument("--products", type=int, default=100000)
    reload.add_argument("--reloads", type=int, default=10)
    reload.add_argument("--connections", type=int, default=50)
    reload.add_argument("--warmup", type=float, default=2.0)
    reload.add_argument("--rounds", type=int, default=3)
    reload.add_argument("--lua", required=True, help="bench/search.lua")
    reload.add_argument("--server-cpu", type=int, default=-1)
    reload.add_argument("--client-cpu", type=int, default=-1)
    reload.set_defaults(run=cmd_reload)
    readiness = sub.add_parser("readiness")
    readiness.add_argument("port", type=int)
    readiness.add_argument("command", nargs="+")
    readiness.add_argument("--paths", required=True, help="request paths, one a line")
    readiness.add_argument("--clients", type=int, default=8)
    readiness.add_argument("--after", type=float, default=3.0,
                           help="seconds to go on after the first /health 200")
    readiness.add_argument("--timeout", type=float, default=300.0)
    readiness.set_defaults(run=cmd_readiness)
    args = parser.parse_args()
    try:
        return args.run(args)
    except (BenchError, OSError, http.client.HTTPException) as err:
        print(f"measure.py {args.what}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
