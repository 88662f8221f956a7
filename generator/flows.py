"""The flows: how an exchange authenticates a socket. One row each; the row's
template, ``templates/flows/<name>.py.jinja``, defines the four callbacks as
macros. Adding a flow is a row here and that template."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flow:
    name: str
    summary: str  # one line, for docstrings and the README
    needs: frozenset[str]  # catalogue keys its table must hold
    forbids: frozenset[str]  # catalogue keys it has no use for

    @property
    def template(self) -> str:
        return f"flows/{self.name}.py.jinja"


_NO_REST = frozenset({"rest", "ws_url_with_token", "keepalive", "close", "ping_frame"})
# Only a direct flow's auth frame waits for the socket's greeting.
_NO_GREETING = frozenset({"auth_after_greeting", "greeting_ping_interval"})

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        Flow("direct", "sign a payload, send one auth frame after connecting",
             frozenset({"auth_frame"}), _NO_REST - {"ping_frame"} | {"subscribe_auth"}),
        # The token goes into the URL, each private subscribe or an auth frame.
        Flow("pre_auth", "a signed REST call first (listen key, token); its answer opens the socket",
             frozenset({"rest"}), frozenset({"socket_url", "socket_query"}) | _NO_GREETING),
        Flow("inline", "no login frame: auth fields inside each private subscribe",
             frozenset({"subscribe_auth"}), _NO_REST | _NO_GREETING | {"auth_frame"}),
        Flow("challenge", "the server sends a challenge; it is signed into each private subscribe",
             frozenset({"auth_frame", "subscribe_auth"}), _NO_REST | _NO_GREETING),
        # Nothing is sent to authenticate: the handshake's headers or URL are signed.
        Flow("handshake", "the socket's handshake (headers or URL) is signed; its answer is the verdict",
             frozenset(), _NO_REST | _NO_GREETING | {"auth_frame", "subscribe_auth"}),
    )
}
