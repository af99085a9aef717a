#!/usr/bin/python3
"""Summaries, charts and side-by-side comparisons of Locust runs.

    loadreport.py summary RUN_DIR
        reads RUN_DIR/locust_stats.csv and (optional) locust_stats_history.csv,
        locust_failures.csv, locust_cpu.csv, run.json and step_report.json;
        writes RUN_DIR/summary.md and the charts requests_per_second.png,
        response_times.png and failures.png.

    loadreport.py compare --out OUT_DIR RUN_DIR [RUN_DIR ...]
        writes OUT_DIR/compare.md (one table, one row per run) and the charts
        compare_rps.png, compare_latency.png, compare_failures.png and
        compare_over_time.png. A RUN_DIR may be a published reference
        (run.json "published": true, only the Aggregated row): it is
        labelled "published" in every table and chart.

    loadreport.py repair-history CSV_FILE
        rewrites a PREFIX_stats_history.csv in place without the artefacts of
        Locust's shut-down (see repair_history_rows).

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
CPU_FILE = "locust_cpu.csv"
META_FILE = "run.json"
STEP_FILE = "step_report.json"

# Locust warns from this CPU share on (one core = 100 %); a generator at or above
# it is the bottleneck, not the target.
GENERATOR_CPU_LIMIT = 90.0
# Bars and lines whose values differ more than this factor get a log scale.
LOG_SCALE_RATIO = 100.0
PUBLISHED = "published"

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
            "rps": _num(raw["Requests/s"]),
            "fail_per_s": _num(raw["Failures/s"]),
        })
    if not rows or rows[-1]["name"] != "Aggregated":
        raise ReportError("%s has no Aggregated row: the run did not finish writing it" % path)
    return rows


def repair_history_rows(rows):
    """Remove the artefacts of Locust's shut-down from stats-history rows.

    rows: dicts with at least "Timestamp", "User Count" and "Name" (csv.DictReader
    rows), in file order. The last row of a run is written at shut-down, when
    the users have already been stopped: it says 0 users and often repeats the
    timestamp of the previous row. Returns new rows where
    - rows with the same (Timestamp, Name) collapse to the last one written
      (it holds the final totals), and
    - trailing rows with 0 users after a run that had users carry the user
      count of the last row before them (the users were stopped only to quit).
    """
    last_index = {}
    for index, row in enumerate(rows):
        last_index[(row["Timestamp"], row["Name"])] = index
    kept = [dict(row) for index, row in enumerate(rows)
            if last_index[(row["Timestamp"], row["Name"])] == index]

    def users(row):
        return _num(row["User Count"], int) or 0

    tail = len(kept)
    while tail > 0 and users(kept[tail - 1]) == 0:
        tail -= 1
    if 0 < tail < len(kept):
        running = kept[tail - 1]["User Count"]
        for row in kept[tail:]:
            row["User Count"] = running
    return kept


def repair_history_file(path):
    """Rewrite PREFIX_stats_history.csv with repair_history_rows (atomic rename)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames
        rows = list(reader)
    if not fields or not {"Timestamp", "User Count", "Name"} <= set(fields):
        raise ReportError("%s is not a Locust stats history file" % path)
    tmp_path = path + ".repair.tmp"
    with open(tmp_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(repair_history_rows(rows))
    os.replace(tmp_path, path)


def read_history(path):
    """Aggregated rows of PREFIX_stats_history.csv, one a second, oldest first.

    A missing file gives [] (a published reference has no history). Each point
    also carries "avg": the fractional mean response time of the requests
    completed since the previous point, from Locust's running totals (its
    percentiles are whole milliseconds; this is not).
    """
    if not os.path.isfile(path):
        return []
    required = ["Timestamp", "User Count", "Name", "Requests/s", "Failures/s", "50%", "95%",
                "99%", "Total Request Count", "Total Failure Count"]
    points = []
    for raw in repair_history_rows(_read_csv(path, required)):
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
            "total_avg": _num(raw.get("Total Average Response Time")),
        })
    points.sort(key=lambda p: p["t"])
    previous = None
    for point in points:
        point["avg"] = None
        if point["total_avg"] is not None and point["total_requests"] > 0:
            if previous is None or previous["total_avg"] is None:
                done, spent = 0, 0.0
            else:
                done = previous["total_requests"]
                spent = previous["total_avg"] * done
            if point["total_requests"] > done:
                point["avg"] = max(0.0, (point["total_avg"] * point["total_requests"] - spent)
                                   / (point["total_requests"] - done))
        previous = point
    return points


