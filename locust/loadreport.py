#!/usr/bin/python3
"""Summaries, charts and side-by-side comparisons of Locust runs.

    loadreport.py summary RUN_DIR
        reads RUN_DIR/locust_stats.csv, locust_stats_history.csv,
        locust_failures.csv and (optional) run.json and step_report.json;
        writes RUN_DIR/summary.md and the charts requests_per_second.png,
        response_times.png and failures.png.

    loadreport.py compare --out OUT_DIR RUN_DIR [RUN_DIR ...]
        writes OUT_DIR/compare.md (one table, one row per run) and the charts
        compare_rps.png, compare_latency.png, compare_failures.png and
        compare_over_time.png.

Only the standard library and matplotlib (Debian's python3-matplotlib).
"""

import argparse
import csv
import json
import os
import sys

STATS_FILE = "locust_stats.csv"
HISTORY_FILE = "locust_stats_history.csv"
FAILURES_FILE = "locust_failures.csv"
META_FILE = "run.json"
STEP_FILE = "step_report.json"

RUN_CHARTS = ("requests_per_second.png", "response_times.png", "failures.png")
COMPARE_CHARTS = ("compare_rps.png", "compare_latency.png", "compare_failures.png",
                  "compare_over_time.png")

SUMMARY_COLUMNS = ["Type", "Name", "# Requests", "# Fails", "Median", "95%ile", "99%ile",
                   "Average", "Min", "Max", "Average size", "RPS"]


class ReportError(Exception):
    """A problem with the input that the user must fix (one clear line)."""


# --------------------------------------------------------------------------- reading

def _num(text, kind=float):
    """Parse a Locust CSV number; "N/A" and "" give None."""
    text = (text or "").strip()
    if text in ("", "N/A"):
        return None
    try:
        return kind(text)
    except ValueError:
        if kind is int:
            return int(float(text))
        raise


def _read_csv(path, required):
    if not os.path.isfile(path):
        raise ReportError("missing %s" % path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ReportError("%s lacks column(s) %s: not a Locust 2.x CSV"
                              % (path, ", ".join(missing)))
        return list(reader)


def read_stats(path):
    """Rows of PREFIX_stats.csv as dicts with numbers; the Aggregated row is last."""
    required = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
                "Average Response Time", "Min Response Time", "Max Response Time",
                "Average Content Size", "Requests/s", "Failures/s", "95%", "99%"]
    rows = []
    for raw in _read_csv(path, required):
        rows.append({
            "type": raw["Type"],
            "name": raw["Name"],
            "requests": _num(raw["Request Count"], int) or 0,
            "fails": _num(raw["Failure Count"], int) or 0,
            "median": _num(raw["Median Response Time"]),
            "p95": _num(raw["95%"]),
            "p99": _num(raw["99%"]),
            "average": _num(raw["Average Response Time"]),
            "min": _num(raw["Min Response Time"]),
            "max": _num(raw["Max Response Time"]),
            "avg_size": _num(raw["Average Content Size"]),
            "rps": _num(raw["Requests/s"]) or 0.0,
            "fail_per_s": _num(raw["Failures/s"]) or 0.0,
        })
    if not rows or rows[-1]["name"] != "Aggregated":
        raise ReportError("%s has no Aggregated row: the run did not finish writing it" % path)
    return rows


def read_history(path):
    """Aggregated rows of PREFIX_stats_history.csv, one a second, oldest first."""
    required = ["Timestamp", "User Count", "Name", "Requests/s", "Failures/s", "50%", "95%",
                "99%", "Total Request Count", "Total Failure Count"]
    points = []
    for raw in _read_csv(path, required):
        if raw["Name"] != "Aggregated":
            continue
        points.append({
            "t": _num(raw["Timestamp"], int),
            "users": _num(raw["User Count"], int) or 0,
            "rps": _num(raw["Requests/s"]) or 0.0,
            "fail_per_s": _num(raw["Failures/s"]) or 0.0,
            "p50": _num(raw["50%"]),
            "p95": _num(raw["95%"]),
            "p99": _num(raw["99%"]),
            "total_requests": _num(raw["Total Request Count"], int) or 0,
            "total_failures": _num(raw["Total Failure Count"], int) or 0,
        })
    points.sort(key=lambda p: p["t"])
    return points


