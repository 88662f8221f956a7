"""What the generated code and its makers look like, counted: the numbers the
"one model" issue asks for, from a tree (this one, or an old commit checked
out elsewhere).

    .venv/bin/python -m bench.code_metrics            # this tree
    .venv/bin/python -m bench.code_metrics --repo DIR # another checkout (an old commit)

Counts: lines of the generated exchange modules (total and bybit.py), their
dead code (ruff's unused import / redefinition / unused local, constant
``if`` conditions, and private top-level helpers nothing reads), Jinja
conditionals in templates/, and ``Any`` / ``getattr`` in the runtime
(session and plan, wherever they stand).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

RUNTIME_NAMES = ("session.py", "plan.py", "seam.py", "steps.py", "cli.py")


def _unread_private_helpers(source: str) -> int:
    """Private top-level functions, classes and constants no other statement names."""
    tree = ast.parse(source)
    bound: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_") and not node.name.startswith("__"):
            bound[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.startswith("_") and not target.id.startswith("__"):
                    bound[target.id] = node
    found = 0
    for name, definition in bound.items():
        used = any(
            isinstance(sub, ast.Name) and sub.id == name or isinstance(sub, ast.Constant) and sub.value == name
            for node in tree.body if node is not definition for sub in ast.walk(node)
        )
        found += not used
    return found


def _constant_conditions(source: str) -> int:
    return sum(
        isinstance(node, (ast.If, ast.While, ast.IfExp)) and isinstance(node.test, ast.Constant)
        for node in ast.walk(ast.parse(source))
    )


def _shared_lines(text: str, other: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    present = set(other.splitlines())
    shared = sum(line in present for line in lines)
    return f"{shared} of {len(lines)} ({shared / max(len(lines), 1):.0%})"


def measure(repo: Path) -> dict[str, object]:
    package = repo / "generated" / "wsauth"
    # The exchange modules: their header says so (the package's own files do not).
    modules = sorted(
        p for p in package.glob("*.py")
        if "the authentication module" in p.read_text(encoding="utf-8").partition("\n")[0]
    )
    texts = {p.name: p.read_text(encoding="utf-8") for p in modules}
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F401,F811,F841",
         "--output-format", "json", *map(str, modules)],
        capture_output=True, text=True, check=False,
    )
    findings = json.loads(ruff.stdout or "[]")
    by_rule: dict[str, int] = {}
    for finding in findings:
        by_rule[finding["code"]] = by_rule.get(finding["code"], 0) + 1
    templates = [p for p in (repo / "templates").rglob("*.jinja")]
    conditionals = sum(len(re.findall(r"{%-?\s*(?:if|elif)\b", p.read_text(encoding="utf-8"))) for p in templates)
    inline_ifs = sum(len(re.findall(r"{{[^}]*\bif\b[^}]*}}", p.read_text(encoding="utf-8"))) for p in templates)
    runtime = [p for name in RUNTIME_NAMES for p in repo.rglob(name)
               if ".venv" not in p.parts and "generated" not in p.parts and "tests" not in p.parts]
    runtime += [p for p in (repo / "templates" / "package").glob("*.jinja") if p.name.removesuffix(".jinja") in RUNTIME_NAMES]
    seam = {"Any": 0, "getattr": 0}
    for path in runtime:
        text = path.read_text(encoding="utf-8")
        seam["Any"] += len(re.findall(r"\bAny\b", text))
        seam["getattr"] += len(re.findall(r"\bgetattr\(", text))
    return {
        "exchange modules": len(modules),
        "generated lines (exchange modules)": sum(len(t.splitlines()) for t in texts.values()),
        "bybit.py lines": len(texts.get("bybit.py", "").splitlines()),
        # As issue 10 measured it: bybit.py's lines (blank ones aside) that
        # also stand in okx.py, i.e. what every module carries, not bybit's own.
        "bybit.py lines also in okx.py": _shared_lines(texts.get("bybit.py", ""), texts.get("okx.py", "")),
        "dead code: ruff F401/F811/F841": by_rule,
        "dead code: unread private helpers": sum(_unread_private_helpers(t) for t in texts.values()),
        "dead code: constant conditions": sum(_constant_conditions(t) for t in texts.values()),
        "template conditionals ({% if/elif %})": conditionals,
        "template inline ifs ({{ … if … }})": inline_ifs,
        "runtime files": [str(p.relative_to(repo)) for p in runtime],
        "runtime seam: Any / getattr": seam,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.code_metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    for key, value in measure(args.repo).items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
