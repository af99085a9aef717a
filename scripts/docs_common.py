"""What scripts/check-links.py and scripts/check-examples.py share: the repository
root and the list of Markdown files to check."""
import os
import subprocess
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def tracked_markdown():
    """Every *.md file git tracks (every *.md outside .git and build/ without git),
    as paths relative to ROOT, sorted."""
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--", "*.md"],
                             check=True, capture_output=True).stdout
        return sorted(p for p in out.decode().split("\0") if p)
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, files in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in (".git", "build", "node_modules")]
            found += [os.path.relpath(os.path.join(d, f), ROOT) for f in files if f.endswith(".md")]
        return sorted(found)


def markdown_files(args, tool):
    """The files named in args (relative to the current folder), or every tracked *.md
    when args is empty, as paths relative to ROOT. None, after one line on stderr,
    when a named file does not exist."""
    if not args:
        return tracked_markdown()
    files = []
    for path in args:
        rel = os.path.relpath(os.path.abspath(path), ROOT)
        if not os.path.isfile(os.path.join(ROOT, rel)):
            print(f"{tool}: {path}: no such file", file=sys.stderr)
            return None
        files.append(rel)
    return files
