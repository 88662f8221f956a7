"""Every URL and keep-alive that no reference capture proves is proven by a
recorded source: tests/fixtures/sources.toml (its format is at its top).

The catalogue's own words are never the expectation here. Each record holds
a value as the exchange's documentation (or, for a test environment only,
ccxt 4.5.90's ``urls``) states it, the address and the quoted words; this
test checks that

* every catalogue item that needs a source has exactly one record (an
  entry, market or environment added later fails until it is recorded: a URL
  no source states has no place in the catalogue);
* the generated module holds the recorded value: ``CONFIG`` for URLs, the
  ``pre_auth`` plan for a keep-alive's method and interval;
* the quoted words carry the value: the URL's host (and, where the quote
  gives it, the whole URL), the keep-alive's method and the listen key's
  documented validity, which the interval must leave room for;
* a ccxt-sourced URL is what ccxt itself holds at the recorded path;
* a ping a greeting paces (KuCoin's UTA): the documented frame is what the
  session sends (its id a fresh one), and the documented greeting, read as
  the session reads it, gives the documented interval.
"""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator.catalogue import Variant, load
from tests.paths import FIXTURES, ROOT

ENTRIES = load(ROOT / "exchanges.toml")
SOURCES = tomllib.loads((FIXTURES / "sources.toml").read_text(encoding="utf-8"))
PRODUCTION = "production"
CCXT_PREFIX = "ccxt 4.5.90 "


def _key(entry: str, market: str | None, environment: str) -> tuple[str, str, str]:
    return entry, market or "", environment


def _needed_urls() -> dict[tuple[str, str, str], str]:
    """Every URL no ccxt capture proves: each environment of every variant,
    and the production socket of every variant whose reference is not ccxt."""
    needed = {}
    for entry in ENTRIES:
        for variant in entry.variants:
            if variant.reference != "ccxt":
                needed[_key(entry.id, variant.market, PRODUCTION)] = variant.ws_url
            for name, url in variant.environments.items():
                needed[_key(entry.id, variant.market, name)] = url
    return needed


def _needed_keepalives() -> dict[tuple[str, str], Variant]:
    return {
        (entry.id, variant.market or ""): variant
        for entry in ENTRIES
        for variant in entry.variants
        if variant.keepalive is not None or variant.keepalive_ms is not None
    }


def _records(kind: str) -> list[dict[str, Any]]:
    return list(SOURCES.get(kind, []))


def _url_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return _key(record["entry"], record.get("market"), record["environment"])


URL_RECORDS = _records("url")
KEEPALIVES = _records("keepalive")
PINGS = _records("ping")


def test_every_url_has_exactly_one_record() -> None:
    needed = _needed_urls()
    recorded = [_url_key(r) for r in URL_RECORDS]
    duplicates = sorted({key for key in recorded if recorded.count(key) > 1})
    assert not duplicates, f"recorded more than once: {duplicates}"
    missing = sorted(set(needed) - set(recorded))
    assert not missing, (
        f"catalogue URLs with no source record in {(FIXTURES / 'sources.toml').relative_to(ROOT)} "
        f"(add a [[url]] with the doc's address and words): {missing}"
    )
    stale = sorted(set(recorded) - set(needed))
    assert not stale, f"records of no catalogue URL (entry, market, environment): {stale}"


def test_every_keepalive_has_exactly_one_record() -> None:
    needed = _needed_keepalives()
    recorded = [(r["entry"], r.get("market", "")) for r in KEEPALIVES]
    assert sorted(recorded) == sorted(set(recorded)), "a keep-alive is recorded twice"
    assert set(recorded) == set(needed), (
        f"keep-alives without a record: {sorted(set(needed) - set(recorded))}; "
        f"records of no keep-alive: {sorted(set(recorded) - set(needed))}"
    )


def _config(entry: str, market: str) -> Any:
    module = importlib.import_module(f"wsauth.{entry}")
    return module.CONFIG[market] if market else module.CONFIG


