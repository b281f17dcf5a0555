"""What the program imports, and how a one-shot command runs it without wasted work.

The program's provider modules (``pulumi_azure_native.<module>``, ``pulumi_random``) load lazily on
first use. A command that runs the program once and exits (``make preview``, ``make docs``, each
benchmark process) instead:

- loads exactly those modules up front (the cost every run pays anyway: the import floor);
- freezes the heap and turns the cyclic garbage collector off. Pulumi's runtime allocates
  about a thousand asyncio handles, tasks and futures per resource; with the collector on,
  collections re-scan them again and again, which costs more per resource as the stack grows
  (1,000 resources: 60% of the run, superlinear). Reference counting still frees almost
  everything (peak memory +17% at 1,000 resources, see docs/benchmarks.md);
- exits with ``os._exit`` once its output is flushed, skipping the interpreter's teardown of a
  heap it no longer needs.

Library use (the tests) never does any of this.
"""

from __future__ import annotations

import ast
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, NoReturn

ROOT: Final = Path(__file__).resolve().parent.parent
PROGRAM: Final = ROOT / "__main__.py"
# Provider packages whose modules load lazily: each module the program names is loaded.
PROVIDERS: Final = ("pulumi_azure_native", "pulumi_random")


def _local_module(name: str) -> Path | None:
    parts = name.split(".")
    module, package = ROOT.joinpath(*parts).with_suffix(".py"), ROOT.joinpath(*parts, "__init__.py")
    for candidate in (module, package):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module, imported names) for each import statement of a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, module] if module else base)
            yield module, tuple(alias.name for alias in node.names)


def program_modules(program: Path = PROGRAM) -> list[str]:
    """Provider modules the program imports, following its own modules (settings, components)."""
    found: set[str] = set()
    seen: set[Path] = set()
    pending = [program]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for module, names in _imports(path):
            top = module.split(".")[0]
            if top in PROVIDERS:
                if module == top and names:
                    found.update(f"{top}.{name}" for name in names if not name.startswith("_"))
                else:
                    found.add(module)
                continue
            local = _local_module(module)
            if local is not None:
                pending.append(local)
            for name in names:  # ``from components import roles``
                sub = _local_module(f"{module}.{name}") if module else None
                if sub is not None:
                    pending.append(sub)
    return sorted(found)


def load(modules: list[str]) -> None:
    """Import each module and trigger its lazy load (any attribute access does).

    A name that is not a module (``from pulumi_random import RandomString``) loads its package;
    one that does not import at all is left for the program to report.
    """
    for name in modules:
        for candidate in (name, name.rpartition(".")[0]):
            try:
                getattr(importlib.import_module(candidate), "__all__", None)
                break
            except ImportError:
                continue


def prepare_one_shot_process() -> None:
    """Load what the program imports; freeze the heap and stop the cyclic collector."""
    load(program_modules())
    gc.freeze()
    gc.disable()


def run_one_shot(command: Callable[[], int]) -> NoReturn:
    """Run a command as a one-shot process and exit with its status, skipping teardown."""
    prepare_one_shot_process()
    status = command()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
