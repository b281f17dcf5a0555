"""What the program imports, and how a one-shot command runs it without wasted work.

A command that runs the program once and exits (``make preview``, ``make docs``, each benchmark
process: every ``python -m offline.<command>``) starts as a one-shot process
(``start_one_shot``, from ``offline/__init__.py`` before anything else is imported):

- the cyclic garbage collector is off from the first import. Importing the SDK creates hundreds
  of thousands of objects, and Pulumi's runtime then allocates about a thousand asyncio
  handles, tasks and futures per resource; with the collector on, collections re-scan that heap
  again and again: a quarter of the imports' time, and 60% of a 1,000-resource run
  (superlinear). Reference counting still frees almost everything (peak memory: see
  docs/benchmarks.md);
- it writes the bytecode of what it imports even where ``PYTHONDONTWRITEBYTECODE`` is set, so
  the first run compiles what the program needs (not the whole environment, as
  ``uv sync --compile-bytecode`` would) and every later run reads it;
- an azure-native module (``pulumi_azure_native.network``) loads only the submodules of the
  names the program takes from it (``network.PrivateEndpoint``: ``private_endpoint`` with the
  module's shared ``_enums``, ``_inputs`` and ``outputs``), not the hundreds of resource
  modules its ``__init__`` star-imports (``SlimProviders``);
- it exits with ``os._exit`` once its output is flushed, skipping the interpreter's teardown of
  a heap it no longer needs.

None of this changes what the program registers: ``tests/test_stable_plans.py`` compares plans
made in such a process with the tests' own (library use, which does none of it), and
``tests/test_imports.py`` each name the program takes from a slim module with the SDK's own.
"""

from __future__ import annotations

import ast
import builtins
import gc
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Final, NoReturn

ROOT: Final = Path(__file__).resolve().parent.parent
PROGRAM: Final = ROOT / "__main__.py"
# Provider packages whose modules load lazily: each module the program names is loaded.
PROVIDERS: Final = ("pulumi_azure_native", "pulumi_random")
SLIM_PACKAGE: Final = "pulumi_azure_native"
# Packages of the Pulumi SDK that ``import pulumi`` loads and the program never uses.
UNUSED_SDK_PACKAGES: Final = frozenset({"pulumi.automation", "pulumi.dynamic"})


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


def _walk(program: Path) -> tuple[set[str], set[Path]]:
    """The provider modules the program imports, and the files of its own modules it imports."""
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
    return found, seen


def program_modules(program: Path = PROGRAM) -> list[str]:
    """Provider modules the program imports, following its own modules (settings, components)."""
    return sorted(_walk(program)[0])


def local_modules(program: Path = PROGRAM) -> list[str]:
    """The program's own modules it imports (settings, components...), by name."""
    names = []
    for path in _walk(program)[1] - {program}:
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


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


# -- one-shot processes ---------------------------------------------------------------------------


def is_one_shot_command() -> bool:
    """True while ``python -m offline.<command>`` imports the ``offline`` package: runpy imports a
    command's package before it sets ``sys.argv[0]`` to the command's file (it is ``-m`` until
    then)."""
    return sys.argv[:1] == ["-m"]


def start_one_shot() -> None:
    """Make this process a one-shot one (the module docstring); as early as possible."""
    gc.disable()
    sys.dont_write_bytecode = False
    install_slim_providers()


def run_one_shot(command: Callable[[], int]) -> NoReturn:
    """Run a command as a one-shot process and exit with its status, skipping teardown."""
    start_one_shot()  # already done for ``python -m offline.<command>``; else from here on
    status = command()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


# -- slim provider modules ------------------------------------------------------------------------

# What a generated azure-native module's __init__.py holds besides its star imports. A module
# whose __init__.py holds anything else (``pulumi_azure_native.config``) loads as the SDK wrote it.
_HEADER: Final = frozenset(
    {
        "# coding=utf-8",
        "# *** WARNING: this file was generated by pulumi-language-python. ***",
        "# *** Do not edit by hand unless you're certain you know what you are doing! ***",
        "import builtins as _builtins",
        "from .. import _utilities",
        "import typing",
        "# Export this package's modules as members:",
        "from . import outputs",
    }
)
_STAR_IMPORT: Final = re.compile(r"from \.(\w+) import \*")
_ALL: Final = re.compile(r"^__all__ = \[(.*?)\]", re.MULTILINE | re.DOTALL)
_QUOTED: Final = re.compile(r"'(\w+)'")


def star_exports(init: Path) -> dict[str, str] | None:
    """Each name a generated module's ``__init__.py`` exports, and the submodule it is from.

    The ``__init__`` star-imports its submodules in order, so a name that two of them export is
    the later one's (``network.SubnetArgs``: ``_inputs``'s, imported last, not ``subnet``'s).
    None when the file holds anything else, or a submodule has no literal ``__all__``.
    """
    found: dict[str, str] = {}
    for line in init.read_text(encoding="utf-8").splitlines():
        match = _STAR_IMPORT.fullmatch(line.strip())
        if match is None:
            if line.strip() and line.strip() not in _HEADER:
                return None
            continue
        names = _all(init.parent / f"{match.group(1)}.py")
        if names is None:
            return None
        found.update(dict.fromkeys(names, match.group(1)))
    return found


