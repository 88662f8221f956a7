"""KuCoin's unified-account push gateway (``kucoin_uta``) keeps a socket only
while the client pings it as often as the welcome's ``pingInterval`` says
(https://www.kucoin.com/docs-new/websocket-api/base-info/introduction-uta,
"4. Ping"): ``Config.ping`` / ``ping_id`` / ``greeting_ping_interval_path``,
read from the greeting by ``wsauth.steps.Attempt.took_greeting`` and sent by
``wsauth.session``.

The fake (tests/fakes/kucoinuta.py) states a short interval in its welcome,
answers each documented ping with a pong and closes a connection that sent no
ping or request for ``idle_timeout_s``. First: a socket that stays silent is
dropped there (so the fake can tell); then the session's socket survives, with
pings at the stated interval, each with a fresh id, and no pong is a verdict.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect
from wsauth import kucoin_uta
from wsauth.session import Session, config_with

from tests.fakes import start_fake
from tests.session_checks import Leaks, leaks, loopback_only  # noqa: F401 (autouse fixtures)

KEY, SECRET, PASSPHRASE = "uta-key-0123", "uta-secret-0123456789", "uta-passphrase"
GOOD = kucoin_uta.Credentials(api_key=KEY, secret=SECRET, password=PASSPHRASE)
LEAK_SECRETS = (SECRET, PASSPHRASE)  # never in a log record, exception or repr (tests/session_checks.py)

INTERVAL_MS = 150  # the fake's welcome: pingInterval
IDLE_S = 0.4  # the fake closes a connection silent this long (more than one interval, less than three)
WATCH_S = 1.0  # how long each test watches the authenticated socket


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def uta_fake(**knobs: Any) -> Any:
    return start_fake("kucoin_uta", api_key=KEY, secret=SECRET, password=PASSPHRASE, greeting_delay_s=0.05,
                      ping_interval_ms=INTERVAL_MS, idle_timeout_s=IDLE_S, **knobs)


def test_the_fake_drops_a_socket_that_stays_silent_past_the_interval() -> None:
    async def main() -> None:
        async with uta_fake() as fake:
            async with connect(fake.ws_url, proxy=None, open_timeout=3, close_timeout=1) as ws:
                welcome = json.loads(await asyncio.wait_for(ws.recv(), 3))
                assert welcome["message"] == "welcome" and welcome["pingInterval"] == INTERVAL_MS
                await asyncio.wait_for(ws.wait_closed(), IDLE_S + 1)
            assert fake.idle_drops == 1

            # The documented ping keeps it, and is answered with its own id.
            async with connect(fake.ws_url, proxy=None, open_timeout=3, close_timeout=1) as ws:
                await asyncio.wait_for(ws.recv(), 3)
                for number in range(4):
                    await asyncio.sleep(INTERVAL_MS / 1000)
                    await ws.send(json.dumps({"id": f"p{number}", "type": "ping"}))
                    assert json.loads(await asyncio.wait_for(ws.recv(), 3)) == {"id": f"p{number}", "type": "pong"}
            assert fake.idle_drops == 1 and len(fake.pings) == 4

    run(main())


def test_a_session_pings_at_the_welcomes_interval_and_its_socket_survives(leaks: Leaks) -> None:
    async def main() -> None:
        async with uta_fake() as fake:
            leaks.fakes.append(fake)
            config = config_with(kucoin_uta, ws_url=fake.ws_url)
            async with Session(kucoin_uta, GOOD, config=config, auth_timeout_s=5) as session:
                await asyncio.sleep(WATCH_S)
                assert session.authenticated and session.connections == 1
                # The pongs are the caller's frames, never a verdict: still authenticated.
                pong = json.loads(await asyncio.wait_for(session.recv(), 3))
                assert pong["type"] == "pong"
            assert fake.idle_drops == 0 and fake.connections == 1 and fake.auth_ok == 1
            times = [at for at, _ in fake.pings]
            ids = [frame["id"] for _, frame in fake.pings]
            assert len(times) >= WATCH_S * 1000 // INTERVAL_MS - 2, f"{len(times)} pings in {WATCH_S} s"
            gaps = sorted(later - earlier for earlier, later in itertools.pairwise(times))
            # At the stated interval: the median gap is it (a loaded machine
            # may delay one ping, never past the fake's idle limit).
            assert 0.8 * INTERVAL_MS / 1000 <= gaps[len(gaps) // 2] <= 1.5 * INTERVAL_MS / 1000, gaps
            assert gaps[0] >= 0.6 * INTERVAL_MS / 1000 and gaps[-1] < IDLE_S, gaps
            assert len(set(ids)) == len(ids), f"a ping id was sent twice: {ids}"
            (auth,) = [frame for frame in map(json.loads, fake.seen) if frame.get("op") == "auth"]
            assert auth["id"] not in ids

    run(main())


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"ping": None}, id="no-ping-frame"),
        pytest.param({"greeting_ping_interval_path": ("data", "pingInterval")}, id="wrong-interval-path"),
    ],
)
def test_a_session_that_does_not_ping_as_the_welcome_asks_is_dropped(changes: dict[str, Any], leaks: Leaks) -> None:
    """The same module with its ping taken away, or the interval looked for
    elsewhere in the welcome: the socket is silent and the gateway drops it."""

    async def main() -> None:
        async with uta_fake() as fake:
            leaks.fakes.append(fake)
            config = config_with(kucoin_uta, ws_url=fake.ws_url, **changes)
            async with Session(kucoin_uta, GOOD, config=config, auth_timeout_s=5):
                await asyncio.sleep(WATCH_S)
            assert fake.pings == [] and fake.idle_drops >= 1

    run(main())
