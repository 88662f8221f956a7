"""KuCoin's unified-account push gateway (``kucoin_uta``): the socket greets
first and the signed ``op: auth`` frame may only follow that greeting
(Config.auth_after_greeting, wsauth.steps.Attempt.auth_after_greeting).

The fake (tests/fakes/kucoinuta.py) greets after a delay, refuses an auth frame
that arrives before its welcome, and checks the signature and the signed
passphrase with its own hmac code. It is first checked with the frame
kucoin-universal-sdk 1.3.2 recorded (tests/fixtures/sdk/kucoin_uta-*.json,
replayed at its clock) and with that frame altered; then ``wsauth.session``
runs against it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect
from wsauth import kucoin_uta
from wsauth.session import AuthenticationFailed, AuthTimeout, Session, config_with

from tests.fakes import start_fake
from tests.paths import FIXTURES
from tests.session_checks import Leaks, leaks, loopback_only  # noqa: F401 (autouse fixtures)

KEY, SECRET, PASSPHRASE = "uta-key-0123", "uta-secret-0123456789", "uta-passphrase"
GOOD = kucoin_uta.Credentials(api_key=KEY, secret=SECRET, password=PASSPHRASE)
LEAK_SECRETS = (SECRET, PASSPHRASE)  # never in a log record, exception or repr (tests/session_checks.py)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


async def replies_after_welcome(fake: Any, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wait for the welcome, then send each frame and read its reply."""
    async with connect(fake.ws_url, proxy=None, open_timeout=3, close_timeout=1) as ws:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert welcome["message"] == "welcome" and welcome["pingInterval"] == 30000
        replies = []
        for frame in frames:
            await ws.send(json.dumps(frame))
            replies.append(json.loads(await asyncio.wait_for(ws.recv(), 3)))
    return replies


# --- the fake, checked with the SDK's recorded frame -----------------------------------


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_fake_accepts_the_sdks_recorded_frame_and_refuses_it_altered(number: int) -> None:
    sdk = json.loads((FIXTURES / "sdk" / f"kucoin_uta-{number}.json").read_text(encoding="utf-8"))
    (frame,) = sdk["frames"]
    given = sdk["credentials"]
    offset = sdk["used"]["now_ms"] - int(time.time() * 1000)
    altered = {
        "kc-api-sign": "A" + frame["kc-api-sign"][1:],
        "kc-api-passphrase": "A" + frame["kc-api-passphrase"][1:],
        "kc-api-key": frame["kc-api-key"] + "x",
        "kc-api-timestamp": str(int(frame["kc-api-timestamp"]) + 1),
    }

    async def main() -> None:
        async with start_fake(
            "kucoin_uta", api_key=given["api_key"], secret=given["secret"], password=given["password"],
            clock_offset_ms=offset, greeting_delay_s=0,
        ) as fake:
            frames = [dict(frame, **{field: value}) for field, value in altered.items()] + [frame, frame]
            replies = await replies_after_welcome(fake, frames)
            for (field, _), reply in zip(altered.items(), replies):
                assert reply["id"] == frame["id"] and reply["result"] is False, (field, reply)
            assert replies[-2] == {"id": frame["id"], "result": True}
            assert replies[-1]["result"] is False and replies[-1]["reason"] == "kc-api-sign used before"
            assert fake.auth_ok == 1 and fake.early_auths == 0

    run(main())


def test_the_fake_refuses_an_auth_frame_sent_before_its_welcome() -> None:
    sdk = json.loads((FIXTURES / "sdk" / "kucoin_uta-1.json").read_text(encoding="utf-8"))
    given = sdk["credentials"]
    offset = sdk["used"]["now_ms"] - int(time.time() * 1000)

    async def main() -> None:
        async with start_fake(
            "kucoin_uta", api_key=given["api_key"], secret=given["secret"], password=given["password"],
            clock_offset_ms=offset, greeting_delay_s=0.5,
        ) as fake:
            async with connect(fake.ws_url, proxy=None, open_timeout=3, close_timeout=1) as ws:
                await ws.send(json.dumps(sdk["frames"][0]))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 3))
            assert reply == {"id": sdk["frames"][0]["id"], "result": False, "reason": "auth before welcome"}
            assert fake.early_auths == 1 and fake.auth_ok == 0

    run(main())


