"""The documentation matches the live command line and stays inside the repository.

- docs/cli.md has one section per command (a heading ``cctv-guard <command path>``, e.g.
  ``### cctv-guard camera add``) showing its usage in a code block and listing, in the first
  column of an option table, every option of the live command (long and short names, ``--help``
  aside); an option listed in the ``Common options`` table counts for every command. Option
  tables list no option that the command (or the common section) does not have.
- README.md names every top-level command and links the CLI reference and the contracts.
- README.md and docs/*.md link only to files inside the repository, to headings that exist,
  never into ``../shared``; the scripts, files and ``cctv_guard.*`` names they quote exist.
- docs/contracts.md documents every ``cctv-guard/<name>@<version>`` schema the package writes
  and every finding kind of the regulation catalogue.
"""

from __future__ import annotations

import importlib
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cctv_guard.cli.app import app

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"
CLI_MD = DOCS / "cli.md"
CONTRACTS_MD = DOCS / "contracts.md"
HELP_NAMES = {"--help", "-h"}
COMMON = "Common options"
PROGRAM = "cctv-guard"

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
OPTION_TOKEN = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
TABLE_ROW = re.compile(r"^\|(.*?)(?<!\\)\|")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"\bcctv_guard(?:\.[A-Za-z_]\w*)+")
SCRIPT = re.compile(r"\bscripts/[\w-]+\.py\b")
REPO_PATH = re.compile(r"^(?:cctv_guard|tests|scripts|deploy|samples|models|docs|datasets)/[\w./-]+$")


# --- the live command line ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def live_commands() -> dict[tuple[str, ...], object]:
    """Command path -> click command, for the program itself, every group and every command."""
    found: dict[tuple[str, ...], object] = {}

    def walk(cmd, path: tuple[str, ...]) -> None:
        if getattr(cmd, "hidden", False):
            return
        found[path] = cmd
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, path + (name,))

    walk(typer.main.get_command(app), ())
    return found


def option_names(cmd) -> list[str]:
    """Every name of every visible option of a command (``--json``, ``-j``), ``--help`` excluded."""
    names: list[str] = []
    for p in cmd.params:
        if p.param_type_name != "option" or getattr(p, "hidden", False):
            continue
        names += [n for n in (*p.opts, *p.secondary_opts) if n not in HELP_NAMES]
    return names


def title(path: tuple[str, ...]) -> str:
    return " ".join((PROGRAM, *path))


# --- markdown ----------------------------------------------------------------------------------


def outside_code(text: str) -> list[tuple[bool, str]]:
    """(inside a fenced code block?, line) for every line."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            out.append((True, line))
            continue
        out.append((fenced, line))
    return out


def sections(text: str) -> dict[str, str]:
    """Heading text -> the section's body: up to the next heading of the same or a higher level
    (sub-headings stay in it). Headings inside code blocks do not count."""
    lines = outside_code(text)
    heads = []
    for i, (fenced, line) in enumerate(lines):
        m = None if fenced else HEADING.match(line)
        if m:
            heads.append((i, len(m.group(1)), m.group(2).strip()))
    found: dict[str, str] = {}
    for k, (i, level, name) in enumerate(heads):
        end = next((j for j, lv, _ in heads[k + 1:] if lv <= level), len(lines))
        assert name not in found, f"two sections called {name!r}"
        found[name] = "\n".join(line for _, line in lines[i + 1:end])
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for fenced, line in outside_code(path.read_text(encoding="utf-8")):
        m = None if fenced else HEADING.match(line)
        if m:
            s = slug(m.group(2))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else f"{s}-{n}")
    return out


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def table_options(body: str) -> set[str]:
    """The options named in the first column of the section's tables."""
    names = set()
    for fenced, line in outside_code(body):
        m = None if fenced else TABLE_ROW.match(line)
        if m:
            names |= set(OPTION_TOKEN.findall(m.group(1)))
    return names


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


@lru_cache(maxsize=1)
def cli_sections() -> dict[str, str]:
    return sections(CLI_MD.read_text(encoding="utf-8"))


COMMANDS = sorted(live_commands())
IDS = [title(p) for p in COMMANDS]


# --- docs/cli.md against the live command line -------------------------------------------------------------


