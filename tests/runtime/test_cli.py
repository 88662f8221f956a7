"""The ``wsauth`` command: list, verify, --version, and errors that point at
the fix, run as a user runs it (a subprocess of ``python -m wsauth``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wsauth
from tests.paths import PACKAGE
from tests.runtime.conftest import Unsupported


def wsauth_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wsauth", *map(str, args)], capture_output=True, text=True, timeout=60)


def credentials(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "credentials.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_version() -> None:
    done = wsauth_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"wsauth {wsauth.__version__}"


def test_list_names_every_exchange_with_its_status_and_needs() -> None:
    listed = json.loads(wsauth_cli("list", "--json").stdout)
    assert set(wsauth.EXCHANGES) | set(wsauth.UNSUPPORTED) == set(listed)
    assert listed["bybit"] == {
        "status": "supported", "flows": "direct", "markets": ["spot", "linear", "inverse", "option"],
        "environments": ["demo", "testnet"], "credentials": ["api_key", "secret"], "extra": None,
    }
    assert listed["binance_ed25519"]["extra"] == "keys" and "private_key" in listed["binance_ed25519"]["credentials"]
    lines = wsauth_cli("list").stdout.splitlines()
    assert len(lines) == len(listed) and any(line.startswith("okx ") and "password" in line for line in lines)


def test_list_names_an_unsupported_exchange_with_its_reason(unsupported: Unsupported) -> None:
    listed = json.loads(unsupported.run("list", "--json").stdout)
    assert listed[unsupported.name] == {"status": "unsupported", "reason": unsupported.reason}
    assert listed["bybit"]["status"] == "supported"


def test_plan_refuses_an_unsupported_exchange_with_its_reason(tmp_path: Path, unsupported: Unsupported) -> None:
    creds = credentials(tmp_path, {"api_key": "k", "secret": "s"})
    done = unsupported.run("plan", unsupported.name.upper(), "--credentials", creds)
    assert done.returncode == 2 and f"{unsupported.name} is not supported: {unsupported.reason}" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Bybit", None),  # folded to lower case
        ("okex", "did you mean okx"),
        ("bybitt", "did you mean bybit"),
        ("zzzz", "wsauth list"),
    ],
)
def test_exchange_names_are_folded_and_near_misses_suggested(tmp_path: Path, name: str, says: str | None) -> None:
    done = wsauth_cli("plan", name, "--credentials", credentials(tmp_path, {"api_key": "k", "secret": "s"}), "--now-ms", "1767225600123")
    if says is None:
        assert done.returncode == 0 and json.loads(done.stdout)["exchange"] == "bybit"
    else:
        assert done.returncode == 2 and says in done.stderr


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"api_key": "k", "secret": "s", "passphrase": "p"}, "unknown key 'passphrase': did you mean 'password'?"),
        ({"api_key": "k", "secret": "s"}, "no 'password'; okx needs api_key, secret, password"),
        ({"api_key": 5, "secret": "s", "password": "p"}, "'api_key' must be a JSON string, not int"),
        ("{not json", "not JSON"),
        ([1, 2], "expected a JSON object of credential fields"),
    ],
)
def test_a_bad_credentials_file_names_the_file_and_the_fix(tmp_path: Path, data: object, says: str) -> None:
    path = credentials(tmp_path, data)
    done = wsauth_cli("plan", "okx", "--credentials", path)
    assert done.returncode == 2
    assert str(path) in done.stderr and says in done.stderr
    assert "Traceback" not in done.stderr


def test_a_clock_in_seconds_and_bad_options_speak_of_flags(tmp_path: Path) -> None:
    path = credentials(tmp_path, {"api_key": "k", "secret": "s"})
    seconds = wsauth_cli("plan", "bybit", "--credentials", path, "--now-ms", "1767225600")
    assert seconds.returncode == 2 and "looks like seconds" in seconds.stderr
    no_token = wsauth_cli("plan", "kraken", "--credentials", credentials(tmp_path, {"api_key": "k", "secret": "c2VjcmV0"}))
    assert no_token.returncode == 2 and "--token is needed" in no_token.stderr and "opts" not in no_token.stderr
    unknown_market = wsauth_cli("plan", "bybit", "--credentials", path, "--market-type", "spt")
    assert unknown_market.returncode == 2 and "market_type" in unknown_market.stderr and "spot" in unknown_market.stderr


def _vendored(tmp_path: Path, name: str = "bybit") -> Path:
    copy = tmp_path / f"{name}.py"
    shutil.copy(PACKAGE / f"{name}.py", copy)
    return copy


def test_verify_tells_current_stale_and_edited_copies_apart(tmp_path: Path) -> None:
    current = _vendored(tmp_path)
    done = wsauth_cli("verify", current)
    assert done.returncode == 0 and "current" in done.stdout

    edited = current.read_text(encoding="utf-8").replace('"GET/realtime"', '"GET/realtime2"')
    current.write_text(edited, encoding="utf-8")
    done = wsauth_cli("verify", current)
    assert done.returncode == 2 and "edited by hand" in done.stdout

    # A copy generated from an older catalogue entry: its header is whole
    # (the body matches its hash) but it is not what this wsauth generates.
    from generator.render import body_hash

    lines = _vendored(tmp_path).read_text(encoding="utf-8").split("\n", 2)
    old_body = lines[2].replace("10000", "5000")
    old_header = lines[0].replace("entry hash ", "entry hash 0").rsplit("body hash ", 1)[0] + f"body hash {body_hash(old_body)}."
    current.write_text("\n".join([old_header, lines[1], old_body]), encoding="utf-8")
    done = wsauth_cli("verify", current)
    assert done.returncode == 1 and "stale" in done.stdout and "the catalogue entry changed" in done.stdout

    # The same entry rendered by older templates: the entry hash agrees, the body does not.
    same_entry = lines[0].rsplit("body hash ", 1)[0] + f"body hash {body_hash(old_body)}."
    current.write_text("\n".join([same_entry, lines[1], old_body]), encoding="utf-8")
    done = wsauth_cli("verify", current)
    assert done.returncode == 1 and "stale" in done.stdout and "rendered by other templates" in done.stdout

    not_ours = tmp_path / "other.py"
    not_ours.write_text("print('hello')\n", encoding="utf-8")
    assert wsauth_cli("verify", not_ours).returncode == 2


def test_closing_the_pipe_early_is_not_an_error() -> None:
    reader = subprocess.Popen([sys.executable, "-m", "wsauth", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()
    error = reader.stderr.read().decode()
    assert reader.wait(timeout=60) in (0, 120) and "Traceback" not in error
