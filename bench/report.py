#!/usr/bin/python3
"""Turns bench/run.sh's raw runs into results.md, results.json, results.png.

Reads one JSON line per wrk run (phase "main", "scale", or a whole-catalog phase:
"features-100k", "whole-text-100k", "whole-features-100k", "whole-text-1m"), the time-to-ready, full-scan, worst-query, FTS5 and
10M figures, and the machine notes; prints the tables on stdout. Writes
NAME.md, NAME.json, NAME.png (default-mode contenders) and NAME-whole.png
(whole-catalog requests/s beside the ceiling).
Exit status 1 when any contender had errors (socket errors or non-2xx
answers), crashed, or a measurement failed; timings never fail it. The one
exception: non-2xx answers to the features mix from a server that does not
implement the search features yet (its q-less requests get 400) are a note, not an error.
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

# the performance targets targets.
TARGET_RATIO = 0.8
TARGET_P99_MS = 2.0
TARGET_READY_MS = 50.0
TARGET_RSS_MB = 24.0
TARGET_SCAN_MS = 0.5

SERVER = "product-search"

# the whole-catalog targets targets, per whole-catalog scenario (SCAN_LIMIT=0):
# (phase, products, mix, min ratio to the ceiling, max p99 ms).
# (phase, products, mix, requests/s vs ceiling at least, p99 at most in ms,
# peak RSS at most in MB): the whole-catalog targets, then the relevance ones
# (the index holds every field; the targets allow for the descriptions), then
# the typo ones (with the word dictionary built).
WHOLE = [("whole-text-100k", 100000, "text", 0.5, 2.0, 64.0),
         ("whole-features-100k", 100000, "features", 0.25, 5.0, 64.0),
         ("whole-text-1m", 1000000, "text", 0.25, 5.0, 640.0),
         ("relevance-100k", 100000, "relevance", 0.5, 2.0, 96.0),
         ("fields4-100k", 100000, "4 fields + highlight", 0.25, 5.0, 96.0),
         ("relevance-1m", 1000000, "relevance", 0.1, 10.0, 960.0),
         ("fields4-1m", 1000000, "4 fields + highlight", 0.1, 10.0, 960.0),
         ("typo-100k", 100000, "typo", 0.25, 5.0, 96.0),
         ("typo-1m", 1000000, "typo", 0.1, 10.0, 960.0),
         ("snapshot-text-100k", 100000, "text (served from a snapshot)", 0.5, 2.0, 96.0),
         ("snapshot-text-1m", 1000000, "text (served from a snapshot)", 0.25, 5.0, 960.0)]
# ready from a snapshot, at most, in ms
TARGET_SNAPSHOT_READY_MS = {1000000: 100.0, 10000000: 1000.0}
TARGET_WHOLE_READY_MS = {100000: 50.0, 1000000: 1000.0}
FEATURES_PHASE = "features-100k"
WORST_QUERIES = ["product", "a", "1", "zzzz-none"]



def repo_relative(command):
    """command with the repository's own absolute paths made relative to it, so
    that a report names no path of the machine it ran on."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    return command.replace(root, "")

def errors_of(wrk):
    """wrk's socket errors (connect, read, write, timeout) plus non-2xx."""
    return sum(v for k, v in wrk.items() if k.startswith("errors_"))


def run_figures(run):
    """requests/s, p50 ms, p99 ms, errors (of which non-2xx) of one run;
    None where wrk failed."""
    wrk = run.get("wrk")
    if not wrk:
        return None
    return {
        "rps": wrk["requests"] * 1e6 / wrk["duration_us"],
        "p50_ms": wrk["p50_us"] / 1000,
        "p99_ms": wrk["p99_us"] / 1000,
        "errors": errors_of(wrk),
        "non2xx": wrk.get("errors_status", 0),
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
        "non2xx": sum(f["non2xx"] for f in figures),
        "peak_rss_kb": max(hwm) if hwm else None,
    }
    logs = [r["index_log"] for r in runs if r.get("index_log")]
    if logs:  # product-search's index: the median build and dictionary figures
        out["index"] = {key: statistics.median(log[key] for log in logs)
                        for key in ("build_ms", "index_kb", "dictionary_words",
                                    "dictionary_kb", "dictionary_ms") if key in logs[0]}
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
    if isinstance(ok, str):
        return ok
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


