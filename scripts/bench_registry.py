#!/usr/bin/env python3
"""Benchmark the camera registry at fleet size (issue 4 targets).

Targets with 10,000 cameras: `camera list` and `camera export` <= 1 s, `camera import` of
10,000 rows <= 5 s. Each command runs as a user would run it — a fresh `python -m cctv_guard`
process, output to a file — so the times include interpreter start-up and imports.

    python scripts/bench_registry.py                     # SQLite in a temp home, 10,000 cameras
    python scripts/bench_registry.py --n 50000 --repeat 5
    python scripts/bench_registry.py --db postgresql://user@127.0.0.1:5432/bench   # shared registry
    python scripts/bench_registry.py --json bench.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ["street", "intersection", "transit_hub", "square", "park", "boundary_road", "key_unit",
              "residential_entrance", "other"]
TARGETS = {"import": 5.0, "list": 1.0, "list --json": 1.0, "export geojson": 1.0, "export csv": 1.0}


def make_csv(path: Path, n: int, seed: int = 0) -> None:
    """A realistic filing list: Lanzhou-area coordinates, mixed categories, some unfiled, URIs with credentials."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "lat", "lon", "category", "operator", "installed", "filed", "signage", "source", "notes"])
        for i in range(n):
            installed = f"20{rng.randint(12, 26):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            filed = "" if rng.random() < 0.1 else installed
            w.writerow([
                f"GS-LZ-{i:06d}", f"城关区 路口 {i} / Chengguan crossing {i}", f"{36.0 + rng.random() * 0.2:.6f}",
                f"{103.7 + rng.random() * 0.3:.6f}", rng.choice(CATEGORIES), f"Chengguan PSB unit {i % 40}", installed,
                filed, rng.choice(["yes", "yes", "yes", "no"]), f"rtsp://admin:pw{i}@10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/stream1",
                "",
            ])


CPU: dict[str, list[float]] = {}


def timed(args: list[str], env: dict[str, str], out: Path) -> float:
    """Wall seconds of one run; its CPU seconds (user + system) are collected in CPU — on a
    loaded machine CPU time is the better estimate of the wall time on an idle one."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        r = subprocess.run([sys.executable, "-m", "cctv_guard", *args], env=env, stdout=fh, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(" ".join(args), []).append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.decode(errors='replace').strip()}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="cameras (default 10000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each read command; the median is reported")
    ap.add_argument("--db", help="PostgreSQL URL (the database is emptied first!) instead of SQLite in a temp home")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="cctv-guard-bench-") as tmp:
        tmpd = Path(tmp)
        env = dict(os.environ, CCTV_GUARD_HOME=str(tmpd / "home"), PYTHONPATH=str(REPO))
        env.pop("CCTV_GUARD_DB", None)
        if a.db:
            env["CCTV_GUARD_DB"] = a.db
            sys.path.insert(0, str(REPO))
            from cctv_guard.registry import open_registry

            with open_registry(tmpd / "home", url=a.db) as reg:
                reg._db.execute("TRUNCATE cameras, blobs CASCADE")
        src = tmpd / "cameras.csv"
        make_csv(src, a.n)
        out = tmpd / "out"
        results = {"n": a.n, "backend": "postgresql" if a.db else "sqlite", "cpus": os.cpu_count(),
                   "load_avg": os.getloadavg()[0] if hasattr(os, "getloadavg") else None, "seconds": {},
                   "cpu_seconds": {}}
        results["seconds"]["import"] = timed(["camera", "import", str(src)], env, out)
        results["cpu_seconds"]["import"] = CPU.popitem()[1][0]
        startup = [timed(["--version"], env, out) for _ in range(a.repeat)]
        results["seconds"]["python start-up + --version"] = statistics.median(startup)
        results["cpu_seconds"]["python start-up + --version"] = statistics.median(CPU.popitem()[1])
        reads = {"list": ["camera", "list"], "list --json": ["camera", "list", "--json"],
                 "export geojson": ["camera", "export", "--format", "geojson"],
                 "export csv": ["camera", "export", "--format", "csv"]}
        for label, args in reads.items():
            results["seconds"][label] = statistics.median(timed(args, env, out) for _ in range(a.repeat))
            results["cpu_seconds"][label] = statistics.median(CPU.popitem()[1])
            if label == "export csv":
                rows = out.read_text(encoding="utf-8").count("\n") - 1
                assert rows == a.n, f"export has {rows} rows, expected {a.n}"
        if not a.db:
            results["db_bytes"] = (tmpd / "home" / "registry.db").stat().st_size

    print(f"{a.n} cameras, {results['backend']}, {results['cpus']} CPUs, load average {results['load_avg']:.1f}")
    print(f"  {'command':28s} {'wall s':>8s} {'cpu s':>8s}  target")
    for label, sec in results["seconds"].items():
        target = TARGETS.get(label)
        cpu = results["cpu_seconds"][label]
        verdict = "" if target is None else (f"<= {target:g} s: " + ("ok" if sec <= target else "OVER (wall)"))
        print(f"  {label:28s} {sec:8.3f} {cpu:8.3f}  {verdict}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
