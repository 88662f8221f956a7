"""Drop what a rendered module does not use: private top-level helpers no one
calls, and imports no one reads.

The renderer pastes every helper of templates/helpers/ into each module; this
pass keeps the ones the module reaches, so a vendored file holds only code
that runs. Public names (no leading underscore) and ``__dunder__`` names are
never dropped: they are the module's surface.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import re

import libcst as cst

_TYPE_TEXT = re.compile(r"[A-Za-z_][\w\[\], .|]*")
_WORD = re.compile(r"[A-Za-z_]\w*")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _bound(statement: cst.CSTNode) -> list[str]:
    """The top-level names a statement binds (a def, a class, an assignment)."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return [statement.name.value]
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            return [small.target.value]
        if isinstance(small, cst.Assign):
            names = [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
            return names if len(names) == len(small.targets) else []
    return []


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # A type written as a string (_cast("_EcKey", key)) names its parts.
        text = node.evaluated_value
        if isinstance(text, str) and _TYPE_TEXT.fullmatch(text):
            self.names.update(_WORD.findall(text))


def _names_in(node: cst.CSTNode, skip: str | None = None) -> set[str]:
    visitor = _Names()
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        # Its own name is a binding, not a use.
        for part in (node.decorators, getattr(node, "params", None), getattr(node, "returns", None), node.body):
            if part is None:
                continue
            for child in part if isinstance(part, Sequence) else (part,):
                child.visit(visitor)
        if isinstance(node, cst.ClassDef):
            for arg in node.bases:
                arg.visit(visitor)
    else:
        node.visit(visitor)
    return visitor.names


def _imported(alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        target = alias.asname.name
        assert isinstance(target, cst.Name)
        return target.value
    return cst.helpers.get_full_name_for_node(alias.name) or ""


def _statements(body: Sequence[cst.BaseStatement]) -> Iterator[cst.BaseStatement]:
    """Top-level statements, and those of top-level ``if`` blocks (TYPE_CHECKING)."""
    for statement in body:
        yield statement
        if isinstance(statement, cst.If):
            for branch in (statement.body, statement.orelse):
                while branch is not None:
                    block = branch.body if isinstance(branch, (cst.If, cst.Else)) else branch
                    inner = block.body if isinstance(block, cst.IndentedBlock) else ()
                    yield from _statements(inner)
                    branch = branch.orelse if isinstance(branch, cst.If) else None


def _imports(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], (cst.Import, cst.ImportFrom))


def _candidates(statement: cst.BaseStatement) -> list[str]:
    """What a statement binds that may go: an imported name, or a private
    definition."""
    if isinstance(statement, cst.SimpleStatementLine):
        small = statement.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            if isinstance(small.names, cst.ImportStar):
                return []
            return [name for name in map(_imported, small.names) if name != "annotations"]
    return [name for name in _bound(statement) if _private(name)]


def unused(module: cst.Module) -> list[str]:
    """Private top-level names and imported names that nothing kept reads:
    what prune() removes. Kept is what the module's own statements (its
    public names, its top-level code) reach, through every name they read,
    so helpers that only call each other (EIP-712's encoder and struct
    hasher) go together."""
    statements = list(_statements(module.body))
    # An `if` reads its test; the statements of its blocks stand on their own.
    # An import reads nothing: the names in it are what it binds.
    uses = {id(s): set() if _imports(s) else _names_in(s.test if isinstance(s, cst.If) else s) for s in statements}
    binders: dict[str, list[cst.BaseStatement]] = {}
    roots: list[cst.BaseStatement] = []
    for statement in statements:
        names = _candidates(statement)
        for name in names:
            binders.setdefault(name, []).append(statement)
        if not names or any(not _private(name) for name in _bound(statement)):
            roots.append(statement)
    live: set[str] = set()
    pending = [name for root in roots for name in uses[id(root)]]
    while pending:
        name = pending.pop()
        if name in live:
            continue
        live.add(name)
        for statement in binders.get(name, ()):
            pending.extend(uses[id(statement)])
    return [name for statement in statements for name in _candidates(statement) if name not in live]


class _Drop(cst.CSTTransformer):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef | cst.RemovalSentinel:
        return cst.RemoveFromParent() if updated.name.value in self.names else updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # only top-level and TYPE_CHECKING-level definitions

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef | cst.RemovalSentinel:
        return cst.RemoveFromParent() if updated.name.value in self.names else updated

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        small = updated.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
            kept = [alias for alias in small.names if _imported(alias) not in self.names]
            if not kept:
                return cst.RemoveFromParent()
            if len(kept) != len(small.names):
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return updated.with_changes(body=[small.with_changes(names=kept)])
            return updated
        bound = _bound(updated)
        if bound and all(name in self.names for name in bound):
            return cst.RemoveFromParent()
        return updated


class _KeepBlocks(cst.CSTTransformer):
    """A block whose every statement was dropped holds ``pass``."""

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if updated.body:
            return updated
        return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])


def prune(source: str) -> str:
    """The source without unused private helpers and imports, to a fixpoint."""
    module = cst.parse_module(source)
    while True:
        names = set(unused(module))
        if not names:
            return module.code
        module = module.visit(_Drop(names)).visit(_KeepBlocks())
