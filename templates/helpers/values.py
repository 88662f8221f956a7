"""Helpers of the catalogue's vocabulary words (generator/values.py says which
word needs which). See helpers/base.py for how this file reaches a module."""

from __future__ import annotations

import base64 as _base64
import datetime as _datetime
import json as _json
import threading as _threading
from functools import lru_cache as _lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final as _Final
# --- pasted into each module below this line ---


@_lru_cache(maxsize=32)  # one URL per config: parsed once, not per frame
def _url_parts(url: str) -> tuple[str, str]:
    """(host[:port], path) of an absolute URL: what exchanges sign."""
    host, slash, path = url.partition("://")[2].partition("/")
    return host, slash + path.partition("?")[0].partition("#")[0]


def _iso_seconds(now_ms: int) -> str:
    # Rounded to the nearest second, as ccxt does; the server allows minutes.
    moment = _datetime.datetime.fromtimestamp(int(round(now_ms / 1000)), _datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _iso_milliseconds(now_ms: int) -> str:
    # e.g. 2026-01-01T00:00:00.123Z: the milliseconds kept, UTC.
    seconds, milliseconds = divmod(now_ms, 1000)
    moment = _datetime.datetime.fromtimestamp(seconds, _datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{milliseconds:03d}Z"


_NONCE_LOCK: _Final = _threading.Lock()
_LAST_NONCE: _Final[dict[str, int]] = {}


def _next_nonce(api_key: str, now: int) -> int:
    """Strictly increasing per API key across every connection of this process:
    the exchange rejects a nonce that is not larger than the last it saw."""
    with _NONCE_LOCK:
        nonce = max(now, _LAST_NONCE.get(api_key, 0) + 1)
        _LAST_NONCE[api_key] = nonce
        return nonce


# json.dumps with other than default arguments builds an encoder per call: one each, once.
_COMPACT_JSON: _Final = _json.JSONEncoder(separators=(",", ":"))
_COMPACT_TEXT: _Final = _json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _b64url_json(data: object) -> str:
    """One JWT part: compact JSON, base64url without padding."""
    return _base64.urlsafe_b64encode(_COMPACT_JSON.encode(data).encode()).rstrip(b"=").decode()
