"""Program runs for the tests, each made once while nothing it depends on changes (``cached_run``).

A run under the mock engine is a function of its arguments, of the files of the program and of
the packages it imports, and of the date (the budget starts on the first of the month); not of
the process or its hash seed (tests/test_stable_plans.py). The tests keep each run in pytest's
cache directory (``.pytest_cache/d/program-runs``, tests/conftest.py), under a key of all of
these, so that one pytest-xdist worker makes it for all and later sessions reuse it until
anything it depends on changes. ``pytest --cache-clear`` (or ``make clean``) makes every run
anew, as CI's fresh clone does. tests/test_run_cache.py shows what changes the key.

A module of its own: pytest imports tests/conftest.py as ``conftest``, the tests import it as
``tests.conftest``, two modules; this one is imported once, so its store and runs are shared.
"""

from __future__ import annotations

import fcntl  # the workers' shared runs are locked; the tests run on Linux and macOS
import functools
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

from offline.engine import (
    ROOT,
    ProgramRun,
    evaluate,
    run_from_data,
    run_program,
    run_to_data,
    stack_config,
)
from offline.references import RECORDED, Reference

# What under the repository root a run never reads: the tests, the documents, tools' output (and
# hidden directories: .git, .venv, caches).
_NOT_READ_BY_RUNS = frozenset({"tests", "docs", "build", "node_modules", "__pycache__"})
_PROGRAM_SUFFIXES = (".py", ".yaml", ".yml", ".json")
# Stores of other sources kept beside the current one (a switch between branches finds its runs).
_KEPT_SOURCES = 3


def program_files(root: Path = ROOT) -> list[Path]:
    """The files a run may read: every Python, YAML and JSON file under ``root`` but those of
    the tests, the documents, tools' output and hidden directories."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if name not in _NOT_READ_BY_RUNS and name[0] != "."
        )
        found += (Path(directory, f) for f in sorted(files) if f.endswith(_PROGRAM_SUFFIXES))
    return found


def installed_packages() -> list[str]:
    """The distributions importable here, each as its dist-info directory (name and version)."""
    return sorted(
        entry.name
        for location in sys.path
        if os.path.isdir(location)
        for entry in os.scandir(location)
        if entry.name.endswith(".dist-info")
    )


def sources_digest(root: Path = ROOT, today: date | None = None) -> str:
    """What every run depends on besides its arguments: the program's files (their paths and
    contents), the Python and packages that run them, the PULUMI_* environment the SDK reads,
    and the date."""
    facts = [
        sys.version,
        (today or datetime.now(UTC).date()).isoformat(),
        *installed_packages(),
        *sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("PULUMI_")),
    ]
    for path in program_files(root):
        facts += [path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()]
    digest = hashlib.sha256()
    for fact in facts:
        digest.update(fact.encode() + b"\0")
    return digest.hexdigest()


def _state(paths: Sequence[Path]) -> tuple[tuple[int, int], ...]:
    return tuple((s.st_mtime_ns, s.st_size) for s in (path.stat() for path in paths))


@functools.cache
def _sources() -> tuple[str, tuple[Path, ...], tuple[tuple[int, int], ...]]:
    """This process's digest, and the files it read with their state then."""
    files = tuple(program_files())
    return sources_digest(), files, _state(files)


def _sources_unchanged() -> bool:
    """False once a program file has changed since the digest: a run made now may be of the
    changed file under the old key, and is not kept. (A file added since changes nothing until
    one of these is changed to import it.)"""
    _, files, state = _sources()
    try:
        return _state(files) == state
    except OSError:
        return False


def stack_files(root: Path) -> dict[str, str]:
    """Digests of the files ``run_program`` resolves stack references from in ``root``: its
    stack files and recorded outputs (``offline.references``)."""
    paths = [*root.glob("Pulumi.*.yaml"), *(root / RECORDED).glob("**/*.json")]
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(paths)
    }


