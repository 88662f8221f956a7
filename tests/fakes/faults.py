"""Loopback servers that misbehave below the protocol, where no exchange
fake can: they speak just enough HTTP to be reached, then stall.

* ``dribbling_http(every_s)``: answers any request with a valid HTTP 200 JSON
  reply, one byte every ``every_s`` seconds (a slow proxy, a congested link):
  each read gets a byte, so no per-read timeout ever fires.
* ``silent_upgrade()``: completes the WebSocket upgrade (a correct 101), then
  neither reads nor writes: no frame, no answer to a close frame.
* ``slower_first(port, first_delay_s)``: a TCP relay to ``127.0.0.1:port`` on
  which the n-th connection waits ``first_delay_s / n`` before its bytes go
  through: connections opened together arrive in reverse order, as parallel
  connections over a real network may.

Each yields its base URL (the relay: its port) (``http://127.0.0.1:PORT`` / ``ws://127.0.0.1:PORT``)
and ``state`` counters; both bind 127.0.0.1 only and close every connection
on exit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from collections.abc import AsyncIterator
from typing import Any

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


@contextlib.asynccontextmanager
async def _serve(handle: Any) -> AsyncIterator[tuple[int, set[asyncio.StreamWriter]]]:
    writers: set[asyncio.StreamWriter] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            await handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writers.discard(writer)
            writer.close()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], writers
    finally:
        server.close()
        for writer in list(writers):
            writer.transport.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


@contextlib.asynccontextmanager
async def dribbling_http(every_s: float, body: bytes = b'{"listenKey": "dribbled-listen-key-0123456789"}') -> AsyncIterator[tuple[str, dict[str, int]]]:
    state = {"requests": 0, "bytes_sent": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        state["requests"] += 1
        reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        for i in range(len(reply)):
            writer.write(reply[i : i + 1])
            await writer.drain()
            state["bytes_sent"] += 1
            await asyncio.sleep(every_s)

    async with _serve(handle) as (port, _):
        yield f"http://127.0.0.1:{port}", state


@contextlib.asynccontextmanager
async def silent_upgrade() -> AsyncIterator[tuple[str, dict[str, int]]]:
    state = {"upgrades": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        key = b""
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        await writer.drain()
        state["upgrades"] += 1
        await asyncio.Event().wait()  # never another byte, never a read

    async with _serve(handle) as (port, _):
        yield f"ws://127.0.0.1:{port}", state


@contextlib.asynccontextmanager
async def slower_first(port: int, first_delay_s: float) -> AsyncIterator[tuple[int, dict[str, int]]]:
    state = {"connections": 0}

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state["connections"] += 1
        await asyncio.sleep(first_delay_s / state["connections"])
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        finally:
            upstream_writer.close()

    async with _serve(handle) as (relay_port, _):
        yield relay_port, state