def _all(path: Path) -> list[str] | None:
    """The names of a module's literal ``__all__`` (near its top: read that far), or None."""
    try:
        with path.open(encoding="utf-8") as file:
            text = file.read(16_384)
            found = _ALL.search(text)
            if found is None:
                found = _ALL.search(text + file.read())
    except OSError:
        return None
    return _QUOTED.findall(found.group(1)) if found else None


class _SlimModule(importlib.abc.Loader):
    """Loads a generated azure-native module without running its star imports: a name the
    program takes is bound, on first use, as the star import would have bound it, together
    with the other names its submodule exports."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        del spec
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        exports = star_exports(Path(spec.origin)) if spec and spec.origin else None
        if exports is None:
            self.loader.exec_module(module)
            return
        directory, package = Path(module.__file__ or "").parent, module.__name__
        by_submodule: dict[str, list[str]] = {}
        for name, submodule in exports.items():
            by_submodule.setdefault(submodule, []).append(name)

        def resolve(name: str) -> object:
            submodule = exports.get(name)
            if submodule is None:  # a submodule itself (outputs), as the loaded module has it
                if name.startswith("__") or not (directory / f"{name}.py").is_file():
                    raise AttributeError(f"module {package!r} has no attribute {name!r}")
                return importlib.import_module(f"{package}.{name}")
            loaded = importlib.import_module(f"{package}.{submodule}")
            for exported in by_submodule[submodule]:
                setattr(module, exported, getattr(loaded, exported))
            return getattr(module, name)

        from pulumi_azure_native import _utilities  # noqa: PLC0415 (what __init__ imports)

        module.__dict__.update(_builtins=builtins, _utilities=_utilities, typing=typing)
        module.__dict__["__getattr__"] = resolve


# What the import system and tools read of a module without using it: no load on these.
_METADATA: Final = frozenset(
    {"__class__", "__dict__", "__doc__", "__file__", "__loader__", "__name__", "__package__"}
    | {"__path__", "__spec__", "__cached__"}
)


class _NotYetLoaded(ModuleType):
    """A module that runs its code when first used (any attribute but its metadata)."""

    def __getattribute__(self, name: str) -> object:
        if name in _METADATA:
            return ModuleType.__getattribute__(self, name)
        loader = ModuleType.__getattribute__(self, "__dict__").pop("__first_use__")
        ModuleType.__setattr__(self, "__class__", ModuleType)
        loader.exec_module(self)
        return getattr(self, name)


class _OnFirstUse(importlib.abc.Loader):
    """Loads a module on first use (importlib.util.LazyLoader loads it on the import system's
    own look at ``__spec__``)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__first_use__"] = self.loader
        module.__class__ = _NotYetLoaded


class SlimProviders(importlib.abc.MetaPathFinder):
    """Finds each ``pulumi_azure_native.<module>`` package as the SDK would, to load it slim;
    and the Pulumi SDK's ``automation`` and ``dynamic`` packages, which ``import pulumi`` loads
    (the Automation API, dynamic providers: 60 ms, YAML, HTTP and pickling libraries among them)
    and the program never uses, to load on first use."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        del target
        top, _, rest = fullname.partition(".")
        slim = top == SLIM_PACKAGE and rest and "." not in rest
        if not slim and fullname not in UNUSED_SDK_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return spec
        spec.loader = _SlimModule(spec.loader) if slim else _OnFirstUse(spec.loader)
        return spec


def install_slim_providers() -> None:
    """Load azure-native modules slim, and the SDK's unused packages on first use, from now on
    (what is imported already stays as it is)."""
    if not any(isinstance(finder, SlimProviders) for finder in sys.meta_path):
        sys.meta_path.insert(0, SlimProviders())


def loaded_modules() -> list[str]:
    """The modules this process has loaded, in the order it began loading them; one waiting for
    its first use (an SDK module the program has not used) is left out."""
    return [
        name
        for name, module in list(sys.modules.items())
        if module is not None
        and not isinstance(module, _NotYetLoaded)
        and type(module).__name__ != "_LazyModule"  # Pulumi's and importlib's lazy modules
    ]


def import_all(names: Sequence[str]) -> None:
    """Import each module, an azure-native module's slim namespace too (``loaded_modules``'s
    list: the benchmark's import floor); a name that does not import is left out."""
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if name.startswith(f"{SLIM_PACKAGE}."):
            getattr(module, "__loaded__", None)  # any attribute loads it


# -- the Pulumi CLI's processes -------------------------------------------------------------------


def compile_program() -> None:
    """Write the bytecode of what the program imports when the Pulumi CLI runs it (the SDK's
    modules whole, as it loads them), where ``PYTHONDONTWRITEBYTECODE`` keeps that process from
    writing its own: ``make venv``."""
    sys.dont_write_bytecode = False
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    gc.disable()
    importlib.import_module("pulumi.runtime")
    for name in local_modules():
        importlib.import_module(name)
    load(program_modules())