# Where this process keeps runs (none: in the process alone), and the runs it has taken.
_store: list[Path] = []
_runs: dict[str, ProgramRun] = {}


def keep_runs_in(directory: Path, *, prune: bool) -> Path:
    """Keep runs in ``directory``, under the current sources' digest; ``prune``: remove all but
    the most recently used stores of other sources."""
    current = directory / _sources()[0]
    current.mkdir(parents=True, exist_ok=True)
    _store[:] = [current]
    if prune:
        current.touch()
        used = sorted(directory.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in used[_KEPT_SOURCES + 1 :]:
            shutil.rmtree(stale, ignore_errors=True)
    return current


def store() -> Path | None:
    return _store[0] if _store else None


def _kept(key: str, make: Callable[[], ProgramRun]) -> ProgramRun:
    """The run of ``key``: this process's, the store's, or made now (by one worker while the
    others wait). Every process takes it as stored, so that what a test sees does not depend
    on which worker made it or when."""
    if key in _runs:
        return _runs[key]
    if not _store:
        _runs[key] = run_from_data(json.loads(json.dumps(run_to_data(make()))))
        return _runs[key]
    path = _store[0] / f"{key}.json"
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
        else:
            text = json.dumps(run_to_data(make()))
            if _sources_unchanged():
                written = path.with_suffix(f".{os.getpid()}.tmp")
                written.write_text(text, encoding="utf-8")
                written.replace(path)
    _runs[key] = run_from_data(json.loads(text))
    return _runs[key]


def run_key(
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
    *,
    root: Path = ROOT,
    preview: bool = True,
    references: Sequence[Reference] | None = None,
    evaluation: int = 0,
) -> str:
    """What a run is kept under: its arguments, and what it depends on besides (above)."""
    return _key(
        {
            "stack": stack,
            "config": list(config.items()),
            "secretKeys": list(secret_keys),
            "preview": preview,
            # The references given, or the files run_program resolves them from.
            "references": None if references is None else [asdict(r) for r in references],
            "stackFiles": stack_files(root) if references is None else None,
            "evaluation": evaluation,
        }
    )


def _key(arguments: Mapping[str, object]) -> str:
    identity = json.dumps({"sources": _sources()[0], **arguments})
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def cached_run(
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    *,
    root: Path = ROOT,
    preview: bool = True,
    references: Sequence[Reference] | None = None,
    evaluation: int = 0,
) -> ProgramRun:
    """``run_program``'s run of the program with these arguments, made once while nothing it
    depends on changes (above). For the program as it is: a test that patches the program or
    the engine, or runs another program, calls ``run_program`` itself. Evaluation ``n`` is the
    run that followed ``n`` runs of it in the same process. A run that raises is not kept."""
    if config is None:
        config, secret_keys = stack_config(stack, root)
    run = functools.partial(
        run_program, stack, config, secret_keys, root=root, preview=preview, references=references
    )

    def make() -> ProgramRun:
        for _ in range(evaluation):
            run()
        return run()

    key = run_key(
        stack,
        config,
        secret_keys,
        root=root,
        preview=preview,
        references=references,
        evaluation=evaluation,
    )
    return _kept(key, make)


def cached_evaluation(
    program: Callable[[], object], stack: str, config: Mapping[str, str]
) -> ProgramRun:
    """``evaluate(program, stack, config)`` made once while nothing it depends on changes
    (above), for a program that is a module-level function of a program file (the bootstrap's
    ``bootstrap.program.main``), whose file the digest covers; a function of the tests' own is
    refused: they run it with ``evaluate``."""
    module = sys.modules[program.__module__]
    file = Path(module.__file__ or "").resolve()
    if file not in _sources()[1] or getattr(module, program.__qualname__, None) is not program:
        message = f"{program.__module__}.{program.__qualname__}: not a function of a program file"
        raise ValueError(message)
    name = f"{program.__module__}.{program.__qualname__}"
    key = _key({"program": name, "stack": stack, "config": list(config.items())})
    return _kept(key, lambda: evaluate(program, stack, config))
