"""The helper file's own contract with the generator: standard library only
at import time, mypy --strict clean alone with nothing installed, private
names, aliased imports, and every error raised through the module's _fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.frames.wallet.conftest import HELPER, mypy_alone

HELPERS = [HELPER, HELPER.with_name("stark.py")]
STAND_INS = {"WsAuthInputError", "_fail", "_PROVIDED_BY_MODULE"}


def test_mypy_strict_alone_with_nothing_installed(tmp_path: Path) -> None:
    shutil.copy(HELPER, tmp_path / "wallet.py")
    stdout = mypy_alone(tmp_path, "wallet.py")
    assert "Success: no issues found in 1 source file" in stdout


def test_imports_only_the_standard_library(tmp_path: Path) -> None:
    # -I -S: no site-packages, no environment, no current directory. Import,
    # then hash and encode typed data: still nothing outside the standard library.
    shutil.copy(HELPER, tmp_path / "wallet.py")
    probe = (
        "import sys; sys.path.insert(0, '.'); before = set(sys.modules)\n"
        "import wallet\n"
        "wallet._keccak256(b'abc')\n"
        "wallet._eip712_digest({'name': 'x'}, {'A': [{'name': 'a', 'type': 'uint8'}]}, 'A', {'a': 1})\n"
        "new = set(sys.modules) - before - {'wallet'}\n"
        "outside = sorted(m for m in new if m.partition('.')[0] not in sys.stdlib_module_names)\n"
        "print(outside)\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("helper", HELPERS, ids=lambda p: p.name)
def test_top_level_names_are_private_and_imports_aliased(helper: Path) -> None:
    for node in ast.parse(helper.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for alias in node.names:
                assert alias.asname and alias.asname.startswith("_"), ast.unparse(node)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            assert node.name.startswith("_") or node.name in STAND_INS, node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                assert isinstance(target, ast.Name) and target.id.startswith(
                    "_"
                ), ast.unparse(node)


@pytest.mark.parametrize("helper", HELPERS, ids=lambda p: p.name)
def test_every_raise_goes_through_fail(helper: Path) -> None:
    tree = ast.parse(helper.read_text(encoding="utf-8"))
    raises = [node for node in ast.walk(tree) if isinstance(node, ast.Raise)]
    assert raises
    for node in raises:
        call = node.exc
        assert isinstance(call, ast.Call) and isinstance(
            call.func, ast.Name
        ), ast.unparse(node)
        assert call.func.id == "_fail", ast.unparse(node)


@pytest.mark.parametrize("helper", HELPERS, ids=lambda p: p.name)
def test_stand_ins_are_declared(helper: Path) -> None:
    tree = ast.parse(helper.read_text(encoding="utf-8"))
    names = {
        n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
    }
    declared = next(
        n
        for n in tree.body
        if isinstance(n, ast.AnnAssign)
        and ast.unparse(n.target) == "_PROVIDED_BY_MODULE"
    )
    assert isinstance(declared.value, ast.Tuple)
    provided = {ast.literal_eval(element) for element in declared.value.elts}
    imported = {
        alias.asname or alias.name
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.module == "wallet"
        for alias in n.names
    }
    # The module's own _fail and WsAuthInputError, plus what a sibling helper
    # (wallet.py) defines -- each stand-in really defined or imported here.
    assert {"WsAuthInputError", "_fail"} <= provided <= names | imported
    for name in imported:
        assert name in provided
        assert name in {
            n.name
            for n in ast.parse(HELPER.read_text()).body
            if isinstance(n, ast.FunctionDef)
        }
