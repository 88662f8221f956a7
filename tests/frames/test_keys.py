"""Private keys: every form a key may be pasted in, the errors for anything
else, ECDSA checked with the public key, JWTs against ccxt's own helpers, and
the modules without cryptography installed.

Keys come from tests/fixtures/keys/keys.json (fixed, committed); the other
forms of the same key (encrypted, literal \\n, seeds) are derived from them
here, so each form must give the very frame ccxt sent for the original.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ccxt.base.exchange import Exchange  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from generator.catalogue import load
from generator.tree import render_tree
from tests.conformance import JWT_CLAIMS, as_documented, import_file, jwt_parts, ours
from tests.reference.ccxt_capture import KEYS, base58, private_key
from wsauth import backpack, binance_ed25519, binance_rsa, bithumb, coinbase_cdp, upbit, woofipro
from tests.paths import FIXTURES, ROOT

PASSWORD = "correct horse battery staple"


def capture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "ccxt" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def with_key(data: dict[str, Any], key: str, password: str | None = None) -> dict[str, Any]:
    """What our module sends for a capture's inputs, with its key written another way."""
    changed = dict(data, credentials={"api_key": data["credentials"]["api_key"], "private_key": key})
    if password is not None:
        changed["credentials"]["password"] = password
    return ours(changed)


def sent(data: dict[str, Any]) -> dict[str, Any]:
    """ccxt's frames in the shape ours() returns them."""
    return {"frames": data["frames"], "subscribe": data["subscribe_frames"]}


def ours_sent(result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    subscribe = [dict(frame, **(result["subscribe_auth"] or {})) for frame in data["subscribe_frames"]]
    return {"frames": result["frames"], "subscribe": subscribe}


def loaded(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), None)


def pem(key: Any, form: serialization.PrivateFormat, password: str | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, form, encryption).decode()


PKCS8 = serialization.PrivateFormat.PKCS8
TRADITIONAL = serialization.PrivateFormat.TraditionalOpenSSL


# --- every accepted form gives ccxt's frame ----------------------------------------

def pem_forms(kind: str, set_name: str = "A") -> dict[str, tuple[str, str | None]]:
    """The PEM forms of one fixture key: name -> (text, password)."""
    original = KEYS[set_name][kind]
    key = loaded(original)
    forms = {
        "pkcs8": (pem(key, PKCS8), None),
        "literal backslash-n": (pem(key, PKCS8).replace("\n", "\\n"), None),
        "CRLF and surrounding blanks": ("\n  " + pem(key, PKCS8).replace("\n", "\r\n") + "  \n", None),
        "encrypted pkcs8": (pem(key, PKCS8, PASSWORD), PASSWORD),
    }
    if not isinstance(key, ed25519.Ed25519PrivateKey):  # OpenSSL has no traditional Ed25519 PEM
        forms["traditional"] = (pem(key, TRADITIONAL), None)
        forms["encrypted traditional"] = (pem(key, TRADITIONAL, PASSWORD), PASSWORD)
    return forms


PEM_CASES = [
    (capture_name, kind, form)
    for capture_name, kind in (("binance_ed25519-1", "ed25519_pem"), ("binance_rsa-3", "rsa_pem"), ("coinbase_cdp-2", "p256_pem"))
    for form in pem_forms(kind)
]


@pytest.mark.parametrize(("capture_name", "kind", "form"), PEM_CASES, ids=[f"{c}:{f}" for c, _, f in PEM_CASES])
def test_each_pem_form_signs_what_ccxt_signed(capture_name: str, kind: str, form: str) -> None:
    data = capture(capture_name)
    set_name = "A" if capture_name.endswith(("1", "3")) else "B"  # captures -1/-3: set A, -2/-4: set B
    text, password = pem_forms(kind, set_name)[form]
    # Where our JWT claims differ from ccxt's on purpose (conformance.JWT_CLAIMS),
    # every form must sign what the committed form signs (itself checked against ccxt).
    expected = ours_sent(ours(data), data) if data["entry"] in JWT_CLAIMS else sent(data)
    assert ours_sent(with_key(data, text, password), data) == expected


