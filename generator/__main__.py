"""``python -m generator``: render generated/ from exchanges.toml.

Options: --catalogue FILE, --out DIR, --check (exit 1 with a diff when the
tree on disk differs), --exchange ID (render only that entry).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

from .catalogue import CatalogueError, Entry, load
from .cache import Cache
from .tree import render_tree

ROOT = Path(__file__).resolve().parent.parent


def _diff(path: Path, old: str | None, new: str | None) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        (new or "").splitlines(keepends=True),
        fromfile=f"{path} (on disk)",
        tofile=f"{path} (rendered)",
    )
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=ROOT / "exchanges.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "generated")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--exchange", action="append", metavar="ID", help="only these entries")
    parser.add_argument("--no-cache", action="store_true", help="render everything afresh")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        entries = load(args.catalogue)
    except CatalogueError as exc:
        print(f"{len(exc.problems)} problem(s) in the catalogue:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.exchange:
        unknown = sorted(set(args.exchange) - {e.id for e in entries})
        if unknown:
            print(f"not in {args.catalogue}: {', '.join(unknown)}", file=sys.stderr)
            return 2
    cache = Cache(None if args.no_cache else args.catalogue.resolve().parent / ".generator-cache")
    files = render_tree(entries, only=set(args.exchange or ()), cache=cache)

    changed = []
    for relative, text in sorted(files.items()):
        target = args.out / relative
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old == text:
            continue
        changed.append(relative)
        if args.check:
            sys.stdout.write(_diff(target, old, text))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
    stale = [] if args.exchange else _stale(args.out, set(files))
    if args.check:
        for relative in stale:
            print(f"{args.out / relative}: on disk but not rendered from the catalogue")
        if changed or stale:
            command = "python -m generator"
            if args.catalogue != ROOT / "exchanges.toml" or args.out != ROOT / "generated":
                command += f" --catalogue {args.catalogue} --out {args.out}"
            print(f"\n{len(changed) + len(stale)} file(s) differ from the catalogue. Fix: {command}")
            return 1
        print(f"generated/ matches the catalogue ({len(files)} files)")
        return 0
    for relative in stale:
        (args.out / relative).unlink()
    _summary(entries, args.exchange, changed, stale, cache, time.perf_counter() - started)
    return 0


def _stale(out: Path, rendered: set[str]) -> list[str]:
    """Generated files whose catalogue entry is gone."""
    found = {str(p.relative_to(out)) for p in out.rglob("*.py")} if out.exists() else set()
    found |= {str(p.relative_to(out)) for p in out.rglob("py.typed")} if out.exists() else set()
    return sorted(found - rendered)


def _summary(
    entries: list[Entry], only: list[str] | None, changed: list[str], stale: list[str], cache: Cache, seconds: float
) -> None:
    rows = [(e.id, "+".join(sorted({v.flow for v in e.variants})), ",".join(v.market for v in e.variants if v.market) or "-")
            for e in entries if not only or e.id in only]
    width = max(len(r[0]) for r in rows)
    print(f"{'exchange':<{width}}  {'flow':<18} markets")
    for exchange, flow, markets in rows:
        print(f"{exchange:<{width}}  {flow:<18} {markets}")
    print(
        f"\n{len(rows)} entries, {len(changed)} file(s) written, {len(stale)} removed in {seconds:.2f}s"
        f" ({cache.hits} cached, {cache.misses} rendered)"
    )


if __name__ == "__main__":
    sys.exit(main())
