"""Deliberate mistakes the suite must catch (issue 14: mutation testing as a habit).

``python -m tests.mutations [--only TEXT ...] [--list] [--report FILE]``

Each mutation below is one deliberate mistake: in ``file``, the exact text
``old`` (which must occur exactly once, inside the TOML table ``within`` when
given) becomes ``new``. The runner applies it in a scratch copy of the repo
under /tmp (never the working tree: an interrupted run leaves nothing
behind), regenerates where the mistake is in the catalogue, a template, the
generator or runtime/ (only the ``regen`` entries for a template or the
generator, so that one mistake does not cost a cold render), then runs only
``run`` (``python -m`` arguments: the relevant test files, not the suite)
with a deadline. A mistake some test reports is *killed*; one every test lets
pass *survives*. A mutation whose old text is missing is an error, never a
pass; so is a red baseline (the same commands on the unmutated copy).

A survivor is either a gap (strengthen a test until it is killed) or an
equivalent mutant: a change no caller can observe, listed with
``equivalent=`` saying why it is harmless. ``tests/mutations/test_list.py``
keeps the list applicable to the current tree.
"""

from __future__ import annotations

import dataclasses

Commands = tuple[tuple[str, ...], ...]
CATALOGUE = "exchanges.toml"
SESSION = "runtime/session.py"
BASE = "templates/helpers/base.py"
SIGNATURES = "generator/signatures.py"


def pytest(*args: str) -> tuple[str, ...]:
    """``python -m pytest`` over these files (and -k), stopping at the first failure."""
    return ("pytest", "-q", "-x", *args)


def entry_tests(entry: str, *extra: str) -> Commands:
    """What proves one entry: its generated tests first (they fail fastest),
    then the references (tests/frames: ccxt live, SDKs, published examples,
    documented replies, recorded sources), the end-to-end session, its
    environments and its plan."""
    return (
        pytest(f"generated/tests/test_{entry}.py"),
        pytest(
            "tests/frames",
            "tests/runtime/test_every_entry_end_to_end.py",
            "tests/runtime/test_environments.py",
            "tests/runtime/test_plan.py",
            *extra,
            "-k", entry,
        ),
    )


SESSION_TESTS = ("tests/runtime/test_session.py", "tests/runtime/test_session_faults.py")
DRIFT = (("generator", "--check"),)
# The credential checks, over every module (only the regenerated ones carry the mistake).
CREDENTIAL_TESTS = (pytest("tests/runtime/test_credential_input.py"),)


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str  # unique; its first word is its group
    file: str
    old: str
    new: str
    # Commands, each the arguments of ``python -m``, run in order: the first
    # that exits non-zero kills the mutation.
    run: Commands
    why: str  # the mistake it stands for
    within: str | None = None  # a TOML table: ``old`` must occur exactly once inside it
    # Entries to render after a template or generator mistake (--exchange);
    # () renders everything (the catalogue, runtime/: cheap with the cache).
    regen: tuple[str, ...] = ()
    equivalent: str | None = None  # expected to survive: why no caller can tell
    also: tuple[tuple[str, str], ...] = ()  # further (old, new) edits of the same file, each exactly once

    @property
    def group(self) -> str:
        return self.name.split()[0]

    @property
    def regenerates(self) -> bool:
        return not self.file.startswith(("generated/", "tests/"))

    def apply(self, text: str) -> str:
        """``text`` with the mistake made; NotApplicable when ``old`` is not
        there exactly once (within its TOML table when one is named)."""
        start, end = (0, len(text)) if self.within is None else _table(text, self.within)
        region = text[start:end]
        found = region.count(self.old)
        if found != 1:
            where = f"table [{self.within}] of {self.file}" if self.within else self.file
            raise NotApplicable(f"{self.name}: the text to mutate occurs {found} times in {where}: {self.old[:70]!r}")
        text = text[:start] + region.replace(self.old, self.new) + text[end:]
        for old, new in self.also:
            if text.count(old) != 1:
                raise NotApplicable(f"{self.name}: a further edit's text occurs {text.count(old)} times in {self.file}: {old[:70]!r}")
            text = text.replace(old, new)
        return text


class NotApplicable(Exception):
    """The code a mutation targets has changed: update the mutation."""


def _table(text: str, name: str) -> tuple[int, int]:
    """Where the TOML table [name] and its sub-tables ([name.reply] ...) stand."""
    header = f"\n[{name}]\n"
    if text.count(header) != 1:
        raise NotApplicable(f"table [{name}] occurs {text.count(header)} times in the catalogue")
    start = text.index(header) + 1
    end = start + len(header) - 1
    while (following := text.find("\n[", end)) != -1:
        title = text[following + 2:text.index("]", following)]
        if not title.startswith(f"{name}."):
            return start, following + 1
        end = following + 1
    return start, len(text)


def catalogue(name: str, within: str, old: str, new: str, why: str, *extra: str, run: Commands | None = None,
              equivalent: str | None = None) -> Mutation:
    entry = within.split(".")[0]
    return Mutation(f"catalogue {name}", CATALOGUE, old, new, run or entry_tests(entry, *extra), why, within=within,
                    equivalent=equivalent)


