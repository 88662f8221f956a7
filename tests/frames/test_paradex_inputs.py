"""What users of wsauth.paradex get wrong, refused before anything is signed
with the exchange and the field named, never the key: a STARK key (the app's
"Private Key") where the Ethereum key is expected, an account that is not a
Starknet address; and the account's spellings that are the same account."""

from __future__ import annotations

import pytest
from wsauth import paradex

from tests.reference.ccxt_scenarios import PARADEX_CREDENTIALS

OPTS: paradex.Opts = {"now_ms": 1767225600123}
ETH_KEY, ACCOUNT = PARADEX_CREDENTIALS["A"]["private_key"], PARADEX_CREDENTIALS["A"]["uid"]
# paradex-py's published STARK key (tests/api/test_account.py): 62 hex digits.
STARK_KEY = "0x543b6cf6c91817a87174aaea4fb370ac1c694e864d7740d728f8344d53e815"


def headers(private_key: str = ETH_KEY, uid: str = ACCOUNT) -> dict[str, str]:
    pre = paradex.pre_auth(paradex.Credentials(private_key=private_key, uid=uid), opts=OPTS)
    assert pre.request is not None
    return pre.request.headers


def test_a_stark_key_where_the_ethereum_key_belongs_is_named_as_such() -> None:
    with pytest.raises(paradex.WsAuthInputError) as error:
        headers(private_key=STARK_KEY)
    text = str(error.value)
    assert text.startswith("paradex: credentials.private_key must be an Ethereum (secp256k1) private key")
    assert "STARK" in text and STARK_KEY[2:12] not in text


@pytest.mark.parametrize("uid", ["paradex-account", "0x", "0x" + "8" * 64, "0x" + "1" * 65, "0x-1"])
def test_an_account_that_is_not_a_starknet_address_is_refused(uid: str) -> None:
    with pytest.raises(paradex.WsAuthInputError) as error:
        headers(uid=uid)
    assert str(error.value) == (
        "paradex: credentials.uid must be a Starknet account address: 0x and at most 64 hex digits, below 2^251"
    )


def test_the_same_account_however_spelt_signs_the_same() -> None:
    digits = ACCOUNT[2:].lstrip("0")
    spellings = ["0x" + digits, "0x" + digits.rjust(64, "0"), digits.upper(), "0X" + digits]
    signed = {tuple(sorted(headers(uid=uid).items())) for uid in spellings}
    assert len(signed) == 1
    assert dict(signed.pop())["PARADEX-STARKNET-ACCOUNT"] == "0x" + digits
