"""The generated modules' records (Credentials, Config, PreAuth, AuthReply,
Environment) behave as the frozen, slotted, keyword-only dataclasses the
checker is told they are (templates/helpers/base.py ``_slotted_record``),
although a field left at its default is stored as an empty slot and read
through ``__getattr__``: built either way, two records are the same record."""

from __future__ import annotations

import pytest

from wsauth import bybit, grvt, upbit

CREDENTIALS = {"api_key": "key-0123456789", "secret": "secret-0123456789abcdef"}


def _pre_auth() -> upbit.PreAuth:
    pre = upbit.pre_auth(upbit.Credentials(**CREDENTIALS), opts={"nonce": "n-1"})
    assert pre is not None
    return pre


def test_a_default_reads_as_given_and_compares_equal() -> None:
    pre = _pre_auth()
    every = {name: getattr(pre, name) for name in upbit.PreAuth.__slots__}
    spelled = upbit.PreAuth(**every)  # every default given explicitly
    assert spelled == pre  # (not hashable: its headers are a dict, as a dataclass's would be)
    assert pre.greets is False and pre.token_cookies == () and pre.ping is None
    assert upbit.PreAuth(**dict(every, greets=True)) != pre


def test_fields_are_keyword_only_known_and_required() -> None:
    with pytest.raises(TypeError, match="positional"):
        bybit.AuthReply(True)  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword argument 'okay'"):
        bybit.AuthReply(ok=True, okay=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing keyword argument 'ok'"):
        bybit.AuthReply(reason="no")  # type: ignore[call-arg]


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    reply = bybit.AuthReply(ok=True)
    with pytest.raises(AttributeError, match="no attribute 'verdict'"):
        reply.verdict  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(reply, "verdict") and getattr(reply, "verdict", 7) == 7


def test_records_are_immutable_set_or_defaulted() -> None:
    reply = bybit.AuthReply(ok=True)
    for name in ("ok", "reason"):  # one given, one left at its default
        with pytest.raises(AttributeError, match="immutable"):
            setattr(reply, name, False)
    with pytest.raises(AttributeError):
        reply.__dict__  # noqa: B018  # slotted: no instance dict


def test_repr_names_no_secret() -> None:
    credentials = bybit.Credentials(**CREDENTIALS, password="passphrase-0123")
    shown = repr(credentials)
    assert "key-0123456789" in shown
    assert "secret-0123456789abcdef" not in shown and "passphrase-0123" not in shown
    spelled = bybit.Credentials(**CREDENTIALS, password="passphrase-0123", uid=None)
    assert credentials == spelled and hash(credentials) == hash(spelled)


def test_config_with_defaults_and_environments() -> None:
    config = grvt.CONFIG
    assert config.environments["testnet"].rest_url is not None
    assert config.session_ttl_ms is None or isinstance(config.session_ttl_ms, int)
    assert config == grvt.Config(**{name: getattr(config, name) for name in grvt.Config.__slots__})