def read_failures(path):
    if not os.path.isfile(path):
        return []
    rows = _read_csv(path, ["Method", "Name", "Error", "Occurrences"])
    return [{"method": r["Method"], "name": r["Name"], "error": r["Error"],
             "occurrences": _num(r["Occurrences"], int) or 0} for r in rows]


def _read_json(path):
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except ValueError as exc:
        raise ReportError("%s is not valid JSON: %s" % (path, exc)) from None


class Run:
    """One load-test output directory."""

    def __init__(self, directory):
        if not os.path.isdir(directory):
            raise ReportError("run directory %s does not exist" % directory)
        self.dir = directory
        self.stats = read_stats(os.path.join(directory, STATS_FILE))
        self.total = self.stats[-1]
        self.history = read_history(os.path.join(directory, HISTORY_FILE))
        self.failures = read_failures(os.path.join(directory, FAILURES_FILE))
        self.meta = _read_json(os.path.join(directory, META_FILE)) or {}
        self.step = _read_json(os.path.join(directory, STEP_FILE))
        self.label = self.meta.get("label") or os.path.basename(os.path.normpath(directory))

    @property
    def fail_pct(self):
        total = self.total
        return 100.0 * total["fails"] / total["requests"] if total["requests"] else 0.0

    @property
    def duration_s(self):
        """Seconds covered by the stats history (None when there is none)."""
        if len(self.history) >= 2:
            return self.history[-1]["t"] - self.history[0]["t"]
        return None

    @property
    def peak_users(self):
        if self.history:
            return max(p["users"] for p in self.history)
        return self.meta.get("users")


# --------------------------------------------------------------------------- formatting

def fmt_int(value):
    return "N/A" if value is None else "%d" % round(value)


def fmt_float(value, digits=2):
    return "N/A" if value is None else "%.*f" % (digits, value)


def md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header, rows, right_from=0):
    """Markdown table; columns from index right_from on are right-aligned."""
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |",
             "|" + "|".join("---:" if i >= right_from else "---"
                            for i in range(len(header))) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(md_cell(c) for c in row) + " |")
    return "\n".join(lines)


def summary_row(row):
    return [row["type"], row["name"], fmt_int(row["requests"]), fmt_int(row["fails"]),
            fmt_int(row["median"]), fmt_int(row["p95"]), fmt_int(row["p99"]),
            fmt_float(row["average"]), fmt_int(row["min"]), fmt_int(row["max"]),
            fmt_int(row["avg_size"]), fmt_float(row["rps"])]


def summary_table(stats):
    return md_table(SUMMARY_COLUMNS, [summary_row(r) for r in stats], right_from=2)


def _describe_load(meta):
    if meta.get("scenario") == "step":
        return "step load shape (see below)"
    parts = []
    if meta.get("users"):
        parts.append("%s users" % meta["users"])
    if meta.get("spawn_rate"):
        parts.append("spawn rate %s/s" % meta["spawn_rate"])
    if meta.get("run_time"):
        parts.append("run time %s" % meta["run_time"])
    return ", ".join(parts) or "unknown"


