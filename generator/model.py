"""The typed model of one generated module, computed once from a validated
catalogue entry. Every decision the output depends on is a field or property
here; the templates only turn it into text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from . import values
from .catalogue import Entry, Signature, Variant
from .flows import FLOWS, Flow
from .signatures import ENCODINGS, HASHES, SECRET_KEYS, Encoding, SecretKey

CALLBACKS = ("pre_auth", "build_auth_message", "build_subscribe_auth")
CREDENTIALS = ("api_key", "secret", "password", "uid", "login", "wallet_address", "private_key")
# Values derived from credentials.private_key without signing (a wallet's address).
_FROM_PRIVATE_KEY = frozenset({"address", "wallet_subaccount", "session_address"})


@dataclass(frozen=True)
class Callback:
    """What one generated callback computes before it returns."""

    name: str
    defines: list[str]  # values, in definition order
    credentials: list[str]  # credential fields it reads, each checked where read
    returns: str  # the Python return type

    reads_options: bool = False  # its body reads opts beyond validating them

    @property
    def used(self) -> bool:
        return self.returns != "None"


def _show(value: object) -> str:
    """A catalogue value quoted on one line, for a docstring."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class VariantModel:
    """One way of authenticating (a whole exchange, or one market) as code."""

    v: Variant

    @property
    def flow(self) -> Flow:
        return FLOWS[self.v.flow]

    @property
    def name_prefix(self) -> str:
        """Of the public callbacks' private twins ("" in a single-market module)."""
        return self.v.prefix

    @property
    def helper_prefix(self) -> str:
        """Of its private helpers (_sign, _private_key …)."""
        return self.v.prefix or "_"

    @property
    def encoding(self) -> Encoding:
        """How its signature is written (generator/signatures.py)."""
        assert self.v.signature is not None
        return ENCODINGS[self.v.signature.encoding]

    @property
    def secret_key(self) -> SecretKey:
        """The HMAC key its signature makes of credentials.secret."""
        assert self.v.signature is not None
        return SECRET_KEYS[str(self.v.signature.key)]

    @property
    def hmac_result(self) -> str:
        """The expression its HMAC signer returns: the MAC, written as its encoding says."""
        assert self.v.signature is not None and self.encoding.of_mac is not None
        return self.encoding.of_mac.format(mac=f"_hmac.new(key, message, _hashlib.{self.v.signature.hash})")

    @property
    def opens_socket(self) -> str | None:
        """What pre_auth returns a PreAuth for: a REST call, a signed handshake, or nothing."""
        if self.v.rest is not None:
            return "rest"
        return "handshake" if self.v.handshake else None

    @property
    def token_cookies(self) -> tuple[str, ...]:
        """The cookies the REST reply sets that carry the session onto the
        handshake (() where the token is in the reply's JSON)."""
        rest = self.v.rest
        return tuple(rest.token_cookies or ()) if rest is not None else ()

    @property
    def token_headers(self) -> tuple[str, ...]:
        """The REST reply's other headers that carry the session."""
        rest = self.v.rest
        return tuple(rest.token_headers or ()) if rest is not None else ()

    @property
    def session_headers(self) -> tuple[str, ...]:
        """The handshake headers a session in the reply's headers becomes:
        the Cookie its cookies make, then its other headers (() if none)."""
        return (("Cookie",) if self.token_cookies else ()) + self.token_headers

    @property
    def token_carries(self) -> dict[str, str]:
        """What the token carries beside the reply's (rest.token_carries,
        templates; {} where it is the reply's alone)."""
        rest = self.v.rest
        return dict(rest.token_carries or {}) if rest is not None else {}

    @property
    def pre_auth_class(self) -> str:
        """The PreAuth record pre_auth returns: the plain one, or the one
        whose read_token reads the session from the reply's headers, or the
        one whose token carries values of its own call beside the reply's."""
        if self.session_headers:
            return "_HeaderSessionPreAuth"
        return "_CarryingPreAuth" if self.token_carries else "PreAuth"

    @property
    def handshake_waits_for_token(self) -> bool:
        """pre_auth knows the handshake headers only once the REST reply is
        in: they embed {token}, or they are the reply's own headers."""
        return self.v.ws_headers_need_token or bool(self.session_headers)

    @property
    def greets(self) -> bool:
        """The socket states its verdict on connect (KuCoin's welcome, on the
        socket its REST reply names): no frame asks for one."""
        rest = self.v.rest
        names_socket = rest is not None and (rest.ws_url is not None or rest.ping_interval is not None)
        return names_socket and bool(self.v.reply.success) and not self.v.auth_frame and not self.v.subscribe_auth

    @property
    def auth_after_greeting(self) -> bool:
        """The socket greets on connect and the auth frame waits for that
        greeting (KuCoin's UTA push): Config.auth_after_greeting, read by
        wsauth.session. Unlike ``greets``, the greeting is not the verdict."""
        return self.v.auth_after_greeting

    @cached_property
    def callbacks(self) -> dict[str, Callback]:
        parts = self.v.parts
        named = {
            "rest": ("rest", "keepalive", "close", "ping_frame", "ws_url_with_token", "ws_headers"),
            "handshake": ("ws_headers", "socket_url"),
            None: (),
        }[self.opens_socket]
        uses = {
            "pre_auth": [name for part in named for name in parts.get(part, [])],
            "build_auth_message": parts.get("auth_frame", []),
            "build_subscribe_auth": parts.get("subscribe_auth", []),
        }
        returns = {
            "pre_auth": "PreAuth" if self.opens_socket else "None",
            "build_auth_message": "dict[str, object]" if self.v.auth_frame else "None",
            "build_subscribe_auth": "dict[str, object]" if self.v.subscribe_auth else "None",
        }
        result = {}
        for name, used in uses.items():
            defines = values.closure(used, self.v.needs) if used else []
            if name == "pre_auth":
                defines = [d for d in defines if d != "token"]  # optional there: see flows/pre_auth
            signs_with = "private_key" if self.asymmetric else "secret"
            reads = set(CREDENTIALS) & set(defines)
            if {"signature", "signed_password"} & set(defines):
                reads.add(signs_with)
            if _FROM_PRIVATE_KEY & set(defines):
                reads.add("private_key")
            reads_options = bool(values.READS_OPTIONS & set(defines)) or (
                name == "pre_auth" and bool(self.v.ws_url_with_token or self.handshake_waits_for_token)
            )
            result[name] = Callback(name, defines, [f for f in CREDENTIALS if f in reads], returns[name], reads_options)
        return result

    @property
    def asymmetric(self) -> bool:
        return self.v.signature is not None and self.v.signature.asymmetric

    @property
    def wallet(self) -> bool:
        """Signs with a secp256k1 wallet key (helpers/wallet.py)."""
        return self.v.signature is not None and self.v.signature.wallet

    @property
    def stark(self) -> bool:
        """Signs with a STARK key derived from a secp256k1 wallet key (helpers/stark.py)."""
        return self.v.signature is not None and self.v.signature.stark

    @property
    def signer_parameters(self) -> list[tuple[str, str]]:
        """The signing function's parameters besides the credentials and the
        message, with their types: what the STARK key depends on."""
        return [(name, values.VALUES[name].type) for name in self.v.signer_reads]

    @property
    def derives_address(self) -> bool:
        """Some callback reads the key's address ({address}, {wallet_subaccount})."""
        return any({"address", "wallet_subaccount"} & set(cb.defines) for cb in self.callbacks.values())

    @property
    def checks_wallet(self) -> bool:
        """A credentials.wallet_address that is given must be the key's own
        address (the exchange accepts no delegated key)."""
        return self.v.signature is not None and self.v.signature.wallet and not self.v.signature.delegates

    @property
    def credentials(self) -> list[str]:
        read = {field for cb in self.callbacks.values() for field in cb.credentials}
        return [field for field in CREDENTIALS if field in read]

    def description(self) -> list[str]:
        """What it signs and sends, in words, from the catalogue."""
        v = self.v
        lines = [f"Flow: {v.flow}, {self.flow.summary}."]
        if v.signature is not None:
            lines.append(_signing_words(v.signature, jwt=v.jwt is not None))
        if v.rest is not None and self.session_headers:
            carried = ", ".join([f"the {name} cookie" for name in self.token_cookies] + list(self.token_headers))
            lines.append(f"First: {v.rest.method} {_show(v.rest.url)}; its reply's {carried} carry the session onto the handshake.")
        elif v.rest is not None and self.token_carries:
            lines.append(
                f"First: {v.rest.method} {_show(v.rest.url)}; the token is the JSON object of {_show(self.token_carries)} "
                f"and the reply's {_show(v.rest.token)}."
            )
        elif v.rest is not None:
            lines.append(f"First: {v.rest.method} {_show(v.rest.url)}, the token read from {_show(v.rest.token)}.")
        if v.rest is not None and v.rest.token_reuse_margin_ms is not None:
            lines.append(
                f"Its token opens the session's later connections too, until {v.rest.token_reuse_margin_ms} ms "
                "before the expiry the call signs (PreAuth.token_reusable_ms)."
            )
        if v.session_key is not None:
            lines.append(
                f"Session key: the Keccak-256 of credentials.private_key's signature of the Keccak-256 of {_show(v.session_key)}."
            )
        if v.ws_headers:
            lines.append(f"Handshake headers: {', '.join(sorted(v.ws_headers))}.")
        if v.socket_url:
            lines.append(f"Socket: {_show(v.socket_url)}.")
        if v.auth_frame:
            after = " (sent once the socket's greeting has arrived)" if self.auth_after_greeting else ""
            lines.append(f"Auth frame{after}: {_show(v.auth_frame)}.")
        if v.subscribe_auth:
            lines.append(f"In each private subscribe: {_show(v.subscribe_auth)}.")
        return lines


