"""The generated modules carry only what they use: no unused import, unused
local, redefinition, unreachable private helper or constant condition; and
their records are built with keyword arguments. Each check is first shown to
fail on a deliberate mistake."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import libcst
import pytest

from generator.prune import prune, unused
from tests.paths import PACKAGE

# The exchange modules: their header says so (the runtime's copies and the package files do not).
MODULES = sorted(
    path for path in PACKAGE.glob("*.py")
    if "the authentication module" in path.read_text(encoding="utf-8").partition("\n")[0]
)
RECORDS = {"AuthReply", "Config", "Credentials", "PreAuth", "RestRequest"}
# pyflakes' rules for dead code: unused import, redefined unused name, unused local.
RUFF_RULES = "F401,F811,F841"


def ruff(*paths: Path | str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", RUFF_RULES, "--output-format", "concise"]
    return subprocess.run([*args, *map(str, paths)], input=stdin, capture_output=True, text=True, timeout=120)


def test_ruff_finds_dead_code_when_there_is_some() -> None:
    found = ruff("-", stdin="import os\n\ndef f() -> None:\n    unused = 1\n")
    assert found.returncode == 1 and "F401" in found.stdout and "F841" in found.stdout


def test_no_generated_module_has_unused_imports_locals_or_redefinitions() -> None:
    assert len(MODULES) >= 60
    found = ruff(*MODULES)
    assert found.returncode == 0, found.stdout


def test_the_pruner_finds_an_unreachable_helper_and_an_unused_import() -> None:
    source = "import json as _json\nimport time as _time\n\n\ndef _used() -> int:\n    return _time.time_ns()\n\n\ndef _dead() -> None:\n    _json.dumps(1)\n\n\nX = _used()\n"
    # What only the unreachable helper reads is unreachable too.
    assert sorted(unused(libcst.parse_module(source))) == ["_dead", "_json"]
    assert prune(source) == "import time as _time\n\n\ndef _used() -> int:\n    return _time.time_ns()\n\n\nX = _used()\n"


def test_the_pruner_drops_helpers_that_only_call_each_other() -> None:
    # EIP-712's encoder and struct hasher recurse into each other: unreachable together.
    source = "def _a(n: int) -> int:\n    return _b(n - 1) if n else 0\n\n\ndef _b(n: int) -> int:\n    return _a(n)\n\n\nX = 1\n"
    assert sorted(unused(libcst.parse_module(source))) == ["_a", "_b"]
    assert prune(source).strip() == "X = 1"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_no_private_helper_or_import_is_unused(path: Path) -> None:
    assert unused(libcst.parse_module(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_no_constant_condition_and_records_built_by_keyword(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            assert not isinstance(node.test, ast.Constant), f"{path.name}:{node.lineno}: a constant condition"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in RECORDS:
            assert not node.args, f"{path.name}:{node.lineno}: {node.func.id} built with positional arguments"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_public_function_and_class_has_a_docstring(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name}: no module docstring"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            assert ast.get_docstring(node), f"{path.name}: {node.name} has no docstring"


def test_the_condition_check_sees_a_constant_condition() -> None:
    tree = ast.parse("if False:\n    pass\n")
    assert any(isinstance(n, ast.If) and isinstance(n.test, ast.Constant) for n in ast.walk(tree))
