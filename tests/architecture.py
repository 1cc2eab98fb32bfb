"""The architecture as a contract a machine checks, default-deny (docs/architecture.md).

Three rules, read off every module's imports (function-local and ``TYPE_CHECKING`` ones included):

- **Layers.** Packages import one way only, down the data flow: a module may import its own
  package and any lower layer, never a higher one, never a sibling of its own layer.
- **Purity.** Every module is pure (no file, network, clock, environment, terminal, threads or
  unseeded randomness) unless the contract declares it shell. A pure module may not import a
  shell module either: purity that one import away does I/O is not purity.
- **The sandbox stands alone.** It imports nothing of the package outside itself (it must not
  share a parser or a bug with the client it tests), and only the declared boundary modules
  import it.

``violations(root, contract)`` is plain: the test suite runs it on the real package and on a
throw-away package built in ``tmp_path`` to prove each rule bites.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

# Standard-library and third-party modules that do I/O or reach outside the process's values.
IMPURE_IMPORTS = frozenset(
    {
        "aiohttp",
        "asyncio",
        "click",
        "concurrent",
        "fcntl",
        "glob",
        "httpx",
        "importlib",
        "os",
        "pathlib",
        "random",
        "rich",
        "shutil",
        "signal",
        "socket",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "uuid",
    }
)
# Calls that read the clock, the terminal or files without importing anything.
IMPURE_CALLS = frozenset({"now", "utcnow", "today", "open", "print", "input"})


@dataclass(frozen=True, kw_only=True)
class Contract:
    """``layers`` lists, top first, the names of each layer; names in one layer are independent.
    A name is a subpackage or a top-level module; ``shell`` holds module patterns (fnmatch)."""

    package: str
    layers: tuple[tuple[str, ...], ...]
    shell: tuple[str, ...]
    standalone: str
    standalone_importers: tuple[str, ...]


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. reconciler.plan.planner
    path: Path
    imports: frozenset[str]  # dotted names of everything imported, absolute
    calls: frozenset[str]


def modules(root: Path, package: str) -> Iterator[Module]:
    """Every module under ``root`` (the package's folder), with its imports made absolute."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        # A subpackage's __init__ is imported by the subpackage's name; the root's keeps its own.
        is_init = parts[-1] == "__init__" and len(parts) > 1
        name = ".".join((package, *(parts[:-1] if is_init else parts)))
        here = name.split(".") if is_init else name.split(".")[:-1]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports: set[str] = set()
        calls: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imports |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, node.module] if node.module else base)
                imports.add(module)
                imports |= {f"{module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute):
                    calls.add(func.attr)
                elif isinstance(func, ast.Name):
                    calls.add(func.id)
        yield Module(name, path, frozenset(imports), frozenset(calls))


def _unit(name: str) -> str:
    """The layer unit a dotted name belongs to: ``reconciler.plan.model`` -> ``plan``."""
    return name.split(".")[1] if "." in name else ""


def violations(root: Path, contract: Contract) -> list[str]:
    """Every broken rule, one line each: ``module: what it may not do``."""
    package = contract.package
    found = {m.name: m for m in modules(root, package)}
    rank = {unit: i for i, layer in enumerate(contract.layers) for unit in layer}
    shell = {n for n in found if any(fnmatchcase(n, f"{package}.{p}") for p in contract.shell)}
    problems: list[str] = []
    for module in found.values():
        unit = _unit(module.name)
        if unit not in rank:
            problems.append(f"{module.name}: not in any layer of the contract")
            continue
        inside = {i for i in module.imports if i == package or i.startswith(package + ".")}
        for target in sorted(inside):
            if target == package or target == f"{package}.__version__":
                continue
            other = _unit(target)
            if other == unit or other not in rank or unit not in rank:
                continue
            if rank[other] < rank[unit]:
                problems.append(f"{module.name}: imports {target}, a higher layer")
            elif rank[other] == rank[unit]:
                problems.append(f"{module.name}: imports {target}, an independent sibling")
        if module.name not in shell:
            outside = {i.split(".")[0] for i in module.imports} & IMPURE_IMPORTS
            problems += [f"{module.name}: pure, but imports {bad}" for bad in sorted(outside)]
            called = module.calls & IMPURE_CALLS
            problems += [f"{module.name}: pure, but calls {bad}()" for bad in sorted(called)]
            # ``from pkg.mod import name`` lists pkg.mod.name too; the module's own ancestors
            # are only the path to it.
            ancestors = {module.name.rsplit(".", n)[0] for n in range(1, module.name.count("."))}
            leaning = {
                t
                for t in inside - ancestors
                if t in shell or (t not in found and t.rsplit(".", 1)[0] in shell)
            }
            problems += [f"{module.name}: pure, but imports shell {t}" for t in sorted(leaning)]
        alone = f"{package}.{contract.standalone}"
        if unit == contract.standalone:
            foreign = {t for t in inside if not (t == alone or t.startswith(alone + "."))}
            problems += [f"{module.name}: the sandbox imports {t}" for t in sorted(foreign)]
        elif any(t == alone or t.startswith(alone + ".") for t in inside) and not any(
            fnmatchcase(module.name, f"{package}.{p}") for p in contract.standalone_importers
        ):
            problems.append(f"{module.name}: imports the sandbox outside its boundary")
    unused = [p for p in contract.shell if not any(fnmatchcase(n, f"{package}.{p}") for n in found)]
    problems += [f"shell pattern {p!r} matches no module" for p in unused]
    return problems
