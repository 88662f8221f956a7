"""Keys users get wrong: each refused through the module's _fail, naming the
field and what was expected, and never carrying the key -- not in the
message, not in a chained exception."""

from __future__ import annotations

from types import ModuleType

import pytest

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# A StarkNet private key as Paradex and starknet.py print it: hex(int), so
# without leading zeros (below the STARK curve order, 2^251 + ...).
STARK_KEY = "0x" + "5" + "a3f1" * 15 + "9c"  # 63 hex digits
# A STARK key as a decimal int, as some SDKs print keys.
STARK_DECIMAL = str(int(STARK_KEY, 16))


def refused(wallet: ModuleType, text: object, *, contains: str) -> str:
    with pytest.raises(ValueError) as caught:
        wallet._eth_private_key(text)
    error = caught.value
    assert type(error).__name__ == "FakeModuleError"  # the module's own _fail
    message = str(error)
    assert message.startswith("testexchange: credentials.private_key ")
    assert contains in message, message
    assert error.__cause__ is None
    if isinstance(text, str) and len(text.strip()) > 8:
        core = text.strip().removeprefix("0x")
        for chunk in (core[i : i + 8] for i in range(0, max(len(core) - 8, 1), 4)):
            assert chunk not in message and chunk not in repr(error)
        context = error.__context__
        while context is not None:  # nothing chained repeats the key either
            assert core[:16] not in str(context)
            context = context.__context__
    return message


def test_accepts_with_and_without_0x_and_surrounding_space(wallet: ModuleType) -> None:
    value = int(KEY, 16)
    for text in (KEY, "0x" + KEY, "0X" + KEY.upper(), f"  0x{KEY}\n"):
        assert wallet._eth_private_key(text) == value


@pytest.mark.parametrize(
    ("text", "contains"),
    [
        ("", "is missing or empty"),
        ("0x", "is missing or empty"),
        (None, "64 hex digits (32 bytes), with or without 0x"),
        (b"\x01" * 32, "64 hex digits (32 bytes), with or without 0x"),
        ("0x" + KEY[:-2] + "zz", "characters that are not hex digits"),
        (KEY[:40], "that is the length of an address"),
        ("04" + KEY + KEY, "length of a public key"),
        (KEY + "00", "it has 66"),
        (STARK_KEY, "a STARK (StarkNet/Paradex L2) private key"),
        (STARK_DECIMAL, "all decimal: a STARK (StarkNet/Paradex L2) private key"),
        (str(int(KEY, 16)), "all decimal: write the key in hex"),
        ("0x" + "0" * 64, "between 1 and the secp256k1 group order - 1"),
        (f"{N:064x}", "between 1 and the secp256k1 group order - 1"),
        (f"{N + 5:064x}", "between 1 and the secp256k1 group order - 1"),
        (
            "-----BEGIN EC PRIVATE KEY-----\nMHQCAQEE\n-----END EC PRIVATE KEY-----",
            "it is a PEM file",
        ),
    ],
    ids=[
        "empty",
        "only-0x",
        "none",
        "bytes",
        "non-hex",
        "address",
        "public-key",
        "too-long",
        "stark-hex",
        "stark-decimal",
        "eth-decimal",
        "zero",
        "order",
        "above-order",
        "pem",
    ],
)
def test_refusals(wallet: ModuleType, text: object, contains: str) -> None:
    message = refused(wallet, text, contains=contains)
    assert "expected" in message or "must be" in message or "missing" in message


def test_field_name_is_the_callers(wallet: ModuleType) -> None:
    with pytest.raises(
        ValueError, match="^testexchange: credentials.secret must be an Ethereum"
    ):
        wallet._eth_private_key("nope", "credentials.secret")


def test_wallet_address_must_match_the_key(wallet: ModuleType) -> None:
    key = wallet._eth_private_key(KEY)
    assert wallet._eth_check_wallet(key, ADDRESS) == ADDRESS
    assert wallet._eth_check_wallet(key, ADDRESS.lower()) == ADDRESS
    assert wallet._eth_check_wallet(key, "0x" + ADDRESS[2:].upper()) == ADDRESS
    other = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    with pytest.raises(ValueError) as caught:
        wallet._eth_check_wallet(key, other)
    message = str(caught.value)
    assert type(caught.value).__name__ == "FakeModuleError"
    assert f"belongs to {ADDRESS}, not to credentials.wallet_address {other}" in message
    assert KEY[:16] not in message


@pytest.mark.parametrize(
    ("wallet_address", "contains"),
    [
        ("0x2c7536E3605D9C16a7a3D7b1898e529396a65c2", "0x and 40 hex digits"),
        ("2c7536E3605D9C16a7a3D7b1898e529396a65c23", "0x and 40 hex digits"),
        (None, "0x and 40 hex digits"),
        # One letter's case flipped: EIP-55 catches the typo.
        ("0x2c7536e3605D9C16a7a3D7b1898e529396a65c23", "wrong EIP-55 checksum"),
    ],
)
def test_wallet_address_form(
    wallet: ModuleType, wallet_address: object, contains: str
) -> None:
    key = wallet._eth_private_key(KEY)
    with pytest.raises(
        ValueError, match="^testexchange: credentials.wallet_address "
    ) as caught:
        wallet._eth_check_wallet(key, wallet_address)
    assert contains in str(caught.value)


def test_no_signing_library_is_a_clear_error(
    wallet: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(wallet._importlib, "import_module", missing)
    with pytest.raises(ValueError, match="pip install 'wsauth\\[wallet\\]'") as caught:
        wallet._eth_sign(bytes(32), 1)
    assert type(caught.value).__name__ == "FakeModuleError"


def test_cryptography_is_the_fallback(
    wallet: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = wallet._importlib.import_module

    def without_coincurve(name: str) -> object:
        if name.startswith("coincurve"):
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(wallet._importlib, "import_module", without_coincurve)
    assert wallet._secp256k1_library() == "cryptography"
    key = wallet._eth_private_key(KEY)
    assert wallet._eth_address(key) == ADDRESS
    digest = bytes.fromhex(
        "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
    )
    assert wallet._eth_sign(digest, key)[2] == 28


def test_a_huge_input_is_refused_by_fail(wallet: ModuleType) -> None:
    # Past int()'s 4300-digit limit: still our error, not int()'s.
    refused(wallet, "7" * 5000, contains="it has 5000")