def test_the_pem_forms_are_really_different_texts() -> None:
    for kind in ("ed25519_pem", "rsa_pem", "p256_pem"):
        texts = [text for text, _ in pem_forms(kind).values()]
        assert len(set(texts)) == len(texts)
        assert any("ENCRYPTED" in text for text in texts)
        assert any("\\n" in text and "\n" not in text for text in texts)


def seed_b64(set_name: str) -> str:
    return private_key(set_name, "ed25519_seed_base64")


def seed_and_public_b64(set_name: str) -> str:
    """Coinbase's CDP Ed25519 form: base64 of the seed then the public key."""
    seed = bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"])
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return base64.b64encode(seed + public).decode()


def test_backpack_takes_a_base64_seed_or_seed_and_public_key() -> None:
    for name in ("backpack-1", "backpack-4"):
        data = capture(name)
        set_name = "A" if name.endswith("1") else "B"
        assert data["credentials"]["private_key"] == seed_b64(set_name)
        assert ours_sent(with_key(data, seed_b64(set_name)), data) == sent(data)
        assert ours_sent(with_key(data, seed_and_public_b64(set_name)), data) == sent(data)


# Every form of the same Ed25519 key, through an entry that accepts them all
# (tests/fixtures/catalogues/keys.toml); the reference is ccxt's eddsa().
@pytest.fixture(scope="module")
def key_entries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    folder = tmp_path_factory.mktemp("keys")
    files = render_tree(load(FIXTURES / "catalogues" / "keys.toml"))
    modules = {}
    for name in ("any_ed25519", "jwt_hs256", "jwt_eddsa", "jwt_rs256"):
        (folder / f"{name}.py").write_text(files[f"wsauth/{name}.py"], encoding="utf-8")
        modules[name] = import_file(folder / f"{name}.py", f"_keys_{name}")
    return modules


ED25519_FORMS = {
    "pkcs8 pem": lambda s: KEYS[s]["ed25519_pem"],
    "encrypted pem": lambda s: pem(loaded(KEYS[s]["ed25519_pem"]), PKCS8, PASSWORD),
    "literal backslash-n pem": lambda s: KEYS[s]["ed25519_pem"].replace("\n", "\\n"),
    "base64 seed": seed_b64,
    "base64 seed and public key": seed_and_public_b64,
    "hex seed": lambda s: KEYS[s]["ed25519_seed_hex"],
    "upper-case hex seed": lambda s: KEYS[s]["ed25519_seed_hex"].upper(),
    "base58 seed (Orderly)": lambda s: "ed25519:" + base58(bytes.fromhex(KEYS[s]["ed25519_seed_hex"])),
    "base58 seed without prefix": lambda s: base58(bytes.fromhex(KEYS[s]["ed25519_seed_hex"])),
}


@pytest.mark.parametrize("form", ED25519_FORMS)
@pytest.mark.parametrize("set_name", ["A", "B"])
def test_each_ed25519_form_signs_as_ccxt_does(key_entries: dict[str, ModuleType], form: str, set_name: str) -> None:
    module = key_entries["any_ed25519"]
    text = ED25519_FORMS[form](set_name)
    credentials = module.Credentials(api_key="k", private_key=text, password=PASSWORD if "encrypted" in form else None)
    for now_ms in (1767225600123, 1790000000987):
        frame = module.build_auth_message(credentials, opts={"now_ms": now_ms})
        seed = bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"])
        assert frame == {"key": "k", "ts": now_ms, "sign": Exchange.eddsa(str(now_ms).encode(), seed, "ed25519")}


# --- JWTs: HS256 (bithumb, upbit), EdDSA, RS256 against ccxt's jwt() ---------------

@pytest.mark.parametrize("set_name", ["A", "B"])
@pytest.mark.parametrize("now_ms", [1767225600123, 1790000000987])
def test_jwt_hs256_equals_ccxt(key_entries: dict[str, ModuleType], set_name: str, now_ms: int) -> None:
    from tests.reference.ccxt_capture import CREDENTIALS

    creds = CREDENTIALS[set_name]
    module = key_entries["jwt_hs256"]
    nonce = "0123456789abcdef0123456789abcdef"
    frame = module.build_auth_message(
        module.Credentials(api_key=creds["api_key"], secret=creds["secret"]), opts={"now_ms": now_ms, "nonce": nonce}
    )
    # bithumb's authenticate(): jwt({access_key, nonce, timestamp}, secret, 'sha256')
    claims = {"access_key": creds["api_key"], "nonce": nonce, "timestamp": now_ms}
    assert frame == {"authorization": "Bearer " + Exchange.jwt(claims, creds["secret"].encode(), "sha256")}


