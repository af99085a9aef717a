#!/usr/bin/env python3
"""Checks the links of every tracked Markdown file (Python 3, standard library only).

    scripts/check-links.py [FILE.md ...]     (default: every *.md that git tracks)

Each relative link, inline `[text](path#anchor)`, image `![alt](path)` or reference
definition `[id]: path`, must resolve to a file or directory inside the repository,
and its `#anchor`, if any, to a heading (or an HTML id) of the Markdown file it names.
Links with a scheme (https:, mailto:) are not fetched. Besides links, no Markdown file
may mention a document outside the repository (the team-internal contract and the
folder it lives in): the repository states its contract in its own words.

Prints one line per failure (file:line: problem), then `N passed, M failed`; exits 1
when anything failed, 2 on a usage error.
"""
import os
import re
import sys
import urllib.parse

from docs_common import ROOT, markdown_files

# Mentions of documents outside the repository, anywhere in a Markdown file (code
# blocks included): the internal contract by name or section, and paths out of it.
# The names are spelled in pieces so this file does not trip its own check.
FORBIDDEN = [
    (re.compile(r"\b" + "SP" + r"EC(\.md|\s+(section\s+)?\d|\b)"),
     "mentions the team-internal contract; state the rule in the repository's own words"),
    (re.compile(r"\.\./" + "sha" + r"red\b"), "points outside the repository"),
    (re.compile(r"(?<![\w.])/" + "wo" + r"rk/"), "names a path of a development machine"),
]

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_ID = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.I)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def slug(heading):
    """GitHub's anchor for a heading text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: keep the text
    text = re.sub(r"<[^>]+>", "", text)                        # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)                       # punctuation, backticks
    return text.replace(" ", "-")


def prose_lines(lines):
    """Yields (number, line) outside fenced code blocks, with code spans blanked."""
    fence = None
    for n, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        yield n, re.sub(r"(`+)(.+?)\1", lambda s: " " * len(s.group(0)), line)


_anchor_cache = {}


def anchors(path):
    if path not in _anchor_cache:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        seen, found = {}, set()
        for n, line in prose_lines(lines):
            if re.match(r"^\s{0,3}#{1,6}\s", line):
                # prose_lines blanked code spans; slug the original heading text.
                base = slug(lines[n - 1].strip().lstrip("#").rstrip("#").strip())
                k = seen.get(base, 0)
                seen[base] = k + 1
                found.add(base if k == 0 else f"{base}-{k}")
            found.update(HTML_ID.findall(line))
        _anchor_cache[path] = found
    return _anchor_cache[path]


def check_link(md, target):
    """Returns None when the link from md (repo-relative) is good, else the problem."""
    target = target.strip("<>")
    if SCHEME.match(target):
        return None
    path, _, frag = target.partition("#")
    path = urllib.parse.unquote(path)
    if path.startswith("/"):
        full = os.path.join(ROOT, path.lstrip("/"))
    elif path:
        full = os.path.join(ROOT, os.path.dirname(md), path)
    else:
        full = os.path.join(ROOT, md)
    full = os.path.realpath(full)
    if full != ROOT and not full.startswith(ROOT + os.sep):
        return f"{target}: points outside the repository"
    if not os.path.exists(full):
        return f"{target}: no such file in the repository"
    if frag:
        if not full.endswith(".md"):
            return f"{target}: an anchor on a file that is not Markdown"
        if urllib.parse.unquote(frag) not in anchors(full):
            return f"{target}: no heading #{frag} in {os.path.relpath(full, ROOT)}"
    return None


def check_file(md):
    passed, failures = 0, []
    with open(os.path.join(ROOT, md), encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        for pattern, why in FORBIDDEN:
            m = pattern.search(line)
            if m:
                failures.append(f"{md}:{n}: \"{m.group(0).strip()}\" {why}")
    for n, line in prose_lines(lines):
        targets = [m.group(1) for m in INLINE.finditer(line)]
        m = REFDEF.match(line)
        if m:
            targets.append(m.group(1))
        for t in targets:
            problem = check_link(md, t)
            if problem:
                failures.append(f"{md}:{n}: {problem}")
            else:
                passed += 1
    return passed, failures


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    files = markdown_files(argv, "check-links")
    if not files:
        if files is not None:
            print("check-links: no Markdown files found", file=sys.stderr)
        return 2
    passed, failed = 0, []
    for md in files:
        p, f = check_file(md)
        passed += p
        failed += f
    for line in failed:
        print(line)
    print(f"check-links: {len(files)} files, {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
