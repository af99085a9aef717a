#!/usr/bin/env python3
"""Runs the documentation's marked console examples and compares their output
(Python 3, standard library only).

    scripts/check-examples.py [FILE.md ...]   (default: every *.md that git tracks)
    scripts/check-examples.py --list          (show the examples, run nothing)

An example is a fenced ```console block whose previous line is the marker

    <!-- example -->
    <!-- example: SCAN_LIMIT=0 PRODUCT_COUNT=1000 -->

(the words after "example:" are settings for the server). Inside the block, a line
starting with "$ " is a command (a trailing backslash continues it on the next line);
the lines after it, up to the next command, are its expected output, stdout and stderr
together. For each example the checker starts a fresh build/product-search on
127.0.0.1 with PORT=0 (the start-up log line names the port it got), waits for its
index_ready log line when the start line says "index":"building" (a whole catalog
answers searches 503 starting until its index is built), rewrites
localhost:8080 and 127.0.0.1:8080 in the commands to that port, runs the commands one
by one with bash in a scratch folder (where build/ and the repository's top-level
entries are reachable as usual; files a command writes stay there), compares, then
stops the server with SIGTERM and expects exit status 0.

Before comparing, both sides get times, dates and durations masked (see MASKS), CRLF
becomes LF, trailing blanks and trailing empty lines go. Any other difference fails
the example and prints a diff. Prints `N passed, M failed`; exits 1 on a failure or
when no example is found, 2 on a usage error. PRODUCT_SEARCH_BIN overrides the binary.
"""
import difflib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from docs_common import ROOT, markdown_files

MARKER = re.compile(r"^\s*<!--\s*example(?::\s*(.*?))?\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(`{3,})console\s*$")
LOCAL_PORT = re.compile(r"\b(localhost|127\.0\.0\.1):8080\b")
SETTING = re.compile(r"^[A-Z][A-Z0-9_]*=\S*$")
COMMAND_TIMEOUT_S = 20
START_TIMEOUT_S = 15
STOP_TIMEOUT_S = 15

# What changes from run to run: (pattern, replacement), applied to both sides.
MASKS = [
    (re.compile(r'"search_time":"[^"]*"'), '"search_time":"<duration>"'),
    (re.compile(r'"search_time_ns":\d+'), '"search_time_ns":<ns>'),
    (re.compile(r'"ts":"[^"]*"'), '"ts":"<timestamp>"'),
    (re.compile(r'"(load_ms|ready_ms|rss_kb|peak_rss_kb|uptime_s)":[0-9.]+'), r'"\1":<n>'),
    (re.compile(r"^(Date|Last-Modified|Expires): .*$", re.M | re.I), r"\1: <date>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b"), "<timestamp>"),
    (re.compile(r"^(product_search_request_duration_seconds_sum\{[^}]*\}) .*$", re.M),
     r"\1 <seconds>"),
]

# Server settings from the caller's environment must not leak into the examples.
SERVER_VARS = ["PORT", "BIND", "THREADS", "PRODUCT_COUNT", "SCAN_LIMIT", "MAX_RESULTS",
               "CONN_LIMIT", "CONN_TIMEOUT_S", "DRAIN_S", "ACCESS_LOG", "PRODUCTS_FILE",
               "UI"]


class Example:
    def __init__(self, path, line, settings):
        self.path, self.line, self.settings = path, line, settings
        self.steps = []  # [(command, expected output lines)]

    def name(self):
        return f"{self.path}:{self.line}"