UUIDS = {"A": "3f2b8a9e-1c4d-4e5f-9a6b-7c8d9e0f1a2b", "B": "0b6c1d2e-3f40-4a5b-8c7d-9e0f1a2b3c4d"}


def ccxt_bearer(exchange: str, api_key: str, secret: str, nonce: str, now_ms: int) -> str:
    """The handshake header ccxt 4.5.90's upbit/bithumb authenticate() sets."""
    import asyncio
    from unittest import mock

    import ccxt.pro  # type: ignore[import-untyped]

    async def run() -> str:
        ex = getattr(ccxt.pro, exchange)({"apiKey": api_key, "secret": secret})
        with mock.patch.object(type(ex), "uuid", staticmethod(lambda: nonce)), \
                mock.patch.object(type(ex), "milliseconds", staticmethod(lambda: now_ms)):
            result = ex.authenticate()
            if asyncio.iscoroutine(result):  # bithumb's is async, upbit's is not
                await result
        await ex.close()
        return str(ex.options["ws"]["options"]["headers"]["authorization"])

    return asyncio.run(run())


JWT_HANDSHAKES = {"upbit": upbit, "bithumb": bithumb}


@pytest.mark.parametrize("exchange", sorted(JWT_HANDSHAKES))
@pytest.mark.parametrize("set_name", ["A", "B"])
@pytest.mark.parametrize("now_ms", [1767225600123, 1790000000987])
def test_upbit_and_bithumb_jwt_hs256_equal_ccxt(exchange: str, set_name: str, now_ms: int) -> None:
    """wsauth.upbit / wsauth.bithumb's handshake header, with a uuid4 nonce
    other than the captures' frozen one, equals what ccxt's authenticate() sets."""
    from tests.reference.ccxt_capture import CREDENTIALS

    creds = CREDENTIALS[set_name]
    module = JWT_HANDSHAKES[exchange]
    opened = module.pre_auth(
        module.Credentials(api_key=creds["api_key"], secret=creds["secret"]), opts={"now_ms": now_ms, "nonce": UUIDS[set_name]}
    )
    assert opened.request is None and opened.ws_headers is not None
    assert dict(opened.ws_headers) == {"authorization": ccxt_bearer(exchange, creds["api_key"], creds["secret"], UUIDS[set_name], now_ms)}


@pytest.mark.parametrize("exchange", sorted(JWT_HANDSHAKES))
def test_a_uuid4_nonce_is_fresh_each_time(exchange: str) -> None:
    import uuid

    module = JWT_HANDSHAKES[exchange]
    credentials = module.Credentials(api_key="k", secret="s")
    nonces = set()
    for _ in range(2):
        headers = module.pre_auth(credentials).ws_headers
        assert headers is not None
        token = headers["authorization"].removeprefix("Bearer ")
        nonces.add(json.loads(b64url(token.split(".")[1]))["nonce"])
    assert len(nonces) == 2 and all(uuid.UUID(n).version == 4 for n in nonces)


@pytest.mark.parametrize("name", [f"woofipro-{n}" for n in range(1, 5)])
def test_orderly_secret_with_or_without_its_prefix(name: str) -> None:
    """Orderly's secret is written "ed25519:<base58 seed>"; ccxt also takes
    it without the prefix. Either signs what ccxt signed, and the signature
    verifies with the key's public half."""
    data = capture(name)
    written = data["credentials"]["private_key"]
    assert written.startswith("ed25519:")
    for form in (written, written.removeprefix("ed25519:")):
        changed = dict(data, credentials=dict(data["credentials"], private_key=form))
        assert ours_sent(ours(changed), data) == sent(data)
    set_name = "A" if name.endswith(("1", "3")) else "B"
    public = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"])).public_key()
    frame = woofipro.build_auth_message(
        woofipro.Credentials(api_key="k", private_key=written, uid="1"), opts={"now_ms": data["used"]["now_ms"]}
    )
    assert isinstance(frame, dict)
    public.verify(base64.b64decode(frame["params"]["sign"]), str(data["used"]["now_ms"]).encode())


