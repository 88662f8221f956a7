"""What `pip install` gets: the sdist is the whole project (it rebuilds the
wheel and regenerates generated/), and the wheel is the package alone, with
the runtime extras and the `wsauth` command and nothing of the generator or
the tests.

Both are built the way `python -m build` builds them (the sdist from the
project's files, the wheel from the unpacked sdist), with this environment's setuptools
(pinned in requirements/dev.txt): no build isolation, no network.
"""

from __future__ import annotations

import email
import email.message
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from generator.tree import PACKAGE_FILES, RUNTIME_FILES
from tests.paths import PACKAGE, ROOT

NAME = "wsauth-0.1.0"
# What setuptools adds to an sdist besides the project's own files.
SDIST_METADATA = {"PKG-INFO", "setup.cfg"}
# A direct, a pre_auth and a handshake entry: what an
# unpacked sdist must regenerate byte for byte.
REGENERATED = ("bybit", "kraken", "weex")


def run(*args: str, cwd: Path) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(args)} (in {cwd}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the sdist, the wheel built from the unpacked sdist)."""
    out = tmp_path_factory.mktemp("dist")
    # From a copy of the project's files: setuptools would add whatever a
    # stale egg-info's SOURCES.txt in the tree still lists.
    tree = out / "tree"
    for name in project_files(untracked=True):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    backend = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    sdist = out / run(sys.executable, "-c", backend, str(out), cwd=tree).strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(out, filter="data")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
        str(out / NAME), cwd=out)
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def project_files(*, untracked: bool) -> set[str]:
    """Every file of the project: what git tracks (with `untracked`, also what
    it would track), or in an unpacked sdist (no git) what the sdist holds."""
    if (ROOT / ".git").exists():
        others = ("--others", "--exclude-standard") if untracked else ()
        listed = run("git", "ls-files", "-z", "--cached", *others, cwd=ROOT)
        return {name for name in listed.split("\0") if name and (ROOT / name).is_file()}
    return {
        str(path.relative_to(ROOT)) for path in ROOT.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path)
        and path.name not in SDIST_METADATA
    }


def test_the_sdist_is_the_whole_project(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        files = {name.split("/", 1)[1] for name in (m.name for m in tar.getmembers() if m.isfile())}
    missing = sorted(project_files(untracked=False) - files)
    assert not missing, f"MANIFEST.in leaves out of the sdist: {missing}"
    extra = sorted(
        name for name in files - project_files(untracked=True)
        if name not in SDIST_METADATA and not name.startswith("generated/wsauth.egg-info/")
    )
    assert not extra, f"the sdist holds files the project does not: {extra}"
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_an_unpacked_sdist_regenerates_what_it_ships(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    tree = sdist.parent / NAME
    args = [arg for entry in REGENERATED for arg in ("--exchange", entry)]
    out = run(sys.executable, "-m", "generator", "--check", "--no-cache", *args, cwd=tree)
    # Each entry's module and test, and the package files and runtime (py.typed too).
    whole_package = len(PACKAGE_FILES) + len(RUNTIME_FILES) + 1
    assert f"matches exchanges.toml ({2 * len(REGENERATED) + whole_package} files)" in out, out


def wheel_metadata(wheel: Path) -> tuple[set[str], email.message.Message, str]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_bytes(archive.read(f"{NAME}.dist-info/METADATA"))
        entry_points = archive.read(f"{NAME}.dist-info/entry_points.txt").decode()
    return names, metadata, entry_points


def test_the_wheel_is_the_package_and_nothing_else(built: tuple[Path, Path]) -> None:
    _, wheel = built
    names, _, _ = wheel_metadata(wheel)
    package = {f"wsauth/{path.name}" for path in PACKAGE.iterdir() if path.suffix == ".py"}
    assert len(package) > 70  # every exchange module and the runtime
    for runtime in ("session", "plan", "seam", "steps", "cli", "_listing", "__main__", "__init__"):
        assert f"wsauth/{runtime}.py" in package
    assert {name for name in names if name.startswith("wsauth/")} == package | {"wsauth/py.typed"}
    metadata_files = {name for name in names if not name.startswith("wsauth/")}
    assert metadata_files == {
        f"{NAME}.dist-info/{name}"
        for name in ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "top_level.txt", "licenses/LICENSE")
    }, "no tests, generator, templates or catalogue in the wheel"


def test_the_wheel_publishes_the_runtime_extras_as_ranges_and_the_command(built: tuple[Path, Path]) -> None:
    _, wheel = built
    _, metadata, entry_points = wheel_metadata(wheel)
    assert sorted(metadata.get_all("Provides-Extra") or []) == ["io", "keys", "wallet"]
    requires = metadata.get_all("Requires-Dist") or []
    assert requires, "the extras list their requirements"
    for requirement in requires:
        assert 'extra == "' in requirement, f"wsauth itself needs nothing: {requirement}"
        assert "==" not in requirement.split(";")[0], f"an exact pin for every user: {requirement}"
    assert metadata["Requires-Python"] == ">=3.11"
    assert "Classifier: Typing :: Typed" in str(metadata)
    assert "[console_scripts]\nwsauth = wsauth.cli:main" in entry_points


def test_the_wheel_alone_imports_and_runs_its_command(built: tuple[Path, Path], tmp_path: Path) -> None:
    """Unzipped into an empty folder, with nothing of the tree on the path."""
    _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    check = (
        "import sys, wsauth, wsauth.bybit, wsauth.cli; "
        "assert wsauth.__file__.startswith(sys.argv[1]), wsauth.__file__; "
        "sys.argv = ['wsauth', '--version']; wsauth.cli.main()"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, sys.argv[1]); {check}", str(tmp_path / "site")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "0.1.0" in out.stdout