def read_cpu(path):
    """Samples of locust_cpu.csv: [{"t", "process", "cpu", "users"}]; [] when absent."""
    if not os.path.isfile(path):
        return []
    rows = _read_csv(path, ["Timestamp", "Process", "CPU %", "User Count"])
    return [{"t": _num(r["Timestamp"], float), "process": r["Process"],
             "cpu": _num(r["CPU %"], float), "users": _num(r["User Count"], int) or 0}
            for r in rows if _num(r["CPU %"], float) is not None]


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
    """One load-test output directory, or a published reference in the same format."""

    def __init__(self, directory):
        if not os.path.isdir(directory):
            raise ReportError("run directory %s does not exist" % directory)
        self.dir = directory
        self.stats = read_stats(os.path.join(directory, STATS_FILE))
        self.total = self.stats[-1]
        self.history = read_history(os.path.join(directory, HISTORY_FILE))
        self.failures = read_failures(os.path.join(directory, FAILURES_FILE))
        self.cpu = read_cpu(os.path.join(directory, CPU_FILE))
        self.meta = _read_json(os.path.join(directory, META_FILE)) or {}
        self.step = _read_json(os.path.join(directory, STEP_FILE))
        self.published = self.meta.get("published") is True
        self.label = self.meta.get("label") or os.path.basename(os.path.normpath(directory))
        if self.published and PUBLISHED not in self.label:
            self.label = "%s (%s)" % (self.label, PUBLISHED)

    @property
    def source(self):
        return PUBLISHED if self.published else "measured"

    @property
    def fail_pct(self):
        total = self.total
        return 100.0 * total["fails"] / total["requests"] if total["requests"] else 0.0

    @property
    def duration_s(self):
        """Seconds covered by the stats history (None when there is none)."""
        if len(self.history) >= 2:
            return self.history[-1]["t"] - self.history[0]["t"]
        return self.meta.get("duration_s")

    @property
    def peak_users(self):
        if self.history:
            return max(p["users"] for p in self.history)
        return self.meta.get("users")

    def steady_start(self):
        """Timestamp of the first history point with every user running (None: unknown)."""
        if len(self.history) < 2 or self.meta.get("scenario") == "step" or self.meta.get("shape"):
            return None
        peak = self.peak_users
        if not peak:
            return None
        return next(p["t"] for p in self.history if p["users"] == peak)

    @property
    def steady(self):
        """Steady state: {"rps", "seconds", "requests"} counted from the first history
        point at which all users run to the end of the run, from Locust's request
        counts (not its 2-second rolling requests/s). Published runs give the
        figure they quote. None when not known (no history, a step shape, or
        all users running for less than 2 s)."""
        if self.published:
            rps = self.meta.get("steady_rps")
            return None if rps is None else {"rps": float(rps), "seconds": None,
                                             "requests": None}
        start_t = self.steady_start()
        if start_t is None:
            return None
        start = next(p for p in self.history if p["t"] == start_t)
        end = self.history[-1]
        seconds = end["t"] - start["t"]
        if seconds < 2:
            return None
        requests = end["total_requests"] - start["total_requests"]
        return {"rps": requests / seconds, "seconds": seconds, "requests": requests}

    def cpu_by_process(self):
        """{process: (peak %, mean %, samples)} over the steady state (the whole run
        when the steady state is unknown); {} when no CPU was recorded."""
        start_t = self.steady_start()
        samples = [c for c in self.cpu if start_t is None or c["t"] >= start_t] or self.cpu
        out = {}
        for sample in samples:
            out.setdefault(sample["process"], []).append(sample["cpu"])
        return {name: (max(values), sum(values) / len(values), len(values))
                for name, values in sorted(out.items())}

    @property
    def cpu_peak(self):
        """Highest CPU share of any Locust process (None when not recorded)."""
        per = self.cpu_by_process()
        return max(v[0] for v in per.values()) if per else None

    @property
    def saturated(self):
        """True when a Locust process reached GENERATOR_CPU_LIMIT: the generator,
        not the target, may have set the pace (also when Locust logged its own
        CPU warning or a step of the step shape saw it)."""
        peak = self.cpu_peak
        if peak is not None and peak >= GENERATOR_CPU_LIMIT:
            return True
        if self.step and self.step.get("generator_saturated"):
            return True
        return self.meta.get("locust_cpu_warning") is True

    def busy_machine_note(self):
        """One Markdown line when the generator's machine had more runnable work than
        cores (1-minute load average above the CPU count) at the start or end of the
        run, else None: Locust then got less CPU than it asked for, and its figures
        (and its CPU share) understate what it drives on a quiet machine."""
        cpus = self.meta.get("cpus")
        if not cpus:
            return None
        loads = []
        for key in ("load_average_at_start", "load_average_at_end"):
            text = self.meta.get(key) or ""
            try:
                loads.append(float(text.split()[0]))
            except (IndexError, ValueError):
                continue
        if not loads or max(loads) <= cpus:
            return None
        return ("**Note: the load generator's machine was busy** (1-minute load average up to "
                "%.1f on %d CPUs): Locust shared its cores with other work, so the requests/s of "
                "%s understate what it drives on a quiet machine, and its CPU share can stay "
                "below 90 %% while it is the bottleneck." % (max(loads), cpus, self.label))

    def saturation_warning(self):
        """One Markdown paragraph when the generator saturated, else None."""
        if not self.saturated:
            return None
        per = self.cpu_by_process()
        hot = ["%s: peak %.0f %%, mean %.0f %%" % (name, peak, mean)
               for name, (peak, mean, _n) in per.items() if peak >= GENERATOR_CPU_LIMIT]
        detail = "; ".join(hot) if hot else "Locust logged its CPU warning"
        return ("**Warning: the load generator saturated.** Locust reached %d %% CPU or more "
                "(%s; one core = 100 %%): the requests/s and response times of %s are bounded "
                "by Locust, not by the target. Add Locust processes (`WORKERS=N`, one per free "
                "core) or workers on other machines." % (GENERATOR_CPU_LIMIT, detail, self.label))