@pytest.mark.parametrize("set_name", ["A", "B"])
@pytest.mark.parametrize("now_ms", [1767225600123, 1790000000987])
def test_jwt_eddsa_equals_ccxt(key_entries: dict[str, ModuleType], set_name: str, now_ms: int) -> None:
    module = key_entries["jwt_eddsa"]
    api_key, nonce, seconds = f"key-{set_name}", "ab" * 16, now_ms // 1000
    frame = module.build_auth_message(
        module.Credentials(api_key=api_key, private_key=seed_and_public_b64(set_name)), opts={"now_ms": now_ms, "nonce": nonce}
    )
    # coinbase create_auth_token(useEddsa=True), without a uri
    claims = {"aud": ["cdp_service"], "iss": "cdp", "nbf": seconds, "exp": seconds + 120, "sub": api_key, "iat": seconds}
    seed = bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"])
    expected = Exchange.jwt(claims, seed, "sha256", False, {"kid": api_key, "nonce": nonce, "alg": "EdDSA"})
    assert frame == {"token": expected}


@pytest.mark.parametrize("set_name", ["A", "B"])
def test_jwt_rs256_equals_ccxt(key_entries: dict[str, ModuleType], set_name: str) -> None:
    module = key_entries["jwt_rs256"]
    now_ms = 1767225600123
    frame = module.build_auth_message(
        module.Credentials(api_key="k", private_key=KEYS[set_name]["rsa_pem"]), opts={"now_ms": now_ms}
    )
    expected = Exchange.jwt({"sub": "k", "iat": now_ms // 1000}, KEYS[set_name]["rsa_pem"].encode(), "sha256", True)
    assert frame == {"token": expected}


# --- ECDSA: header and claims byte for byte, the signature checked with the key ----

def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("name", [f"coinbase_cdp-{n}" for n in range(1, 5)])
def test_es256_jwt_header_claims_and_signature(name: str) -> None:
    data = capture(name)
    ccxt_jwt = data["subscribe_frames"][0]["jwt"]
    our_jwt = ours(data)["subscribe_auth"]["jwt"]
    ours_parts = our_jwt.split(".")
    # ccxt's header and claims, with the claims Coinbase documents today (conformance.JWT_CLAIMS)
    assert jwt_parts(our_jwt) == as_documented("coinbase_cdp", ccxt_jwt)
    header = json.loads(b64url(ours_parts[0]))
    assert header == {"alg": "ES256", "typ": "JWT", "kid": data["credentials"]["api_key"], "nonce": data["used"]["nonce"]}
    claims = json.loads(b64url(ours_parts[1]))
    seconds = data["used"]["now_ms"] // 1000
    assert claims == {"sub": data["credentials"]["api_key"], "iss": "cdp", "nbf": seconds, "exp": seconds + 120}
    raw = b64url(ours_parts[2])
    assert len(raw) == 64
    public = loaded(data["credentials"]["private_key"]).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, (ours_parts[0] + "." + ours_parts[1]).encode(), ec.ECDSA(hashes.SHA256()))


def test_es256_without_a_nonce_draws_a_fresh_one_each_time() -> None:
    credentials = coinbase_cdp.Credentials(api_key="organizations/o/apiKeys/k", private_key=KEYS["A"]["p256_pem"])
    nonces = set()
    for _ in range(2):
        fields = coinbase_cdp.build_subscribe_auth(credentials, channel="user", symbols=["BTC-USD"], opts={"now_ms": 1767225600123})
        assert isinstance(fields, dict) and isinstance(fields["jwt"], str)
        nonces.add(json.loads(b64url(fields["jwt"].split(".")[0]))["nonce"])
    assert len(nonces) == 2 and all(len(n) == 32 for n in nonces)


# --- anything else: a ValueError naming the exchange and what it expected ----------

def p384_pem() -> str:
    return pem(ec.derive_private_key(12345678901234567890, ec.SECP384R1()), PKCS8)


ED_PEM = KEYS["A"]["ed25519_pem"]
RSA_PEM = KEYS["A"]["rsa_pem"]
EC_PEM = KEYS["A"]["p256_pem"]
BAD_KEYS: dict[str, tuple[ModuleType, str, str | None, str]] = {
    # name: (module, key text, password, what the message must say)
    "RSA key for Ed25519": (binance_ed25519, RSA_PEM, None, "Ed25519"),
    "Ed25519 key for RSA": (binance_rsa, ED_PEM, None, "RSA"),
    "EC key for RSA": (binance_rsa, EC_PEM, None, "RSA"),
    "P-384 key for ES256": (coinbase_cdp, p384_pem(), None, "P-256"),
    "Ed25519 key for ES256": (coinbase_cdp, ED_PEM, None, "P-256"),
    "PEM for a seed-only exchange": (backpack, ED_PEM, None, "base64"),
    "truncated PEM": (binance_rsa, RSA_PEM[: len(RSA_PEM) // 2] + "\n-----END PRIVATE KEY-----\n", None, "RSA"),
    "PEM without its end line": (binance_ed25519, ED_PEM.split("-----END")[0], None, "Ed25519"),
    "a public key": (coinbase_cdp, loaded(EC_PEM).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(), None, "P-256"),
    "wrong password": (binance_rsa, pem(loaded(RSA_PEM), PKCS8, PASSWORD), "not the password", "password"),
    "encrypted without a password": (coinbase_cdp, pem(loaded(EC_PEM), TRADITIONAL, PASSWORD), None, "password"),
    "truncated seed": (backpack, seed_b64("A")[:-8], None, "seed"),
    "seed that is not base64": (backpack, "!" + seed_b64("A")[1:], None, "seed"),
    "hex seed where base64 is issued": (backpack, KEYS["A"]["ed25519_seed_hex"], None, "base64"),
    "seed and someone else's public key": (backpack, base64.b64encode(
        bytes.fromhex(KEYS["A"]["ed25519_seed_hex"]) + b64url(seed_and_public_b64("B").rstrip("="))[32:]).decode(), None, "public"),
    "the API secret instead of the key": (binance_ed25519, "secret-A-Bz7tQ1xN4mK8pR2vW6yC3dF5gH9jL0aS", None, "Ed25519"),
}


def call(module: ModuleType, credentials: Any) -> object:
    opts = {"now_ms": 1767225600123, "request_id": 1, "nonce": "n"}
    if module is backpack or module is coinbase_cdp:
        return module.build_subscribe_auth(credentials, channel="user", symbols=["BTC-USD"], opts=opts)
    return module.build_auth_message(credentials, opts=opts)


@pytest.mark.parametrize("case", BAD_KEYS)
def test_a_key_that_does_not_fit_is_refused_without_echoing_it(case: str) -> None:
    module, text, password, expected = BAD_KEYS[case]
    credentials = module.Credentials(api_key="key-0123", private_key=text, password=password)
    with pytest.raises(module.WsAuthInputError) as error:
        call(module, credentials)
    message = str(error.value)
    assert isinstance(error.value, ValueError)
    assert message.startswith(module.EXCHANGE + ": ") and "private_key" in message and expected in message
    # Never the key, nor any line of it, nor the password.
    for piece in [text, *(line for line in text.replace("\\n", "\n").splitlines() if len(line) >= 8), password]:
        assert not piece or piece not in message
    # Nor chained to cryptography's own exception (which a traceback would show).
    assert error.value.__cause__ is None
    assert error.value.__context__ is None or error.value.__suppress_context__


@pytest.mark.parametrize("module", [binance_ed25519, binance_rsa, backpack, coinbase_cdp], ids=lambda m: m.EXCHANGE)
@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_missing_key_is_refused(module: ModuleType, text: str | None) -> None:
    with pytest.raises(module.WsAuthInputError) as error:
        call(module, module.Credentials(api_key="key-0123", private_key=text))
    assert "credentials.private_key is missing" in str(error.value)


def test_repr_never_shows_the_key_or_its_password() -> None:
    credentials = binance_rsa.Credentials(api_key="key-0123", private_key=RSA_PEM, password=PASSWORD)
    assert "PRIVATE" not in repr(credentials) and PASSWORD not in repr(credentials)


# --- without cryptography: the module imports, signing names the extra -------------

def test_without_cryptography_a_key_module_imports_and_says_which_extra(tmp_path: Path) -> None:
    for module in (binance_ed25519, coinbase_cdp):
        assert module.__file__ is not None
        shutil.copy(module.__file__, tmp_path / Path(module.__file__).name)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import binance_ed25519 as m, coinbase_cdp as c\n"
        "assert 'cryptography' not in sys.modules\n"
        "for mod, call in ((m, lambda k: m.build_auth_message(k, opts={'now_ms': 1})),\n"
        "                  (c, lambda k: c.build_subscribe_auth(k, channel='user', opts={'now_ms': 1}))):\n"
        "    try:\n"
        "        call(mod.Credentials(api_key='k', private_key=sys.argv[2]))\n"
        "    except mod.WsAuthInputError as error:\n"
        "        print(error)\n"
    )
    # -I -S: no site-packages, so no cryptography, as for a vendored file.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", probe, str(tmp_path), ED_PEM], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, name in zip(lines, ("binance_ed25519", "coinbase_cdp")):
        assert line.startswith(name + ": ") and "pip install 'wsauth[keys]'" in line


def test_shared_secret_modules_never_touch_cryptography() -> None:
    import wsauth

    probe = (
        "import importlib, sys\n"
        f"for name in {list(wsauth.EXCHANGES)!r}:\n"
        "    importlib.import_module('wsauth.' + name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_keys_extra_is_a_range_and_the_tests_pin_the_version_they_ran() -> None:
    """Users get a compatible range (the signatures do not depend on the
    version); the test environment pins the one these tests proved."""
    import tomllib

    import cryptography

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    (wanted,) = extras["keys"]
    assert wanted.startswith("cryptography>=") and "==" not in wanted
    assert int(cryptography.__version__.split(".")[0]) >= int(wanted.removeprefix("cryptography>=").split(".")[0])
    pins = (ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8").splitlines()
    assert f"cryptography=={cryptography.__version__}" in pins


def test_rsa_and_p256_fixture_keys_are_what_they_say() -> None:
    for set_name in ("A", "B"):
        assert isinstance(loaded(KEYS[set_name]["rsa_pem"]), rsa.RSAPrivateKey)
        assert loaded(KEYS[set_name]["rsa_pem"]).key_size == 2048
        key = loaded(KEYS[set_name]["p256_pem"])
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
        assert loaded(KEYS[set_name]["p256_pem_sec1"]).private_numbers() == key.private_numbers()


# --- end to end: wsauth.session against a loopback WS-API that checks Ed25519 -------

def test_session_logs_in_with_an_ed25519_key_and_is_refused_with_another() -> None:
    """A loopback stand-in for Binance's WS-API verifies the signature with the
    registered public key (its own code, not the module's): the registered
    key is accepted, another key gets Binance's -1022, and no key material
    reaches the error."""
    import asyncio

    from websockets.asyncio.server import ServerConnection, serve

    from wsauth.session import AuthenticationFailed, Session, config_with

    api_key = "key-session-ed25519"
    public = loaded(KEYS["A"]["ed25519_pem"]).public_key()
    seen: list[dict[str, Any]] = []

    async def exchange(socket: ServerConnection) -> None:
        async for message in socket:
            request = json.loads(message)
            params = request["params"]
            seen.append(request)
            signed = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature").encode()
            try:
                public.verify(base64.b64decode(params["signature"], validate=True), signed)
                ok = params["apiKey"] == api_key and abs(params["timestamp"] - time.time() * 1000) < params["recvWindow"]
            except Exception:
                ok = False
            reply: dict[str, Any] = {"id": request["id"], "status": 200, "result": {"subscriptionId": 0}} if ok else {
                "id": request["id"], "status": 400, "error": {"code": -1022, "msg": "Signature for this request is not valid."}}
            await socket.send(json.dumps(reply))

    async def main() -> None:
        async with serve(exchange, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            config = config_with(binance_ed25519, ws_url=f"ws://127.0.0.1:{port}")
            good = binance_ed25519.Credentials(api_key=api_key, private_key=KEYS["A"]["ed25519_pem"].replace("\n", "\\n"))
            async with Session(binance_ed25519, good, config=config, auth_timeout_s=5) as session:
                assert session.authenticated
            wrong = binance_ed25519.Credentials(api_key=api_key, private_key=KEYS["B"]["ed25519_pem"])
            with pytest.raises(AuthenticationFailed) as error:
                async with Session(binance_ed25519, wrong, config=config, auth_timeout_s=5):
                    raise AssertionError("a wrong key was accepted")
            assert error.value.code == "-1022"
            for text in (str(error.value), repr(error.value)):
                assert "PRIVATE" not in text and KEYS["B"]["ed25519_pem"].splitlines()[1] not in text

    asyncio.run(asyncio.wait_for(main(), 30))
    assert [request["method"] for request in seen] == ["userDataStream.subscribe.signature"] * 2


def test_es256_with_a_cryptography_without_deterministic_ecdsa_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    original = ec.ECDSA

    def old_ecdsa(algorithm: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("ECDSA() got an unexpected keyword argument 'deterministic_signing'")
        return original(algorithm)

    monkeypatch.setattr(ec, "ECDSA", old_ecdsa)
    credentials = coinbase_cdp.Credentials(api_key="organizations/o/apiKeys/k", private_key=EC_PEM)
    with pytest.raises(coinbase_cdp.WsAuthInputError) as error:
        coinbase_cdp.build_subscribe_auth(credentials, channel="user", symbols=["BTC-USD"], opts={"now_ms": 1767225600123})
    assert "deterministic ECDSA" in str(error.value) and "wsauth[keys]" in str(error.value)


def test_session_subscribes_with_an_es256_jwt_checked_with_the_public_key() -> None:
    """Coinbase Advanced Trade with a CDP key, inline: a loopback stand-in
    verifies each subscribe's JWT (ES256 with the registered public key, the
    key name as kid and sub, 120 s) and answers as Coinbase does."""
    import asyncio

    from websockets.asyncio.server import ServerConnection, serve

    from wsauth.session import AuthenticationFailed, Session, Subscription, config_with

    key_name = "organizations/org-session/apiKeys/key-session"
    public = loaded(EC_PEM).public_key()
    tokens: list[str] = []

    def valid(token: str) -> bool:
        header, claims, signature = token.split(".")
        raw = b64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return False
        head, body = json.loads(b64url(header)), json.loads(b64url(claims))
        return (head["kid"] == body["sub"] == key_name and body["exp"] - body["nbf"] == 120
                and abs(body["nbf"] - time.time()) < 60)

    async def exchange(socket: ServerConnection) -> None:
        async for message in socket:
            request = json.loads(message)
            tokens.append(request["jwt"])
            if valid(request["jwt"]):
                reply: dict[str, Any] = {"channel": "subscriptions", "events": [{"subscriptions": {"user": request["product_ids"]}}]}
            else:
                reply = {"type": "error", "message": "authentication failure"}
            await socket.send(json.dumps(reply))

    async def main() -> None:
        async with serve(exchange, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            config = config_with(coinbase_cdp, ws_url=f"ws://127.0.0.1:{port}")
            subscription = Subscription({"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "user"}, "user", ["BTC-USD"])
            good = coinbase_cdp.Credentials(api_key=key_name, private_key=KEYS["A"]["p256_pem_sec1"])
            async with Session(coinbase_cdp, good, config=config, subscriptions=[subscription], auth_timeout_s=5) as session:
                assert session.authenticated
            other = coinbase_cdp.Credentials(api_key=key_name, private_key=KEYS["B"]["p256_pem"])
            with pytest.raises(AuthenticationFailed) as error:
                async with Session(coinbase_cdp, other, config=config, subscriptions=[subscription], auth_timeout_s=5):
                    raise AssertionError("another key was accepted")
            assert error.value.reason == "authentication failure"
            assert "PRIVATE" not in str(error.value) and tokens[-1] not in str(error.value)

    asyncio.run(asyncio.wait_for(main(), 30))
    assert len(tokens) == 2
