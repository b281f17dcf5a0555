"""A stack evaluated as it was at a git ref: the base of the reviewer's diff.

The program, its settings and components and the stack file are taken from the ref with
``git archive`` into a temporary directory, and run under the mock engine in another process:
Pulumi's runtime keeps process-wide state, and the ref's ``settings`` and ``components`` must
not meet the working tree's. The engine itself is the working tree's, so that both sides are
evaluated (and their URNs formed) alike; the ref's run comes back as JSON.

Run by ``offline.preview --base``; ``python -m offline.revision <tree> <stack>`` is the worker.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from offline import esc
from offline.engine import (
    PROJECT,
    ROOT,
    SECRET_PLACEHOLDER,
    ProgramRun,
    run_from_data,
    run_program,
    run_to_data,
    settings_error,
    stack_config,
)
from offline.stack_file import StackFileError

# The ref's program is the whole tree at that ref: program, settings, components, stack files.
_TIMEOUT_SECONDS: Final = 300
# Exit status of the worker when the ref's config is invalid (its message is on stderr).
_CONFIG_ERROR: Final = 3


class RevisionError(Exception):
    """The ref cannot be evaluated: unknown ref, no git, or its program or config fails."""


def _git(root: Path, *args: str) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise RevisionError("git is not installed: --base needs it") from None
    if completed.returncode != 0:
        reason = completed.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionError(reason[-1] if reason else f"git {args[0]} failed")
    return completed.stdout


def resolve(ref: str, root: Path = ROOT) -> str:
    """The commit ``ref`` names, or RevisionError saying how to make it available."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except RevisionError:
        raise RevisionError(
            f"git ref {ref!r} not found in {root}: fetch it first (git fetch origin <branch>; in "
            "GitHub Actions, actions/checkout with fetch-depth: 0)"
        ) from None


def export(commit: str, into: Path, root: Path = ROOT) -> None:
    """The project's files at ``commit`` (its directory within the repository) into ``into``."""
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    archive = _git(root, "archive", "--format=tar", f"{commit}:{prefix}" if prefix else commit)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def run_at(
    ref: str, stack: str, root: Path = ROOT, environments: Mapping[str, Path] | None = None
) -> ProgramRun | None:
    """The stack as ``ref`` left it; None when the stack had no stack file there (a new stack).

    ``environments``: local copies of the ESC environments its stack file imports (name → path;
    ``offline.esc``), the same at every ref: they live outside the repository."""
    commit = resolve(ref, root)
    with tempfile.TemporaryDirectory(prefix="mlops-base-") as tmp:
        tree = Path(tmp)
        export(commit, tree, root)
        if not (tree / f"Pulumi.{stack}.yaml").is_file():
            return None
        try:
            completed = subprocess.run(
                [
                    *(sys.executable, "-m", "offline.revision", str(tree), stack),
                    *(f"{name}={path}" for name, path in (environments or {}).items()),
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RevisionError(f"evaluating {ref} took over {_TIMEOUT_SECONDS}s") from None
    if completed.returncode != 0:
        where = f"stack {stack} at {ref} ({commit[:12]})"
        if completed.returncode == _CONFIG_ERROR:
            raise RevisionError(f"{where} does not evaluate:\n{completed.stderr.strip()}")
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise RevisionError(f"{where} failed under the mock engine:\n{tail}")
    return run_from_data(json.loads(completed.stdout))


def _worker(argv: Sequence[str]) -> int:
    """Evaluate the program of ``tree`` for ``stack`` and print the run as JSON; the arguments
    after them are the local copies of its ESC environments, NAME=PATH."""
    tree, stack = Path(argv[0]), argv[1]
    files = {name: Path(path) for name, _, path in (arg.partition("=") for arg in argv[2:])}
    resolved: esc.Resolved | None = None
    # The ref's own modules (settings, components) come first; the engine stays the one loaded.
    sys.path[:] = [str(tree), *(p for p in sys.path if p not in ("", str(ROOT)))]
    try:
        config, secret_keys = stack_config(stack, tree)
        resolved = esc.resolve(
            tree / f"Pulumi.{stack}.yaml",
            config,
            secret_keys,
            files,
            project=PROJECT,
            placeholder=SECRET_PLACEHOLDER,
        )
        run = run_program(
            stack,
            resolved.values,
            resolved.secret_keys,
            program=tree / "__main__.py",
            root=tree,
        )
    except StackFileError as error:
        print(error, file=sys.stderr)
        return _CONFIG_ERROR
    except Exception as error:
        found = settings_error(error)
        if found is None:
            raise
        for line in resolved.explain(getattr(found, "problems", ())) if resolved else []:
            print(line, file=sys.stderr)
        print(found, file=sys.stderr)
        return _CONFIG_ERROR
    json.dump(run_to_data(run), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