def test_common_options_section_exists():
    assert COMMON in cli_sections(), f"docs/cli.md needs a '## {COMMON}' section"


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_every_command_has_a_section_with_its_usage(path):
    name = title(path)
    body = cli_sections().get(name)
    assert body is not None, f"docs/cli.md has no section '### {name}'"
    usage = [line for fenced, line in outside_code(body) if fenced and re.match(rf"{re.escape(name)}(\s|$)", line)]
    assert usage, f"the section '{name}' of docs/cli.md shows no usage line starting with '{name}' in a code block"


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_every_option_is_documented(path):
    name = title(path)
    listed = table_options(cli_sections().get(name, "")) | table_options(cli_sections().get(COMMON, ""))
    missing = [o for o in option_names(live_commands()[path]) if o not in listed]
    assert not missing, f"docs/cli.md, section '{name}': options missing from its option table: {', '.join(missing)}"


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_option_tables_list_only_live_options(path):
    name = title(path)
    live = set(option_names(live_commands()[path])) | table_options(cli_sections().get(COMMON, "")) | HELP_NAMES
    stale = sorted(table_options(cli_sections().get(name, "")) - live)
    assert not stale, f"docs/cli.md, section '{name}' lists options the command does not have: {', '.join(stale)}"


def test_common_options_exist():
    every = set().union(*(option_names(c) for c in live_commands().values())) | HELP_NAMES
    stale = sorted(table_options(cli_sections().get(COMMON, "")) - every)
    assert not stale, f"docs/cli.md, '{COMMON}' lists options no command has: {', '.join(stale)}"


def test_no_section_for_a_command_that_does_not_exist():
    live = {title(p) for p in COMMANDS}
    stale = sorted(h for h in cli_sections() if re.fullmatch(rf"{PROGRAM}( [\w-]+)*", h) and h not in live)
    assert not stale, f"docs/cli.md documents commands that do not exist: {', '.join(stale)}"


# --- README -------------------------------------------------------------------------------------------


def test_readme_names_every_command_and_links_the_reference():
    text = README.read_text(encoding="utf-8")
    top = [p for p in COMMANDS if len(p) == 1]
    missing = [title(p) for p in top if not mentions(text, title(p))]
    assert not missing, f"README.md does not mention: {', '.join(missing)}"
    for target in ("docs/cli.md", "docs/contracts.md", "docs/benchmarks.md", "models/README.md", "samples/README.md"):
        assert f"]({target}" in text, f"README.md does not link {target}"


# --- links and references -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_pointer_outside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "DESIGN.md" not in text, f"{doc.name} points outside the repository"
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (doc.parent / file_part).resolve() if file_part else doc
        assert dest == REPO or REPO in dest.parents, f"{doc.name}: link {target!r} leaves the repository"
        assert dest.exists(), f"{doc.name}: link {target!r} points to a missing file"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{doc.name}: link {target!r}: no such heading in {dest.name}"


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_quoted_scripts_and_files_exist(doc):
    text = doc.read_text(encoding="utf-8")
    for script in set(SCRIPT.findall(text)):
        assert (REPO / script).is_file(), f"{doc.name} quotes {script}, which does not exist"
    for fenced, line in outside_code(text):
        if fenced:
            continue
        for code in INLINE_CODE.findall(line):
            if REPO_PATH.match(code) and not re.search(r"[*?<>{}]", code):
                assert (REPO / code.rstrip("/")).exists(), f"{doc.name} quotes {code}, which does not exist"


def _resolve(dotted: str) -> None:
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ModuleNotFoundError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_quoted_python_names_exist(doc):
    names = sorted(set(DOTTED.findall(doc.read_text(encoding="utf-8"))))
    missing = []
    for dotted in names:
        try:
            _resolve(dotted)
        except (ImportError, AttributeError):
            missing.append(dotted)
    assert not missing, f"{doc.name} names Python objects that do not exist: {', '.join(missing)}"


# --- docs/contracts.md -------------------------------------------------------------------------------------------


def test_contracts_document_every_schema_the_package_writes():
    written = set()
    for src in (REPO / "cctv_guard").rglob("*.py"):
        written |= set(re.findall(r"cctv-guard/[a-z][a-z-]*@\d+", src.read_text(encoding="utf-8")))
    assert {"cctv-guard/check@1", "cctv-guard/scan@1", "cctv-guard/audit@1", "cctv-guard/alert@1"} <= written
    text = CONTRACTS_MD.read_text(encoding="utf-8")
    missing = sorted(s for s in written if s not in text)
    assert not missing, f"docs/contracts.md does not describe: {', '.join(missing)}"
    for name in ("check@1", "scan@1", "audit@1", "alert@1"):
        assert f"## {name}" in text, f"docs/contracts.md has no section for {name}"


def test_contracts_list_every_finding_kind():
    result = CliRunner().invoke(app, ["articles", "--kinds", "--json"])
    assert result.exit_code == 0, result.output
    kinds = set(json.loads(result.stdout))
    text = CONTRACTS_MD.read_text(encoding="utf-8")
    missing = sorted(k for k in kinds if f"`{k}`" not in text)
    assert not missing, f"docs/contracts.md does not list the kinds: {', '.join(missing)}"
