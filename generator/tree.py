"""The whole generated/ tree, as relative path -> text."""

from __future__ import annotations

from .catalogue import Entry
from .render import Renderer

PACKAGE_FILES = ("__init__.py", "__main__.py", "plan.py")


def render_tree(entries: list[Entry], only: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    renderer = Renderer()
    files: dict[str, str] = {}
    for entry in entries:
        if only and entry.id not in only:
            continue
        files[f"wsauth/{entry.id}.py"] = renderer.module(entry)
        files[f"tests/test_{entry.id}.py"] = renderer.test(entry)
    if not only:
        for name in PACKAGE_FILES:
            files[f"wsauth/{name}"] = renderer.package_file(name, entries)
        files["wsauth/py.typed"] = ""
    return files
