"""Every reply pattern in the catalogue is proven by a documented frame, and
every documented frame is judged as its source says — chosen from the
fixtures, not from the catalogue, so that loosening or dropping a pattern
cannot also delete the test that would catch it."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from generator.catalogue import Variant, load
from tests.paths import ROOT

ENTRIES = load(ROOT / "exchanges.toml")
REPLIES = ROOT / "tests" / "fixtures" / "replies"


def _stem(entry_id: str, variant: Variant) -> str:
    return entry_id if variant.market is None else f"{entry_id}-{variant.market}"


def _documented(stem: str, kind: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(REPLIES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if stem in data["entries"]:
            found += [dict(case, file=path.name) for case in data.get(kind, [])]
    return found


def _frames(frame: object) -> list[object]:
    """A frame, or each message of a batched one (a JSON array)."""
    return list(frame) if isinstance(frame, list) else [frame]


def _at(frame: object, dotted: str) -> object:
    for key in dotted.split("."):
        if not isinstance(frame, dict):
            return None
        frame = frame.get(key)
    return frame


def _holds(value: object, expected: object) -> bool:
    """Written apart from the generated _matches: the catalogue's meaning."""
    if isinstance(expected, dict):
        return (value is not None) == expected["present"]
    if isinstance(expected, list):
        return any(_holds(value, one) for one in expected)
    return type(value) is type(expected) and value == expected


def _matched(pattern: dict[str, Any], frame: object) -> bool:
    return any(all(_holds(_at(message, path), want) for path, want in pattern.items()) for message in _frames(frame))


PATTERNS = [
    pytest.param(entry.id, variant, kind, index, id=f"{_stem(entry.id, variant)}-{kind}-{index}")
    for entry in ENTRIES
    for variant in entry.variants
    for kind in ("success", "failure")
    for index in range(len(getattr(variant.reply, kind)))
]
STEMS = [
    pytest.param(entry.id, variant, id=_stem(entry.id, variant)) for entry in ENTRIES for variant in entry.variants
]


@pytest.mark.parametrize(("entry_id", "variant", "kind", "index"), PATTERNS)
def test_every_reply_pattern_is_matched_by_a_documented_frame(entry_id: str, variant: Variant, kind: str, index: int) -> None:
    pattern = getattr(variant.reply, kind)[index]
    frames = [case["frame"] for case in _documented(_stem(entry_id, variant), kind)]
    assert any(_matched(pattern, frame) for frame in frames), (
        f"{kind} pattern {pattern} of {_stem(entry_id, variant)} is matched by no documented {kind} frame "
        f"in {REPLIES.relative_to(ROOT)}: document one (with its source) or drop the pattern"
    )


@pytest.mark.parametrize(("entry_id", "variant"), STEMS)
def test_every_documented_frame_is_judged_as_documented(entry_id: str, variant: Variant) -> None:
    module = importlib.import_module(f"wsauth.{entry_id}")
    stem = _stem(entry_id, variant)
    state = {"market_type": variant.market} if variant.market else {}
    for case in _documented(stem, "success"):
        reply = module.handle_auth_response(json.dumps(case["frame"]), state)
        assert reply is not None and reply.ok, (case["file"], case["frame"])
    for case in _documented(stem, "failure"):
        reply = module.handle_auth_response(json.dumps(case["frame"]), state)
        assert reply is not None and not reply.ok, (case["file"], case["frame"])
        assert reply.reason == case["reason"], (case["file"], case["frame"])
    for case in _documented(stem, "not_auth"):
        assert module.handle_auth_response(json.dumps(case["frame"]), state) is None, (case["file"], case["frame"])


