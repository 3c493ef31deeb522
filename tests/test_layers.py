"""Imports point down the layers, and no two subpackages import each other in a circle.

Every ``import`` in ``src/crowdsign`` counts, also those inside functions (a lazy import that
dodges a cycle is still an upward import).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "crowdsign"

# lowest first; a module may import its own layer (without a package cycle) and those below
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("crowdsign", "crowdsign.errors", "crowdsign.checks", "crowdsign.markdown")),
    (
        "data, crowd, augment, models",
        ("crowdsign.data", "crowdsign.crowd", "crowdsign.augment", "crowdsign.models"),
    ),
    ("runtime", ("crowdsign.runtime",)),
    ("training", ("crowdsign.training",)),
    ("evaluation, reports, inference", ("crowdsign.evaluation", "crowdsign.inference")),
    ("entry points", ("crowdsign.pipeline", "crowdsign.config", "crowdsign.cli")),
)


def modules(src: Path = SRC, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` of the package."""
    found = {}
    for path in (src / package).rglob("*.py"):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts = parts[:-1]
    return None


def imports(known: dict[str, Path], package: str = PACKAGE) -> dict[str, dict[str, int]]:
    """Module → {package module it imports: line}, lazy imports included."""
    edges: dict[str, dict[str, int]] = {m: {} for m in known}
    for mod, path in known.items():
        here = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                prefix = node.module or ""
                if node.level:
                    up = here[: len(here) - node.level + 1]
                    prefix = ".".join(up + ([node.module] if node.module else []))
                names = [f"{prefix}.{a.name}" for a in node.names] + [prefix]
            else:
                continue
            for name in names:
                target = _resolve(name, known) if name.split(".")[0] == package else None
                if target and target != mod:
                    edges[mod].setdefault(target, node.lineno)
    return edges


def layer_of(module: str) -> int | None:
    """Index in :data:`LAYERS` of the longest prefix that names ``module``'s layer."""
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            hit = module == p or (p != PACKAGE and module.startswith(p + "."))
            if hit and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def subpackage(module: str) -> str:
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in modules() if layer_of(m) is None)
    assert not unplaced, f"add these modules to a layer in LAYERS: {unplaced}"


def test_no_module_imports_from_a_layer_above_it():
    known = modules()
    upward = []
    for mod, targets in imports(known).items():
        for target, line in targets.items():
            src_layer, dst_layer = layer_of(mod), layer_of(target)
            if src_layer is not None and dst_layer is not None and dst_layer > src_layer:
                upward.append(
                    f"{known[mod].relative_to(SRC)}:{line} {mod} ({LAYERS[src_layer][0]}) "
                    f"imports {target} ({LAYERS[dst_layer][0]})"
                )
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles_between_subpackages_or_files():
    edges = imports(modules())
    packages: dict[str, set[str]] = {}
    for mod, targets in edges.items():
        for target in targets:
            a, b = subpackage(mod), subpackage(target)
            if a != b and PACKAGE not in (a, b):
                packages.setdefault(a, set()).add(b)
    assert not cycles(packages), f"package cycles: {cycles(packages)}"
    files = {m: set(t) for m, t in edges.items()}
    file_cycles = [c for c in cycles(files) if not all(subpackage(m) == m for m in c)]
    assert not file_cycles, f"file cycles: {file_cycles}"


def test_the_checks_see_an_upward_import_and_a_cycle(tmp_path):
    """The helpers above catch what they are for, on a tiny package made here."""
    pkg = tmp_path / "crowdsign"
    for sub in ("data", "training"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "load.py").write_text("def f():\n    from crowdsign.training import run\n")
    (pkg / "training" / "run.py").write_text("from crowdsign.data.load import f\n")
    known = modules(tmp_path)
    edges = imports(known)
    # the lazy import counts (and names its package as well as its module)
    assert edges["crowdsign.data.load"] == {"crowdsign.training": 2, "crowdsign.training.run": 2}
    assert layer_of("crowdsign.training.run") > layer_of("crowdsign.data.load")
    graph = {m: set(t) for m, t in edges.items()}
    assert cycles(graph) == [["crowdsign.data.load", "crowdsign.training.run"]]