# --- wsauth.session against the fake ----------------------------------------------------


def test_a_session_waits_for_the_welcome_then_authenticates(leaks: Leaks) -> None:
    async def main() -> None:
        async with start_fake("kucoin_uta", api_key=KEY, secret=SECRET, password=PASSPHRASE, greeting_delay_s=0.3) as fake:
            leaks.fakes.append(fake)
            config = config_with(kucoin_uta, ws_url=fake.ws_url)
            async with Session(kucoin_uta, GOOD, config=config, auth_timeout_s=5) as session:
                assert session.authenticated
                assert fake.greetings == 1 and fake.auth_ok == 1 and fake.early_auths == 0
                # The welcome was the session's: the caller's first frame is the next one.
                await fake.push({"T": "balance.UNIFIED", "d": {"a": "USDT"}})
                assert json.loads(await asyncio.wait_for(session.recv(), 3)) == {"T": "balance.UNIFIED", "d": {"a": "USDT"}}
            (sent,) = [json.loads(frame) for frame in fake.seen]
            assert sent["op"] == "auth" and sent["kc-api-key"] == KEY

    run(main())


def test_without_waiting_for_the_welcome_the_same_frame_is_refused(leaks: Leaks) -> None:
    """What the capability changes: the same module, its Config told not to
    wait, sends the auth frame at once, and the gateway refuses it."""

    async def main() -> None:
        async with start_fake("kucoin_uta", api_key=KEY, secret=SECRET, password=PASSPHRASE, greeting_delay_s=0.5) as fake:
            leaks.fakes.append(fake)
            config = config_with(kucoin_uta, ws_url=fake.ws_url, auth_after_greeting=False)
            with pytest.raises(AuthenticationFailed) as refused:
                async with Session(kucoin_uta, GOOD, config=config, auth_timeout_s=5):
                    raise AssertionError("an auth frame sent before the welcome was accepted")
            assert refused.value.reason == "auth before welcome"
            assert fake.early_auths == 1 and fake.auth_ok == 0

    run(main())


@pytest.mark.parametrize(
    ("credentials", "reason"),
    [
        (kucoin_uta.Credentials(api_key=KEY, secret="another-secret", password=PASSPHRASE), "invalid kc-api-passphrase"),
        (kucoin_uta.Credentials(api_key=KEY, secret=SECRET, password="another-passphrase"), "invalid kc-api-passphrase"),
        (kucoin_uta.Credentials(api_key="another-key", secret=SECRET, password=PASSPHRASE), "invalid kc-api-key"),
    ],
)
def test_a_session_with_wrong_credentials_is_refused_with_the_gateways_reason(credentials: Any, reason: str, leaks: Leaks) -> None:
    async def main() -> None:
        async with start_fake("kucoin_uta", api_key=KEY, secret=SECRET, password=PASSPHRASE, greeting_delay_s=0.1) as fake:
            leaks.fakes.append(fake)
            config = config_with(kucoin_uta, ws_url=fake.ws_url)
            with pytest.raises(AuthenticationFailed) as refused:
                async with Session(kucoin_uta, credentials, config=config, auth_timeout_s=5):
                    raise AssertionError("wrong credentials were accepted")
            assert refused.value.reason == reason and fake.auth_ok == 0

    run(main())


def test_a_socket_that_never_greets_times_out_before_anything_is_signed_onto_it(leaks: Leaks) -> None:
    async def main() -> None:
        async with start_fake("kucoin_uta", api_key=KEY, secret=SECRET, password=PASSPHRASE, never_greet=True) as fake:
            leaks.fakes.append(fake)
            config = config_with(kucoin_uta, ws_url=fake.ws_url)
            with pytest.raises(AuthTimeout):
                async with Session(kucoin_uta, GOOD, config=config, auth_timeout_s=1):
                    raise AssertionError("authenticated without a welcome")
            assert fake.seen == [] and fake.auth_ok == 0

    run(main())
