"""Shared machinery of the fake exchanges: loopback WebSocket + HTTP servers.

A fake owns one ``websockets`` server (always) and one stdlib
``ThreadingHTTPServer`` (pre-auth kinds only), both bound to 127.0.0.1 on an
ephemeral port. All exchange state lives on the :class:`Fake` object, never on
a connection, so it survives reconnects. REST handlers run in the HTTP
server's threads; everything they share with the event loop is guarded by
``Fake._lock``.

Nothing here imports ``wsauth``: every signature is recomputed by the kind's
own code with its own copy of the secret.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

# Sentinels a REST handler may return instead of (status, payload).
HANG = object()  # never answer (the thread waits until the fake stops)
CLOSE = object()  # close the TCP connection without any response

_QUIET = logging.getLogger("tests.fakes.websockets")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

Frame = Any  # dict/list -> JSON text, str -> text frame, bytes -> binary frame


def encode(frame: Frame) -> str | bytes:
    """dict/list/number -> compact JSON text; str and bytes are sent as they are."""
    if isinstance(frame, (bytes, bytearray, memoryview)):
        return bytes(frame)
    if isinstance(frame, str):
        return frame
    return json.dumps(frame, separators=(",", ":"))


def parse(message: str | bytes) -> Any:
    """The JSON value of a text frame, or None (binary frames and non-JSON text)."""
    if not isinstance(message, str):
        return None
    try:
        return json.loads(message)
    except ValueError:
        return None


class ConnState:
    """Per-connection bookkeeping (the exchange state itself lives on the Fake)."""

    def __init__(self, conn: ServerConnection, number: int) -> None:
        self.conn = conn
        self.number = number
        self.conn_id = f"fake-conn-{number:04d}"
        self.authed = False
        self.auth_deadline_ms: int | None = None  # deribit: token lifetime
        self.ttl_task: asyncio.Task[None] | None = None
        self.extra: dict[str, Any] = {}


_COMMON_KNOBS = frozenset(
    {
        "silent_auth",
        "close_during_auth",
        "before_verdict",
        "session_ttl_s",
        "clock_offset_ms",
        "max_skew_s",
        "greeting",
    }
)
_REST_KNOBS = frozenset({"rest_status", "rest_body", "rest_silent", "rest_close"})


class Fake:
    """One fake exchange. Build it with :func:`tests.fakes.start_fake`."""

    kind: ClassVar[str] = ""
    ws_path: ClassVar[str] = "/"
    # Every path the WebSocket server accepts (ws_path plus aliases).
    ws_paths: ClassVar[tuple[str, ...]] = ()
    rest_path: ClassVar[str | None] = None
    # Knobs beyond the common ones that this kind understands.
    extra_knobs: ClassVar[frozenset[str]] = frozenset()
    # What session_ttl_s means for this kind when the subclass does nothing
    # special: close each connection N s after its first successful auth.
    ttl_closes_connection: ClassVar[bool] = True

    def __init__(
        self,
        api_key: str = "k",
        secret: str = "s",
        password: str | None = None,
        **knobs: Any,
    ) -> None:
        allowed = _COMMON_KNOBS | self.extra_knobs
        if self.rest_path is not None:
            allowed |= _REST_KNOBS
        unknown = sorted(set(knobs) - allowed)
        if unknown:
            raise TypeError(
                f"start_fake({self.kind!r}): unknown or inapplicable knob(s) {unknown}; "
                f"this kind accepts {sorted(allowed)}"
            )
        self.api_key = api_key
        self.secret = secret
        self.password = password

        self.silent_auth: bool = bool(knobs.pop("silent_auth", False))
        self.close_during_auth: bool | int | str = knobs.pop("close_during_auth", False)
        self.before_verdict: list[Frame] = list(knobs.pop("before_verdict", None) or ())
        ttl = knobs.pop("session_ttl_s", None)
        self.session_ttl_s: float | None = None if ttl is None else float(ttl)
        self.clock_offset_ms: int = int(knobs.pop("clock_offset_ms", 0))
        self.max_skew_s: float = float(knobs.pop("max_skew_s", 30))
        self.greeting: bool = bool(knobs.pop("greeting", False))
        self.rest_status: int | None = knobs.pop("rest_status", None)
        self.rest_body: Any = knobs.pop("rest_body", None)
        self.rest_silent: bool = bool(knobs.pop("rest_silent", False))
        self.rest_close: bool = bool(knobs.pop("rest_close", False))
        self._knobs = knobs  # kind-specific leftovers, consumed by subclasses

        # Public, read by tests.
        self.ws_url: str = ""
        self.rest_url: str | None = None
        self.seen: list[str | bytes] = []
        self.rest_seen: list[tuple[str, str, dict[str, str], str]] = []
        self.signatures: list[str] = []
        self.auth_ok = 0
        self.connections = 0

        self._lock = threading.RLock()
        self._conns: dict[ServerConnection, ConnState] = {}
        self._numbers = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws_server: Server | None = None
        self._http: _HTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ clock

    def now_ms(self) -> int:
        """The fake's clock: wall clock plus ``clock_offset_ms``."""
        return int(time.time() * 1000) + self.clock_offset_ms

    # ------------------------------------------------------------- lifecycle

    async def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ws_server = await serve(
            self._ws_handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            ping_interval=None,
            close_timeout=1,
            open_timeout=5,
            logger=_QUIET,
        )
        port = self._ws_server.sockets[0].getsockname()[1]
        self.ws_url = f"ws://127.0.0.1:{port}{self.ws_path}"
        if self.rest_path is not None:
            self._http = _HTTPServer(self)
            hport = self._http.server_address[1]
            self.rest_url = f"http://127.0.0.1:{hport}{self.rest_path}"
            self._http_thread = threading.Thread(
                target=self._http.serve_forever,
                kwargs={"poll_interval": 0.02},
                name=f"fake-{self.kind}-http",
                daemon=True,
            )
            self._http_thread.start()
        self._started()

    async def _stop(self) -> None:
        self._stopping.set()  # releases REST handlers told to hang
        if self._ws_server is not None:
            self._ws_server.close()
            await self._ws_server.wait_closed()
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            self._http.kick_clients()
            self._http.shutdown()
            self._http.server_close()  # joins the request threads
            if self._http_thread is not None:
                self._http_thread.join(timeout=5)

    def _started(self) -> None:
        """Hook: start background tasks."""

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        assert self._loop is not None
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ----------------------------------------------------------- public API

    async def push(self, frame: Frame) -> int:
        """Send ``frame`` to every open connection; returns how many got it."""
        data = encode(frame)
        sent = 0
        for cs in list(self._conns.values()):
            if await self._send_raw(cs, data):
                sent += 1
        return sent

    async def drop(self) -> int:
        """Abort every open connection (TCP reset, no close frame)."""
        conns = list(self._conns)
        for conn in conns:
            conn.transport.abort()
        # Let the handlers notice, so per-connection state is settled.
        for _ in range(200):
            if not any(conn in self._conns for conn in conns):
                break
            await asyncio.sleep(0.005)
        return len(conns)

    def expire_listen_key(self) -> asyncio.Task[Any]:
        raise NotImplementedError(f"{self.kind} has no listen key / token")

    # --------------------------------------------------------------- helpers

    def _note(self, value: Any) -> None:
        """Remember a signature / token / listen key (for leak assertions)."""
        if isinstance(value, str) and value:
            with self._lock:
                if value not in self.signatures:
                    self.signatures.append(value)

    async def _send_raw(self, cs: ConnState, data: str | bytes) -> bool:
        try:
            await cs.conn.send(data)
            return True
        except ConnectionClosed:
            return False

    async def _send(self, cs: ConnState, frame: Frame) -> bool:
        return await self._send_raw(cs, encode(frame))

    async def _verdict(self, cs: ConnState, frame: Frame) -> None:
        """Send the before_verdict frames, then the auth verdict."""
        for extra in self.before_verdict:
            await self._send(cs, extra)
        await self._send(cs, frame)

    async def _intercept_auth(self, cs: ConnState) -> bool:
        """Apply close_during_auth / silent_auth to an auth request.

        Returns True when the request must not be answered.
        """
        mode = self.close_during_auth
        if mode is not False and mode is not None:
            if mode == "abort":
                cs.conn.transport.abort()
            else:
                code = 1000 if mode is True else int(mode)
                try:
                    await cs.conn.close(code, "closed during auth")
                except ConnectionClosed:
                    pass
            return True
        return self.silent_auth

    def _authenticated(self, cs: ConnState) -> None:
        self.auth_ok += 1
        cs.authed = True
        if self.ttl_closes_connection and self.session_ttl_s is not None and cs.ttl_task is None:
            cs.ttl_task = self._spawn(self._close_after(cs, self.session_ttl_s))

    async def _close_after(self, cs: ConnState, seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            await cs.conn.close(1000, "session expired")
        except ConnectionClosed:
            pass

    def _greeting_frames(self) -> Iterable[Frame]:
        return ()

    # ------------------------------------------------------------ websocket

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        accepted = self.ws_paths or (self.ws_path,)
        if path.rstrip("/") not in {p.rstrip("/") for p in accepted}:
            return conn.respond(404, "Not Found\n")
        return self._check_handshake(conn, request)

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        return None

    async def _ws_handler(self, conn: ServerConnection) -> None:
        self.connections += 1
        cs = ConnState(conn, next(self._numbers))
        self._conns[conn] = cs
        try:
            await self._on_connect(cs)
            if self.greeting:
                for frame in self._greeting_frames():
                    await self._send(cs, frame)
            async for message in conn:
                self.seen.append(message)
                await self._on_message(cs, message)
        except ConnectionClosed:
            pass
        finally:
            self._conns.pop(conn, None)
            if cs.ttl_task is not None:
                cs.ttl_task.cancel()
            self._on_disconnect(cs)

    async def _on_connect(self, cs: ConnState) -> None:
        """Hook: the handshake succeeded."""

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        raise NotImplementedError

    def _on_disconnect(self, cs: ConnState) -> None:
        """Hook: the connection is gone."""

    # ----------------------------------------------------------------- REST

    def _rest_request(
        self, method: str, target: str, headers: dict[str, str], body: str
    ) -> Any:
        """Called in an HTTP thread. Returns (status, payload), HANG or CLOSE."""
        with self._lock:
            self.rest_seen.append((method, target, headers, body))
        if self.rest_close:
            return CLOSE
        if self.rest_silent:
            return HANG
        if urlsplit(target).path != self.rest_path:
            return 404, self._rest_not_found()
        if self.rest_status is not None:
            body_out = self.rest_body if self.rest_body is not None else self._rest_error(self.rest_status)
            return self.rest_status, body_out
        return self._rest(method, target, headers, body)

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        raise NotImplementedError

    def _rest_error(self, status: int) -> Any:
        return {"error": f"HTTP {status}"}

    def _rest_not_found(self) -> Any:
        return {"error": "not found"}


def header(headers: dict[str, str], name: str) -> str | None:
    """Case-insensitive header lookup."""
    low = name.lower()
    for key, value in headers.items():
        if key.lower() == low:
            return value
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 5  # a silent client cannot pin a thread for long

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        body = self._read_body().decode("utf-8", "replace")
        fake = self.server.fake
        result = fake._rest_request(self.command, self.path, dict(self.headers.items()), body)
        self.close_connection = True
        if result is HANG:
            fake._stopping.wait()
            return
        if result is CLOSE:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        # (status, payload), or (status, payload, headers): a reply that
        # carries something in its headers (a session cookie).
        status, payload, *more = result
        data = encode(payload)
        raw = data.encode() if isinstance(data, str) else data
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in more[0] if more else ():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every request thread
    block_on_close = True

    def __init__(self, fake: Fake) -> None:
        self.fake = fake
        self._clients: set[socket.socket] = set()
        self._clients_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def track(self, sock: socket.socket, *, add: bool) -> None:
        with self._clients_lock:
            if add:
                self._clients.add(sock)
            else:
                self._clients.discard(sock)

    def kick_clients(self) -> None:
        """Unblock request threads still reading from an idle client."""
        with self._clients_lock:
            clients = list(self._clients)
        for sock in clients:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