def parse(path):
    """Returns (examples, errors) of one Markdown file (path relative to ROOT)."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().splitlines()
    examples, errors = [], []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        settings = (m.group(1) or "").split()
        bad = [s for s in settings if not SETTING.match(s)]
        if bad:
            errors.append(f"{path}:{i + 1}: example marker: not a NAME=value setting: {bad[0]}")
        fence = FENCE_OPEN.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not fence:
            errors.append(f"{path}:{i + 1}: example marker not followed by a ```console block")
            i += 1
            continue
        ex = Example(path, i + 2, [s for s in settings if SETTING.match(s)])
        j = i + 2
        while j < len(lines) and not lines[j].startswith(fence.group(1)):
            line = lines[j]
            if line.startswith("$ "):
                cmd = line[2:]
                while cmd.endswith("\\") and j + 1 < len(lines):
                    j += 1
                    cmd = cmd + "\n" + lines[j]
                ex.steps.append((cmd, []))
            elif ex.steps:
                ex.steps[-1][1].append(line)
            elif line.strip():
                errors.append(f"{path}:{j + 1}: example output before any \"$ \" command")
            j += 1
        if j >= len(lines):
            errors.append(f"{path}:{i + 2}: example block never closed")
        elif not ex.steps:
            errors.append(f"{path}:{i + 2}: example block holds no \"$ \" command")
        else:
            examples.append(ex)
        i = j + 1
    return examples, errors


def normalize(text):
    text = text.replace("\r\n", "\n")
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
    env["LC_ALL"] = "C.UTF-8"
    return env


def start_server(binary, settings):
    env = clean_env()
    env.update(s.split("=", 1) for s in settings)
    env.update(PORT="0", BIND="127.0.0.1")
    proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT_S
    lines = log_lines(proc, deadline)
    start = json.loads(next(lines))
    if start.get("event") != "start" or not isinstance(start.get("port"), int):
        proc.kill()
        raise RuntimeError(f"unexpected first log line: {json.dumps(start)[:200]}")
    # a whole catalog answers searches once its index is built (the index_ready line)
    while start.get("index") == "building":
        if json.loads(next(lines)).get("event") == "index_ready":
            break
    return proc, start["port"]


def log_lines(proc, deadline):
    """The server's stdout log lines, one at a time, until the deadline."""
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            proc.kill()
            raise RuntimeError(f"the server was not ready in {START_TIMEOUT_S} s")
        chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(1)
        if not chunk:
            proc.wait()
            raise RuntimeError("the server exited before it was ready: "
                               + proc.stderr.read().decode(errors="replace").strip())
        buf += chunk


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return f"the server did not stop within {STOP_TIMEOUT_S} s of SIGTERM"
    if status != 0:
        return f"the server exited with status {status} after SIGTERM"
    return None


def scratch_dir():
    """A folder holding links to the repository's top-level entries (build/ too)."""
    d = tempfile.mkdtemp(prefix="check-examples.")
    for entry in os.listdir(ROOT):
        if entry != ".git":
            os.symlink(os.path.join(ROOT, entry), os.path.join(d, entry))
    return d


def run_command(cmd, cwd):
    try:
        p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=cwd, env=clean_env(),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT_S,
                           start_new_session=True)
        return p.stdout.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired as e:
        return (e.stdout or b"").decode("utf-8", errors="replace") + \
            f"\n<timed out after {COMMAND_TIMEOUT_S} s>"


def run_example(ex, binary):
    """Returns a list of problems (empty when the example holds)."""
    problems = []
    cwd = scratch_dir()
    try:
        proc, port = start_server(binary, ex.settings)
    except (RuntimeError, ValueError, OSError) as e:
        shutil.rmtree(cwd, ignore_errors=True)
        return [f"server start failed: {e}"]
    try:
        for cmd, expected in ex.steps:
            actual = run_command(LOCAL_PORT.sub(f"127.0.0.1:{port}", cmd), cwd)
            want, got = normalize("\n".join(expected)), normalize(actual)
            if want != got:
                diff = difflib.unified_diff(want, got, "documented", "actual", lineterm="")
                problems.append(f"$ {cmd}\n" + "\n".join("    " + d for d in diff))
    finally:
        stopped = stop_server(proc)
        shutil.rmtree(cwd, ignore_errors=True)
    if stopped:
        problems.append(stopped)
    return problems


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    listing = "--list" in argv
    files = markdown_files([a for a in argv if a != "--list"], "check-examples")
    if files is None:
        return 2
    examples, errors = [], []
    for path in files:
        ex, err = parse(path)
        examples += ex
        errors += err
    if listing:
        for ex in examples:
            extra = f" [{' '.join(ex.settings)}]" if ex.settings else ""
            print(f"{ex.name()}{extra}")
            for cmd, _ in ex.steps:
                print(f"    $ {cmd}")
        return 0
    binary = os.environ.get("PRODUCT_SEARCH_BIN", os.path.join(ROOT, "build", "product-search"))
    if not os.access(binary, os.X_OK):
        print(f"check-examples: {binary} not built; run make first", file=sys.stderr)
        return 2
    passed = failed = 0
    for line in errors:
        print(f"FAIL {line}")
        failed += 1
    for ex in examples:
        problems = run_example(ex, binary)
        if problems:
            failed += 1
            print(f"FAIL {ex.name()}")
            for p in problems:
                print("  " + p.replace("\n", "\n  "))
        else:
            passed += 1
            print(f"ok   {ex.name()} ({len(ex.steps)} commands)")
    if not examples:
        print("check-examples: no marked examples found")
        failed += 1
    print(f"check-examples: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
