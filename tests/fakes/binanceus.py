"""Fake Binance.US user data stream (flow: pre_auth listen key).

As the Binance USD-M fake (``binanceusdm.py``: the same listen-key life,
refusals and knobs), with Binance.US's paths and parameters
(github.com/binance-us/binance-us-api-docs user-data-stream.md):

* REST ``/api/v3/userDataStream``, header ``X-MBX-APIKEY``, nothing signed.
  ``POST`` ("Parameters: NONE") -> ``{"listenKey": KEY}``.
* ``PUT`` and ``DELETE`` take the mandatory parameter ``listenKey`` ("listenKey
  | STRING | YES"), read from the form body or the query string (rest-api.md:
  "the parameters may be sent as a `query string` or in the `request body`
  with content type `application/x-www-form-urlencoded`"); a call without it
  or naming another key -> HTTP 400 ``{"code":-1125,"msg":"This listenKey
  does not exist."}`` (errors.md, -1125 INVALID_LISTEN_KEY). ``PUT`` answers
  ``{}`` (the docs' response).
* WebSocket ``/ws/<listenKey>`` ("User Data Streams are accessed at
  **/ws/\\<listenKey\\>**"): an unknown key is refused on the handshake.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from .binanceusdm import BinanceUsdmFake, api_key_refusal

_NO_KEY = {"code": -1125, "msg": "This listenKey does not exist."}


class BinanceUsFake(BinanceUsdmFake):
    kind = "binanceus"
    ws_path = "/ws"
    rest_path = "/api/v3/userDataStream"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.keepalive_keys: list[str] = []  # the listenKey of every accepted PUT, in order

    def _listen_key_in(self, target: str) -> str:
        path = urlsplit(target).path
        return path[len("/ws/"):] if path.startswith("/ws/") else ""

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        if not urlsplit(request.path).path.startswith("/ws/"):
            return conn.respond(404, "Not Found\n")
        return self._check_handshake(conn, request)

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method in ("PUT", "DELETE") and api_key_refusal(headers, self.api_key) is None:
            given = {**parse_qs(body), **parse_qs(urlsplit(target).query)}.get("listenKey") or [""]
            with self._lock:
                current = self.listen_key
            if current is None or given[0] != current:
                return 400, _NO_KEY
            answer = super()._rest(method, target, headers, body)
            if method == "PUT" and answer[0] == 200:
                self.keepalive_keys.append(given[0])
                return 200, {}
            return answer
        return super()._rest(method, target, headers, body)
