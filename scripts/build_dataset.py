#!/usr/bin/env python3
"""Rebuild a data set from its manifest (data files are never committed).

For each manifest row the file ROOT/local_path is kept if its sha256 matches;
otherwise it is taken from a local git mirror (``git show COMMIT:PATH`` in any
directory under --mirror-dir whose name starts with ``owner+name``) or, failing
that, downloaded from raw.githubusercontent.com at the pinned commit.  Every
file is verified against the manifest's sha256 and written atomically.

Usage:
    python scripts/build_dataset.py datasets/tamper_scenes/manifest.tsv --root /work/data
    python scripts/build_dataset.py MANIFEST --root ROOT --check   # verify only

Pure standard library.
"""
import argparse
import csv
import hashlib
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def sha256_of(data_or_path):
    h = hashlib.sha256()
    if isinstance(data_or_path, bytes):
        h.update(data_or_path)
        return h.hexdigest()
    with open(data_or_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_dirs(mirror_dir, repo):
    """Candidate git directories for owner/name under mirror_dir."""
    if not mirror_dir or not Path(mirror_dir).is_dir():
        return []
    prefix = repo.replace("/", "+")
    found = []
    for top in sorted(Path(mirror_dir).iterdir()):
        if top.is_dir() and top.name.startswith(prefix):
            for cand in (top, top / "repo", top / "repo" / ".git", top / ".git"):
                if (cand / "objects").is_dir():
                    found.append(cand)
    return found


def from_mirror(mirror_dir, row):
    for gdir in git_dirs(mirror_dir, row["repository"]):
        res = subprocess.run(["git", "--git-dir", str(gdir), "show",
                              f"{row['commit']}:{row['path']}"],
                             capture_output=True)
        if res.returncode == 0 and res.stdout:
            return res.stdout
    return None


def from_github(row, timeout=60):
    url = RAW_URL.format(repo=row["repository"], commit=row["commit"],
                         path=urllib.parse.quote(row["path"]))
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read()
    except OSError:
        return None


def write_atomic(dest, data):
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dest)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manifest", help="manifest TSV (local_path, repository, commit, path, sha256, ...)")
    ap.add_argument("--root", default="/work/data", help="data root that local_path is relative to")
    ap.add_argument("--mirror-dir", default="/work/.mirror", help="directory of local git mirrors")
    ap.add_argument("--check", action="store_true", help="only verify present files, fetch nothing")
    args = ap.parse_args(argv)

    try:
        with open(args.manifest, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as e:
        print(f"error: cannot read manifest: {e}", file=sys.stderr)
        return 2
    need = {"local_path", "repository", "commit", "path", "sha256"}
    if not rows or not need <= set(rows[0]):
        print(f"error: manifest {args.manifest} is empty or lacks columns {sorted(need)}", file=sys.stderr)
        return 2

    root = Path(args.root)
    present = fetched = 0
    failed = []
    for row in rows:
        dest = root / row["local_path"]
        want = row["sha256"].strip().lower()
        if dest.is_file() and sha256_of(dest) == want:
            present += 1
            continue
        if args.check:
            failed.append(f"{row['local_path']}: {'sha256 mismatch' if dest.is_file() else 'missing'}")
            continue
        data = from_mirror(args.mirror_dir, row) or from_github(row)
        if data is None:
            failed.append(f"{row['local_path']}: not found in mirror or on GitHub")
            continue
        if sha256_of(data) != want:
            if dest.is_file():
                dest.unlink()
            failed.append(f"{row['local_path']}: sha256 mismatch on fetched data (deleted)")
            continue
        write_atomic(dest, data)
        fetched += 1

    for msg in failed:
        print(f"FAILED {msg}", file=sys.stderr)
    print(f"{args.manifest}: {present} present, {fetched} fetched, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
