"""The package layout follows the pipeline (docs/architecture.md, "Packages"): an export
is read, findings are computed from the rows, scales grade the findings, the treatment
algorithm runs on the grades, views show them; the store and the command line sit on
top. Imports only run down that flow, and the app (``pages/``, ``app.py``, ``ui/``) uses
each package through the names its ``__init__`` offers.

The table below is the contract; docs/architecture.md's table of packages mirrors it.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Shared leaf modules at the top of ``crs``: any package may import them, and they import
#: nothing of ``crs`` themselves.
CORE = ("crs.errors", "crs.safe_csv")

#: Package → the packages of ``crs`` it may import (besides itself and CORE).
ALLOWED_IMPORTS: dict[str, tuple[str, ...]] = {
    "crs.read": (),
    "crs.findings": ("crs.read",),
    "crs.scales": ("crs.findings", "crs.read"),
    "crs.treatment": ("crs.scales", "crs.findings", "crs.read"),
    "crs.views": ("crs.treatment", "crs.scales", "crs.findings", "crs.read"),
    "crs.store": ("crs.treatment", "crs.scales", "crs.findings", "crs.read"),
    "crs.batch": ("crs.treatment", "crs.scales", "crs.findings", "crs.read"),
    "crs.cli": (
        "crs.batch",
        "crs.store",
        "crs.views",
        "crs.treatment",
        "crs.scales",
        "crs.findings",
        "crs.read",
    ),
}

#: Top-level modules of ``crs`` outside the packages, and what they may import.
TOP_LEVEL: dict[str, tuple[str, ...]] = {
    "crs": (),
    "crs.__main__": ("crs.cli",),
    **{name: () for name in CORE},
}

#: Never imported anywhere in ``crs`` (spec: the grader is a plain Python package).
FORBIDDEN_IN_CRS = ("streamlit", "ui", "pages", "app")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, imported module, names) of every import in a file, relative ones resolved."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, tuple(a.name for a in node.names)))
    return found


def _owner(module: str) -> str | None:
    """The package (or top-level module) of crs that a module name belongs to."""
    if module in TOP_LEVEL:
        return module
    for package in ALLOWED_IMPORTS:
        if module == package or module.startswith(package + "."):
            return package
    return None


def _crs_files() -> list[Path]:
    return sorted(p for p in (REPO / "crs").rglob("*.py") if "migrations" not in p.parts)


def _targets(module: str, names: tuple[str, ...]) -> list[str]:
    """Modules an import reaches: ``from crs import x`` reaches ``crs.x``."""
    if module == "crs" and names:
        return [f"crs.{name}" for name in names]
    return [module]


def test_every_module_of_crs_belongs_to_a_package_of_the_table() -> None:
    strays = [_module_name(p) for p in _crs_files() if _owner(_module_name(p)) is None]
    assert strays == []


def test_imports_inside_crs_only_run_down_the_pipeline() -> None:
    wrong = []
    for path in _crs_files():
        owner = _owner(_module_name(path))
        allowed = {owner, *CORE, *ALLOWED_IMPORTS.get(owner, TOP_LEVEL.get(owner, ()))}
        for line, module, names in _imports(path):
            for target in _targets(module, names):
                if target.split(".")[0] != "crs":
                    continue
                if _owner(target) not in allowed:
                    wrong.append(f"{path.relative_to(REPO)}:{line} imports {target}")
    assert wrong == []


def _module_edges() -> dict[str, set[str]]:
    """Module of crs → the modules of crs it imports, anywhere in the file (inside a
    function too): ``from crs.store import cache`` reaches ``crs.store.cache``."""
    modules = {_module_name(p): p for p in _crs_files()}
    edges = {}
    for name, path in modules.items():
        reached: set[str] = set()
        for _, module, names in _imports(path):
            submodules = {f"{module}.{n}" for n in names if f"{module}.{n}" in modules}
            reached |= submodules or ({module} if module in modules else set())
        edges[name] = reached - {name}
    return edges


def test_no_module_of_crs_imports_a_module_that_imports_it_back() -> None:
    """No loop of imports, however long, and none hidden inside a function."""
    edges = _module_edges()
    loops = []
    for start in edges:
        seen, frontier = set(), set(edges[start])
        while frontier:
            seen |= frontier
            frontier = {m for f in frontier for m in edges.get(f, ())} - seen
        if start in seen:
            loops.append(start)
    assert loops == []


def test_the_shared_leaf_modules_import_nothing_of_crs() -> None:
    for name in CORE:
        path = REPO / (name.replace(".", "/") + ".py")
        assert [m for _, m, _ in _imports(path) if m.split(".")[0] == "crs"] == [], name


def test_nothing_in_crs_imports_streamlit_or_the_app() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in _crs_files()
        for line, module, _ in _imports(path)
        if module.split(".")[0] in FORBIDDEN_IN_CRS
    ]
    assert wrong == []


def _app_files() -> list[Path]:
    return sorted([REPO / "app.py", *(REPO / "pages").glob("*.py"), *(REPO / "ui").rglob("*.py")])


def test_the_app_imports_crs_only_through_the_names_each_package_offers() -> None:
    wrong = []
    for path in _app_files():
        for line, module, names in _imports(path):
            if module.split(".")[0] != "crs":
                continue
            where = f"{path.relative_to(REPO)}:{line}"
            if module in CORE:
                continue
            if module not in ALLOWED_IMPORTS or not names:
                wrong.append(f"{where} imports {module} (not a package face)")
                continue
            offered = set(importlib.import_module(module).__all__)
            wrong += [
                f"{where} imports {module}.{n} (not offered)" for n in names if n not in offered
            ]
    assert wrong == []


def test_every_package_face_names_what_it_offers_and_has_each_name() -> None:
    for package in ALLOWED_IMPORTS:
        face = importlib.import_module(package)
        assert face.__doc__ and "May import" in face.__doc__, package
        assert face.__all__, package
        missing = [name for name in face.__all__ if not hasattr(face, name)]
        assert missing == [], package
