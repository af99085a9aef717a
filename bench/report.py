#!/usr/bin/python3
"""Turns bench/run.sh's raw runs into results.md, results.json, results.png.

Reads one JSON line per wrk run (phase "main" or "scale"), the time-to-ready
and full-scan figures, and the machine notes; prints the main table on stdout.
Exit status 1 when any contender had errors (socket errors or non-2xx
answers), crashed, or a measurement failed; timings never fail it.
Run with /usr/bin/python3 (Debian's, which has matplotlib).
"""

import argparse
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

# SPEC section 5 targets.
TARGET_RATIO = 0.8
TARGET_P99_MS = 2.0
TARGET_READY_MS = 50.0
TARGET_RSS_MB = 24.0
TARGET_SCAN_MS = 0.5

SERVER = "product-search"


def errors_of(wrk):
    """wrk's socket errors (connect, read, write, timeout) plus non-2xx."""
    return sum(v for k, v in wrk.items() if k.startswith("errors_"))


def run_figures(run):
    """requests/s, p50 ms, p99 ms, errors of one run; None where wrk failed."""
    wrk = run.get("wrk")
    if not wrk:
        return None
    return {
        "rps": wrk["requests"] * 1e6 / wrk["duration_us"],
        "p50_ms": wrk["p50_us"] / 1000,
        "p99_ms": wrk["p99_us"] / 1000,
        "errors": errors_of(wrk),
    }


def summarise(runs):
    """Median figures of several runs of one contender, errors summed."""
    figures = [f for f in (run_figures(r) for r in runs) if f]
    hwm = [r["vmhwm_kb"] for r in runs if r.get("vmhwm_kb")]
    out = {
        "runs": len(runs),
        "crashed": sum(1 for r in runs if r.get("crashed")),
        "failed": sum(1 for r in runs if not r.get("wrk")),
        "errors": sum(f["errors"] for f in figures),
        "peak_rss_kb": max(hwm) if hwm else None,
    }
    if figures:
        for key in ("rps", "p50_ms", "p99_ms"):
            out[key] = statistics.median(f[key] for f in figures)
        out["rps_all"] = [round(f["rps"]) for f in figures]
    return out


def fmt_rps(value):
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_ms(value):
    return "n/a" if value is None else f"{value:.2f} ms"


def fmt_ratio(num, den):
    if num is None or not den:
        return "n/a"
    return f"{num / den:.2f}"


def fmt_mb(kb):
    if kb is None:
        return "n/a"
    return f"{kb * 1024 / 1e6:.1f} MB ({kb / 1024:.1f} MiB)"


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**not met**"


