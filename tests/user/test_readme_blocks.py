"""Every fenced block of README.md runs, in order, as a user following the
README would run it: a block that fails fails the test.

The user's folder is a sandbox: a copy of the project (what a clone holds, so
`cp generated/wsauth/kraken.py vendored/` works as written) with its own
HOME, and this environment's virtualenv active (its `bin` first on PATH, as
`. .venv/bin/activate` does): `wsauth` and `python` are the installed
package's. Blocks share that folder, so a file one block writes (`creds.json`)
is there for the next.

- `sh`: `bash -e -u -o pipefail`, every line must succeed.
- `python`: run as a script, with the installed (generated) package. A
  block that needs an exchange reads `WSAUTH_*` variables (the README says
  which); they point at a fake Bybit on 127.0.0.1 (tests/fakes), which must
  have authenticated exactly one session by the end.
- `toml`: a catalogue table; `python -m generator --catalogue` renders it
  (every check of the closed schema runs) and each rendered module imports.

The blocks that cannot run here are listed in SKIPPED, each with the test
that covers it; the list must match the README exactly (first line of the
block), so nothing is skipped silently and no entry outlives its block.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fakes import start_fake
from tests.paths import ROOT

README = ROOT / "README.md"

# first line of a block -> why it does not run here, and what covers it instead
SKIPPED: dict[str, str] = {
    "# From a clone, at its root: the package with the session's IO (the io extra)":
        "creates a virtualenv and installs from the package index; .ci/run installs a clean clone"
        " (requirements/dev.txt) and tests/user/test_package.py builds and checks the wheel pip installs",
    "# Without a clone: REPOSITORY_URL is the address you would clone this repository from":
        "a placeholder URL (the repository has no public address) and the network; pip builds the"
        " same wheel tests/user/test_package.py builds",
    "# Regenerate generated/ from the catalogue (it prints each file it renders)":
        "creates virtualenvs from the package index and runs the whole suite (this test included);"
        " .ci/run runs the test command verbatim on a clean clone (tests/generator/test_readme.py checks"
        " that it is this one) and tests/generator/test_drift.py runs the generator over the catalogue",
    "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)":
        "output that `python -m bench` printed (a cProfile table), not a command; tests/bench runs the bench",
}
LANGUAGES = ("sh", "python", "toml")
API_KEY = "readme-key-0123456789"
SECRET = "readme-secret-Qm4tZ8xW2nR6pK1vB9cY3dF7"
# What no block may print: the secrets it was given.
NEVER_PRINTED = (SECRET, "my-secret", "my-passphrase")
# The project as a clone holds it: without what a build, a test run or git leaves.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv*", "__pycache__", "*.egg-info", ".generator-cache", ".mypy_cache", ".hypothesis",
    ".pytest_cache", "build", "dist", "results.json",
)


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    language: str
    text: str

    @property
    def first(self) -> str:
        return self.text.split("\n", 1)[0]

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.language or 'no language'}: {self.first!r})"


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"(?m)^```([^\n`]*)\n(.*?)^```[ \t]*$", text, re.DOTALL):
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(line, match.group(1).strip(), match.group(2)))
    return found


def test_the_skip_list_is_exactly_the_blocks_skipped() -> None:
    firsts = [block.first for block in blocks()]
    for first in SKIPPED:
        assert firsts.count(first) == 1, f"SKIPPED names a block the README has {firsts.count(first)} times: {first!r}"
    unrunnable = [str(b) for b in blocks() if b.first not in SKIPPED and b.language not in LANGUAGES]
    assert not unrunnable, f"blocks with no runner ({', '.join(LANGUAGES)}) and not in SKIPPED: {unrunnable}"
    assert len(blocks()) - len(SKIPPED) >= 8  # the README's user sections: module, session, testnet, command, plan …


async def execute(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    child = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(child.communicate(), 120)
    return child.returncode or 0, out.decode(errors="replace")


async def run(block: Block, sandbox: Path, env: dict[str, str]) -> tuple[int, str]:
    if block.language == "sh":
        return await execute(["bash", "-e", "-u", "-o", "pipefail", "-c", block.text], sandbox, env)
    script = sandbox.parent / f"readme_{block.line}.{block.language}"
    script.write_text(block.text, encoding="utf-8")
    if block.language == "python":
        return await execute([sys.executable, str(script)], sandbox, env)
    out_dir = sandbox.parent / f"readme_{block.line}_out"
    code, out = await execute(
        [sys.executable, "-m", "generator", "--catalogue", str(script), "--out", str(out_dir)], sandbox, env
    )
    if code:
        return code, out
    modules = sorted(path.stem for path in (out_dir / "wsauth").glob("*.py") if path.stem not in RUNTIME)
    imports = "; ".join(f"import wsauth.{name} as m; print(m.EXCHANGE, m.PATTERN, m.__file__)" for name in modules)
    code, imported = await execute([sys.executable, "-c", imports], sandbox, {**env, "PYTHONPATH": str(out_dir)})
    assert modules and str(out_dir) in imported, imported
    return code, out + imported


RUNTIME = {"__init__", "__main__", "_listing", "cli", "plan", "seam", "session", "steps"}


def test_every_readme_block_runs(tmp_path: Path) -> None:
    sandbox = tmp_path / "clone"
    shutil.copytree(ROOT, sandbox, ignore=NOT_IN_A_CLONE)
    (tmp_path / "home").mkdir()
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "HOME": str(tmp_path / "home"),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "VIRTUAL_ENV": str(Path(sys.executable).parent.parent),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "WSAUTH_API_KEY": API_KEY,
        "WSAUTH_SECRET": SECRET,
    }
    results: list[tuple[Block, int, str]] = []

    async def main() -> int:
        async with start_fake("bybit", api_key=API_KEY, secret=SECRET) as fake:
            env["WSAUTH_WS_URL"] = fake.ws_url
            for block in blocks():
                if block.first not in SKIPPED:
                    code, out = await run(block, sandbox, env)
                    results.append((block, code, out))
            return fake.auth_ok

    authenticated = asyncio.run(main())
    failed = [f"{block} exited {code}:\n{out}" for block, code, out in results if code != 0]
    assert not failed, "\n\n".join(failed)
    assert authenticated == 1, "the session block authenticates once against the fake exchange"
    for block, _, out in results:
        for secret in NEVER_PRINTED:
            assert secret not in out, f"{block} printed a secret"
    assert {block.language for block, _, _ in results} == set(LANGUAGES)