def template(name: str, file: str, old: str, new: str, why: str, entries: tuple[str, ...],
             run: Commands | None = None) -> Mutation:
    tests = run or (pytest(*(f"generated/tests/test_{entry}.py" for entry in entries)),)
    return Mutation(f"templates {name}", file, old, new, tests, why, regen=entries)


def session(name: str, old: str, new: str, selector: str, why: str, *, files: tuple[str, ...] = SESSION_TESTS,
            also: tuple[tuple[str, str], ...] = ()) -> Mutation:
    return Mutation(f"session {name}", SESSION, old, new, (pytest(*files, "-k", selector),), why, also=also)


# The lock as issue 14 found it: released once the nonce is drawn, taken again for the auth frame.
_LOCK_OLD = '''        async with self._signing():
            if reused is not None:
                attempt.reuse(reused)
            else:
                called_at = time.monotonic()
                await _pre_auth_io(attempt, self._http)
                provisioned = attempt.provisioned(called_at)
            pre = attempt.pre
            greets = pre is not None and pre.greets  # the socket states its verdict on connect
            if greets:
                link.verdict = asyncio.get_running_loop().create_future()
            if attempt.auth_after_greeting:  # the socket greets first; the auth frame waits for it
                link.greeting = asyncio.get_running_loop().create_future()
            await self._open(link)
            verdict = await self._wait_verdict(link) if greets else None
            if link.greeting is not None:
                attempt.took_greeting(await self._wait_greeting(link))
            frame = attempt.auth_message()'''
_LOCK_NEW = '''        async with self._signing():
            if reused is not None:
                attempt.reuse(reused)
            else:
                called_at = time.monotonic()
                await _pre_auth_io(attempt, self._http)
                provisioned = attempt.provisioned(called_at)
        pre = attempt.pre
        greets = pre is not None and pre.greets  # the socket states its verdict on connect
        if greets:
            link.verdict = asyncio.get_running_loop().create_future()
        if attempt.auth_after_greeting:  # the socket greets first; the auth frame waits for it
            link.greeting = asyncio.get_running_loop().create_future()
        await self._open(link)
        verdict = await self._wait_verdict(link) if greets else None
        if link.greeting is not None:
            attempt.took_greeting(await self._wait_greeting(link))
        async with self._signing():
            frame = attempt.auth_message()'''