# --------------------------------------------------------------------------- formatting

def fmt_int(value):
    return "N/A" if value is None else "%d" % round(value)


def fmt_float(value, digits=2):
    return "N/A" if value is None else "%.*f" % (digits, value)


def fmt_ms(value, requests=1):
    """A whole-millisecond figure of Locust; 0 with requests behind it is "<1"
    (Locust records whole milliseconds, so 0 means under 1 ms, not nothing)."""
    if value is None:
        return "N/A"
    if round(value) == 0 and requests:
        return "<1"
    return "%d" % round(value)


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
    n = row["requests"]
    return [row["type"], row["name"], fmt_int(n), fmt_int(row["fails"]),
            fmt_ms(row["median"], n), fmt_ms(row["p95"], n), fmt_ms(row["p99"], n),
            fmt_float(row["average"]), fmt_ms(row["min"], n), fmt_ms(row["max"], n),
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


def describe_wait(meta):
    """The think time with its meaning: "0 s (continuous)" or "1-2 s"."""
    wait = meta.get("wait_time")
    if wait is None or wait == "":
        return None
    try:
        continuous = all(float(part) == 0 for part in str(wait).split("-"))
    except ValueError:
        continuous = False
    return "%s s%s" % (wait, " (continuous)" if continuous else "")


def describe_generator_cpu(run):
    per = run.cpu_by_process()
    if not per:
        return None
    return "; ".join("%s peak %.0f %%, mean %.0f %%" % (name, peak, mean)
                     for name, (peak, mean, _n) in per.items())


def summary_markdown(run):
    meta = run.meta
    out = ["# Load test: %s" % run.label, ""]
    steady = run.steady
    facts = [
        ("Source", run.published and "published figures, not measured here (%s)"
         % meta.get("source", "see run.json")),
        ("Target", meta.get("host")),
        ("Scenario", meta.get("scenario")),
        ("Load", _describe_load(meta)),
        ("Think time (WAIT_TIME)", describe_wait(meta)),
        ("Started (UTC)", meta.get("started_at")),
        ("Measured", run.duration_s is not None and "%d s of stats history" % run.duration_s),
        ("Steady state (all users running)", steady and (
            "%.1f requests/s" % steady["rps"] + (
                " (%d requests in %d s)" % (steady["requests"], steady["seconds"])
                if steady["seconds"] else ""))),
        ("Load generator", meta.get("generator")),
        ("Locust CPU once all users ran (one core = 100 %)", describe_generator_cpu(run)),
        ("Load average of the generator's machine (1, 5, 15 min) at start / end",
         meta.get("load_average_at_start") and "%s / %s" % (
             meta["load_average_at_start"], meta.get("load_average_at_end"))),
        ("Command", meta.get("command") and "`%s`" % meta["command"]),
        ("Note", meta.get("note")),
    ]
    for key, value in facts:
        if value:
            out.append("- %s: %s" % (key, value))
    for warning in (run.saturation_warning(), run.busy_machine_note()):
        if warning:
            out += ["", warning]
    out += ["",
            "Times in milliseconds (\"<1\": under 1 ms; Locust records whole milliseconds), "
            "sizes in bytes, RPS = requests per second over the whole run.",
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


def _cpu_cell(run):
    peak = run.cpu_peak
    if peak is None:
        return "saturated" if run.saturated else "N/A"
    return "%.0f%s" % (peak, " (saturated)" if run.saturated else "")


def compare_rows(runs):
    rows = []
    for run in runs:
        total = run.total
        n = total["requests"]
        steady = run.steady
        rows.append([run.label, run.source, run.meta.get("host", ""), fmt_int(run.peak_users),
                     run.meta.get("spawn_rate") or "N/A",
                     run.meta.get("wait_time") if run.meta.get("wait_time") not in (None, "")
                     else "N/A",
                     fmt_int(run.duration_s), fmt_int(n), fmt_int(total["fails"]),
                     fmt_float(run.fail_pct), fmt_float(total["rps"]),
                     fmt_float(steady and steady["rps"], 1),
                     fmt_ms(total["median"], n), fmt_ms(total["p95"], n), fmt_ms(total["p99"], n),
                     fmt_float(total["average"]), fmt_ms(total["max"], n), _cpu_cell(run)])
    return rows


COMPARE_COLUMNS = ["Run", "Source", "Target", "Users", "Spawn (/s)", "Wait (s)", "Duration (s)",
                   "Requests", "Failures", "Failures %", "RPS (run)", "RPS (steady)",
                   "Median (ms)", "95%ile (ms)", "99%ile (ms)", "Average (ms)", "Max (ms)",
                   "Locust CPU %"]


def compare_markdown(runs):
    out = ["# Load test comparison", "",
           "Aggregated figures of each run (Locust's Aggregated row). Users is the peak user "
           "count; Wait the think time per user between requests (0: continuous); RPS (run) "
           "the mean over the whole run, ramp-up included; RPS (steady) the requests completed "
           "once all users were running divided by that time, from Locust's request counts. "
           "\"<1\": under 1 ms (Locust records whole milliseconds). Locust CPU %: the busiest "
           "Locust process once all users ran, one core = 100 %. Rows marked published are the "
           "figures of the original write-up, not measured here; N/A where it gives none.", ""]
    for run in runs:
        for warning in (run.saturation_warning(), run.busy_machine_note()):
            if warning:
                out += [warning, ""]
    out += [md_table(COMPARE_COLUMNS, compare_rows(runs), right_from=3), "",
            "Runs:", ""]
    for run in runs:
        details = []
        if run.meta.get("scenario"):
            details.append("scenario %s" % run.meta["scenario"])
        if run.published:
            details.append("%s: %s" % (PUBLISHED, run.meta.get("source", "")))
        out.append("- %s: `%s`%s" % (run.label, run.dir,
                                     " (%s)" % "; ".join(details) if details else ""))
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
    for run in runs:
        if run.published and PUBLISHED not in run.label:
            run.label = "%s (%s)" % (run.label, PUBLISHED)


def wants_log_scale(values):
    """True when the positive values differ by more than LOG_SCALE_RATIO."""
    positive = [v for v in values if v is not None and v > 0]
    return len(positive) >= 2 and max(positive) / min(positive) > LOG_SCALE_RATIO


def fmt_bar_ms(value):
    """Bar label of a time in ms: fractional below 1 ms, labelled as such."""
    if value is None:
        return "N/A"
    if value < 1:
        return "<1" if value == 0 else "%.2f (<1)" % value
    return "%.0f" % value if value >= 10 else "%.1f" % value


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
    steady = run.steady
    ax.set_title("%s: requests per second (mean %s/s%s)" % (
        run.label, fmt_float(run.total["rps"], 1),
        "; %.1f/s once all users ran" % steady["rps"] if steady else ""))
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
        ax.plot(xs, ys, label=label + " (whole ms)", color=color)
    xs, ys = _series(hist, "avg")
    ax.plot(xs, ys, label="average (fractional, per interval)", color="tab:blue",
            linestyle="--")
    ax.set_ylabel("response time (ms)")
    n = run.total["requests"]
    ax.set_title("%s: response time (rolling window); run median %s, p95 %s, p99 %s ms, "
                 "average %s ms" % (run.label, fmt_ms(run.total["median"], n),
                                    fmt_ms(run.total["p95"], n), fmt_ms(run.total["p99"], n),
                                    fmt_float(run.total["average"])), fontsize=10)
    if any(v < 1 for v in ys) or (run.total["median"] is not None and run.total["median"] < 1):
        ax.text(0.99, 0.97, "under 1 ms: Locust's percentiles are whole milliseconds\n"
                "(0 means < 1 ms); the dashed average is fractional",
                transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "gray"})
    ax.legend(loc="upper left", fontsize=8)
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


def _bar_labels(ax, bars, values, fmt, floor=0.0):
    """Label each bar with its value; fmt is a %-format or a function. A value that is
    not known has no bar, only its "N/A" label at the bottom."""
    for bar, value in zip(bars, values):
        text = fmt(value) if callable(fmt) else ("N/A" if value is None else fmt % value)
        height = bar.get_height()
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2,
                           floor if height != height else height),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")


