"""Fake exchanges on 127.0.0.1 that check signatures the way the exchanges do.

Usage::

    from tests.fakes import start_fake, Fake

    async with start_fake(kind, api_key="k", secret="s", password=None, **knobs) as fake:
        fake.ws_url       # "ws://127.0.0.1:<port>/<exchange path>" (pass as config.ws_url)
        fake.rest_url     # "http://127.0.0.1:<port>/<exact REST path>" (pre-auth kinds), else None
        fake.seen         # every WS frame received (str or bytes), in order, all connections
        fake.rest_seen    # (method, path_with_query, headers_dict, body_str) per REST request
        fake.signatures   # every signature / token / listen key seen or issued (unique, in order)
        fake.auth_ok      # number of successful authentications
        fake.connections  # number of WS connections accepted (refused handshakes not counted)
        await fake.push(frame)   # dict/list -> JSON text, str -> text, bytes -> binary; to every open socket
        await fake.drop()        # abort every open socket (TCP close, no close frame)
        fake.expire_listen_key() # binanceusdm, kraken: invalidate the current key/token (returns a Task)

Kinds (module docstrings give each one's checks and reply formats):

============== ======== ===================== ========================================
kind           flow     ws path               what counts as one ``auth_ok``
============== ======== ===================== ========================================
bybit          direct   /v5/private           accepted ``op=auth``
deribit        direct   /ws/api/v2            accepted ``public/auth``
derive         direct   /v3/ws                accepted ``public/login`` (signer recovered: a key of the wallet)
nado           direct   /v1/subscribe         accepted ``authenticate`` (EIP-712 signer recovered: the sender's wallet)
bitfinex       direct   /ws/2                 accepted ``event=auth``
binanceusdm    pre_auth /private/ws           handshake with a valid ``?listenKey=``
binanceus      pre_auth /ws/<listenKey>       handshake with a valid key in the path
bingx          pre_auth /market               handshake with a valid ``?listenKey=``
binancemargin  pre_auth /ws-api/v3            accepted ``subscribe.listenToken`` frame
kucoin         pre_auth /endpoint             handshake with a token it issued (welcome)
kucoin_uta     direct   /                     accepted ``op=auth`` sent after its welcome
lbank          pre_auth /ws/V2/               private subscribe with a key it issued (unanswered)
kraken         pre_auth /v2                   accepted token-carrying private subscribe
gate           inline   /ws/v4/ (/v4/ws/usdt) accepted auth-carrying (un)subscribe
krakenfutures  challenge /ws/v1               accepted signed private subscribe
weex           handshake /v3/ws/private       handshake with valid signed ACCESS-* headers
hollaex        handshake /stream              handshake with a valid signed query string
bullish        pre_auth /trading-api/v1/private-data  handshake with an issued JWT_COOKIE
gemini         handshake /v1/order/events     handshake with valid signed X-GEMINI-* headers, nonce above the last
coinbase       inline   /                     private subscribe whose CDP JWT (EdDSA or ES256) verifies
paradex        pre_auth /v1                   ``auth`` frame with a JWT it issued for a verified STARK signature
cookielogin    pre_auth /ws                   handshake with the session the login's reply headers set
aster          pre_auth /ws/<listenKey>       handshake with a listen key whose POST a wallet signed (EIP-712)
grvt           pre_auth /ws/full              handshake with the session a wallet login's reply headers set
polymarket     pre_auth /v1/ws                accepted ``auth`` op with the proxy and the secret issued for it
============== ======== ===================== ========================================

REST paths: binanceusdm ``/fapi/v1/listenKey`` (POST/PUT/DELETE),
binanceus ``/api/v3/userDataStream`` (POST; PUT/DELETE with ``listenKey``),
bingx ``/openApi/user/auth/userDataStream`` (POST, signed over its query string),
binancemargin ``/sapi/v1/userListenToken`` (POST, API key only),
kucoin ``/api/v1/bullet-private`` (POST, API key v2 headers; the reply names the socket),
lbank ``/v2/subscribe/get_key.do`` (POST, signed over an MD5 digest),
kraken ``/0/private/GetWebSocketsToken`` (POST), bullish
``/trading-api/v1/users/hmac/login`` (GET), paradex ``/v1/auth`` (POST,
STARK-signed headers; ``api_key`` is the account address, ``secret`` its STARK
public key),
cookielogin ``/login`` (POST, PUT),
aster ``/fapi/v3/listenKey`` (POST, PUT: EIP-712 signed form bodies; the fake's
``secret`` is the wallet address it accepts), grvt ``/auth/wallet/login``
(POST, EIP-712 WalletLogin; ``secret`` likewise), polymarket
``/v1/account/proxy`` (POST, EIP-712 CreateProxy; ``secret`` likewise). Secrets for kraken and
krakenfutures must be base64 (ValueError otherwise); coinbase's ``secret`` is
the PEM of the CDP key's public half (Ed25519 or P-256).

State (nonces, listen keys, tokens, challenges) belongs to the fake, not to a
connection, so it survives reconnects. Signatures are recomputed with the
fake's own hmac/hashlib/base64 code; nothing imports ``wsauth``.

Knobs (keyword arguments; all default off). An unknown knob, or one that does
not apply to the kind, raises TypeError.

``silent_auth=True``
    Never answer the auth request (bybit/deribit/bitfinex auth frame,
    krakenfutures challenge request, kraken/gate/krakenfutures auth-carrying
    subscribe). binanceusdm: the listen-key POST is never answered.
``close_during_auth=True | "abort" | <int>``
    Close the socket as soon as the auth request arrives: ``True`` = close
    handshake with code 1000, an int = that close code, ``"abort"`` = TCP abort
    without a close frame. binanceusdm: the POST's TCP connection is closed
    without a response.
``before_verdict=[...]``
    Frames sent right before every auth verdict (dict/list -> JSON, str ->
    text, bytes -> binary; ``b""``, ``""``, ``"not json"`` and heartbeats are
    all fine). krakenfutures: before the challenge reply and before each
    private-subscribe verdict. binanceusdm (no verdict frame): right after the
    handshake.
``session_ttl_s=N`` (float seconds)
    deribit: the reply states ``expires_in: N`` (int when integral) and the
    connection is unauthenticated N s later (private calls -> 13009).
    binanceusdm: the listen key lives N s after POST/PUT (default 3600), then
    ``listenKeyExpired`` is pushed. kraken: a token is valid N s (default 900)
    unless a live subscription uses it. bybit, bitfinex, gate, krakenfutures
    state no lifetime: the fake closes the connection (code 1000,
    "session expired") N s after its first successful auth; krakenfutures
    also stops accepting a challenge N s after issuing it.
``refuse_keepalive=True`` (binanceusdm)
    PUT answers HTTP 400 ``{"code":-1125,"msg":"This listenKey does not exist."}``
    and invalidates the key.
``rest_status=NNN`` (binanceusdm, kraken)
    Every REST call answers HTTP NNN with the exchange's error JSON.

Extra knobs:

``clock_offset_ms=N``
    The fake's clock is wall clock + N ms (server clock skew; also lets tests
    replay ccxt's recorded frames at their recorded time).
``max_skew_s=30``
    Accepted timestamp distance for deribit, gate, weex and bullish.
``greeting=True``
    Send the exchange's connect greeting first (bitfinex ``info``, kraken v2
    ``status``, krakenfutures ``info``; others send nothing).
``rest_silent=True`` / ``rest_close=True`` / ``rest_body=...`` (pre-auth kinds)
    Never answer any REST call / close it without a response / replace the
    ``rest_status`` error body.
``market="spot" | "swap"`` (gate)
    Which path ``ws_url`` uses; the server accepts both.
``challenge="..."`` (krakenfutures)
    Issue this challenge instead of a fresh uuid4.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ._base import Fake
from .aster import AsterFake
from .binanceus import BinanceUsFake
from .binanceusdm import BinanceUsdmFake
from .binancemargin import BinanceMarginFake
from .bingx import BingxFake
from .bullish import BullishFake
from .bitfinex import BitfinexFake
from .bybit import BybitFake
from .coinbase import CoinbaseFake
from .cookielogin import CookieLoginFake
from .deribit import DeribitFake
from .derive import DeriveFake
from .gemini import GeminiFake
from .grvt import GrvtFake
from .gate import GateFake
from .kraken import KrakenFake
from .hollaex import HollaexFake
from .krakenfutures import KrakenFuturesFake
from .kucoin import KucoinFake
from .kucoinuta import KucoinUtaFake
from .lbank import LbankFake
from .nado import NadoFake
from .paradex import ParadexFake
from .polymarket import PolymarketFake
from .weex import WeexFake

KINDS: dict[str, type[Fake]] = {
    cls.kind: cls
    for cls in (
        BybitFake,
        DeribitFake,
        DeriveFake,
        NadoFake,
        BitfinexFake,
        BinanceUsdmFake,
        BinanceUsFake,
        BingxFake,
        BinanceMarginFake,
        KrakenFake,
        GateFake,
        KrakenFuturesFake,
        KucoinFake,
        KucoinUtaFake,
        LbankFake,
        WeexFake,
        HollaexFake,
        BullishFake,
        GeminiFake,
        CoinbaseFake,
        ParadexFake,
        CookieLoginFake,
        AsterFake,
        GrvtFake,
        PolymarketFake,
    )
}

__all__ = ["Fake", "KINDS", "start_fake"]


@contextlib.asynccontextmanager
async def start_fake(
    kind: str,
    api_key: str = "k",
    secret: str = "s",
    password: str | None = None,
    **knobs: Any,
) -> AsyncIterator[Fake]:
    """Start a fake ``kind`` exchange on loopback; stop it (and every thread/task) on exit."""
    try:
        cls = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown fake kind {kind!r}; known: {sorted(KINDS)}") from None
    fake = cls(api_key, secret, password, **knobs)
    try:
        await fake._start()
        yield fake
    finally:
        await fake._stop()