def _held(record: dict[str, Any]) -> str:
    """The URL the generated module holds for this record."""
    config = _config(record["entry"], record.get("market", ""))
    if record["environment"] == PRODUCTION:
        return str(config.ws_url)
    return str(config.environments.get(record["environment"]))


def _id(record: dict[str, Any]) -> str:
    market = f"-{record['market']}" if record.get("market") else ""
    return f"{record['entry']}{market}-{record['environment']}"


@pytest.mark.parametrize("record", URL_RECORDS, ids=_id)
def test_the_module_holds_the_sourced_url(record: dict[str, Any]) -> None:
    held = _held(record)
    assert held == record["value"], (
        f"{_id(record)}: the generated module holds {held!r}, but {record['source']} gives {record['value']!r}"
    )


def _ccxt_value(path: str) -> str:
    """The URL ccxt 4.5.90 holds at "<exchange>:<dotted path in urls>",
    with its {hostname} filled as ccxt fills it."""
    import ccxt.pro  # type: ignore[import-untyped]  # only here: the rest needs no ccxt

    name, _, dotted = path.partition(":")
    exchange = getattr(ccxt.pro, name)()
    value: Any = exchange.urls
    for step in dotted.split("."):
        value = value[step]
    return str(exchange.implode_hostname(value))


@pytest.mark.parametrize("record", URL_RECORDS, ids=_id)
def test_the_source_states_the_url(record: dict[str, Any]) -> None:
    value = record["value"]
    if "ccxt" in record:
        assert record["environment"] != PRODUCTION, f"{_id(record)}: a production URL needs the exchange's own source"
        assert record["source"].startswith(CCXT_PREFIX), f"{_id(record)}: name the ccxt file as the source"
        # What ccxt's own URL builder appends to that entry (named in the note).
        held = _ccxt_value(record["ccxt"]) + record.get("ccxt_suffix", "")
        assert "ccxt_suffix" not in record or record.get("note", "").strip(), f"{_id(record)}: say which ccxt code appends the suffix"
        assert held == value, f"{_id(record)}: ccxt builds {held!r} from {record['ccxt']}"
        return
    assert record["source"].startswith("https://"), f"{_id(record)}: the source is the document's address"
    quote = record["quote"]
    host = urlsplit(value).hostname or ""
    assert host and host in quote, f"{_id(record)}: the quoted words do not name {host!r}"
    if record.get("whole", True):
        assert value in quote or value.replace(":443/", "/") in quote, (
            f"{_id(record)}: the quote does not give {value!r} whole; quote it, or set whole = false "
            "with a note saying where the path comes from"
        )
    else:
        assert record.get("note", "").strip(), f"{_id(record)}: whole = false needs a note on where the rest of the URL comes from"


MINUTES = re.compile(r"(\d+)\s*minutes")


def _plan(entry: str, market: str) -> Any:
    module = importlib.import_module(f"wsauth.{entry}")
    # A listen key the server issued: a keep-alive that names it (Binance.US)
    # is built only once it is known.
    opts = {"token": "listen-key-0123", **({"market_type": market} if market else {})}
    # A wallet key where the listen-key call is wallet-signed (aster): eth-account's documented example key.
    wallet_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    credentials = module.Credentials(api_key="key", secret="secret", private_key=wallet_key)
    return module.pre_auth(credentials, opts=opts)


