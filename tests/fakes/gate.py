"""Fake Gate v4 socket, spot and USDT futures (flow: inline auth in each subscribe).

A private (un)subscribe carries its own auth::

    {"id":N,"time":S,"channel":"spot.orders","event":"subscribe",
     "auth":{"method":"api_key","KEY":KEY,"SIGN":SIG},"payload":[...]}

with ``SIG = hex(HMAC-SHA512(secret, f"channel={channel}&event={event}&time={time}"))``
(the payload is not signed). Checks, in order: ``auth.method == "api_key"``,
KEY, ``time`` an integer within ``max_skew_s`` (default 30 s) of the fake's
clock, signature. A subscribe to a known private channel without ``auth`` is
refused as well. Gate has no nonce; replays inside the window are accepted (as
on Gate).

Replies (tests/fixtures/replies/gate_spot.json, gate_swap.json), ``id``
echoed when sent:
* success: ``{"time":S,"time_ms":MS,"id":N,"conn_id":..,"channel":C,"event":"subscribe",
  "payload":[..],"result":{"status":"success"}}``
* failure: ``{"time":S,"time_ms":MS,"id":N,"conn_id":..,"channel":C,"event":"subscribe",
  "error":{"code":4,"message":"{\\"label\\":L,\\"message\\":M}\\n"},"result":null}``
  (code 4 = authentication failure, message is a JSON string plus newline as
  in the fixture) with L one of ``INVALID_KEY`` (fixture; wrong key or
  method), ``INVALID_SIGNATURE``, ``REQUEST_EXPIRED``,
  ``MISSING_REQUIRED_HEADER`` (Gate's REST labels).
* ``{"channel":"spot.ping"}`` -> ``{"time":..,"time_ms":..,"channel":"spot.pong","event":"","result":null}``
  (``futures.ping`` likewise).

``market="spot"`` (default) or ``"swap"`` picks ``ws_url``'s path
(``/ws/v4/`` or ``/v4/ws/usdt``); the server accepts both.
``session_ttl_s=N``: Gate states no lifetime; the fake closes the connection
(code 1000) N s after its first accepted private subscribe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from ._base import ConnState, Fake, parse

_PATHS = {"spot": "/ws/v4/", "swap": "/v4/ws/usdt"}

PRIVATE_CHANNELS = frozenset(
    {
        "spot.orders",
        "spot.orders_v2",
        "spot.usertrades",
        "spot.usertrades_v2",
        "spot.balances",
        "spot.margin_balances",
        "spot.funding_balances",
        "spot.cross_balances",
        "spot.priceorders",
        "futures.orders",
        "futures.usertrades",
        "futures.liquidates",
        "futures.auto_deleverages",
        "futures.position_closes",
        "futures.balances",
        "futures.reduce_risk_limits",
        "futures.positions",
        "futures.autoorders",
    }
)


def _label(label: str, message: str) -> str:
    return json.dumps({"label": label, "message": message}, separators=(",", ":")) + "\n"


class GateFake(Fake):
    kind = "gate"
    ws_path = _PATHS["spot"]
    ws_paths = tuple(_PATHS.values())
    extra_knobs = frozenset({"market"})

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        market = self._knobs.pop("market", "spot")
        if market not in _PATHS:
            raise ValueError(f"gate fake: market must be one of {sorted(_PATHS)}")
        self.market = market

    async def _start(self) -> None:
        await super()._start()
        self.ws_url = self.ws_url[: -len(self.ws_path)] + _PATHS[self.market]

    def _frame(self, data: dict[str, Any], cs: ConnState, body: dict[str, Any]) -> dict[str, Any]:
        now = self.now_ms()
        frame: dict[str, Any] = {"time": now // 1000, "time_ms": now}
        if "id" in data:
            frame["id"] = data["id"]
        frame["conn_id"] = cs.conn_id
        frame.update(body)
        return frame

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        channel = data.get("channel")
        event = data.get("event")
        if isinstance(channel, str) and channel.endswith(".ping"):
            await self._send(
                cs,
                self._frame(data, cs, {"channel": channel[: -len("ping")] + "pong", "event": "", "result": None}),
            )
            return
        if event not in ("subscribe", "unsubscribe"):
            await self._send(
                cs,
                self._frame(
                    data,
                    cs,
                    {"channel": channel, "event": event, "error": {"code": 1, "message": "invalid request body format"}, "result": None},
                ),
            )
            return
        if "auth" not in data and channel not in PRIVATE_CHANNELS:
            await self._send(
                cs,
                self._frame(data, cs, {"channel": channel, "event": event, "payload": data.get("payload"), "result": {"status": "success"}}),
            )
            return
        problem = self._check(data)
        if await self._intercept_auth(cs):
            return
        if problem is None:
            self._authenticated(cs)
            frame = self._frame(
                data,
                cs,
                {"channel": channel, "event": event, "payload": data.get("payload"), "result": {"status": "success"}},
            )
        else:
            frame = self._frame(
                data,
                cs,
                {"channel": channel, "event": event, "error": {"code": 4, "message": _label(*problem)}, "result": None},
            )
        await self._verdict(cs, frame)

    def _check(self, data: dict[str, Any]) -> tuple[str, str] | None:
        auth = data.get("auth")
        if not isinstance(auth, dict):
            return "MISSING_REQUIRED_HEADER", "Missing required authentication header"
        sign = auth.get("SIGN")
        if isinstance(sign, str):
            self._note(sign)
        key = auth.get("KEY")
        if auth.get("method") != "api_key" or not isinstance(key, str) or not hmac.compare_digest(key, self.api_key):
            return "INVALID_KEY", "Invalid key provided"
        stamp = data.get("time")
        if isinstance(stamp, str) and stamp.isdigit():
            stamp_text = stamp
        elif isinstance(stamp, int) and not isinstance(stamp, bool):
            stamp_text = str(stamp)
        else:
            return "MISSING_REQUIRED_HEADER", "Missing or invalid time"
        if abs(int(stamp_text) - self.now_ms() / 1000) > self.max_skew_s:
            return "REQUEST_EXPIRED", "Request timestamp far from server time"
        message = f"channel={data.get('channel')}&event={data.get('event')}&time={stamp_text}"
        expected = hmac.new(self.secret.encode(), message.encode(), hashlib.sha512).hexdigest()
        if not isinstance(sign, str) or not hmac.compare_digest(sign, expected):
            return "INVALID_SIGNATURE", "Signature mismatch"
        return None