def phase_summary(runs, phase):
    """{contender: summary} of one whole-catalog phase's runs."""
    mine = [r for r in runs if r["phase"] == phase]
    names = []
    for r in mine:
        if r["contender"] not in names:
            names.append(r["contender"])
    return {n: summarise([r for r in mine if r["contender"] == n]) for n in names}


def errors_cell(s):
    """"socket errors / non-2xx", with crashes and missing results."""
    cell = f"{s['errors'] - s['non2xx']} / {s['non2xx']}"
    if s["crashed"] or s["failed"]:
        cell += f" (+{s['crashed']} crashed, {s['failed']} without result)"
    return cell


def features_table(phases):
    """The features mix in default mode, beside the ceiling."""
    got = phases.get(FEATURES_PHASE, {})
    ceiling = got.get("ceiling", {}).get("rps")
    lines = ["| contender | requests/s | p50 | p99 | errors / non-2xx | peak RSS "
             "| vs ceiling |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, s in got.items():
        lines.append(f"| {name} | {fmt_rps(s.get('rps'))} | {fmt_ms(s.get('p50_ms'))} "
                     f"| {fmt_ms(s.get('p99_ms'))} | {errors_cell(s)} "
                     f"| {fmt_mb(s['peak_rss_kb']) if name == SERVER else ''} "
                     f"| {fmt_ratio(s.get('rps'), ceiling)} |")
    return lines


def whole_table(phases, ready_whole):
    """Whole catalog (SCAN_LIMIT=0): one row per scenario."""
    lines = ["| scenario | requests/s | ceiling | vs ceiling | p50 | p99 "
             "| errors / non-2xx | peak RSS | ready | index ready |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for phase, size, mix, _, _, _ in WHOLE:
        got = phases.get(phase)
        if not got or SERVER not in got:
            continue
        s, ceiling = got[SERVER], got.get("ceiling", {}).get("rps")
        ready = (ready_whole or {}).get(str(size)) or {}
        lines.append(
            f"| {mix} mix, {size:,} products | {fmt_rps(s.get('rps'))} "
            f"| {fmt_rps(ceiling)} | {fmt_ratio(s.get('rps'), ceiling)} "
            f"| {fmt_ms(s.get('p50_ms'))} | {fmt_ms(s.get('p99_ms'))} "
            f"| {errors_cell(s)} | {fmt_mb(s['peak_rss_kb'])} "
            f"| {fmt_ms(ready.get('median_ms'))} | {index_cell(ready)} |")
    return lines


def dictionary_table(phases):
    """The typo phases' index and word dictionary, from the server's
    index_ready log line (medians of the runs)."""
    lines = ["| products | index build | index | dictionary words | dictionary build "
             "| dictionary memory |", "|---:|---:|---:|---:|---:|---:|"]
    for phase, size, mix, *_ in WHOLE:
        ix = phases.get(phase, {}).get(SERVER, {}).get("index")
        if mix != "typo" or not ix or "dictionary_kb" not in ix:
            continue
        lines.append(f"| {size:,} | {fmt_ms(ix['build_ms'])} | {fmt_mb(ix['index_kb'])} "
                     f"| {ix['dictionary_words']:,.0f} | {fmt_ms(ix['dictionary_ms'])} "
                     f"| {fmt_mb(ix['dictionary_kb'])} |")
    return lines if len(lines) > 2 else []


def snapshot_table(snapshots):
    """--write-snapshot and starts from SNAPSHOT_FILE, per catalog size."""
    lines = ["| products | build + write | file | peak RSS writing | ready from the snapshot "
             "(median) | anonymous memory then | target |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for size, got in sorted((snapshots or {}).items(), key=lambda kv: int(kv[0])):
        w, r = got.get("written") or {}, got.get("ready") or {}
        target = TARGET_SNAPSHOT_READY_MS.get(int(size))
        ready = r.get("median_ms")
        verdict_cell = ("" if target is None else
                        f"<= {target:g} ms: {verdict(None if ready is None else ready <= target)}")
        if "error" in w:
            lines.append(f"| {int(size):,} | failed | | | | | |")
            continue
        lines.append(f"| {int(size):,} | {fmt_ms(w.get('build_ms'))} + {fmt_ms(w.get('write_ms'))} "
                     f"| {w.get('bytes', 0) / 1e6:,.1f} MB | {fmt_mb(w.get('peak_rss_kb'))} "
                     f"| {fmt_ms(ready)} | {fmt_mb(r.get('anon_rss_kb'))} | {verdict_cell} |")
    return lines if len(lines) > 2 else []


def index_cell(ready):
    """Time from start to product_search_index_ready 1, or why there is none."""
    if not ready or "error" in ready:
        return "n/a"
    if not ready.get("index_metric"):
        return "no metric"
    return fmt_ms(ready.get("index_median_ms"))


def whole_targets(phases, ready_whole, spec6):
    """Whole-catalog figures, each measured against its target."""
    rows = []
    for phase, size, mix, ratio_min, p99_max, rss_max in WHOLE:
        got = phases.get(phase)
        if not got or SERVER not in got:
            continue
        s, ceiling = got[SERVER], got.get("ceiling", {}).get("rps")
        where = f"{mix} mix, {size:,} products"
        ratio = s["rps"] / ceiling if s.get("rps") and ceiling else None
        rows.append((f"{where}: requests/s vs the ceiling",
                     "n/a" if ratio is None else f"{ratio:.2f} x",
                     f">= {ratio_min} x", None if ratio is None else ratio >= ratio_min))
        p99 = s.get("p99_ms")
        rows.append((f"{where}: p99", fmt_ms(p99), f"<= {p99_max:g} ms",
                     None if p99 is None else p99 <= p99_max))
        rss = s["peak_rss_kb"]
        rows.append((f"{where}: peak resident memory under load", fmt_mb(rss),
                     f"<= {rss_max:g} MB",
                     None if rss is None else rss * 1024 / 1e6 <= rss_max))
        errors = s["errors"] + s["crashed"] + s["failed"]
        excused = mix == "features" and spec6 == "no"
        rows.append((f"{where}: errors and non-2xx", str(errors), "0",
                     "not judged: server without the search features" if excused else errors == 0))
    for size, ready in sorted((ready_whole or {}).items(), key=lambda kv: int(kv[0])):
        target = TARGET_WHOLE_READY_MS[int(size)]
        ok = ready.get("median_ms")
        rows.append((f"ready (/health 200) after start, {int(size):,} products, "
                     "SCAN_LIMIT=0", fmt_ms(ok), f"<= {target:g} ms",
                     None if ok is None else ok <= target))
    lines = ["| figure | measured | target | |", "|---|---:|---:|---|"]
    lines += [f"| {a} | {b} | {c} | {verdict(d)} |" for a, b, c, d in rows]
    return lines


def worst_table(worst):
    """search_time medians of the worst single queries, per catalog size."""
    sizes = sorted((k for k, v in worst.items() if "per_query" in v), key=int)
    if not sizes:
        return []
    head = "| query | " + " | ".join(f"{int(k):,}: median | total_found" for k in sizes) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(sizes)]
    for q in WORST_QUERIES:
        cells = []
        for k in sizes:
            got = worst[k]["per_query"].get(q)
            cells += ["n/a", "n/a"] if got is None else [
                fmt_ns(got['median_ns']), f"{got['total_found']:,}"]
        lines.append(f"| `{q}` | " + " | ".join(cells) + " |")
    return lines


def fmt_ns(ns):
    """A duration in ns as µs under a millisecond (search times of the index
    are fractions of a microsecond), as ms above."""
    return f"{ns / 1e3:.2f} µs" if ns < 1e6 else f"{ns / 1e6:.3f} ms"


def fts5_table(fts5):
    """Per-query time of FTS5 trigram beside product-search's."""
    lines = ["| engine, per query | median | mean | p99 |", "|---|---:|---:|---:|"]
    rows = [("SQLite FTS5 trigram, in-process (count + first 20 ids)", "fts5"),
            ("product-search `search_time_ns` (SCAN_LIMIT=0, over HTTP)",
             "product_search")]
    if "fts5_trigram" in fts5:
        only = f", only the {fts5['trigram_queries']:,} queries of 3+ characters"
        rows += [("SQLite FTS5 trigram" + only, "fts5_trigram"),
                 ("product-search" + only, "product_search_trigram")]
    for label, key in rows:
        t = fts5[key]
        lines.append(f"| {label} | {fmt_ns(t['median_ns'])} "
                     f"| {fmt_ns(t['mean_ns'])} | {fmt_ns(t['p99_ns'])} |")
    return lines


def tenm_table(tenm):
    """10,000,000 products: ready, index, memory, search_time of the mix."""
    got = tenm.get("queries") or {}
    times = got.get("search_time") or {}

    def ms(key):
        return "n/a" if key not in times else fmt_ns(times[key])
    return ["| products | ready | index ready | peak RSS at index ready "
            f"| peak RSS after {got.get('queries', 'the')} queries "
            "| search_time median | mean | p99 |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| 10,000,000 | {fmt_ms(tenm.get('median_ms'))} | {index_cell(tenm)} "
            f"| {fmt_mb(tenm.get('peak_rss_kb'))} "
            f"| {fmt_mb(tenm.get('queries_peak_rss_kb'))} "
            f"| {ms('median_ns')} | {ms('mean_ns')} | {ms('p99_ns')} |"]


def whole_chart(phases, meta, path):
    """Whole-catalog requests/s beside the ceiling, with each target."""
    shown = [(phase, size, mix, ratio) for phase, size, mix, ratio, _, _ in WHOLE
             if phases.get(phase, {}).get(SERVER, {}).get("rps") is not None]
    if not shown:
        return False
    fig, ax = plt.subplots(figsize=(9, 4.2))
    width = 0.38
    for i, (phase, size, mix, ratio) in enumerate(shown):
        ours = phases[phase][SERVER]["rps"]
        ceiling = phases[phase].get("ceiling", {}).get("rps")
        bar = ax.bar(i - width / 2, ours, width, color="#1f77b4",
                     label="product-search (SCAN_LIMIT=0)" if i == 0 else None)
        text = f"{ours / 1000:.1f}k"
        if ceiling:
            text += f"\n{ours / ceiling:.2f} x"
            ax.bar(i + width / 2, ceiling, width, color="#7f7f7f",
                   label="ceiling" if i == 0 else None)
            ax.text(i + width / 2, ceiling, f"{ceiling / 1000:.1f}k",
                    ha="center", va="bottom", fontsize=8)
            ax.hlines(ratio * ceiling, i - width, i, colors="#d62728",
                      linestyles="--", linewidth=1.2,
                      label="target (x ceiling)" if i == 0 else None)
        ax.bar_label(bar, labels=[text], padding=2, fontsize=8)
    ax.set_xticks(range(len(shown)))
    ax.set_xticklabels([f"{mix} mix\n{size:,} products"
                        for _, size, mix, _ in shown])
    ax.set_ylabel("requests/s (median of rounds)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    ax.set_title(f"Whole catalog (SCAN_LIMIT=0): {run_caption(meta)}", fontsize=9)
    save_chart(fig, path)
    return True


def run_caption(meta):
    """How the runs of a chart were made, in one line."""
    return (f"THREADS=1 on CPU 0, wrk -t1 -c{meta.get('connections')} on CPU 1, "
            f"{meta.get('rounds')} x {meta.get('duration_s')} s, {meta.get('date', '')}")


def save_chart(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


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

    fig.suptitle(run_caption(meta), fontsize=10)
    save_chart(fig, path)


def reload_table(reload):
    """SPEC 9: reloads under load, each figure against its target."""
    w, wo = reload["with_reloads"], reload["without_reloads"]
    rows = [
        ("reloads done (rename + SIGHUP, alternating two contents)",
         f"{reload['reloads']} of {reload['reloads']}, {reload['reload_failures']} refused",
         "all", verdict(reload["reload_failures"] == 0)),
        ("errors and non-2xx (both runs)", str(reload["errors"]), "0",
         verdict(reload["errors"] == 0)),
        ("requests/s with / without reloads",
         f"{fmt_rps(w['requests'] * 1e6 / w['duration_us'])} / "
         f"{fmt_rps(wo['requests'] * 1e6 / wo['duration_us'])}", "", ""),
        ("p50 with / without reloads",
         f"{fmt_ms(w['p50_us'] / 1000)} / {fmt_ms(wo['p50_us'] / 1000)}", "", ""),
        ("p99 with / without reloads (medians of the rounds)",
         f"{fmt_ms(w['p99_us'] / 1000)} / {fmt_ms(wo['p99_us'] / 1000)} "
         f"({reload['p99_ratio']:.2f} x)", "at most 2 x",
         verdict(reload["p99_ratio"] <= 2.0)),
        ("p99 of each round, with / without reloads",
         ", ".join(f"{a / 1000:.2f} / {b / 1000:.2f}" for a, b in reload["p99_each_round"])
         + " ms", "", ""),
        ("resident memory: one catalog served (steady, under load)",
         fmt_mb(reload["rss_steady_kb"]), "", ""),
        ("resident memory: peak during the reloads (sampled every 10 ms)",
         fmt_mb(reload["rss_peak_kb"]), f"old + new: {fmt_mb(reload['rss_bound_kb'])}",
         verdict(reload["rss_peak_kb"] <= reload["rss_bound_kb"])),
        ("resident memory after each reload (old one freed)",
         ", ".join(f"{kb / 1024:.0f}" for kb in reload["rss_after_kb"]) + " MiB", "", ""),
        ("reload time, rename to switch (s)",
         ", ".join(f"{t:.2f}" for t in reload["reload_wall_s"]), "", ""),
    ]
    lines = ["| figure | measured | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return lines


def readiness_table(r):
    """SPEC 9: requests from the first moment of a whole-catalog start."""
    statuses = ", ".join(f"{n:,} x {code}" for code, n in sorted(r["search_statuses"].items()))
    rows = [
        ("ready (first /health 200) after spawn", fmt_ms(r["ready_ms"]), "", ""),
        ("searches answered (status)", f"{r['searches']:,} ({statuses})",
         "200 or 503 only", verdict(not r["unexpected_statuses"])),
        ("searches before ready: 503 of them",
         f"{r['searches_before_ready_503']:,} of {r['searches_before_ready']:,}", "", ""),
        ("server time of a search, max (p99)",
         f"{fmt_ms(r['max_server_ms'])} ({fmt_ms(r['p99_server_ms'])})", "under 50 ms",
         verdict(r["max_server_ms"] is not None and r["max_server_ms"] < 50)),
        ("server time, max of 503 / of 200 answers",
         f"{fmt_ms(r['max_server_ms_503'])} / {fmt_ms(r['max_server_ms_200'])}", "", ""),
        ("/health checks: server time max, client time max",
         f"{r['health_checks']:,}: {fmt_ms(r['max_health_server_ms'])}, "
         f"{fmt_ms(r['max_health_client_ms'])}", "", ""),
    ]
    lines = ["| figure | measured | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return lines


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
    parser.add_argument("--mixes", default="null", help="bench/mixes.py summaries")
    parser.add_argument("--ready-whole", default="null",
                        help="time to ready at SCAN_LIMIT=0, by catalog size")
    parser.add_argument("--worst", default="null",
                        help="worst single queries, by catalog size")
    parser.add_argument("--fts5", default="null", help="measure.py mix-compare")
    parser.add_argument("--tenm", default="null", help="10,000,000 products")
    parser.add_argument("--reload", default="null", help="measure.py reload")
    parser.add_argument("--readiness", default="null", help="measure.py readiness")
    parser.add_argument("--snapshots", default="null",
                        help="per size: the snapshot_written line and measure.py ready")
    parser.add_argument("--name", default="results", help="output file stem")
    parser.add_argument("--meta", default="{}")
    parser.add_argument("--notes", help="file of warnings, one a line")
    parser.add_argument("--out", required=True, help="results folder")
    args = parser.parse_args()

    with open(args.runs, encoding="utf-8") as f:
        runs = [json.loads(line) for line in f if line.strip()]
    ready = load_json_arg(args.ready)
    scan = load_json_arg(args.scan)
    catalog = load_json_arg(args.catalog)
    mixes = load_json_arg(args.mixes)
    ready_whole = load_json_arg(args.ready_whole)
    worst = load_json_arg(args.worst)
    fts5 = load_json_arg(args.fts5)
    tenm = load_json_arg(args.tenm)
    reload = load_json_arg(args.reload)
    readiness = load_json_arg(args.readiness)
    snapshots = load_json_arg(args.snapshots)
    meta = load_json_arg(args.meta) or {}
    spec6 = meta.get("spec6")
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
    phases = {p: phase_summary(runs, p) for p in
              dict.fromkeys(r["phase"] for r in runs if r["phase"] not in ("main", "scale"))}

    problems = []
    for r in runs:
        f = run_figures(r)
        where = f"{r['phase']} {r['contender']} ({r['connections']} connections)"
        if r.get("crashed"):
            problems.append(f"{where}: crashed or did not stop cleanly")
        if f is None:
            problems.append(f"{where}: wrk gave no result")
        elif f["errors"] and "features" in r["phase"] and spec6 == "no" \
                and f["errors"] == f["non2xx"]:
            notes.append(f"{where}: {f['non2xx']} non-2xx answers to the features "
                         "mix from a server without the search features (not counted as errors)")
        elif f["errors"]:
            problems.append(f"{where}: {f['errors']} errors "
                            f"({f['non2xx']} of them non-2xx)")
    measured = [("ready", ready), ("scan", scan), ("catalog", catalog),
                ("fts5", fts5), ("10M", tenm), ("10M queries", (tenm or {}).get("queries")),
                ("reload", reload), ("readiness", readiness)]
    measured += [(f"ready at {k} products", v) for k, v in (ready_whole or {}).items()]
    measured += [(f"worst queries at {k} products", v) for k, v in (worst or {}).items()]
    for name, value in measured:
        if value is not None and "error" in value:
            problems.append(f"{name} measurement: {value['error']}")
    if reload and "error" not in reload and reload["errors"]:
        problems.append(f"reload: {reload['errors']} errors or non-2xx answers under load")
    if reload and "error" not in reload and reload["reload_failures"]:
        problems.append(f"reload: {reload['reload_failures']} reloads refused")
    if readiness and "error" not in readiness and readiness["unexpected_statuses"]:
        problems.append("readiness: search answers other than 200 and 503: "
                        f"{readiness['unexpected_statuses']}")
    if fts5 and fts5.get("answers_differ"):
        problems.append(f"fts5: {fts5['answers_differ']} queries where FTS5 and "
                        "product-search disagree on total_found or ids, e.g. "
                        f"{fts5['differ_examples']}")

    md = ["# Benchmark results (the performance targets)", "",
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
          "`q=alpha`)",
          f"- phases: {meta.get('phases', '?')}", ""]
    if meta.get("smoke") == "1":
        md += ["**Smoke run: a few seconds per phase, figures not meaningful.**", ""]
    if main_runs:
        md += main_table(order, main) + ["", f"![requests/s and p99 per contender]"
                                         f"({args.name}.png)", "",
                                         "## Against the performance targets", ""]
        md += targets_table(main, ready, scan)
    if scan and "per_query" in scan:
        md += ["", f"Full-catalog scan over {scan['catalog']:,} products, "
               f"{scan['requests_per_query']} requests per query:", "",
               "| query | median | min | max | total_found |",
               "|---|---:|---:|---:|---:|"]
        for q, s in scan["per_query"].items():
            md.append(f"| `{q}` | {fmt_ns(s['median_ns'])} "
                      f"| {fmt_ns(s['min_ns'])} | {fmt_ns(s['max_ns'])} "
                      f"| {s['total_found']:,} |")
    if ready and "runs_ms" in ready:
        md += ["", "Time to ready, each start (ms): " +
               ", ".join(f"{t:.1f}" for t in ready["runs_ms"])]
    if catalog and "sizes" in catalog:
        md += ["", "## Catalog files (`PRODUCTS_FILE`, JSON Lines, from "
               "`--export-catalog`)", ""] + catalog_table(catalog)
    if mixes:
        md += ["", "## whole-catalog query mixes (`bench/mixes.py`, seed "
               f"{meta.get('mix_seed', '?')})", "",
               "| products | text mix: requests, distinct | features mix: requests, "
               "distinct, with features, without q | typo mix: requests, distinct |",
               "|---:|---:|---:|---:|"]
        for size, m in sorted(mixes.items(), key=lambda kv: int(kv[0])):
            t, f, ty = m["text"], m["features"], m.get("typo")
            typo = f"{ty['requests']:,}, {ty['distinct']:,}" if ty else "n/a"
            md.append(f"| {int(size):,} | {t['requests']:,}, {t['distinct']:,} "
                      f"| {f['requests']:,}, {f['distinct']:,}, "
                      f"{f['with_features']:,}, {f['without_q']:,} | {typo} |")
    if FEATURES_PHASE in phases:
        md += ["", "## Features mix in default mode (`SCAN_LIMIT=100`, 100,000 "
               "products)", ""] + features_table(phases)
    whole_png = f"{args.name}-whole.png"
    has_whole = any(phases.get(p) for p, *_ in WHOLE)
    if has_whole:
        md += ["", "## Whole catalog (`SCAN_LIMIT=0`)", "",
               "Requests/s, p50 and p99 are medians of the rounds; errors are "
               "summed; ready is the median start to `/health` 200, index ready "
               "the median start to `product_search_index_ready 1` on `/metrics` "
               "(\"no metric\": the server has no such metric, so it answers "
               "from its final search path as soon as `/health` is 200).", ""]
        md += whole_table(phases, ready_whole)
        md += ["", f"![whole-catalog requests/s beside the ceiling]({whole_png})",
               "", "### Against the whole-catalog targets", ""]
        md += whole_targets(phases, ready_whole, spec6)
        if dictionary_table(phases):
            md += ["", "### The typo dictionary (the server's `index_ready` log line)", ""]
            md += dictionary_table(phases)
    if snapshot_table(snapshots):
        md += ["", "## Snapshots (`--write-snapshot`, `SNAPSHOT_FILE`)", "",
               "Build + write and peak RSS from the `snapshot_written` line; ready is the "
               "median start to `/health` 200 (the index comes with the snapshot); "
               "anonymous memory is `RssAnon` then (the mapped file's pages are shared "
               "and evictable, not counted).", ""] + snapshot_table(snapshots)
    if worst and worst_table(worst):
        md += ["", "## Worst single queries (`SCAN_LIMIT=0`), median "
               "`search_time`", ""] + worst_table(worst)
    if fts5 and "fts5" in fts5:
        md += ["", "## SQLite FTS5 trigram beside product-search (text mix, "
               f"{fts5.get('products') or 0:,} products)", "",
               f"{fts5['queries']:,} queries of the text mix, {fts5['rounds']} "
               "interleaved rounds, every query time of every round pooled. FTS5 "
               f"(SQLite {fts5.get('sqlite')}) runs in-process, on CPU 0 like the "
               "server: count plus the first 20 ids in id order, no rendering. "
               "A trigram index cannot answer queries under 3 characters; those "
               f"({fts5.get('like_fallback')} of them) go through `LIKE` on the "
               "same table (a full scan). product-search's figure is its own "
               "`search_time_ns` for the same queries over HTTP. Loading the "
               f"catalog into FTS5 took {fts5.get('fts5_load_ms')} ms. Answers "
               f"(total and first 20 ids) differ on {fts5['answers_differ']} "
               "queries.", ""] + fts5_table(fts5)
    if tenm:
        md += ["", "## 10,000,000 products (`BENCH_10M=1`, `SCAN_LIMIT=0`, "
               "one start; then the first text-mix queries one at a time)", ""] + \
            tenm_table(tenm)
    if reload and "error" not in reload:
        md += ["", f"## Reloads under load (`PRODUCTS_FILE` of {reload['products']:,} "
               f"products, {reload['connections']} connections)", "",
               f"The server (`THREADS=1`, CPU 0, whole catalog) under `wrk` (CPU 1, "
               f"`bench/search.lua`) while {reload['reloads'] // reload['rounds']} "
               "reloads alternate two files of the same size (a copy renamed over "
               "the catalog, then SIGHUP; the next once "
               "`product_search_reloads_total` counted the last), then the same load "
               f"for as long without reloads; {reload['rounds']} such rounds, "
               f"{reload['seconds']} s of load with reloads in all, medians. Old + new "
               "is twice the resident memory of one catalog served under the same "
               "load.", ""] + reload_table(reload)
    if readiness and "error" not in readiness:
        md += ["", "## Readiness: requests from the first moment", "",
               f"`{repo_relative(readiness['command'])}` with `ACCESS_LOG=on`; 8 clients send the "
               "features mix over keep-alive connections as soon as the server "
               "listens, another GETs `/health` every 10 ms, until 3 s after the "
               "first `/health` 200. Server time is the access log's `duration_us` "
               "(first handler call to answer queued).", ""] + readiness_table(readiness)
    if scale_runs:
        md += ["", "## Scaling: `THREADS=2`, no pinning, `wrk -t2`, one run each",
               ""] + scale_table(order, scale_runs)
    if main_runs:
        md += ["", "## Each run of the main table", ""] + runs_table(main_runs)
    if notes:
        md += ["", "## Warnings", ""] + [f"- {n}" for n in notes]
    if problems:
        md += ["", "## Errors", ""] + [f"- {p}" for p in problems]
    md.append("")

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.name}.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    with open(os.path.join(args.out, f"{args.name}.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "main": main, "ready": ready, "scan": scan,
                   "catalog": catalog, "mixes": mixes, "phases": phases,
                   "ready_whole": ready_whole, "worst": worst, "fts5": fts5,
                   "tenm": tenm, "reload": reload, "readiness": readiness, "snapshots": snapshots,
                   "runs": runs, "notes": notes,
                   "problems": problems}, f, indent=1)
        f.write("\n")
    if order:
        chart(order, main, meta, os.path.join(args.out, f"{args.name}.png"))
    if has_whole:
        whole_chart(phases, meta, os.path.join(args.out, whole_png))

    printed = []
    if main_runs:
        printed += [main_table(order, main), targets_table(main, ready, scan)]
    if catalog and "sizes" in catalog:
        printed.append(catalog_table(catalog))
    if FEATURES_PHASE in phases:
        printed.append(["Features mix, default mode (SCAN_LIMIT=100):"] +
                       features_table(phases))
    if has_whole:
        printed += [["Whole catalog (SCAN_LIMIT=0):"] + whole_table(phases, ready_whole),
                    whole_targets(phases, ready_whole, spec6)]
    if worst and worst_table(worst):
        printed.append(["Worst single queries, median search_time:"] +
                       worst_table(worst))
    if fts5 and "fts5" in fts5:
        printed.append([f"FTS5 trigram vs product-search, {fts5['queries']:,} "
                        f"queries x {fts5['rounds']} rounds, answers differ on "
                        f"{fts5['answers_differ']}:"] + fts5_table(fts5))
    if tenm:
        printed.append(tenm_table(tenm))
    if reload and "error" not in reload:
        printed.append(["Reloads under load:"] + reload_table(reload))
    if readiness and "error" not in readiness:
        printed.append(["Readiness, requests from the first moment:"] +
                       readiness_table(readiness))
    if scale_runs:
        printed.append(scale_table(order, scale_runs))
    for table in printed:
        print()
        print("\n".join(table))
    print(f"\nbench: results in {args.out}/{args.name}.md, {args.name}.json, "
          "and the charts beside them")
    if problems:
        for p in problems:
            print(f"bench: ERROR: {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