def _scale(ax, values):
    """Log scale when the values differ more than LOG_SCALE_RATIO; returns the
    value to draw for 0 and unknown values (they have no place on a log axis)."""
    if wants_log_scale(values):
        ax.set_yscale("log")
        floor = min(v for v in values if v is not None and v > 0) / 2.0
        ax.set_ylabel(ax.get_ylabel() + " (log scale: values differ more than %dx)"
                      % LOG_SCALE_RATIO, fontsize=9)
        return floor
    return 0.0


def _draw(values, floor):
    """Bar heights: unknown values get no bar (NaN), 0 is drawn at the floor."""
    return [float("nan") if v is None else floor if v <= 0 else v for v in values]


def _gaps(values):
    """Line values for a log axis: 0 has no place there, so it leaves a gap."""
    return [v if v > 0 else float("nan") for v in values]


def _ticks(ax, xs, labels):
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, rotation=15 if len(labels) > 3 else 0,
                       ha="right" if len(labels) > 3 else "center", fontsize=8)


LATENCY_KEYS = (("median", "median", "tab:green"), ("p95", "95%ile", "tab:orange"),
                ("p99", "99%ile", "tab:red"), ("average", "average", "tab:blue"))


def _throughput_series(runs):
    return (("run", [r.total["rps"] for r in runs], "tab:blue", -0.2),
            ("steady (all users running)", [r.steady and r.steady["rps"] for r in runs],
             "tab:cyan", 0.2))


