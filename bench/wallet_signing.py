"""Wallet signing: which library signs secp256k1 for the wallet helpers.

Runs every candidate side by side, interleaved round by round, and prints
the median of N (microseconds) for: signing a 32-byte digest with its
recovery id, deriving the address of a key, the whole EIP-712 "Mail" digest
plus signature, Keccak-256 alone, and a cold import of each library.

    python -m bench.wallet_signing [--rounds N]

eth-account is measured when importable (it is not a wsauth dependency:
install it somewhere and put that on PYTHONPATH to include it).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HELPER = Path(__file__).resolve().parent.parent / "templates" / "helpers" / "wallet.py"
KEY = 0x4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318
MAIL = {
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "types": {
        "Person": [
            {"name": "name", "type": "string"},
            {"name": "wallet", "type": "address"},
        ],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}


def load_helper():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("wallet_helper", HELPER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cold_import_ms(module: str, repeat: int = 5) -> float | None:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True
        )
        if done.returncode:
            return None
        samples.append(float(done.stdout) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wallet_signing")
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    w = load_helper()
    digest = w._keccak256(b"wsauth")
    mail = MAIL

    cases: dict[str, dict[str, Callable[[], object]]] = {
        "sign digest (r, s, v)": {
            "coincurve": lambda: w._secp256k1_sign(digest, KEY, "coincurve"),
            "cryptography": lambda: w._secp256k1_sign(digest, KEY, "cryptography"),
            "pure Python": lambda: w._secp256k1_sign_python(digest, KEY),
        },
        "key -> address": {
            "coincurve": lambda: w._eth_address_of_public_key(
                w._secp256k1_public_key(KEY, "coincurve")
            ),
            "cryptography": lambda: w._eth_address_of_public_key(
                w._secp256k1_public_key(KEY, "cryptography")
            ),
            "pure Python": lambda: w._eth_address_of_public_key(
                w._secp256k1_combine(KEY, w._SECP256K1_G, 0, w._SECP256K1_G)
            ),
        },
        "EIP-712 Mail digest + sign": {
            "coincurve": lambda: w._secp256k1_sign(
                w._eip712_digest(
                    mail["domain"], mail["types"], "Mail", mail["message"]
                ),
                KEY,
                "coincurve",
            ),
            "cryptography": lambda: w._secp256k1_sign(
                w._eip712_digest(
                    mail["domain"], mail["types"], "Mail", mail["message"]
                ),
                KEY,
                "cryptography",
            ),
        },
        "keccak256 (32 bytes)": {"pure Python": lambda: w._keccak256(digest)},
        "keccak256 (1 KiB)": {"pure Python": lambda: w._keccak256(bytes(1024))},
        "recovery id (pure Python, public values)": {
            "pure Python": lambda: w._secp256k1_recover(
                digest, *w._secp256k1_sign(digest, KEY, "coincurve")
            ),
        },
    }
    try:
        from eth_account import Account
        from eth_account.messages import encode_typed_data
        from eth_keys import keys as eth_keys

        account = Account.from_key(KEY.to_bytes(32, "big"))
        eth_key = eth_keys.PrivateKey(KEY.to_bytes(32, "big"))
        cases["sign digest (r, s, v)"]["eth-account (eth_keys)"] = (
            lambda: eth_key.sign_msg_hash(digest)
        )
        cases["key -> address"]["eth-account"] = lambda: Account.from_key(
            KEY.to_bytes(32, "big")
        ).address
        full = {"primaryType": "Mail", **mail, "types": {**mail["types"]}}
        cases["EIP-712 Mail digest + sign"]["eth-account"] = (
            lambda: account.sign_message(encode_typed_data(full_message=full))
        )
        eth_backend = type(eth_key.backend).__name__
    except ImportError:
        eth_backend = None

    for case in cases.values():  # warm-up: imports, caches
        for run in case.values():
            run()
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for case_name, case in cases.items():
            for lib, run in case.items():
                start = time.perf_counter_ns()
                run()
                samples.setdefault((case_name, lib), []).append(
                    (time.perf_counter_ns() - start) / 1000
                )

    print(f"median of {args.rounds}, microseconds (Python {sys.version.split()[0]})")
    for case_name, case in cases.items():
        print(f"\n{case_name}")
        for lib in case:
            print(f"  {lib:28} {statistics.median(samples[(case_name, lib)]):10.1f}")
    if eth_backend is not None:
        print(f"\n(eth_keys backend: {eth_backend})")
    print("\ncold import, ms (median of 5 fresh interpreters)")
    for module in (
        "coincurve",
        "cryptography.hazmat.primitives.asymmetric.ec",
        "eth_account",
    ):
        ms = cold_import_ms(module)
        print(f"  {module:46} {'not installed' if ms is None else f'{ms:8.1f}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