MUTATIONS: tuple[Mutation, ...] = (
    # -- catalogue: signatures ---------------------------------------------------
    catalogue("bybit signature message", "bybit", 'message = "GET/realtime{expires_ms}"', 'message = "GET/realtime/{expires_ms}"',
              "a signed message with one character more"),
    catalogue("bybit hash", "bybit", 'hash = "sha256", key = "raw", encoding = "hex" }', 'hash = "sha512", key = "raw", encoding = "hex" }',
              "the wrong HMAC hash"),
    catalogue("okx encoding", "okx", 'hash = "sha256", key = "raw", encoding = "base64" }', 'hash = "sha256", key = "raw", encoding = "hex" }',
              "the right MAC in the wrong text encoding"),
    catalogue("okx signed path", "okx", '"{now_s}GET/users/self/verify"', '"{now_s}GET/users/self/verify/"',
              "a signed REST path that differs by a slash"),
    catalogue("kraken digest_first", "kraken", 'digest_first = "sha256", hash = "sha512"', 'digest_first = "sha512", hash = "sha512"',
              "the inner digest of Kraken's API-Sign"),
    catalogue("lbank digest encoding", "lbank", 'digest_first_encoding = "hex_upper"', 'digest_first_encoding = "raw"',
              "LBank's MD5 signed as raw bytes, not upper-case hex"),
    catalogue("gemini hash", "gemini", 'hash = "sha384"', 'hash = "sha256"', "gemini's HMAC with the wrong hash"),
    catalogue("gemini payload separators", "gemini", 'separators = "compact"', 'separators = "spaced"',
              "the signed JSON payload with spaces",
              equivalent="the signature covers the base64 text exactly as sent and Gemini parses the JSON it decodes: "
                         "whitespace between tokens changes nothing the exchange checks (the usual Python clients send "
                         "json.dumps' spaced default)"),
    catalogue("woo signature message", "woo", 'message = "|{now_ms}"', 'message = "{now_ms}"', "woo's message without its bar"),
    catalogue("gate_wsapi signature message", "gate_wsapi", 'message = "api\\nspot.login\\n{{}}\\n{now_s}"',
              'message = "api\\nspot.login\\n\\n{now_s}"', "the WS-API login signed without its empty parameters"),
    catalogue("bitmex expires unit", "bitmex", 'message = "GET/realtime{expires_s}"', 'message = "GET/realtime{expires_ms}"',
              "BitMEX signs seconds, not milliseconds"),
    # -- catalogue: frames ---------------------------------------------------------
    catalogue("bybit frame op", "bybit", 'auth_frame = { op = "auth",', 'auth_frame = { op = "login",', "the wrong op in the auth frame"),
    catalogue("bybit frame arg type", "bybit", '"{expires_ms!s}", "{signature}"', '"{expires_ms}", "{signature}"',
              "expires as a number where the exchange sends text"),
    catalogue("okx frame timestamp", "okx", 'timestamp = "{now_s!s}"', 'timestamp = "{now_ms!s}"', "a millisecond timestamp where seconds are signed"),
    catalogue("okx frame passphrase", "okx", 'passphrase = "{password}", ', "", "the passphrase dropped from the login"),
    catalogue("binance_ed25519_logon frame timestamp type", "binance_ed25519_logon", 'timestamp = "{now_ms}" }', 'timestamp = "{now_ms!s}" }',
              "session.logon's timestamp as text"),
    catalogue("krakenfutures challenge", "krakenfutures", 'original_challenge = "{challenge}"', 'original_challenge = "{signature}"',
              "the signed challenge where the original belongs"),
    catalogue("kraken rest body", "kraken", 'body = "nonce={nonce}"', 'body = "nonce={nonce}&otp="', "a REST body with a field more"),
    catalogue("lbank rest header", "lbank", 'signature_method = "HmacSHA256", echostr', 'signature_method = "HmacSHA512", echostr',
              "a REST header that differs from what is signed"),
    catalogue("bullish cookie", "bullish", 'Cookie = "JWT_COOKIE={token}"', 'Cookie = "JWT={token}"', "the token in a misnamed cookie"),
    catalogue("woo socket url", "woo", 'socket_url = "{ws_url}/{uid}"', 'socket_url = "{ws_url}/{api_key}"',
              "the socket URL ending with the key, not the account id"),
    # -- catalogue: subscribe fields ----------------------------------------------
    catalogue("gateeu subscribe method", "gateeu", 'auth = { method = "api_key", KEY', 'auth = { KEY', "gateeu's subscribe without auth.method"),
    catalogue("gateeu subscribe time", "gateeu", 'subscribe_auth = { time = "{now_s}", auth', 'subscribe_auth = { auth', "gateeu's subscribe without its time"),
    catalogue("gate swap subscribe key", "gate.markets.swap", 'KEY = "{api_key}"', 'key = "{api_key}"', "a subscribe field in the wrong case"),
    catalogue("kraken subscribe token", "kraken", 'subscribe_auth = { params = { token = "{token}" } }', 'subscribe_auth = { token = "{token}" }',
              "the token outside params"),
    catalogue("lbank subscribe key", "lbank", 'subscribe_auth = { subscribeKey = "{token}" }', 'subscribe_auth = { subscribeKey = "{nonce}" }',
              "the echo string where the subscribe key belongs"),
    # -- catalogue: URLs, environments included ------------------------------------
    catalogue("bybit production url", "bybit", 'ws_url = "wss://stream.bybit.com/v5/private"', 'ws_url = "wss://stream.bybit.com/v5/public/linear"',
              "a public stream where the private one belongs"),
    catalogue("bybit testnet url", "bybit", 'testnet = "wss://stream-testnet.bybit.com/v5/private"', 'testnet = "wss://stream-testnet.bybit.com/v5/public/linear"',
              "a testnet pointed at a public stream (issue 14)"),
    catalogue("okx demo url", "okx", 'demo = "wss://wspap.okx.com:8443/ws/v5/private?brokerId=9999"',
              'demo = "wss://wspap.okx.com:8443/ws/v5/public?brokerId=9999"',
              "OKX's demo socket on the public path"),
    catalogue("bitmex production url", "bitmex", 'ws_url = "wss://ws.bitmex.com/realtime"', 'ws_url = "wss://ws.bitmex.com/realtimemd"',
              "BitMEX's multiplexed socket (issue 14)"),
    catalogue("bitmex testnet url", "bitmex", 'testnet = "wss://ws.testnet.bitmex.com/realtime"', 'testnet = "wss://ws.testnet.bitmex.com/realtimemd"',
              "BitMEX's testnet on the multiplexed socket"),
    catalogue("binance_ed25519_logon url", "binance_ed25519_logon", 'ws_url = "wss://ws-api.binance.com:443/ws-api/v3"',
              'ws_url = "wss://ws-api.binance.com:443/ws-api/v2"', "the WS-API's older version (issue 14)"),
    catalogue("woo staging url", "woo", 'staging = "wss://wss.staging.woox.io/v2/ws/private/stream"',
              'staging = "wss://wss.staging.woox.io/ws/stream"', "woo's staging on the public stream"),
    catalogue("krakenfutures demo url", "krakenfutures", 'demo = "wss://demo-futures.kraken.com/ws/v1"',
              'demo = "wss://demo-futures.kraken.com/ws/v2"', "the demo socket at another version"),
    catalogue("gemini sandbox url", "gemini", 'sandbox = "wss://api.sandbox.gemini.com/v1/order/events"',
              'sandbox = "wss://api.sandbox.gemini.com/v1/marketdata"', "gemini's sandbox on the public market data"),
    catalogue("binanceusdm rest url", "binanceusdm", 'url = "https://fapi.binance.com/fapi/v1/listenKey"',
              'url = "https://fapi.binance.com/fapi/v2/listenKey"', "the listen key at the wrong REST path"),
    catalogue("binancecoinm url with token", "binancecoinm", 'ws_url_with_token = "{ws_url}/{token}"',
              'ws_url_with_token = "{ws_url}?listenKey={token}"', "the USD-M form of the socket URL on COIN-M"),
    # -- catalogue: testnets that sign for their own chain ---------------------------
    catalogue("grvt testnet chain id", "grvt", "chain_id = 326 }", "chain_id = 325 }",
              "GRVT's testnet login signed for mainnet's chain", "tests/runtime/test_wallet_rest_sessions.py"),
    catalogue("grvt testnet rest url", "grvt", 'rest_url = "https://edge.testnet.grvt.io/auth/wallet/login"',
              'rest_url = "https://edge.grvt.io/auth/wallet/login"', "a testnet key sent to the production login host"),
    catalogue("paradex testnet l1 chain", "paradex", "chain_id = 11155111,", "chain_id = 1,",
              "the testnet's STARK key derived on mainnet's chain", "tests/runtime/test_paradex_session.py"),
    catalogue("paradex testnet starknet chain", "paradex", 'starknet_chain_id = "PRIVATE_SN_POTC_SEPOLIA"',
              'starknet_chain_id = "PRIVATE_SN_PARACLEAR_MAINNET"', "testnet requests signed for mainnet's Starknet chain",
              "tests/runtime/test_paradex_session.py"),
    # -- catalogue: keep-alive and lifetimes ---------------------------------------
    catalogue("binancecoinm keepalive interval", "binancecoinm", "keepalive_ms = 1800000", "keepalive_ms = 3600000",
              "a keep-alive every 60 minutes for a key that lapses after 60 (issue 14)"),
    catalogue("binancecoinm keepalive method", "binancecoinm", 'keepalive = { method = "PUT"', 'keepalive = { method = "DELETE"',
              "the keep-alive that deletes the key (issue 14)"),
    catalogue("binanceusdm keepalive interval", "binanceusdm", "keepalive_ms = 1800000", "keepalive_ms = 2700000",
              "a keep-alive every 45 minutes"),
    catalogue("binanceusdm close method", "binanceusdm", 'close = { method = "DELETE"', 'close = { method = "PUT"',
              "closing that keeps the key alive instead",
              run=(*entry_tests("binanceusdm"), pytest("tests/runtime/test_session.py", "-k", "every_flow"))),
    catalogue("bybit expires_after_ms", "bybit", "expires_after_ms = 10000", "expires_after_ms = 20000", "a longer signature validity"),
    catalogue("bitmex expires_after_ms", "bitmex", "expires_after_ms = 5000", "expires_after_ms = 60000", "BitMEX's expiry a minute out"),
    # -- catalogue: reply patterns -------------------------------------------------
    catalogue("okx failure event", "okx", 'failure = [{ event = "error" }]', 'failure = [{ event = "errors" }]',
              "OKX's refusal no longer recognised"),
    catalogue("okx success code type", "okx", 'success = [{ event = "login", code = "0" }]', 'success = [{ event = "login", code = 0 }]',
              'a success code "0" matched as the number 0'),
    catalogue("okx failure dropped", "okx", 'failure = [{ event = "error" }]', "failure = []",
              "OKX's failure patterns emptied (issue 14: that also deletes its generated failure test)"),
    catalogue("kraken balances ack", "kraken", '["executions", "balances", "level3"]', '["executions", "level3"]',
              "Kraken's balances acknowledgement dropped (issue 14)"),
    catalogue("bybit trade-stream refusal", "bybit", ', { op = "auth", retMsg = { present = true } }]', "]",
              "Bybit's trade-stream refusal dropped (issue 14)"),
    catalogue("bybit reason path", "bybit", 'reason = ["ret_msg", "retMsg"]', 'reason = ["retMsg"]', "the private stream's reason unread"),
    catalogue("bitmex failure without request", "bitmex", ', { error = { present = true }, request = { present = false } }]', "]",
              "an error that echoes no request no longer a failure"),
    catalogue("binanceusdm expired key", "binanceusdm", 'failure = [{ e = "listenKeyExpired" }]', 'failure = [{ e = "listenKeyExpire" }]',
              "the listen key's expiry event misspelt"),
    catalogue("gate request id", "gate.markets.spot", 'request_id = "id"\n', "", "gate's replies no longer matched to their request (issue 14)",
              run=(*entry_tests("gate"), pytest("tests/frames/test_reply_patterns.py", "-k", "another_request"))),
    catalogue("krakenfutures success", "krakenfutures", 'success = [{ event = "challenge", message = { present = true } }',
              'success = [{ event = "challenge" }', "a challenge reply without its challenge taken as success",
              equivalent="no frame Kraken Futures documents or sends tells the two patterns apart (every challenge reply "
                         "carries its message); were one to come without, build_subscribe_auth would refuse it for want "
                         "of a challenge (WsAuthInputError) before anything is signed"),
    catalogue("okx code path", "okx", 'code = "code"', 'code = "sCode"', "the refusal's code read from the wrong field"),
    catalogue("polymarket_wallet exp and ts swapped", "polymarket_wallet",
              'exp = "{expires_ms}", salt = "{nonce}", ts = "{now_ms}"', 'exp = "{now_ms}", salt = "{nonce}", ts = "{expires_ms}"',
              "CreateProxy signed over the expiry and the timestamp in each other's places",
              run=(pytest("generated/tests/test_polymarket_wallet.py"),
                   pytest("tests/runtime/test_wallet_rest_sessions.py", "-k", "polymarket"))),
    Mutation("templates polymarket_wallet token drops the proxy", "templates/helpers/rest.py",
             "return _json.dumps({**self.carried, self.token_path[-1]: token}",
             "return _json.dumps({self.token_path[-1]: token}",
             (pytest("tests/runtime/test_wallet_rest_sessions.py", "-k", "polymarket"),),
             "the token no longer carries the proxy its call registered: the frame cannot name it", regen=("polymarket_wallet",)),
    Mutation("session placeholder token", "runtime/steps.py",
             "        return pre.read_token(200, json.dumps(reply))", '        return "placeholder"',
             (pytest("tests/runtime/test_wallet_rest_sessions.py", "-k", "polymarket"),),
             "the session's check before any call gives a token no carrying module can read: it refuses to start"),
    catalogue("apex login success type", "apex", '{ "request.op" = "login", success = ["true", true] }',
              '{ "request.op" = "login", success = true }', "ApeX's login success \"true\" (its SDKs' string) matched as a boolean only"),
    catalogue("apex login refusal dropped", "apex", ', { "request.op" = "login" }]', "]",
              "a login answer that is not a success left unjudged (the session would time out)"),
    # -- templates -------------------------------------------------------------------
    template("direct flow sends nothing", "templates/flows/direct.py.jinja",
             '{% macro build_auth_message(vm, cb) %}{{ m.frame(vm, "build_auth_message", cb, vm.v.auth_frame) }}{% endmacro %}',
             '{% macro build_auth_message(vm, cb) %}{{ m.nothing(vm, "build_auth_message") }}{% endmacro %}',
             "the direct flow's auth frame never built", ("bybit",)),
    template("inline flow signs nothing", "templates/flows/inline.py.jinja",
             '{% macro build_subscribe_auth(vm, cb) %}{{ m.frame(vm, "build_subscribe_auth", cb, vm.v.subscribe_auth) }}{% endmacro %}',
             '{% macro build_subscribe_auth(vm, cb) %}{{ m.nothing(vm, "build_subscribe_auth") }}{% endmacro %}',
             "the inline flow's subscribe fields never built", ("gate",)),
    template("challenge flow frames swapped", "templates/flows/challenge.py.jinja",
             'm.frame(vm, "build_subscribe_auth", cb, vm.v.subscribe_auth)', 'm.frame(vm, "build_subscribe_auth", cb, vm.v.auth_frame)',
             "the challenge request sent where the signed challenge belongs", ("krakenfutures",)),
    template("pre_auth flow keepalive method", "templates/flows/pre_auth.py.jinja",
             "method={{ v[call].method | pyrepr }},", 'method="PUT",', "every keep-alive and close call a PUT",
             ("binanceusdm", "binancecoinm"), run=(pytest("generated/tests/test_binanceusdm.py", "generated/tests/test_binancecoinm.py",
                                                          "tests/runtime/test_session.py", "-k", "binanceusdm or binancecoinm or every_flow"),)),
    template("pre_auth flow keepalive interval", "templates/flows/pre_auth.py.jinja",
             '        keepalive_ms={{ config("keepalive_ms") }},\n', "", "the keep-alive interval never given to the session",
             ("binanceusdm",), run=entry_tests("binanceusdm", *SESSION_TESTS)),
    template("handshake headers dropped", "templates/macros.py.jinja",
             "ws_headers={{ (vm.v.ws_headers or {}) | pytextmap }},", "ws_headers={},", "a signed handshake without its headers",
             ("gemini",), run=entry_tests("gemini")),
    template("reply matcher request id", "templates/reply.py.jinja",
             "        if _text(_get(frame, {{ r.request_id | path }})) != str(state[\"request_id\"]):\n            return None\n",
             "        pass\n", "another request's reply judged as ours (issue 14)", ("gate",)),
    template("reply matcher failure is success", "templates/reply.py.jinja",
             "        return AuthReply(\n            ok=False,", "        return AuthReply(\n            ok=True,",
             "a refusal read as success", ("okx",)),
    template("reply matcher reason", "templates/reply.py.jinja", "reason=_first_text(frame, {{ r.reason | paths }}),", "reason=None,",
             "a refusal's reason dropped", ("bybit",)),
    template("reply matcher batched", "templates/reply.py.jinja",
             "    for frame in _json_batch(response):", "    for frame in _json_batch(response)[:1]:",
             "only the first message of a batch judged", ("alpaca_crypto",),
             run=(pytest("generated/tests/test_alpaca_crypto.py", "tests/frames/test_reply_patterns.py", "-k", "alpaca_crypto or batch"),)),
    template("input check now_ms type", BASE, '    if type(value) is not int:\n        raise _wrong_type("now_ms")\n', "",
             "a clock that is not an int accepted (issue 14)", ("bybit",)),
    template("input check control characters", BASE, "    if not value.isprintable():\n", "    if False:\n",
             "a key with CR LF reaching a header (issue 14)", ("bybit", "okx"), run=CREDENTIAL_TESTS),
    template("input check uid path", BASE, 'if name == "uid" and ("/" in value', 'if name == "uid" and ("/" in ""',
             "an account id climbing the socket path (issue 14)", ("woo",), run=CREDENTIAL_TESTS),
    template("input check api_key ampersand", BASE, 'if name in ("api_key", "uid") and ("&" in value or ',
             'if name in ("api_key", "uid") and (', "an API key adding a field to a form body (issue 14)", ("lbank",),
             run=CREDENTIAL_TESTS),
    template("input check unknown option", BASE, "    if not opts.keys() <= _OPTION_TYPES.keys():\n", "    if False:\n",
             "a misspelt option silently ignored", ("bybit",)),
    template("matcher types", BASE, "    return type(value) is type(expected) and value == expected",
             "    return value == expected", "JSON true taken for 1 and 0 for 0.0", ("bybit", "okx"),
             run=(pytest("generated/tests/test_bybit.py", "tests/frames/test_reply_patterns.py", "-k", "bybit or another_json_type"),)),
    template("matcher present", BASE, "        return (value is not None) is expected[\"present\"]",
             "        return True", "{ present = true } matching an absent field", ("bybit", "bitmex")),
    template("record default unset", BASE, "        if name in defaults:\n            return defaults[name]\n", "",
             "a field left at its default is no field at all", ("bybit", "upbit"),
             run=(pytest("tests/runtime/test_records.py"),)),
    template("lifetime unit", BASE, "        lifetime = int(float(value) * scale)", "        lifetime = int(float(value))",
             "a lifetime in seconds read as milliseconds", ("deribit",)),
    # -- generator -------------------------------------------------------------------
    Mutation("generator entry hash ignores the signature table", "generator/catalogue.py",
             '    canonical = json.dumps(data, sort_keys=True,',
             '    canonical = json.dumps({k: v for k, v in data.items() if k != "signature"} if isinstance(data, dict) else data, sort_keys=True,',
             (pytest("tests/generator/test_entry_hash.py", "tests/generator/test_cache.py"),),
             "after a signature change nothing is regenerated and --check says it matches (issue 14)", regen=("bybit",)),
    Mutation("generator entry hash of the signed entry", "generator/catalogue.py",
             "entries.append(Entry(exchange, found, default_market, digest(data), path.name))",
             'entries.append(Entry(exchange, found, default_market, digest({k: v for k, v in data.items() if k != "signature"}), path.name))',
             (pytest("tests/generator/test_entry_hash.py", "tests/generator/test_cache.py"),),
             "the hash the header and the cache use ignores the signature table", regen=("bybit",)),
    Mutation("generator expires value", "generator/values.py",
             "'expires_ms = now_ms + {{ config(\"expires_after_ms\") }}'", "'expires_ms = now_ms + {{ config(\"expires_after_ms\") }} // 2'",
             (pytest("generated/tests/test_bybit.py"),), "expires computed from half the configured validity", regen=("bybit",)),
    Mutation("generator query order", "generator/values.py", "v.signature.query | dictsort(case_sensitive=true)",
             "v.signature.query | dictsort(case_sensitive=true, reverse=true)",
             (pytest("generated/tests/test_binance_ed25519_logon.py", "generated/tests/test_binance.py"),),
             "a signed query in reverse order", regen=("binance_ed25519_logon", "binance")),
    # The signature words' code (generator/signatures.py): a mistake there reaches every module using the word.
    Mutation("generator signing strict base64", SIGNATURES, "_binascii.a2b_base64(secret, strict_mode=True)",
             "_binascii.a2b_base64(secret)", (pytest("generated/tests/test_kraken.py"),),
             "a non-base64 secret silently decoded (issue 14)", regen=("kraken",)),
    Mutation("generator signing hex upper", SIGNATURES, '"{mac}.hexdigest()", "raw.hex()"',
             '"{mac}.hexdigest().upper()", "raw.hex()"', (pytest("generated/tests/test_bybit.py"),),
             "hex signatures in upper case", regen=("bybit",)),
    Mutation("generator signing raw_base64 key", SIGNATURES,
             '"key = _binascii.b2a_base64(secret.encode(), newline=False)"', '"key = secret.encode()"',
             (pytest("generated/tests/test_apex.py"),), "the raw_base64 key form keyed with the secret itself", regen=("apex",)),
    Mutation("generator signing base64 newline", SIGNATURES,
             '"_binascii.b2a_base64({mac}.digest(), newline=False).decode()"', '"_binascii.b2a_base64({mac}.digest()).decode()"',
             (pytest("generated/tests/test_okx.py"),), "a base64 signature with a trailing newline", regen=("okx",)),
    Mutation("generator --exchange leaves the package files", "generator/__main__.py", "        package=True,\n", "",
             (pytest("tests/generator/test_drift.py", "-k", "whole"),),
             "a new entry regenerated alone is missing from wsauth.EXCHANGES and the listing"),
    Mutation("generator digest_first encoding", "generator/render.py",
             'message = f"{digest}.hexdigest().upper().encode()" if s.digest_first_encoding == "hex_upper" else f"{digest}.digest()"',
             'message = f"{digest}.hexdigest().encode()" if s.digest_first_encoding == "hex_upper" else f"{digest}.digest()"',
             (pytest("generated/tests/test_lbank.py"),), "the hex_upper inner digest rendered in lower case", regen=("lbank",)),
    # -- generated code edited by hand: the drift check must catch it -----------------------
    Mutation("generated module edited", "generated/wsauth/bybit.py", '"GET/realtime"', '"GET/realtime/"', DRIFT,
             "a generated module fixed by hand, not through the catalogue"),
    Mutation("generated test edited", "generated/tests/test_okx.py", "import pytest\n", "import pytest  # edited\n", DRIFT,
             "a generated test edited by hand"),
    Mutation("generated runtime copy edited", "generated/wsauth/session.py", "REAUTH_AT = 0.8", "REAUTH_AT = 0.9", DRIFT,
             "the package's copy of the session edited instead of runtime/"),
    Mutation("generated module edited (drift test)", "generated/wsauth/kraken.py", "_binascii.a2b_base64(secret, strict_mode=True)",
             "_binascii.a2b_base64(secret)", (pytest("tests/generator/test_drift.py", "-k", "matches_the_catalogue"),),
             "the drift test itself, not only --check"),
    # -- runtime: the session's timing ------------------------------------------------------
    session("re-auth at 90 %", "REAUTH_AT = 0.8", "REAUTH_AT = 0.9", "lifetime or renewal", "renewal late in the lifetime (issue 14)"),
    session("re-auth after expiry", "REAUTH_AT = 0.8", "REAUTH_AT = 1.5", "lifetime or renewal", "renewal after the session expired (issue 14)"),
    session("re-auth at once", "REAUTH_AT = 0.8", "REAUTH_AT = 0.1", "lifetime or renewal", "renewal storms: a login every tenth of a lifetime"),
    session("keep-alive interval ignored", "await asyncio.sleep(every_ms / 1000)\n            # Built now",
            "await asyncio.sleep(every_ms / 100)\n            # Built now", "kept_alive or keepalive or listen_key",
            "the keep-alive ten times too late"),
    session("backoff not exponential", "ceiling = min(self.max_s, self.first_s * self.factor**attempt)", "ceiling = min(self.max_s, self.first_s)",
            "backoff or storm or drops_every_login", "reconnects at a constant rate"),
    session("backoff unbounded", "ceiling = min(self.max_s, self.first_s * self.factor**attempt)", "ceiling = self.first_s * self.factor**attempt",
            "backoff or storm or drops_every_login", "delays growing past max_s"),
    session("backoff default attempts", "    attempts: int = 8\n", "    attempts: int = 1000\n", "defaults or storm",
            "a session that practically never gives up"),
    session("backoff default stable", "    stable_s: float = 10.0\n", "    stable_s: float = 0.0\n", "defaults or drops_every_login",
            "every connection counts as stable: the storm of issue 14 by default"),
    session("auth timeout default", 'self.auth_timeout_s = options.get("auth_timeout_s", 10.0)',
            'self.auth_timeout_s = options.get("auth_timeout_s", 600.0)', "defaults or timeout or bound", "a connect that may hang ten minutes"),
    session("verdict timeout ignored", "            reply = await asyncio.wait_for(asyncio.shield(link.verdict), timeout_s)",
            "            reply = await asyncio.wait_for(asyncio.shield(link.verdict), timeout_s * 20)", "timeout or never_answers or silen",
            "waiting for a verdict far beyond auth_timeout_s"),
    session("max reauth delay", "MAX_REAUTH_DELAY_S = 24 * 3600.0", "MAX_REAUTH_DELAY_S = 0.5", "lifetime or renewal",
            "every renewal capped at half a second"),
    # -- runtime: the faults of issue 14, each put back -------------------------------------
    session("1 pre-auth errors escape as the module's", "            refusal = (exc.status, exc.code, exc.message)", "            raise",
            "temporary_pre_auth or lockout or refused_credentials", "a failed pre-auth during a reconnect hangs recv()"),
    session("1 every pre-auth refusal is final", "        if temporary(status, message):", "        if False:",
            "temporary_pre_auth or lockout", "a 503 on the listen key ends the session"),
    # Two mistakes at once: alone, a lost done-callback is seen only when the supervisor dies of an exception it does not expect.
    session("1 the supervisor's end never reaches recv", "        self._supervisor.add_done_callback(self._supervisor_ended)\n", "",
            "refused_credentials", "the session's end never reaches recv()",
            also=(("            refusal = (exc.status, exc.code, exc.message)", "            raise"),)),
    session("2 backoff resets after every login",
            "if link.authenticated_at is not None and time.monotonic() - link.authenticated_at >= self.backoff.stable_s:", "if True:",
            "drops_every_login", "the reconnect storm of issue 14"),
    session("2 a too-big message is a lost connection", "if exc.sent is not None and exc.sent.code == CloseCode.MESSAGE_TOO_BIG:", "if False:",
            "max_size", "a message over max_size loops reconnecting"),
    session("3 lock released before the upgrade", _LOCK_OLD, _LOCK_NEW, "nonce_order", "signed handshakes out of nonce order"),
    session("4 connect not bounded as a whole", "            async with asyncio.timeout(self.auth_timeout_s):\n                await self._establish()",
            "            await self._establish()", "dribbled", "a dribbled REST reply stretches connect()"),
    session("4 close not bounded", "                close_timeout=self.auth_timeout_s,\n", "", "silent_server", "close() takes websockets' 10 s"),
    session("5 websockets gets a plain logger", "logger=_FRAMES_LOG,", 'logger=logging.getLogger("wsauth.session.socket"),', "dictconfig",
            "a dictConfig at DEBUG logs the listen key"),
    session("6 every 4xx handshake is final", "if refused is not None and 400 <= refused < 500 and not temporary(refused, None):",
            "if refused is not None and 400 <= refused < 500:", "429", "a throttled handshake ends the session"),
    session("8 errors keep the URL as __context__",
            "        except (OSError, WebSocketException, ValueError) as exc:\n            unreachable = type(exc).__name__\n",
            "        except (OSError, WebSocketException, ValueError) as exc:\n"
            "            raise self._fail(ConnectionLost, f\"could not open the socket ({type(exc).__name__})\", url) from None\n",
            "unusable", "a ConnectionLost whose context holds the listen key"),
    # -- the ping a greeting paces (KuCoin's UTA) ------------------------------------
    session("9 no ping where the greeting asks for one", "        if attempt.ping_interval_ms:  # set only where",
            "        if False:  # set only where", "welcomes_interval", "an idle UTA socket is dropped by the gateway",
            files=("tests/runtime/test_uta_ping.py",)),
    # -- one Polymarket proxy per session (rest.token_reuse_margin_ms) -------------------
    session("10 a reused token kept past its window", "if reused is not None and not time.monotonic() < reused.until:",
            "if reused is not None and time.monotonic() < reused.until:", "polymarket",
            "every reconnect provisions a new week-long proxy, and a stale one is reused", files=("tests/runtime/test_wallet_rest_sessions.py",)),
    session("10 a refused reused token is final", "                    return False\n", "                    raise\n", "polymarket",
            "a revoked proxy ends the session instead of provisioning a new one", files=("tests/runtime/test_wallet_rest_sessions.py",)),
    catalogue("polymarket_wallet proxy reused up to its expiry", "polymarket_wallet", "token_reuse_margin_ms = 3600000",
              "token_reuse_margin_ms = 1", "ccxt's hour of margin dropped: a reconnect reuses a proxy about to expire",
              run=(pytest("tests/runtime/test_wallet_rest_sessions.py", "-k", "polymarket"),)),
    Mutation("session 9 the ping's id never fresh", "runtime/steps.py", "{**config.ping, config.ping_id: str(request_id)}",
             '{**config.ping, config.ping_id: "1"}', (pytest("tests/runtime/test_uta_ping.py", "tests/frames/test_sources.py", "-k", "ping"),),
             "every ping with the same id, where the page's frame carries one"),
    catalogue("kucoin_uta ping interval path", "kucoin_uta", 'greeting_ping_interval = "pingInterval"',
              'greeting_ping_interval = "pingTimeout"', "the interval looked for where the welcome does not state it",
              run=(pytest("tests/runtime/test_uta_ping.py", "tests/frames/test_sources.py", "-k", "ping or welcome"),)),
    catalogue("kucoin_uta ping frame", "kucoin_uta", 'ping_frame = { id = "{request_id!s}", type = "ping" }',
              'ping_frame = { id = "{request_id!s}", op = "ping" }', "the SDK's ping field where the page shows type",
              run=(pytest("tests/frames/test_sources.py", "tests/frames/test_sdk_reference.py", "-k", "ping or kucoin_uta"),)),
)
