"""The README's exchange table follows the catalogue and ccxt 4.5.90, its
commands follow the project, and every repository path or `python -m` module
the project's documents name exists."""

from __future__ import annotations

import fnmatch
import importlib.util
import re
from pathlib import Path

import ccxt.pro  # type: ignore[import-untyped]
import pytest

from generator.catalogue import load_all
from tests.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CATALOGUE = ROOT / "exchanges.toml"
COLUMNS = ("entry", "market types", "flow", "reference", "status", "catalogue lines")
# What ccxt calls a private stream: any of these watch methods.
PRIVATE_WATCHES = ("watchBalance", "watchOrders", "watchMyTrades", "watchPositions")


def exchange_table() -> dict[str, dict[str, str]]:
    """entry id -> its row's cells (an id may share a row with others)."""
    header = "| " + " | ".join(COLUMNS) + " |"
    assert header in README, f"the README's exchange table must have the columns {COLUMNS}"
    lines = README.split(header, 1)[1].splitlines()[2:]
    rows: dict[str, dict[str, str]] = {}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = dict(zip(COLUMNS, (cell.strip() for cell in line.strip().strip("|").split("|"))))
        for name in cells["entry"].split(","):
            assert name.strip() not in rows, f"{name.strip()} has two rows"
            rows[name.strip()] = cells
    return rows


def catalogue_lines(text: str) -> dict[str, int]:
    """Data lines (not blank, not comments) each top-level table took."""
    counts: dict[str, int] = {}
    current = None
    for line in text.split("\n"):
        stripped = line.strip()
        header = re.match(r"\[([a-z][a-z0-9_]*)[.\]]", stripped)
        if header:
            current = header.group(1)
        if current is not None and stripped and not stripped.startswith("#"):
            counts[current] = counts.get(current, 0) + 1
    return counts


def test_every_entry_is_in_the_table_with_its_flows_and_line_count() -> None:
    rows = exchange_table()
    entries, _ = load_all(CATALOGUE)
    lines = catalogue_lines(CATALOGUE.read_text(encoding="utf-8"))
    for entry in entries:
        assert entry.id in rows, entry.id
        row = rows[entry.id]
        assert row["status"] == "supported", (entry.id, row["status"])
        for variant in entry.variants:
            assert variant.flow in row["flow"], (entry.id, variant.flow)
        counts = [int(n) for n in re.findall(r"\d+", row["catalogue lines"])]
        assert lines[entry.id] in counts, (entry.id, lines[entry.id], row["catalogue lines"])


def test_unsupported_in_the_table_is_exactly_what_the_catalogue_marks_with_its_reason() -> None:
    # Both ways: a catalogue entry marked unsupported has its row with the
    # reason, and no row says "unsupported" for an exchange the catalogue
    # does not mark so (today the catalogue marks none).
    rows = exchange_table()
    _, unsupported = load_all(CATALOGUE)
    marked = {entry.id: f"unsupported: {entry.reason}" for entry in unsupported}
    said = {name: row["status"] for name, row in rows.items() if row["status"].startswith("unsupported")}
    assert said == marked


def test_every_exchange_ccxt_streams_is_in_the_table() -> None:
    rows = exchange_table()
    missing = sorted(set(ccxt.pro.exchanges) - set(rows))
    assert not missing, f"ccxt 4.5.90 has WebSocket classes the README does not list: {missing}"


def test_supported_means_a_catalogue_entry_and_every_status_is_known() -> None:
    entries, _ = load_all(CATALOGUE)
    ids = {entry.id for entry in entries}
    for name, row in exchange_table().items():
        status = row["status"]
        assert status == "supported" and name in ids or status != "supported" and name not in ids, name
        assert re.match(r"supported\Z|unsupported: |public streams only\Z|no authentication: |not yet: ", status), (
            name, status,
        )


def test_public_only_means_ccxt_has_no_private_stream() -> None:
    """A row saying "public streams only" must be true of ccxt 4.5.90."""
    public = [name for name, row in exchange_table().items() if row["status"] == "public streams only"]
    assert public
    for name in public:
        has = getattr(ccxt.pro, name)().has
        assert not any(has.get(watch) for watch in PRIVATE_WATCHES), name


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"# Run the whole test suite.*\n(.+)\n", README)
    assert command is not None
    assert command.group(1).strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# The documents a maintainer reads: README, the CHANGELOG's Unreleased section
