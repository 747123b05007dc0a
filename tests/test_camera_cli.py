"""`cctv-guard camera ...` through typer's CliRunner, plus exit codes through `python -m cctv_guard`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cctv_guard.cli.app import app
from cctv_guard.registry import open_registry
from conftest import REPO, SAMPLES

SECRET = "Hunter2-secret"
SOURCE = f"rtsp://admin:{SECRET}@10.0.0.12/stream1"
ADD = ["camera", "add", "GS-LZ-0012", "--name", "Dongfanghong Sq. NE", "--lat", "36.0611", "--lon", "103.8343",
       "--category", "square", "--operator", "Chengguan PSB", "--installed", "2026-03-01", "--signage", "yes",
       "--source", SOURCE]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("CCTV_GUARD_HOME", str(h))
    monkeypatch.delenv("CCTV_GUARD_DB", raising=False)
    return h


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error: ")
    joined = " ".join(lines)
    for f in fragments:
        assert f in joined, (f, result.stderr)
    assert "Traceback" not in result.output and SECRET not in result.output


def test_add_list_show_never_print_credentials(home) -> None:
    r = run(*ADD)
    assert r.exit_code == 0, r.output
    assert "added camera GS-LZ-0012" in r.stderr and "filing_overdue" in r.stderr
    r = run("camera", "list")
    assert r.exit_code == 0
    header, row = r.stdout.splitlines()[:2]
    assert header.split()[:3] == ["id", "name", "category"]
    assert row.startswith("GS-LZ-0012") and "rtsp://***@10.0.0.12/stream1" in row and "filing_overdue" in row
    r = run("camera", "list", "--json")
    cams = json.loads(r.stdout)
    assert cams[0]["id"] == "GS-LZ-0012" and cams[0]["source"] == "rtsp://***@10.0.0.12/stream1"
    assert cams[0]["findings"][0]["kind"] == "filing_overdue" and cams[0]["article_7"] == "7(1)"
    r = run("camera", "show", "GS-LZ-0012")
    assert r.exit_code == 0 and "Dongfanghong Sq. NE" in r.stdout and "filing_overdue" in r.stdout
    r2 = run("camera", "show", "GS-LZ-0012", "--json")
    assert json.loads(r2.stdout)["baselines"] == []
    for res in (r, r2):
        assert SECRET not in res.output
    # ...but the registry keeps the real URI for the edge watcher
    with open_registry(home) as reg:
        assert reg.get_camera("GS-LZ-0012").source == SOURCE


def test_overdue_filter_and_edit(home) -> None:
    assert run(*ADD).exit_code == 0
    add2 = [a if a != "GS-LZ-0012" else "GS-LZ-0013" for a in ADD]
    assert run(*add2, "--filed", "2026-03-10").exit_code == 0
    ids = [c["id"] for c in json.loads(run("camera", "list", "--json", "--overdue").stdout)]
    assert ids == ["GS-LZ-0012"]
    r = run("camera", "edit", "GS-LZ-0012", "--filed", "2026-04-02", "--signage", "no", "--zone", "must_see=0,0;100,0;100,80")
    assert r.exit_code == 0 and "signage_missing" in r.stderr
    assert json.loads(run("camera", "list", "--json", "--overdue").stdout) == []
    shown = json.loads(run("camera", "show", "GS-LZ-0012", "--json").stdout)
    assert shown["filed"] == "2026-04-02" and shown["signage"] is False and "must_see" in shown["zones"]
    r = run("camera", "edit", "GS-LZ-0012", "--filed", "none", "--remove-zone", "must_see")
    shown = json.loads(run("camera", "show", "GS-LZ-0012", "--json").stdout)
    assert shown["filed"] is None and shown["zones"] == {}
    assert_one_line_error(run("camera", "edit", "GS-LZ-0012"), "nothing to change")


@pytest.mark.parametrize("change, fragments", [
    (["--lat", "96"], ["lat: expected a WGS84 latitude"]),
    (["--lon", "-181"], ["lon: expected a WGS84 longitude"]),
    (["--category", "mall"], ["category: unknown category", "street"]),
    (["--installed", "01/03/2026"], ["installed:"]),
    (["--zone", "must_see=0,0;100,100;100,0;0,100"], ["zone 'must_see'", "self-intersecting at (50, 50)"]),
    (["--zone", "must_see=0,0;100,100"], ["zone 'must_see' needs at least 3 distinct points"]),
    (["--zone", "must_see"], ["zone must look like NAME=x1,y1;x2,y2;x3,y3"]),
])
def test_add_errors_are_one_line(home, change, fragments) -> None:
    args = list(ADD)
    if change[0] in args:
        i = args.index(change[0])
        args[i + 1] = change[1]
    else:
        args += change
    assert_one_line_error(run(*args), *fragments)
    assert json.loads(run("camera", "list", "--json").stdout) == []


def test_duplicate_and_unknown_ids(home) -> None:
    assert run(*ADD).exit_code == 0
    assert_one_line_error(run(*ADD), "camera 'GS-LZ-0012' already exists")
    assert_one_line_error(run("camera", "show", "NOPE"), "no camera 'NOPE'")
    assert_one_line_error(run("camera", "remove", "NOPE", "--yes"), "no camera 'NOPE'")


def test_remove_needs_confirmation(home) -> None:
    assert run(*ADD).exit_code == 0
    assert_one_line_error(run("camera", "remove", "GS-LZ-0012"), "add --yes")
    r = CliRunner().invoke(app, ["camera", "remove", "GS-LZ-0012", "--yes"])
    assert r.exit_code == 0 and json.loads(run("camera", "list", "--json").stdout) == []


def test_baseline_with_zones_against_the_frame(home) -> None:
    clip = SAMPLES / "vtest_normal.mp4"
    if not clip.exists():
        pytest.skip("samples/vtest_normal.mp4 missing")
    assert run(*ADD).exit_code == 0
    outside = run("camera", "baseline", "GS-LZ-0012", str(clip), "--end", "1", "--zone", "must_see=0,0;5000,0;5000,10")
    assert_one_line_error(outside, "zone 'must_see': point (5000, 0) lies outside the")
    with open_registry(home) as reg:
        assert reg.current_baseline("GS-LZ-0012") is None  # nothing stored
    r = run("camera", "baseline", "GS-LZ-0012", str(clip), "--end", "1", "--zone", "must_see=10,150;470,150;470,350;10,350")
    assert r.exit_code == 0, r.output
    assert "is now the reference of camera GS-LZ-0012" in r.stderr
    shown = json.loads(run("camera", "show", "GS-LZ-0012", "--json").stdout)
    (b,) = shown["baselines"]
    assert b["profiles"] == ["day"] and b["end_s"] == 1.0 and shown["zones"]["must_see"][0] == [10.0, 150.0]
    with open_registry(home) as reg:
        path = reg.baseline_path("GS-LZ-0012")
        assert path.parent == home / "baselines" and path.stem == b["sha256"]
        loaded = reg.load_baseline("GS-LZ-0012")
        assert loaded.frame_size == tuple(b["frame_size"]) and "must_see" in loaded.zones
    # a second lighting profile goes into the same baseline; the history keeps the first
    r = run("camera", "baseline", "GS-LZ-0012", str(clip), "--start", "1", "--end", "2", "--profile", "night")
    assert r.exit_code == 0, r.output
    shown = json.loads(run("camera", "show", "GS-LZ-0012", "--json").stdout)
    assert [x["profiles"] for x in shown["baselines"]] == [["day", "night"], ["day"]]
    # once the frame size is known, edited zones must fit it
    assert_one_line_error(run("camera", "edit", "GS-LZ-0012", "--zone", "z=0,0;9000,0;0,10"), "outside the")
    assert_one_line_error(run("camera", "baseline", "GS-LZ-0012", str(home / "missing.mp4"), "--end", "1"))


def test_export_geojson_csv_and_import_round_trip(home, tmp_path, monkeypatch) -> None:
    assert run(*ADD).exit_code == 0
    add2 = [a if a != "GS-LZ-0012" else "GS-LZ-0013" for a in ADD]
    assert run(*add2, "--name", "东岗 路口", "--filed", "2026-03-10", "--category", "intersection").exit_code == 0
    gj = json.loads(run("camera", "export").stdout)
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 2
    f = gj["features"][0]
    assert f["geometry"] == {"type": "Point", "coordinates": [103.8343, 36.0611]} and f["properties"]["filing_overdue"]
    r = run("camera", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["id"] for x in rows] == ["GS-LZ-0012", "GS-LZ-0013"] and "source" not in rows[0]
    out = tmp_path / "filing.csv"
    r = run("camera", "export", "--format", "csv", "--out", str(out))
    assert r.exit_code == 0 and r.stdout == "" and out.read_text(encoding="utf-8") == run("camera", "export", "--format", "csv").stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".filing.csv")]  # no temp files left
    for res in (r,):
        assert SECRET not in res.output
    assert SECRET not in out.read_text(encoding="utf-8")
    # import into another registry: same facts
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "other"))
    r = run("camera", "import", str(out))
    assert r.exit_code == 0 and "imported 2 camera(s)" in r.stderr
    assert run("camera", "export", "--format", "csv").stdout == out.read_text(encoding="utf-8")
    assert_one_line_error(run("camera", "import", str(out)), "filing.csv line 2, column id: camera 'GS-LZ-0012' already exists")
    assert run("camera", "import", str(out), "--update").exit_code == 0


FORMULAS = {"name": "=cmd|' /C calc'!A0", "operator": "+1+1", "notes": "@SUM(1,2)"}


def test_export_csv_neutralises_formulas_and_import_reads_them_back(home, tmp_path, monkeypatch) -> None:
    """Cells a spreadsheet would run (=, +, @, -) are exported as text ('=...); the import reads
    the same facts back."""
    assert run(*ADD[:3], *ADD[5:], "--name", FORMULAS["name"]).exit_code == 0
    assert run("camera", "edit", "GS-LZ-0012", "--operator", FORMULAS["operator"], "--notes", FORMULAS["notes"]).exit_code == 0
    add2 = [a if a != "GS-LZ-0012" else "GS-LZ-0013" for a in ADD]
    assert run(*add2, "--name", "-2+3", "--notes", "'=already quoted").exit_code == 0
    text = run("camera", "export", "--format", "csv").stdout
    (row, row2) = list(csv.DictReader(io.StringIO(text)))
    for key, value in FORMULAS.items():
        assert row[key] == "'" + value, (key, row[key])
    assert row2["name"] == "'-2+3" and row2["notes"] == "''=already quoted"
    assert float(row["lon"]) == 103.8343  # numbers are numbers, not neutralised
    for cell in (c for r in csv.reader(io.StringIO(text)) for c in r):
        assert not cell.startswith(("=", "+", "@", "-", "\t", "\r")), cell
    out = tmp_path / "filing.csv"
    assert run("camera", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # no stream URIs inside: an ordinary output file
    monkeypatch.setenv("CCTV_GUARD_HOME", str(tmp_path / "other"))
    assert run("camera", "import", str(out)).exit_code == 0
    with open_registry(tmp_path / "other") as reg:
        c = reg.get_camera("GS-LZ-0012")
        assert (c.name, c.operator, c.notes) == (FORMULAS["name"], FORMULAS["operator"], FORMULAS["notes"])
        c2 = reg.get_camera("GS-LZ-0013")
        assert (c2.name, c2.notes) == ("-2+3", "'=already quoted")
    assert run("camera", "export", "--format", "csv").stdout == text


def test_import_errors_name_line_and_column_and_import_nothing(home, tmp_path) -> None:
    p = tmp_path / "bulk.csv"
    lines = ["id,name,lat,lon,category,installed,signage,source"]
    lines += [f"C{i},cam {i},36.{i},103.8,street,2026-01-0{1 + i % 9},yes,rtsp://u:{SECRET}@10.0.0.{i}/s" for i in range(20)]
    lines[8] = lines[8].replace(",street,", ",mall,")
    lines[15] = lines[15].replace("36.14", "360.14")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run("camera", "import", str(p))
    assert_one_line_error(r, "bulk.csv line 9, column category: unknown category", "(and 1 more)", "nothing was imported")
    assert "bulk.csv line 16, column lat" in r.stderr  # every problem is listed
    assert json.loads(run("camera", "list", "--json").stdout) == []
    p.write_text("id,name,lat,lon,kategorie\n", encoding="utf-8")
    assert_one_line_error(run("camera", "import", str(p)), "line 1, column 5: unknown column 'kategorie'")
    assert_one_line_error(run("camera", "import", str(tmp_path / "nope.csv")), "no such file")


def test_global_home_option(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CCTV_GUARD_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # the default home, if --home were ignored
    h = tmp_path / "via-option"
    r = run("camera", "--home", str(h), *ADD[1:])
    assert r.exit_code == 0 and (h / "registry.db").exists()
    assert not (tmp_path / "xdg").exists()
    assert json.loads(run("camera", "--home", str(h), "list", "--json").stdout)[0]["id"] == "GS-LZ-0012"


def test_help_has_examples() -> None:
    for cmd in ("add", "list", "baseline", "export", "import", "edit"):
        r = run("camera", cmd, "--help")
        assert r.exit_code == 0 and "cctv-guard camera" in r.stdout, cmd


def test_exit_codes_through_python_m(home) -> None:
    env = dict(os.environ, CCTV_GUARD_HOME=str(home), PYTHONPATH=str(REPO))
    ok = subprocess.run([sys.executable, "-m", "cctv_guard", *ADD], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    dup = subprocess.run([sys.executable, "-m", "cctv_guard", *ADD], env=env, capture_output=True, text=True, timeout=60)
    assert dup.returncode == 2
    assert dup.stderr.strip().splitlines()[-1] == "error: camera 'GS-LZ-0012' already exists; use 'camera edit' to change it"
    bad = subprocess.run([sys.executable, "-m", "cctv_guard", "camera", "show", "X", "--checks", "-1"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and SECRET not in ok.stderr + dup.stderr + bad.stderr


def test_plain_table_aligns_wide_characters(home) -> None:
    from rich.cells import cell_len

    assert run(*ADD).exit_code == 0
    add2 = [a if a != "GS-LZ-0012" else "GS-LZ-0013" for a in ADD]
    assert run(*add2, "--name", "东方红广场 东北角").exit_code == 0
    lines = run("camera", "list").stdout.splitlines()
    starts = [cell_len(ln[: ln.index(word)]) for ln, word in zip(lines, ("category", "square", "square"))]
    assert len(set(starts)) == 1, lines


def test_home_is_accepted_after_the_subcommand(tmp_path):
    """Issue 12: `cctv-guard camera add ... --home DIR` works like `camera --home DIR add ...`."""
    from typer.testing import CliRunner

    from cctv_guard.cli.app import app

    runner = CliRunner()
    after = runner.invoke(app, ["camera", "add", "GS-1", "--name", "Gate", "--lat", "36.06", "--lon", "103.83", "--category", "street", "--home", str(tmp_path / "a")])
    assert after.exit_code == 0, after.output
    listed = runner.invoke(app, ["camera", "list", "--json", "--home", str(tmp_path / "a")])
    assert listed.exit_code == 0 and "GS-1" in listed.output
    before = runner.invoke(app, ["camera", "--home", str(tmp_path / "b"), "list", "--json"])
    assert before.exit_code == 0 and "GS-1" not in before.output
