"""The helper files' contract with the generator (templates/helpers/wallet.py
and stark.py, pasted like the other helpers below their ``# ---`` line):
standard library only at import time, private names and aliased imports in
what is pasted, and every error raised through the module's _fail.
mypy --strict over them where they stand: tests/typing; over each module
that carries them, alone: tests/typing too."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from generator.render import MARKER
from tests.frames.wallet.conftest import HELPER
from tests.paths import ROOT

HELPERS = [HELPER, HELPER.with_name("stark.py")]


def _pasted(helper: Path) -> list[ast.stmt]:
    """The statements below the marker: what reaches a module."""
    _, marker, body = helper.read_text(encoding="utf-8").partition(MARKER)
    assert marker, f"{helper.name} has no paste marker"
    return ast.parse(body).body


def _preamble_imports(helper: Path) -> list[ast.stmt]:
    preamble = helper.read_text(encoding="utf-8").partition(MARKER)[0]
    return [n for n in ast.parse(preamble).body if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_imports_only_the_standard_library() -> None:
    # -I -S: no site-packages, no environment. Import both, then hash, encode
    # typed data and hash with Pedersen: still nothing outside the standard library.
    probe = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); before = set(sys.modules)\n"
        "from templates.helpers import wallet, stark\n"
        "wallet._keccak256(b'abc')\n"
        "wallet._eip712_digest({'name': 'x'}, {'A': [{'name': 'a', 'type': 'uint8'}]}, 'A', {'a': 1})\n"
        "stark._pedersen(1, 2)\n"
        "new = set(sys.modules) - before\n"
        "outside = sorted(m for m in new if m.partition('.')[0] not in sys.stdlib_module_names | {'templates'})\n"
        "print(outside)\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("helper", HELPERS, ids=lambda p: p.name)
def test_pasted_names_are_private_and_imports_aliased(helper: Path) -> None:
    for node in _preamble_imports(helper):
        if isinstance(node, ast.ImportFrom) and (node.module == "__future__" or node.level):
            continue  # relative imports stand in for what base.py pastes
        for alias in node.names:
            assert alias.asname and alias.asname.startswith("_"), ast.unparse(node)
    for node in _pasted(helper):
        assert not isinstance(node, (ast.Import, ast.ImportFrom)), ast.unparse(node)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            assert node.name.startswith("_"), node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                assert isinstance(target, ast.Name) and target.id.startswith("_"), ast.unparse(node)


@pytest.mark.parametrize("helper", HELPERS, ids=lambda p: p.name)
def test_every_raise_goes_through_fail(helper: Path) -> None:
    raises = [node for stmt in _pasted(helper) for node in ast.walk(stmt) if isinstance(node, ast.Raise)]
    assert raises
    for node in raises:
        call = node.exc
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), ast.unparse(node)
        assert call.func.id == "_fail", ast.unparse(node)