def _signing_words(s: Signature, *, jwt: bool) -> str:
    key = "credentials.private_key" if s.asymmetric else SECRET_KEYS[str(s.key)].words
    if s.hash == "eip712":
        return f"Signs the typed data: {HASHES[s.hash].words} with {key}, {ENCODINGS[s.encoding].words}."
    if s.stark:
        return (
            f"Signs the typed data: {HASHES[s.hash].words} with the STARK key ground from {key}'s EIP-712 "
            f"signature of the stark_key typed data (NOT constant-time: pure-Python STARK curve), "
            f"{ENCODINGS[s.encoding].words}."
        )
    message = _show(s.prefix + s.message)
    if s.digest_first:
        message = f"the {s.digest_first} digest of {_show(s.message)}" + (f" after {_show(s.prefix)}" if s.prefix else "")
    what = "a JWT over its header and claims" if jwt else message
    return f"Signs {what}: {HASHES[s.hash].words} with {key}, {ENCODINGS[s.encoding].words}."


@dataclass(frozen=True)
class ModuleModel:
    """A whole module: its variants and what the module around them needs."""

    entry: Entry

    @cached_property
    def variants(self) -> list[VariantModel]:
        return [VariantModel(v) for v in self.entry.variants]

    @property
    def multi(self) -> bool:
        return self.entry.multi_market

    @property
    def has_pre_auth(self) -> bool:
        """The module defines PreAuth, RestRequest and ExchangeError."""
        return any(vm.opens_socket for vm in self.variants)

    @property
    def reply_names_socket(self) -> bool:
        """Some variant's REST reply names the socket or its ping interval
        (read by the runtime: wsauth.steps)."""
        return any(v.rest is not None and (v.rest.ws_url or v.rest.ping_interval) for v in self.entry.variants)

    @property
    def secret_optional(self) -> bool:
        """Only credentials.private_key signs: Credentials.secret defaults to ""."""
        return all("secret" not in vm.credentials for vm in self.variants) and any(vm.asymmetric for vm in self.variants)

    @property
    def pattern(self) -> str:
        return "+".join(sorted({v.flow for v in self.entry.variants}))

    @property
    def reference(self) -> str:
        return "+".join(dict.fromkeys(v.reference for v in self.entry.variants))

    @property
    def market_types(self) -> list[str]:
        if self.multi:
            return [str(v.market) for v in self.entry.variants]
        return list(self.entry.variants[0].market_types)

    @property
    def environments(self) -> list[str]:
        return sorted({name for v in self.entry.variants for name in v.environments})

    @property
    def credentials(self) -> list[str]:
        read = {field for vm in self.variants for field in vm.credentials}
        return [field for field in CREDENTIALS if field in read]

    @property
    def wallet(self) -> bool:
        """Carries helpers/wallet.py: signs with a wallet key (or a STARK key
        derived from one) or reads a wallet address."""
        return any(vm.wallet or vm.stark or "wallet_address" in vm.credentials for vm in self.variants)

    @property
    def stark(self) -> bool:
        """Carries helpers/stark.py: signs with a STARK key."""
        return any(vm.stark for vm in self.variants)

    @property
    def valid_uid(self) -> str:
        """A well-formed credentials.uid for the generated tests: a Starknet
        account address where a STARK key signs for one, else any account id."""
        return "0x" + "123456789abcdef" * 4 + "0" if self.stark else "uid-42"

    @property
    def api_key_optional(self) -> bool:
        """No variant reads credentials.api_key (a wallet key signs, the secret
        is itself the token): Credentials.api_key defaults to ""."""
        return "api_key" not in self.credentials

    @property
    def extra(self) -> str | None:
        """The wsauth extra signing needs beyond the standard library."""
        if any(vm.wallet or vm.stark for vm in self.variants):
            return "wallet"
        return "keys" if any(vm.asymmetric for vm in self.variants) else None

    def listing(self) -> dict[str, object]:
        """What ``wsauth list`` shows of it."""
        return {
            "status": "supported", "flows": self.pattern, "markets": self.market_types,
            "environments": self.environments, "credentials": self.credentials, "extra": self.extra,
        }

    def dispatches(self, name: str) -> bool:
        """Some market's variant of this callback returns something."""
        return any(vm.callbacks[name].used for vm in self.variants)

    def dispatch_returns(self, name: str) -> str:
        kinds = {vm.callbacks[name].returns for vm in self.variants}
        return " | ".join(sorted(kinds, key=lambda kind: (kind == "None", kind)))

    def description(self) -> list[str]:
        lines = []
        for vm in self.variants:
            if self.multi:
                lines.append(f"Market {vm.v.market}:")
                lines += [f"  {line}" for line in vm.description()]
            else:
                lines += vm.description()
        lines.append(f"Credentials: {', '.join(self.credentials) or 'none'}.")
        if self.market_types:
            lines.append(f"Market types: {', '.join(self.market_types)}.")
        if self.environments:
            lines.append(f"Environments: {', '.join(self.environments)}.")
        return lines