def summary_markdown(run):
    meta = run.meta
    out = ["# Load test: %s" % run.label, ""]
    facts = [
        ("Target", meta.get("host")),
        ("Scenario", meta.get("scenario")),
        ("Load", _describe_load(meta)),
        ("Think time (WAIT_TIME)", meta.get("wait_time") and "%s s" % meta["wait_time"]),
        ("Started (UTC)", meta.get("started_at")),
        ("Measured", run.duration_s is not None and "%d s of stats history" % run.duration_s),
        ("Load generator", meta.get("generator")),
        ("Load average of the generator's machine (1, 5, 15 min) at start / end",
         meta.get("load_average_at_start") and "%s / %s" % (
             meta["load_average_at_start"], meta.get("load_average_at_end"))),
        ("Command", meta.get("command") and "`%s`" % meta["command"]),
    ]
    for key, value in facts:
        if value:
            out.append("- %s: %s" % (key, value))
    out += ["",
            "Times in milliseconds, sizes in bytes, RPS = requests per second over the whole run.",
            "",
            summary_table(run.stats),
            "",
            "Failures: %d of %d requests (%.2f%%)." % (run.total["fails"], run.total["requests"],
                                                     run.fail_pct)]
    if run.failures:
        out += ["", md_table(["Method", "Name", "Error", "Occurrences"],
                             [[f["method"], f["name"], f["error"], f["occurrences"]]
                              for f in run.failures], right_from=3)]
    if run.step:
        out += ["", step_section(run.step)]
    out += ["", "## Charts", ""]
    for png, title in zip(RUN_CHARTS, ("Requests per second", "Response time percentiles",
                                       "Failures")):
        out.append("![%s](%s)" % (title, png))
        out.append("")
    return "\n".join(out)


def step_section(step):
    cfg = step.get("config", {})
    lines = ["## Step load", "",
             "+%s users every %s s up to %s users; a step breaks when failures exceed %s%% "
             "or p99 exceeds %s ms." % (cfg.get("step_users"), cfg.get("step_seconds"),
                                        cfg.get("max_users"), cfg.get("max_fail_pct"),
                                        cfg.get("max_p99_ms")),
             ""]
    point = step.get("breaking_point")
    if point:
        lines.append("**Breaking point: %s users** (%s)." % (point["users"],
                                                             "; ".join(point["reasons"])))
    else:
        lines.append("**No breaking point found** (%s)." % step.get("stopped_because"))
    if step.get("generator_saturated"):
        lines += ["", "Locust itself reached 90% CPU or more during a step (column Locust CPU): "
                      "from there on the load generator, not the target, may be the limit. "
                      "Run Locust on another machine or with more workers to go further."]
    lines.append("")
    rows = [[s["users"], fmt_float(s["rps"], 1), s["requests"], fmt_float(s["fail_pct"]),
             fmt_int(s["p50_ms"]), fmt_int(s["p95_ms"]), fmt_int(s["p99_ms"]),
             fmt_int(s.get("generator_cpu_pct")), "; ".join(s["broke"]) or "held"]
            for s in step.get("steps", [])]
    lines.append(md_table(["Users", "RPS", "Requests", "Failures %", "Median", "95%ile",
                           "99%ile", "Locust CPU %", "Verdict"], rows, right_from=0))
    return "\n".join(lines)


def compare_rows(runs):
    rows = []
    for run in runs:
        total = run.total
        rows.append([run.label, run.meta.get("host", ""), fmt_int(run.peak_users),
                     fmt_int(run.duration_s), fmt_int(total["requests"]),
                     fmt_int(total["fails"]), fmt_float(run.fail_pct), fmt_float(total["rps"]),
                     fmt_int(total["median"]), fmt_int(total["p95"]), fmt_int(total["p99"]),
                     fmt_float(total["average"]), fmt_int(total["max"])])
    return rows


COMPARE_COLUMNS = ["Run", "Target", "Users", "Duration (s)", "Requests", "Failures",
                   "Failures %", "RPS", "Median (ms)", "95%ile (ms)", "99%ile (ms)",
                   "Average (ms)", "Max (ms)"]


def compare_markdown(runs):
    out = ["# Load test comparison", "",
           "Aggregated figures of each run (Locust's Aggregated row); Users is the peak user "
           "count, RPS the mean over the run.", "",
           md_table(COMPARE_COLUMNS, compare_rows(runs), right_from=2), "",
           "Runs:", ""]
    for run in runs:
        out.append("- %s: `%s`%s" % (run.label, run.dir,
                                     " (scenario %s)" % run.meta["scenario"]
                                     if run.meta.get("scenario") else ""))
    out += ["", "## Charts", ""]
    for png in COMPARE_CHARTS:
        out.append("![%s](%s)" % (png[:-4].replace("_", " "), png))
        out.append("")
    return "\n".join(out)


