"""What every end-to-end session test shares: an async runner, the check that
no log record, exception text or repr holds a secret, signature, token or
listen key, and a guard that nothing resolves a non-loopback address.

tests/runtime/conftest.py gives every runtime test both fixtures
(autouse). A test module's ``LEAK_SECRETS`` (an iterable of strings) seeds
the secrets looked for; each fake appended to ``leaks.fakes`` adds every
signature, token and listen key it saw or issued (``fake.signatures``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

__all__ = ["Leaks", "eventually", "leaks", "loopback_only", "run"]


def run(test: Callable[..., Coroutine[Any, Any, None]], timeout_s: float = 30) -> Callable[..., None]:
    """An async test, run on a fresh event loop (no plugin needed)."""

    @functools.wraps(test)
    def sync(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout_s))

    return sync


async def eventually(condition: Callable[[], bool], seconds: float = 3.0, what: str = "condition") -> None:
    """Wait for ``condition`` (a reconnect, a count the fake keeps): within seconds, never a hang."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} not met in time"
        await asyncio.sleep(0.02)


class Leaks:
    """Everything printed during a test; checked for secrets at teardown."""

    def __init__(self, secrets: set[str]) -> None:
        self.texts: list[str] = []
        self.secrets: set[str] = set(secrets)
        self.fakes: list[Any] = []

    def see(self, *objects: object) -> None:
        for obj in objects:
            self.texts += [str(obj), repr(obj)]
            if isinstance(obj, BaseException):
                self.texts += [str(obj.__cause__), repr(obj.__context__)]


@pytest.fixture(autouse=True)
def leaks(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Iterator[Leaks]:
    caplog.set_level(logging.DEBUG)  # every logger, every level, websockets' and httpx's too
    found = Leaks(set(getattr(request.module, "LEAK_SECRETS", ())))
    yield found
    secrets = {value for value in found.secrets if value}
    for fake in found.fakes:
        secrets |= {value for value in fake.signatures if len(value) >= 8}
    # caplog.records would be this (teardown) phase's only: the test's own
    # records are the call phase's. The fakes' (server-side) logs are the
    # exchange's, not ours.
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)] + caplog.records
    ours = [r for r in records if not r.name.startswith("tests.fakes")]
    printed = found.texts + [caplog.handler.format(r) for r in ours]
    for text in printed:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into: {text[:200]!r}"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve = socket.getaddrinfo

    def checked(host: Any, *args: Any, **kwargs: Any) -> Any:
        assert host in ("127.0.0.1", "localhost", b"127.0.0.1", None), f"non-loopback address: {host!r}"
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", checked)