@pytest.mark.parametrize("record", KEEPALIVES, ids=lambda r: f"{r['entry']}-{r.get('market', '')}".rstrip("-"))
def test_the_keepalive_is_sourced_and_planned(record: dict[str, Any]) -> None:
    where = f"{record['entry']} {record.get('market', '')}".strip()
    planned = _plan(record["entry"], record.get("market", ""))
    assert planned.keepalive is not None, f"{where}: the plan makes no keep-alive call"
    assert planned.keepalive.method == record["method"], (
        f"{where}: the plan keeps the key alive with {planned.keepalive.method}, {record['source']} says {record['method']}"
    )
    assert planned.keepalive_ms == record["interval_ms"], (
        f"{where}: the plan keeps alive every {planned.keepalive_ms} ms, the record says {record['interval_ms']}"
    )
    assert planned.keepalive.url == planned.request.url, f"{where}: the keep-alive goes to another URL than the key's"
    assert urlsplit(planned.request.url).path in record["method_quote"], f"{where}: the quote does not name the listen-key path"
    assert record["method"] in record["method_quote"].split(), f"{where}: the quote does not name {record['method']}"
    validity = [int(n) for n in MINUTES.findall(record["validity_quote"])]
    assert record["validity_ms"] // 60000 in validity, f"{where}: the quote does not state the validity"
    # One keep-alive may fail and be retried before the key lapses.
    assert record["interval_ms"] * 2 <= record["validity_ms"], (
        f"{where}: a keep-alive every {record['interval_ms']} ms leaves no room for a retry in "
        f"a validity of {record['validity_ms']} ms"
    )
    config = _config(record["entry"], record.get("market", ""))
    assert config.session_ttl_ms == record["validity_ms"], f"{where}: the session counts the key valid for {config.session_ttl_ms} ms"
    for name in ("source", "validity_source"):
        assert record[name].startswith("https://"), f"{where}: {name} is the document's address"


# --- pings a greeting paces ---------------------------------------------------------


def _needed_pings() -> set[tuple[str, str]]:
    return {
        (entry.id, variant.market or "")
        for entry in ENTRIES
        for variant in entry.variants
        if variant.greeting_ping_interval is not None
    }


def test_every_greeting_paced_ping_has_exactly_one_record() -> None:
    recorded = [(r["entry"], r.get("market", "")) for r in PINGS]
    assert sorted(recorded) == sorted(set(recorded)), "a ping is recorded twice"
    assert set(recorded) == _needed_pings(), (
        f"pings without a record: {sorted(_needed_pings() - set(recorded))}; "
        f"records of no ping: {sorted(set(recorded) - _needed_pings())}"
    )


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("record", PINGS, ids=lambda r: f"{r['entry']}-{r.get('market', '')}".rstrip("-"))
def test_the_ping_is_sourced_and_sent_as_the_greeting_says(record: dict[str, Any]) -> None:
    from wsauth.seam import bind
    from wsauth.steps import Attempt

    where = f"{record['entry']} {record.get('market', '')}".strip()
    frame, greeting = record["frame"], record["greeting"]
    assert record["source"].startswith("https://"), f"{where}: the source is the document's address"
    # The quotes hold the frame and the greeting as the document shows them.
    assert _compact(json.dumps(frame)) in _compact(record["frame_quote"]), f"{where}: the quote does not show the frame"
    assert _compact(json.dumps(greeting)) in _compact(record["greeting_quote"]), f"{where}: the quote does not show the greeting"
    assert "pingInterval" in record["frame_quote"] and str(record["interval_ms"]) in record["greeting_quote"]
    # Read and built as wsauth.session reads and builds them.
    module = importlib.import_module(f"wsauth.{record['entry']}")
    exchange = bind(module, None, record.get("market") or None)
    attempt = Attempt(exchange, module.Credentials(api_key="key", secret="secret", password="pass"), {})
    attempt.took_greeting(json.dumps(greeting))
    assert attempt.ping_interval_ms == record["interval_ms"], (
        f"{where}: the session reads an interval of {attempt.ping_interval_ms} ms from the documented greeting"
    )
    example_id = frame[record["id_field"]] if "id_field" in record else None
    assert attempt.ping(example_id or "unused") == frame, f"{where}: the session's ping is not the documented frame"
    if "id_field" in record:
        assert attempt.ping("another-id") == {**frame, record["id_field"]: "another-id"}, f"{where}: the ping's id is not fresh"