# (a released line may name a file since removed), every page under docs/ and
# every document among the tests (tests/fakes/README.md, RECIPES.md,
# SECOND_REFERENCE.md ...).
DOCUMENTS = sorted(
    {ROOT / "README.md", ROOT / "CHANGELOG.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("tests/**/*.md")}
)
# What git ignores (a virtualenv, caches, bench/results.json): written by a
# command or a machine, never committed, so never required to exist.
IGNORED = [
    line.strip().rstrip("/")
    for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def document_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.name == "CHANGELOG.md":
        text = text.split("\n## Unreleased", 1)[1].split("\n## ", 1)[0]
    return text


def ignored(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.split("/")[0], pattern) for pattern in IGNORED)


def repository_paths(text: str) -> list[str]:
    """The backticked spans that name a path in this repository: those whose
    first component is a top-level file or folder of it (`tests/...`,
    `generator/flows.py`, `exchanges.toml`); a span naming another project's
    file (ccxt's `pro/bybit.py`, an SDK's `setup.py`) is not one. A line
    suffix (`:120`, `:12-40`) is dropped; a placeholder (`<flow>`, `{id}`,
    `*`) matches any name."""
    top = {path.name for path in ROOT.iterdir()}
    paths = []
    for span in re.findall(r"`([^`\n]+)`", text):
        if re.search(r"\s|://", span) or span.split("/")[0] not in top or ignored(span.split("/")[0]):
            continue
        paths.append(re.sub(r":\d+(-\d+)?\Z", "", span))
    return paths


def missing_paths(text: str) -> list[str]:
    missing = []
    for path in dict.fromkeys(repository_paths(text)):
        pattern = re.sub(r"<[^>]*>|\{[^}]*\}", "*", path).rstrip("/")
        found = any(ROOT.glob(pattern)) if "*" in pattern else (ROOT / pattern).exists()
        if not found and not ignored(pattern):
            missing.append(path)
    return missing


def test_the_documents_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in DOCUMENTS}
    assert {"README.md", "tests/fakes/README.md", "tests/reference/RECIPES.md", "tests/reference/SECOND_REFERENCE.md"} <= names
    assert any(name.startswith("docs/") for name in names)
    # The check sees the paths the README is built around (it cannot pass by finding none).
    assert {"exchanges.toml", "generator/flows.py", "tests/fakes/README.md"} <= set(repository_paths(README))


def test_a_path_that_does_not_exist_is_reported() -> None:
    text = "`generator/flows.py`, `templates/flows/<flow>.py.jinja`, `tests/no_such_test.py`, `generator/nope/`"
    assert missing_paths(text) == ["tests/no_such_test.py", "generator/nope/"]
    # Not the repository's: another project's file, an ignored output, a URL path.
    assert missing_paths("`pro/bybit.py`, `bench/results.json`, `.venv/lib/x`, `/v1/auth`, `tests no/such`") == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_repository_path_a_document_names_exists(document: Path) -> None:
    missing = missing_paths(document_text(document))
    assert not missing, f"{document.relative_to(ROOT)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_python_dash_m_module_a_document_names_exists(document: Path) -> None:
    modules = set(re.findall(r"python3? -m ([A-Za-z_][\w.]*)", document_text(document)))
    absent = sorted(name for name in modules if importlib.util.find_spec(name) is None)
    assert not absent, f"{document.relative_to(ROOT)} names `python -m` modules that do not exist: {absent}"


@pytest.mark.parametrize("extra", ["keys", "wallet"])
def test_the_install_table_names_the_entries_each_extra_serves(extra: str) -> None:
    """README's install table names the entries an extra is for: exactly the
    ones `wsauth list` says need it."""
    from wsauth._listing import LISTING

    row = re.search(rf"^\| `wsauth\[{extra}\]` \|.*$", README, re.MULTILINE)
    assert row is not None, f"the README's install table has no wsauth[{extra}] row"
    named = {word for word in re.findall(r"[a-z][a-z0-9_]*", row.group(0)) if word in LISTING}
    assert named == {name for name, listed in LISTING.items() if listed.get("extra") == extra}
