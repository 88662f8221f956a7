"""wsauth.session with the REST-first engine parts of GRVT and Aster, end to
end against a loopback fake (tests/fakes/cookielogin.py) that checks every
call with its own HMAC code: the session carried by the login reply's
*headers* onto the handshake, and a keep-alive signed afresh each time (the
fake refuses a nonce it has seen, so a keep-alive built once would be
refused). The module is rendered from tests/generator/test_rest_session.py's
catalogue; every log record, exception and repr is checked for the secret,
the signatures and the session cookie (tests/session_checks.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes import start_fake
from tests.generator.test_catalogue import render_module, write
from tests.generator.test_rest_session import SESSION
from tests.session_checks import Leaks, leaks, loopback_only, run  # noqa: F401 (autouse fixtures)
from wsauth.plan import _session_values
from wsauth.session import Backoff, PreAuthRefused, Session, config_with, fetch_pre_auth

API_KEY = "key-cookie-0123456789"
SECRET = "secret-cookie-Bz7tQ1xN4mK8pR2vW6yC3dF5gH9jL0aS"
LEAK_SECRETS = (SECRET,)
FAST = Backoff(first_s=0.01, max_s=0.05, attempts=3)


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    tmp: Path = tmp_path_factory.mktemp("header_session")
    return render_module(tmp, write(tmp, SESSION), "demo")


def _session(module: ModuleType, server: Any, secret: str = SECRET, **config: Any) -> Session[Any]:
    configured = config_with(module, ws_url=server.ws_url, rest_url=server.rest_url, **config)
    credentials = module.Credentials(api_key=API_KEY, secret=secret)
    return Session(module, credentials, config=configured, auth_timeout_s=3.0, backoff=FAST)


@run
async def test_the_login_replys_headers_open_the_socket(module: ModuleType, leaks: Leaks) -> None:
    async with start_fake("cookielogin", api_key=API_KEY, secret=SECRET) as server:
        leaks.fakes.append(server)
        async with _session(module, server) as s:
            assert s.authenticated and server.connections == 1 and server.auth_ok == 1
            leaks.see(s, s._link)
        (method, _, headers, _), = server.rest_seen
        assert method == "POST" and "Cookie" not in headers  # the login itself carries no session
        # The handshake carried the session cookie (only it) and the account id.
        assert len(server.cookies) == 1


@run
async def test_each_keepalive_is_signed_with_a_fresh_nonce(module: ModuleType, leaks: Leaks) -> None:
    async with start_fake("cookielogin", api_key=API_KEY, secret=SECRET) as server:
        leaks.fakes.append(server)
        async with _session(module, server, keepalive_ms=150) as s:
            for _ in range(60):
                if server.keepalives >= 3:
                    break
                await asyncio.sleep(0.05)
            assert server.keepalives >= 3, server.refusals
            assert server.refusals == [] and server.connections == 1 and s.authenticated
        methods = [call[0] for call in server.rest_seen]
        assert methods[0] == "POST" and set(methods[1:]) == {"PUT"}
        assert len({body for _, _, _, body in server.rest_seen}) == len(server.rest_seen)  # every body its own


@run
async def test_a_wrong_secret_is_the_logins_refusal(module: ModuleType, leaks: Leaks) -> None:
    async with start_fake("cookielogin", api_key=API_KEY, secret=SECRET) as server:
        leaks.fakes.append(server)
        with pytest.raises(PreAuthRefused) as refused:
            async with _session(module, server, secret="another-secret-Bz7tQ1xN4mK8pR2vW6y"):
                pass
        leaks.see(refused.value)
        assert refused.value.status == 401 and refused.value.message == "bad signature"
        assert server.connections == 0


@run
async def test_fetch_pre_auth_hands_over_the_session_and_its_headers(module: ModuleType, leaks: Leaks) -> None:
    async with start_fake("cookielogin", api_key=API_KEY, secret=SECRET) as server:
        leaks.fakes.append(server)
        configured = config_with(module, ws_url=server.ws_url, rest_url=server.rest_url)
        result = await fetch_pre_auth(module, module.Credentials(api_key=API_KEY, secret=SECRET), config=configured)
        assert result is not None and result.token is not None
        (cookie,) = server.cookies
        assert result.ws_headers == {"Origin": "https://example.com", "Cookie": f"gravity={cookie}",
                                     "X-Account-Id": "4724219064482495"}
        # plan masks each value of such a session wherever it appears.
        assert set(_session_values(result.token)) == {f"gravity={cookie}", "4724219064482495"}
        leaks.see(result)