def _latency_values(runs):
    return [r.total[key] for r in runs for key, _name, _color in LATENCY_KEYS]


def compare_scales(runs):
    """The y scale of each comparison bar chart: "log" or "linear"."""
    throughput = [v for _n, values, _c, _o in _throughput_series(runs) for v in values]
    return {"throughput": "log" if wants_log_scale(throughput) else "linear",
            "latency": "log" if wants_log_scale(_latency_values(runs)) else "linear"}


def write_compare_charts(runs, out_dir):
    plt = _pyplot()
    labels = [r.label for r in runs]
    xs = list(range(len(runs)))
    width = max(7.0, 1.9 * len(runs) + 2)
    paths = [os.path.join(out_dir, name) for name in COMPARE_CHARTS]

    # throughput: mean over the run and steady state
    fig, ax = plt.subplots(figsize=(width, 5))
    ax.set_ylabel("requests/s")
    series = _throughput_series(runs)
    floor = _scale(ax, [v for _n, vals, _c, _o in series for v in vals])
    for name, values, color, offset in series:
        bars = ax.bar([x + offset for x in xs], _draw(values, floor), 0.4, label=name,
                      color=color)
        _bar_labels(ax, bars, values, lambda v: "N/A" if v is None else "%.1f" % v, floor)
    _ticks(ax, xs, labels)
    ax.set_title("Throughput")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    ax.margins(y=0.15)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=100)
    plt.close(fig)

    # response times: median, p95, p99 (whole ms) and the fractional average
    fig, ax = plt.subplots(figsize=(width + 1, 5))
    ax.set_ylabel("response time (ms)")
    bar_w = 0.2
    floor = _scale(ax, _latency_values(runs))
    for index, (key, name, color) in enumerate(LATENCY_KEYS):
        values = [r.total[key] for r in runs]
        offset = (index - 1.5) * bar_w
        bars = ax.bar([x + offset for x in xs], _draw(values, floor), bar_w, label=name,
                      color=color)
        _bar_labels(ax, bars, values, fmt_bar_ms, floor)
    _ticks(ax, xs, labels)
    ax.set_title("Response time (whole run; \"<1\" = under 1 ms)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    ax.margins(y=0.15)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(width, 4.5))
    values = [r.fail_pct for r in runs]
    bars = ax.bar(xs, values, color="tab:red")
    _bar_labels(ax, bars, values, "%.2f%%")
    _ticks(ax, xs, labels)
    ax.set_ylabel("failed requests (%)")
    ax.set_ylim(0, max(values + [1.0]) * 1.2)
    ax.set_title("Failures")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=100)
    plt.close(fig)

    # over time: runs with a history (published references have none)
    timed = [r for r in runs if r.history]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    rps_values = [p["rps"] for r in timed for p in r.history] + [
        r.steady["rps"] for r in runs if r.published and r.steady]
    avg_values = [p["avg"] for r in timed for p in r.history]
    ax1.set_ylabel("requests/s")
    ax2.set_ylabel("average (ms, per interval)")
    rps_floor = _scale(ax1, rps_values)
    avg_floor = _scale(ax2, avg_values)
    for run in timed:
        x, y = _series(run.history, "rps")
        line, = ax1.plot(x, _gaps(y) if rps_floor else y, label=run.label)
        x, y = _series(run.history, "avg")
        ax2.plot(x, _gaps(y) if avg_floor else y, label=run.label,
                 color=line.get_color())
    for run in runs:
        if run.published and run.steady:
            ax1.axhline(run.steady["rps"], linestyle=":", color="gray")
            ax1.annotate("%s: %.1f/s steady" % (run.label, run.steady["rps"]),
                         (0, run.steady["rps"]), fontsize=7, color="gray",
                         xytext=(4, 2), textcoords="offset points")
    ax1.set_title("Requests per second over time (published runs: their steady figure)")
    ax2.set_title("Average response time over time (fractional, from Locust's running totals)")
    ax2.set_xlabel("seconds since start")
    for axis in (ax1, ax2):
        axis.grid(True, alpha=0.3)
        axis.set_xlim(left=0)
        if axis.get_yscale() == "linear":
            axis.set_ylim(bottom=0)
        if timed:
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
    p_rep = sub.add_parser("repair-history", help="fix the shut-down rows of a history CSV")
    p_rep.add_argument("csv_file")
    args = parser.parse_args(argv)
    try:
        if args.command == "summary":
            print(cmd_summary(args.run_dir))
        elif args.command == "repair-history":
            repair_history_file(args.csv_file)
            print(args.csv_file)
        else:
            print(cmd_compare(args.out, args.run_dirs))
    except ReportError as exc:
        print("loadreport: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
