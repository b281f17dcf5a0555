"""Stable plans: the same config always registers the same resources with the same inputs.

A re-run of ``pulumi up`` then replaces nothing: logical names (URNs), the inputs that
decide replacement, and the options that matter are identical between two evaluations of a
stack in one process, and in another process with a different hash seed (so nothing depends
on set or dict ordering that Python randomises per process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any, Final

import pytest

from offline.engine import ROOT, ProgramRun, Resource
from tests.conftest import FIXTURE_STACKS

STACKS: Final = ("dev", "qa", "prod")
RANDOM_STRING: Final = "random:index/randomString:RandomString"

Record = dict[str, Any]


def record(resource: Resource) -> Record:
    """What a re-run compares: identity, inputs, and the options that change what happens."""
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent,
        "inputs": resource.inputs,
        "protect": resource.protect,
        "retain_on_delete": resource.retain_on_delete,
        "delete_before_replace": resource.delete_before_replace,
        "ignore_changes": sorted(resource.ignore_changes),
        "dependencies": sorted(resource.dependencies),
    }


def plan(run: ProgramRun) -> list[Record]:
    """The run's records in URN order, as plain JSON values."""
    records = sorted((record(r) for r in run.resources), key=lambda r: r["urn"])
    return json.loads(json.dumps(records))


@pytest.fixture(scope="module")
def twice(
    stack_runs: dict[str, ProgramRun], stack_reruns: dict[str, ProgramRun]
) -> dict[str, tuple[ProgramRun, ProgramRun]]:
    """Two evaluations of each stack in this process (the session's, shared with other tests)."""
    return {stack: (stack_runs[stack], stack_reruns[stack]) for stack in STACKS}


# Run as a one-shot command runs the program (``make preview``, ``offline.imports``): the cyclic
# collector off, azure-native modules loaded slim. Neither changes what the program registers;
# both make the run faster.
_OTHER_PROCESS: Final = textwrap.dedent(
    """
    import json, sys
    from offline.imports import start_one_shot
    start_one_shot()
    from pathlib import Path
    from offline.engine import run_program
    from tests.test_stable_plans import plan
    root, *stacks = sys.argv[1:]
    json.dump({stack: plan(run_program(stack, root=Path(root))) for stack in stacks}, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def other_process_plans() -> dict[str, list[Record]]:
    """Each stack's plan, evaluated in a fresh interpreter with another hash seed."""
    seed = "1" if os.environ.get("PYTHONHASHSEED") == "2" else "2"
    completed = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(FIXTURE_STACKS), *STACKS],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize("stack", STACKS)
def test_evaluating_a_stack_twice_registers_identical_resources(
    stack: str, twice: dict[str, tuple[ProgramRun, ProgramRun]]
) -> None:
    first, second = twice[stack]

    assert first.resources
    assert plan(first) == plan(second)


@pytest.mark.parametrize("stack", STACKS)
def test_random_suffixes_keep_their_logical_names_and_inputs(
    stack: str, twice: dict[str, tuple[ProgramRun, ProgramRun]]
) -> None:
    first, second = (
        sorted((r.name, r.inputs, r.parent) for r in run.of_type(RANDOM_STRING))
        for run in twice[stack]
    )

    assert first, "no random-suffix resource registered"
    assert first == second


@pytest.mark.parametrize("stack", STACKS)
def test_plans_do_not_depend_on_the_process_hash_seed(
    stack: str,
    twice: dict[str, tuple[ProgramRun, ProgramRun]],
    other_process_plans: dict[str, list[Record]],
) -> None:
    """Slow for its first stack (5-10 s): ``other_process_plans`` starts a fresh interpreter,
    which imports the SDK and evaluates the three stacks and the shared one they reference."""
    assert plan(twice[stack][0]) == other_process_plans[stack]
