"""The wallet-signed modules (derive, nado) with the keys users get wrong,
with and without the signing libraries, and what they import.

Byte-equality with ccxt 4.5.90 (a key with 0x in set A, without in set B) is
tests/frames/test_differential.py's and the generated tests'; a fake that
recovers the signer is tests/runtime/test_wallet_sessions.py's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from wsauth import derive, nado

from tests.paths import FIXTURES, PACKAGE

KEYS = json.loads((FIXTURES / "keys" / "keys.json").read_text(encoding="utf-8"))["keys"]
KEY_A, ADDRESS_A = KEYS["A"]["secp256k1_hex"], KEYS["A"]["secp256k1_address"]
KEY_B, ADDRESS_B = KEYS["B"]["secp256k1_hex"], KEYS["B"]["secp256k1_address"]
OPTS = {"now_ms": 1767225600123, "request_id": 1}
MODULES = [derive, nado]
# A STARK (Paradex) private key: below the STARK group order, written in hex (63
# digits here) or in decimal, as StarkNet tools print it.
STARK_KEY = 0x3C1E9550E66958296D11B60F8E8E7A7AD990D07FA65D5F7652C4A6C87D4E3CC


def frame(module: ModuleType, **credentials: str | None) -> object:
    fields = {"wallet_address": ADDRESS_A, "private_key": KEY_A, **credentials}
    return module.build_auth_message(module.Credentials(**fields), opts=OPTS)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.EXCHANGE)
@pytest.mark.parametrize(
    "key, says",
    [
        (hex(STARK_KEY)[2:], "STARK"),
        (str(STARK_KEY), "STARK"),
        (ADDRESS_A, "the length of an address"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----", "PEM"),
        ("0x" + "g" * 64, "not hex digits"),
        ("0x" + "0" * 64, "between 1 and the secp256k1 group order"),
    ],
    ids=["stark-hex", "stark-decimal", "address", "pem", "not-hex", "zero"],
)
def test_a_key_that_is_not_an_ethereum_key_is_refused_without_showing_it(module: ModuleType, key: str, says: str) -> None:
    with pytest.raises(module.WsAuthInputError) as refused:
        frame(module, private_key=key)
    message = str(refused.value)
    assert message.startswith(f"{module.EXCHANGE}: credentials.private_key") and says in message
    assert key.removeprefix("0x") not in message and "MHcCAQEEIA" not in message


def test_nado_refuses_a_key_whose_address_is_not_the_configured_wallet() -> None:
    with pytest.raises(nado.WsAuthInputError) as refused:
        frame(nado, private_key=KEY_B, wallet_address=ADDRESS_A)
    message = str(refused.value)
    assert message.startswith("nado: ") and ADDRESS_A in message and ADDRESS_B in message and KEY_B not in message


def test_derive_accepts_a_session_key_for_the_wallet() -> None:
    # Derive: "The signer may be the wallet itself or a delegated session key."
    sent = frame(derive, private_key=KEY_B, wallet_address=ADDRESS_A)
    assert isinstance(sent, dict) and sent["params"]["wallet"] == ADDRESS_A


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.EXCHANGE)
def test_a_malformed_wallet_address_is_refused(module: ModuleType) -> None:
    wrong_checksum = ADDRESS_A[:2] + ADDRESS_A[2:].swapcase()
    with pytest.raises(module.WsAuthInputError) as refused:
        frame(module, wallet_address=wrong_checksum)
    assert "credentials.wallet_address" in str(refused.value) and "checksum" in str(refused.value)


def _forget_addresses(module: ModuleType) -> None:
    """Addresses are cached per key: derive them again with the library at hand."""
    cached = getattr(module, "_eth_address", None)
    if cached is not None:
        cached.cache_clear()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.EXCHANGE)
def test_cryptography_signs_the_same_bytes_when_coincurve_is_missing(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    with_coincurve = frame(module)
    real = module._importlib.import_module

    def without_coincurve(name: str) -> ModuleType:
        if name.partition(".")[0] == "coincurve":
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(module._importlib, "import_module", without_coincurve)
    _forget_addresses(module)
    assert frame(module) == with_coincurve


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.EXCHANGE)
def test_without_either_library_signing_names_the_extra(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(name: str) -> ModuleType:
        raise ImportError(name)

    monkeypatch.setattr(module._importlib, "import_module", nothing)
    _forget_addresses(module)
    with pytest.raises(module.WsAuthInputError) as refused:
        frame(module)
    assert "pip install 'wsauth[wallet]'" in str(refused.value)


@pytest.mark.parametrize("name", ["derive", "nado"])
def test_importing_a_wallet_module_imports_only_the_standard_library(name: str, tmp_path: Path) -> None:
    # A vendored copy, no site-packages: importing it, and reading a reply,
    # needs neither coincurve nor cryptography.
    shutil.copy(PACKAGE / f"{name}.py", tmp_path / f"{name}.py")
    probe = (
        "import sys; sys.path.insert(0, '.'); before = set(sys.modules)\n"
        f"import {name}\n"
        f"{name}.handle_auth_response('{{}}')\n"
        f"new = set(sys.modules) - before - {{{name!r}}}\n"
        "print(sorted(m for m in new if m.partition('.')[0] not in sys.stdlib_module_names))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