def main_table(order, main):
    ceiling = main.get("ceiling", {}).get("rps")
    nginx = main.get("nginx", {}).get("rps")
    lines = ["| contender | requests/s | p50 | p99 | errors | vs ceiling | vs nginx |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in order:
        s = main[name]
        errors = str(s["errors"])
        if s["crashed"] or s["failed"]:
            errors += f" (+{s['crashed']} crashed, {s['failed']} without result)"
        lines.append(f"| {name} | {fmt_rps(s.get('rps'))} | {fmt_ms(s.get('p50_ms'))} "
                     f"| {fmt_ms(s.get('p99_ms'))} | {errors} "
                     f"| {fmt_ratio(s.get('rps'), ceiling)} "
                     f"| {fmt_ratio(s.get('rps'), nginx)} |")
    return lines


def targets_table(main, ready, scan):
    server = main.get(SERVER)
    ceiling = main.get("ceiling", {}).get("rps")
    rows = []
    if server and server.get("rps") and ceiling:
        ratio = server["rps"] / ceiling
        rows.append(("requests/s vs the ceiling, same run", f"{ratio:.2f} x",
                     f">= {TARGET_RATIO} x", ratio >= TARGET_RATIO))
    else:
        rows.append(("requests/s vs the ceiling, same run", "n/a",
                     f">= {TARGET_RATIO} x", None))
    p99 = server.get("p99_ms") if server else None
    rows.append(("p99 latency", fmt_ms(p99), f"<= {TARGET_P99_MS:g} ms",
                 None if p99 is None else p99 <= TARGET_P99_MS))
    if ready and "median_ms" in ready:
        rows.append(("ready after start (100k products), median of "
                     f"{len(ready['runs_ms'])}", f"{ready['median_ms']:.1f} ms",
                     f"<= {TARGET_READY_MS:g} ms",
                     ready["median_ms"] <= TARGET_READY_MS))
    else:
        rows.append(("ready after start (100k products)", "n/a",
                     f"<= {TARGET_READY_MS:g} ms", None))
    rss = server.get("peak_rss_kb") if server else None
    rows.append(("peak resident memory under load (VmHWM)", fmt_mb(rss),
                 f"<= {TARGET_RSS_MB:g} MB",
                 None if rss is None else rss * 1024 / 1e6 <= TARGET_RSS_MB))
    if scan and "median_ns" in scan:
        ms = scan["median_ns"] / 1e6
        rows.append(("full-catalog scan (SCAN_LIMIT=0), median search_time",
                     f"{ms:.3f} ms", f"<= {TARGET_SCAN_MS:g} ms",
                     ms <= TARGET_SCAN_MS))
    else:
        rows.append(("full-catalog scan (SCAN_LIMIT=0), median search_time",
                     "n/a", f"<= {TARGET_SCAN_MS:g} ms", None))
    errors = server["errors"] + server["crashed"] if server else None
    rows.append(("errors and non-2xx under load", "n/a" if errors is None else
                 str(errors), "0", None if errors is None else errors == 0))
    lines = ["| figure | measured | target | |", "|---|---:|---:|---|"]
    lines += [f"| {a} | {b} | {c} | {verdict(d)} |" for a, b, c, d in rows]
    return lines


def catalog_table(catalog):
    """Catalog files: load time and peak memory against the issue's targets."""
    lines = ["| products | file | median load | target | peak RSS | RSS / file | target | |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for c in catalog["sizes"]:
        ok_time = c["target_ms"] is None or c["median_load_ms"] <= c["target_ms"]
        ok_rss = c["rss_over_file"] <= c["target_rss_over_file"]
        target = "n/a" if c["target_ms"] is None else f"<= {c['target_ms']:,} ms"
        lines.append(f"| {c['products']:,} | {c['file_bytes'] / 1e6:.1f} MB "
                     f"| {c['median_load_ms']:.1f} ms | {target} "
                     f"| {fmt_mb(c['peak_rss_kb'])} | {c['rss_over_file']:.2f} x "
                     f"| <= {c['target_rss_over_file']} x | {verdict(ok_time and ok_rss)} |")
    return lines


def scale_table(order, scale_runs):
    lines = ["| connections | contender | requests/s | p50 | p99 | errors | peak RSS |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    conns = sorted({r["connections"] for r in scale_runs})
    for c in conns:
        for name in order:
            runs = [r for r in scale_runs
                    if r["connections"] == c and r["contender"] == name]
            if not runs:
                continue
            s = summarise(runs)
            errors = str(s["errors"]) + (" (crashed)" if s["crashed"] else "")
            rss = fmt_mb(s["peak_rss_kb"]) if s["peak_rss_kb"] else ""
            lines.append(f"| {c:,} | {name} | {fmt_rps(s.get('rps'))} "
                         f"| {fmt_ms(s.get('p50_ms'))} | {fmt_ms(s.get('p99_ms'))} "
                         f"| {errors} | {rss} |")
    return lines


def runs_table(main_runs):
    lines = ["| round | contender | requests/s | p50 | p99 | errors |",
             "|---:|---|---:|---:|---:|---:|"]
    for r in main_runs:
        f = run_figures(r)
        if f is None:
            lines.append(f"| {r['round']} | {r['contender']} | no result | | | |")
            continue
        lines.append(f"| {r['round']} | {r['contender']} | {fmt_rps(f['rps'])} "
                     f"| {fmt_ms(f['p50_ms'])} | {fmt_ms(f['p99_ms'])} "
                     f"| {f['errors']}{' (crashed)' if r.get('crashed') else ''} |")
    return lines


def chart(order, main, meta, path):
    """Two panels: median requests/s (with the round spread) and p99."""
    names = [n for n in order if main[n].get("rps") is not None]
    colours = {"product-search": "#1f77b4", "ceiling": "#7f7f7f",
               "nginx": "#2ca02c"}
    fig, (ax_rps, ax_p99) = plt.subplots(1, 2, figsize=(10, 4.2))
    rps = [main[n]["rps"] for n in names]
    low = [max(0, r - min(main[n]["rps_all"])) for r, n in zip(rps, names)]
    high = [max(0, max(main[n]["rps_all"]) - r) for r, n in zip(rps, names)]
    bars = ax_rps.bar(names, rps, yerr=[low, high], capsize=4,
                      color=[colours.get(n, "#999999") for n in names])
    ax_rps.bar_label(bars, labels=[f"{r / 1000:.1f}k" for r in rps],
                     label_type="center", color="white", fontweight="bold")
    ceiling = main.get("ceiling", {}).get("rps")
    if ceiling:
        ax_rps.axhline(TARGET_RATIO * ceiling, color="#d62728", linestyle="--",
                       linewidth=1, label=f"target: {TARGET_RATIO} x ceiling")
        ax_rps.legend(loc="lower right", fontsize=8)
    ax_rps.set_title("requests/s (median; bars: min-max of rounds)", fontsize=10)
    ax_rps.set_ylabel("requests/s")

    p99 = [main[n]["p99_ms"] for n in names]
    bars = ax_p99.bar(names, p99,
                      color=[colours.get(n, "#999999") for n in names])
    ax_p99.bar_label(bars, labels=[f"{v:.2f}" for v in p99], padding=2)
    ax_p99.axhline(TARGET_P99_MS, color="#d62728", linestyle="--",
                   linewidth=1, label=f"target: {TARGET_P99_MS:g} ms")
    ax_p99.legend(loc="upper right", fontsize=8)
    ax_p99.set_title("p99 latency, ms (median of rounds)", fontsize=10)
    ax_p99.set_ylabel("ms")
    ax_p99.set_ylim(0, max(p99 + [TARGET_P99_MS]) * 1.25)

    fig.suptitle(f"THREADS=1 on CPU 0, wrk -t1 -c{meta.get('connections')} on "
                 f"CPU 1, {meta.get('rounds')} x {meta.get('duration_s')} s, "
                 f"{meta.get('date', '')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def load_json_arg(text):
    """A JSON object given on the command line, or None for 'null'."""
    value = json.loads(text)
    return value if isinstance(value, dict) else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="JSON lines, one per wrk run")
    parser.add_argument("--ready", default="null")
    parser.add_argument("--scan", default="null")
    parser.add_argument("--catalog", default="null")
    parser.add_argument("--meta", default="{}")
    parser.add_argument("--notes", help="file of warnings, one a line")
    parser.add_argument("--out", required=True, help="results folder")
    args = parser.parse_args()

    with open(args.runs, encoding="utf-8") as f:
        runs = [json.loads(line) for line in f if line.strip()]
    ready = load_json_arg(args.ready)
    scan = load_json_arg(args.scan)
    catalog = load_json_arg(args.catalog)
    meta = load_json_arg(args.meta) or {}
    notes = []
    if args.notes:
        with open(args.notes, encoding="utf-8") as f:
            notes = [line.strip() for line in f if line.strip()]

    order = []
    for r in runs:
        if r["contender"] not in order:
            order.append(r["contender"])
    main_runs = [r for r in runs if r["phase"] == "main"]
    scale_runs = [r for r in runs if r["phase"] == "scale"]
    main = {n: summarise([r for r in main_runs if r["contender"] == n])
            for n in order if any(r["contender"] == n for r in main_runs)}
    order = [n for n in order if n in main]

    problems = []
    for r in runs:
        f = run_figures(r)
        where = f"{r['phase']} {r['contender']} ({r['connections']} connections)"
        if r.get("crashed"):
            problems.append(f"{where}: crashed or did not stop cleanly")
        if f is None:
            problems.append(f"{where}: wrk gave no result")
        elif f["errors"]:
            problems.append(f"{where}: {f['errors']} errors")
    for name, value in (("ready", ready), ("scan", scan), ("catalog", catalog)):
        if value is not None and "error" in value:
            problems.append(f"{name} measurement: {value['error']}")

    md = ["# Benchmark results (SPEC section 5)", "",
          "Produced by `make bench` (`bench/run.sh`); smoke runs "
          "(`BENCH_SMOKE=1`) write to `bench/results/tmp/` instead.", "",
          f"- date: {meta.get('date', '?')}, commit `{meta.get('commit', '?')}`",
          f"- machine: {meta.get('cpu', '?')}, {meta.get('cpus', '?')} CPUs, "
          f"Linux {meta.get('kernel', '?')}; network namespace: "
          f"{meta.get('netns', '?')}; {meta.get('wrk', 'wrk')}, nginx "
          f"{meta.get('nginx', '?')}",
          f"- load average (1 min) at start and end: {meta.get('load_start', '?')}"
          f" / {meta.get('load_end', '?')}; the benchmark itself adds about 2"
          " on a 2-CPU machine, more means other work disturbed the figures",
          f"- main table: each server with `THREADS=1` pinned to CPU 0, `wrk -t1 "
          f"-c{meta.get('connections', '?')}` pinned to CPU 1, keep-alive, "
          f"`bench/search.lua` (hit and miss queries, mixed case); "
          f"{meta.get('rounds', '?')} interleaved rounds of "
          f"{meta.get('duration_s', '?')} s (after a {meta.get('warmup_s', '?')} s "
          "warm-up), medians; each yardstick answers a constant "
          f"{meta.get('body_bytes', '?')}-byte body (the server's answer to "
          "`q=alpha`)", ""]
    if meta.get("smoke") == "1":
        md += ["**Smoke run: a few seconds per phase, figures not meaningful.**", ""]
    md += main_table(order, main) + ["", "![requests/s and p99 per contender]"
                                     "(results.png)", "",
                                     "## Against the SPEC 5 targets", ""]
    md += targets_table(main, ready, scan)
    if scan and "per_query" in scan:
        md += ["", f"Full-catalog scan over {scan['catalog']:,} products, "
               f"{scan['requests_per_query']} requests per query:", "",
               "| query | median | min | max | total_found |",
               "|---|---:|---:|---:|---:|"]
        for q, s in scan["per_query"].items():
            md.append(f"| `{q}` | {s['median_ns'] / 1e6:.3f} ms "
                      f"| {s['min_ns'] / 1e6:.3f} ms | {s['max_ns'] / 1e6:.3f} ms "
                      f"| {s['total_found']:,} |")
    if ready and "runs_ms" in ready:
        md += ["", "Time to ready, each start (ms): " +
               ", ".join(f"{t:.1f}" for t in ready["runs_ms"])]
    if catalog and "sizes" in catalog:
        md += ["", "## Catalog files (`PRODUCTS_FILE`, JSON Lines, from "
               "`--export-catalog`)", ""] + catalog_table(catalog)
    if scale_runs:
        md += ["", "## Scaling: `THREADS=2`, no pinning, `wrk -t2`, one run each",
               ""] + scale_table(order, scale_runs)
    md += ["", "## Each run of the main table", ""] + runs_table(main_runs)
    if notes:
        md += ["", "## Warnings", ""] + [f"- {n}" for n in notes]
    if problems:
        md += ["", "## Errors", ""] + [f"- {p}" for p in problems]
    md.append("")

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "main": main, "ready": ready, "scan": scan,
                   "catalog": catalog,
                   "runs": runs, "notes": notes, "problems": problems}, f,
                  indent=1)
        f.write("\n")
    if order:
        chart(order, main, meta, os.path.join(args.out, "results.png"))

    print()
    print("\n".join(main_table(order, main)))
    print()
    print("\n".join(targets_table(main, ready, scan)))
    if catalog and "sizes" in catalog:
        print()
        print("\n".join(catalog_table(catalog)))
    if scale_runs:
        print()
        print("\n".join(scale_table(order, scale_runs)))
    print(f"\nbench: results in {args.out}/results.md, results.json, results.png")
    if problems:
        for p in problems:
            print(f"bench: ERROR: {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
