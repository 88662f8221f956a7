"""The whole generated/ tree, as relative path -> text."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from .cache import Cache
from .catalogue import Entry, Unsupported

if TYPE_CHECKING:
    from .render import Renderer

PACKAGE_FILES = ("__init__.py", "__main__.py", "plan.py", "session.py")


def render_tree(
    entries: list[Entry],
    only: frozenset[str] | set[str] = frozenset(),
    cache: Cache | None = None,
    unsupported: list[Unsupported] | None = None,
) -> dict[str, str]:
    cache = cache if cache is not None else Cache(None)
    renderer: list[Renderer] = []  # created on the first cache miss: jinja, libcst and black load slowly

    def produce(name: str, inputs: str, make: Callable[[Renderer], str]) -> None:
        text = cache.get(name, inputs)
        if text is None:
            if not renderer:
                from .render import Renderer

                renderer.append(Renderer())
            text = make(renderer[0])
            cache.put(name, inputs, text)
        files[name] = text

    files: dict[str, str] = {}
    for entry in entries:
        if only and entry.id not in only:
            continue
        inputs = f"{entry.source}:{entry.digest}"
        produce(f"wsauth/{entry.id}.py", inputs, partial(_module, entry=entry))
        produce(f"tests/test_{entry.id}.py", inputs, partial(_test, entry=entry))
    if not only:
        # The package files name the entries, and the unsupported ones with their reason.
        marked = unsupported or []
        everything = repr(([entries[0].source if entries else ""], [e.id for e in entries], marked))
        for name in PACKAGE_FILES:
            produce(f"wsauth/{name}", everything, partial(_package_file, name=name, entries=entries, unsupported=marked))
        files["wsauth/py.typed"] = ""
    return files


def _module(renderer: Renderer, *, entry: Entry) -> str:
    return renderer.module(entry)


def _test(renderer: Renderer, *, entry: Entry) -> str:
    return renderer.test(entry)


def _package_file(renderer: Renderer, *, name: str, entries: list[Entry], unsupported: list[Unsupported]) -> str:
    return renderer.package_file(name, entries, unsupported)