def _retyped(value: object) -> object:
    """An equal value of another JSON type (true == 1 and 0 == 0.0 in Python)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value)
    return value


def _retype(message: object, patterns: list[dict[str, Any]]) -> tuple[object, bool]:
    """The message with every value a pattern compares exactly (a bool or an
    int) replaced by an equal one of another type; and whether any was."""
    if not isinstance(message, dict):
        return message, False
    message = json.loads(json.dumps(message))
    changed = False
    for pattern in patterns:
        for dotted, want in pattern.items():
            wanted = want if isinstance(want, list) else [want]
            *parents, last = dotted.split(".")
            holder: object = message
            for key in parents:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and isinstance(holder.get(last), (bool, int)) and any(
                type(one) is type(holder[last]) and one == holder[last] for one in wanted
            ):
                holder[last] = _retyped(holder[last])
                changed = True
    return message, changed


def test_a_verdict_value_of_another_json_type_is_no_verdict() -> None:
    # The patterns compare types too: a documented frame whose true is sent
    # as 1 (or whose 0 is sent as 0.0) is not that verdict any more.
    checked = 0
    for entry in ENTRIES:
        module = importlib.import_module(f"wsauth.{entry.id}")
        for variant in entry.variants:
            state = {"market_type": variant.market} if variant.market else {}
            for kind in ("success", "failure"):
                for case in _documented(_stem(entry.id, variant), kind):
                    retyped = [_retype(message, getattr(variant.reply, kind)) for message in _frames(case["frame"])]
                    if not any(changed for _, changed in retyped):
                        continue
                    frame = [message for message, _ in retyped]
                    if any(_matched(pattern, frame) for pattern in getattr(variant.reply, kind)):
                        continue  # another pattern, on other paths, still holds
                    reply = module.handle_auth_response(json.dumps(frame if isinstance(case["frame"], list) else frame[0]), state)
                    assert reply is None or reply.ok is not (kind == "success"), (entry.id, kind, frame)
                    checked += 1
    assert checked >= 50  # 65 on 2026-11-29: an empty walk would pass vacuously


BATCHED = [pytest.param(entry_id, variant, id=_stem(entry_id, variant)) for entry_id, variant in
           ((entry.id, variant) for entry in ENTRIES for variant in entry.variants) if variant.reply.batched]


@pytest.mark.parametrize(("entry_id", "variant"), BATCHED)
def test_a_verdict_anywhere_in_a_batch_is_found(entry_id: str, variant: Variant) -> None:
    # A batched server may put the verdict after other messages in one array.
    module = importlib.import_module(f"wsauth.{entry_id}")
    stem = _stem(entry_id, variant)
    before = [message for case in _documented(stem, "not_auth") for message in _frames(case["frame"])]
    assert before
    for kind in ("success", "failure"):
        for case in _documented(stem, kind):
            reply = module.handle_auth_response(json.dumps(before + _frames(case["frame"])), {})
            assert reply is not None and reply.ok is (kind == "success"), (case["file"], case["frame"])


VARIANTS = {_stem(entry.id, variant): (entry.id, variant) for entry in ENTRIES for variant in entry.variants}


def test_a_documented_verdict_naming_another_request_is_no_verdict() -> None:
    # Where a reference shows an exchange's answers naming the request they
    # answer (a replies file's request_id, with its source), a verdict that
    # names another request is not this request's: unjudged. Recorded apart
    # from the catalogue, so that dropping reply.request_id (and with it the
    # generated test of the filter) fails here.
    checked = 0
    for path in sorted(REPLIES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "request_id" not in data:
            continue
        assert data["request_id"]["source"]
        for stem in data["entries"]:
            entry_id, variant = VARIANTS[stem]
            module = importlib.import_module(f"wsauth.{entry_id}")
            market = {"market_type": variant.market} if variant.market else {}
            for kind in ("success", "failure"):
                for case in data.get(kind, []):
                    named = _at(case["frame"], data["request_id"]["path"])
                    if named is None:
                        continue
                    ours = module.handle_auth_response(json.dumps(case["frame"]), {**market, "request_id": named})
                    assert ours is not None and ours.ok is (kind == "success"), (path.name, case["frame"])
                    other = module.handle_auth_response(json.dumps(case["frame"]), {**market, "request_id": f"{named}0"})
                    assert other is None, (path.name, stem, case["frame"])
                    checked += 1
    assert checked >= 2  # an empty walk would pass vacuously
