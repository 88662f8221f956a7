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

ROOT = Path(__file__).resolve().parents[1]
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