def unique_labels(runs):
    """Make labels distinct (reports/aws/run1 vs reports/local/run1)."""
    seen = {}
    for run in runs:
        seen.setdefault(run.label, []).append(run)
    for label, same in seen.items():
        if len(same) > 1:
            for run in same:
                parent = os.path.basename(os.path.dirname(os.path.normpath(run.dir)))
                run.label = "%s/%s" % (parent, label) if parent else run.dir
    if len({r.label for r in runs}) != len(runs):
        for run in runs:
            run.label = os.path.normpath(run.dir)


# --------------------------------------------------------------------------- charts

def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _elapsed(history):
    start = history[0]["t"] if history else 0
    return [p["t"] - start for p in history]


def _series(history, key):
    """(x, y) of the points whose value is known."""
    xs, ys = [], []
    for x, point in zip(_elapsed(history), history):
        if point[key] is not None:
            xs.append(x)
            ys.append(point[key])
    return xs, ys


def _finish(fig, ax, path):
    ax.set_xlabel("seconds since start")
    ax.grid(True, alpha=0.3)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_run_charts(run, out_dir):
    plt = _pyplot()
    hist = run.history
    paths = [os.path.join(out_dir, name) for name in RUN_CHARTS]

    fig, ax = plt.subplots(figsize=(10, 4.5))
    xs, ys = _series(hist, "rps")
    ax.plot(xs, ys, color="tab:blue", label="requests/s")
    ax.set_ylabel("requests/s")
    ax.set_title("%s: requests per second (mean %.1f/s)" % (run.label, run.total["rps"]))
    users_ax = ax.twinx()
    ux, uy = _series(hist, "users")
    users_ax.step(ux, uy, where="post", color="tab:gray", linestyle="--", label="users")
    users_ax.set_ylabel("users")
    users_ax.set_ylim(bottom=0, top=max(uy + [1]) * 1.15)
    lines = ax.get_lines() + users_ax.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="lower right")
    _finish(fig, ax, paths[0])
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 4.5))
    for key, label, color in (("p50", "median", "tab:green"), ("p95", "95%ile", "tab:orange"),
                              ("p99", "99%ile", "tab:red")):
        xs, ys = _series(hist, key)
        ax.plot(xs, ys, label=label, color=color)
    ax.set_ylabel("response time (ms)")
    ax.set_title("%s: response time percentiles (rolling window); run p95 %s ms, p99 %s ms"
                 % (run.label, fmt_int(run.total["p95"]), fmt_int(run.total["p99"])))
    ax.legend(loc="upper left")
    _finish(fig, ax, paths[1])
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 4.5))
    xs, ys = _series(hist, "fail_per_s")
    ax.plot(xs, ys, color="tab:red", label="failures/s")
    ax.set_ylabel("failures/s")
    ax.set_ylim(0, max(ys + [1]) * 1.15)
    pct_ax = ax.twinx()
    px = _elapsed(hist)
    py = [100.0 * p["total_failures"] / p["total_requests"] if p["total_requests"] else 0.0
          for p in hist]
    pct_ax.plot(px, py, color="tab:purple", linestyle="--", label="failures % (cumulative)")
    pct_ax.set_ylabel("failures % (cumulative)")
    pct_ax.set_ylim(bottom=0, top=max(py + [1.0]) * 1.15)
    ax.set_title("%s: failures (%d of %d requests, %.2f%%)" % (
        run.label, run.total["fails"], run.total["requests"], run.fail_pct))
    lines = ax.get_lines() + pct_ax.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="upper left")
    _finish(fig, ax, paths[2])
    plt.close(fig)
    return paths


