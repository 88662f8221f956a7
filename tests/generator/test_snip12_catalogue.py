"""The catalogue's STARK signing kind (signature.hash = "snip12"): a SNIP-12
typed_data table bound to its account, a stark_key table, and the
felt_pair_hex encoding. One mistake each, reported where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.catalogue import load
from tests.generator.test_catalogue import assert_reported, edited, refused, write

STARK = """\
[starkx]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
expires_after_ms = 180000
signature = { hash = "snip12", private_key = ["hex"], encoding = "felt_pair_hex" }
stark_key = { domain = { name = "X", chainId = 1, version = "1" }, types = { Constant = [{ name = "action", type = "string" }] }, primary_type = "Constant", message = { action = "STARK Key" } }
typed_data = { domain = { name = "X", chainId = "SN_X", version = 1 }, types = { Request = [{ name = "timestamp", type = "felt" }, { name = "expiration", type = "felt" }] }, primary_type = "Request", message = { timestamp = "{now_s}", expiration = "{expires_s}" }, account = "{starknet_account}" }
rest = { method = "POST", url = "https://example.com/auth", headers = { X-Account = "{starknet_account}", X-Sign = "{signature}" }, body = "", token = "jwt" }
auth_frame = { method = "auth", params = { bearer = "{token}" } }
[starkx.reply]
success = [{ "result.ok" = true }]
failure = [{ "error.code" = { present = true } }]
reason = ["error.message"]
"""

MISTAKES = {
    # (old, new, the line's key, the table reported, what it says)
    "no account": (', account = "{starknet_account}" }', " }", "typed_data", "starkx.typed_data", "a SNIP-12 message is bound to an account"),
    "an EIP-712 type": ('{ name = "timestamp", type = "felt" }', '{ name = "timestamp", type = "uint64" }', "typed_data", "starkx.typed_data", "is not a SNIP-12 (revision 0) type"),
    "a domain without its version": ('chainId = "SN_X", version = 1 }', 'chainId = "SN_X" }', "typed_data", "starkx.typed_data", "a StarkNetDomain holds name, chainId, version"),
    "no stark_key": ("stark_key = {", "# stark_key = {", None, "starkx", "needs a stark_key table"),
    "a stark_key that names a value": ('message = { action = "STARK Key" }', 'message = { action = "{now_s}" }', "stark_key", "starkx.stark_key", "names no value"),
    "an HMAC encoding": ('encoding = "felt_pair_hex"', 'encoding = "hex"', "signature", "starkx.signature", "encoded as one of felt_pair_hex"),
    "a PEM key": ('private_key = ["hex"]', 'private_key = ["pem"]', "signature", "starkx.signature", "a snip12 key (secp256k1) is hex"),
    "an account on EIP-712 typed data": ('message = { action = "STARK Key" } }', 'message = { action = "STARK Key" }, account = "0x1" }', "stark_key", "starkx.stark_key", "only SNIP-12 typed data has an account"),
}


def test_the_stark_catalogue_is_valid(tmp_path: Path) -> None:
    (entry,) = load(write(tmp_path, STARK))
    (variant,) = entry.variants
    assert variant.signature is not None and variant.signature.stark and variant.signature.asymmetric
    assert variant.typed_data is not None and variant.typed_data.account == "{starknet_account}"
    assert variant.stark_key is not None and variant.stark_key.message == {"action": "STARK Key"}


@pytest.mark.parametrize(("old", "new", "key", "table", "text"), MISTAKES.values(), ids=MISTAKES.keys())
def test_one_mistake_is_one_problem_where_it_is_written(tmp_path: Path, old: str, new: str, key: str | None, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, STARK))
    problems = refused(path)
    line = 1 if key is None else next(n for n, row in enumerate(STARK.split("\n"), 1) if row.startswith(f"{key} ="))
    assert len(problems) == 1, "\n".join(problems)
    assert_reported(problems, path, line, table, text)


def test_the_starknet_account_needs_a_stark_signature(tmp_path: Path) -> None:
    text = edited('signature = { hash = "snip12", private_key = ["hex"], encoding = "felt_pair_hex" }',
                  'signature = { message = "{starknet_account}", hash = "sha256", key = "raw", encoding = "hex" }', STARK)
    text = "\n".join(row for row in text.split("\n") if not row.startswith(("stark_key =", "typed_data =")))
    problems = refused(write(tmp_path, text))
    assert any("{starknet_account} is the account a STARK key signs for" in p for p in problems), "\n".join(problems)
