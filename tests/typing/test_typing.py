"""The generated modules are typed as strictly as their consumers will check
them: the package, and every module copied alone into an empty folder (what
vendoring one file means), with nothing outside the standard library."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wsauth

PACKAGE = Path(wsauth.__file__).resolve().parent
MODULES = sorted(PACKAGE / f"{name}.py" for name in wsauth.EXCHANGES)


def mypy(*args: str, cwd: Path, site_packages: bool = False) -> subprocess.CompletedProcess[str]:
    isolation = [] if site_packages else ["--no-site-packages"]  # "nothing installed but mypy"
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *isolation, *args],
        cwd=cwd, capture_output=True, text=True,
    )


@pytest.fixture(scope="module")
def vendored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every module copied, alone, into an empty folder outside the package."""
    folder = tmp_path_factory.mktemp("vendored")
    for module in MODULES:
        shutil.copy(module, folder / module.name)
    return folder


def test_package_passes_mypy_strict() -> None:
    # With site-packages: wsauth.session needs the io extra (httpx, websockets).
    result = mypy("-p", "wsauth", cwd=PACKAGE.parent, site_packages=True)
    assert result.returncode == 0, result.stdout


def test_generator_passes_mypy_strict() -> None:
    result = mypy("-p", "generator", cwd=PACKAGE.parent.parent, site_packages=True)
    assert result.returncode == 0, result.stdout


def test_the_helper_source_passes_mypy_strict_where_it_stands() -> None:
    # What the generator pastes into modules (templates/helpers/) is source
    # the checker reads before it is ever rendered.
    from generator.render import HELPERS

    helpers = [f"templates/helpers/{name}.py" for name in HELPERS]
    result = mypy(*helpers, cwd=PACKAGE.parent.parent, site_packages=True)
    assert result.returncode == 0, result.stdout


def test_each_module_alone_passes_mypy_strict(vendored: Path) -> None:
    # The modules never import one another, so one run over the folder checks
    # each as a lone file.
    result = mypy(*(m.name for m in MODULES), cwd=vendored)
    assert result.returncode == 0, result.stdout
    assert f"Success: no issues found in {len(MODULES)} source files" in result.stdout


@pytest.mark.parametrize("module", [m.stem for m in MODULES])
def test_module_imports_only_the_standard_library(vendored: Path, module: str) -> None:
    # -I -S: no site-packages, no environment, no current directory on the path.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); before = set(sys.modules); "
        f"import {module}; "
        "loaded = {m.split('.')[0] for m in set(sys.modules) - before}; "
        f"print(sorted(loaded - set(sys.stdlib_module_names) - {{'{module}'}}))"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", probe, str(vendored)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# Misuse that mypy must reject, with the error code it must give: the
# negative half of "typed to the last byte".
MISUSE = {
    "Credentials(api_key='k')": "call-arg",  # the secret is required
    "Credentials(api_key='k', secret='s', passphrase='p')": "call-arg",  # no such field
    "build_auth_message(CREDENTIALS, opts={'now': 1})": "arg-type",  # not an Opts key
    "build_auth_message(CREDENTIALS, opts={'now_ms': '1'})": "arg-type",  # now_ms is an int
    "CREDENTIALS.secret = 'x'": "misc",  # frozen
    "handle_auth_response('{}').ok": "union-attr",  # None when not an auth reply
    "build_subscribe_auth(CREDENTIALS, channel=1)": "arg-type",
}


def test_misuse_is_rejected(vendored: Path) -> None:
    lines = [
        "from bybit import Credentials, build_auth_message, build_subscribe_auth, handle_auth_response",
        "CREDENTIALS = Credentials(api_key='k', secret='s')",
        *MISUSE,
    ]
    (vendored / "misuse.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = mypy("misuse.py", cwd=vendored)
    found: dict[int, set[str]] = {}
    for line, code in re.findall(r"misuse\.py:(\d+): error: .*\[([a-z-]+)\]", result.stdout):
        found.setdefault(int(line), set()).add(code)
    for offset, (code_line, code) in enumerate(MISUSE.items(), start=3):
        assert code in found.get(offset, set()), f"{code_line!r} was not rejected with [{code}]:\n{result.stdout}"
    assert set(found) == set(range(3, 3 + len(MISUSE))), result.stdout  # and nothing else is


ROOT = PACKAGE.parent.parent


def test_runtime_passes_mypy_strict_where_it_stands() -> None:
    # runtime/ is the source the package's session, plan, seam and steps are
    # copied from: checked there, before any generation.
    result = mypy("-p", "runtime", cwd=ROOT, site_packages=True)
    assert result.returncode == 0, result.stdout


def test_every_module_fits_the_runtimes_protocols(tmp_path: Path) -> None:
    # The seam, checked from the modules' side: each module binds to
    # wsauth.seam's Protocols (its Config, PreAuth, callbacks) and keeps its
    # own Credentials type through the binding. A module missing a Config or
    # PreAuth field the runtime reads fails here.
    lines = ["from wsauth import seam", *(f"import wsauth.{name}" for name in wsauth.EXCHANGES)]
    for name in wsauth.EXCHANGES:
        lines.append(f"_{name}: seam.Exchange[wsauth.{name}.Credentials] = seam.bind(wsauth.{name})")
    (tmp_path / "seam_fit.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = mypy("seam_fit.py", cwd=tmp_path, site_packages=True)
    assert result.returncode == 0, result.stdout