def _bar_labels(ax, bars, fmt):
    for bar in bars:
        height = bar.get_height()
        ax.annotate(fmt % height, (bar.get_x() + bar.get_width() / 2, height),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")


def write_compare_charts(runs, out_dir):
    plt = _pyplot()
    labels = [r.label for r in runs]
    xs = list(range(len(runs)))
    width = max(6.0, 1.6 * len(runs) + 2)
    paths = [os.path.join(out_dir, name) for name in COMPARE_CHARTS]

    fig, ax = plt.subplots(figsize=(width, 4.5))
    bars = ax.bar(xs, [r.total["rps"] for r in runs], color="tab:blue")
    _bar_labels(ax, bars, "%.1f")
    ax.set_xticks(xs, labels, rotation=15 if len(runs) > 4 else 0)
    ax.set_ylabel("requests/s (mean over run)")
    ax.set_title("Throughput")
    ax.grid(True, axis="y", alpha=0.3)
    ax.margins(y=0.12)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(width + 1, 4.5))
    bar_w = 0.26
    for offset, key, name, color in ((-bar_w, "median", "median", "tab:green"),
                                     (0.0, "p95", "95%ile", "tab:orange"),
                                     (bar_w, "p99", "99%ile", "tab:red")):
        values = [r.total[key] or 0 for r in runs]
        bars = ax.bar([x + offset for x in xs], values, bar_w, label=name, color=color)
        _bar_labels(ax, bars, "%.0f")
    ax.set_xticks(xs, labels, rotation=15 if len(runs) > 4 else 0)
    ax.set_ylabel("response time (ms)")
    ax.set_title("Response time (whole run)")
    ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    ax.margins(y=0.12)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(width, 4.5))
    values = [r.fail_pct for r in runs]
    bars = ax.bar(xs, values, color="tab:red")
    _bar_labels(ax, bars, "%.2f%%")
    ax.set_xticks(xs, labels, rotation=15 if len(runs) > 4 else 0)
    ax.set_ylabel("failed requests (%)")
    ax.set_ylim(0, max(values + [1.0]) * 1.2)
    ax.set_title("Failures")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=100)
    plt.close(fig)

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for run in runs:
        x, y = _series(run.history, "rps")
        ax1.plot(x, y, label=run.label)
        x, y = _series(run.history, "p95")
        ax2.plot(x, y, label=run.label)
    ax1.set_ylabel("requests/s")
    ax1.set_title("Requests per second over time")
    ax2.set_ylabel("95%ile (ms, rolling window)")
    ax2.set_title("95th percentile response time over time")
    ax2.set_xlabel("seconds since start")
    for axis in (ax1, ax2):
        axis.grid(True, alpha=0.3)
        axis.set_ylim(bottom=0)
        axis.set_xlim(left=0)
        axis.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(paths[3], dpi=100)
    plt.close(fig)
    return paths


# --------------------------------------------------------------------------- commands

def cmd_summary(run_dir, charts=True):
    run = Run(run_dir)
    if charts:
        write_run_charts(run, run_dir)
    path = os.path.join(run_dir, "summary.md")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(summary_markdown(run))
    return path


def cmd_compare(out_dir, run_dirs, charts=True):
    if len(run_dirs) < 1:
        raise ReportError("compare needs at least one run directory")
    runs = [Run(d) for d in run_dirs]
    unique_labels(runs)
    os.makedirs(out_dir, exist_ok=True)
    if charts:
        write_compare_charts(runs, out_dir)
    path = os.path.join(out_dir, "compare.md")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(compare_markdown(runs))
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_sum = sub.add_parser("summary", help="summary.md and charts for one run")
    p_sum.add_argument("run_dir")
    p_cmp = sub.add_parser("compare", help="one table and charts for several runs")
    p_cmp.add_argument("--out", required=True)
    p_cmp.add_argument("run_dirs", nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "summary":
            print(cmd_summary(args.run_dir))
        else:
            print(cmd_compare(args.out, args.run_dirs))
    except ReportError as exc:
        print("loadreport: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
