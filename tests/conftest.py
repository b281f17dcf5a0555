"""Shared fixtures: each stack file evaluated once per session under Pulumi's mock engine."""

from __future__ import annotations

import pytest

from offline.engine import ProgramRun, Resource, run_program, stacks

STACKS = stacks()


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    return {stack: run_program(stack) for stack in STACKS}


def of_type(run: ProgramRun, suffix: str) -> list[Resource]:
    """Resources whose type token ends with ``suffix`` (e.g. ``storage:StorageAccount``)."""
    return [r for r in run.resources if r.type.endswith(suffix)]


def only(run: ProgramRun, suffix: str) -> Resource:
    found = of_type(run, suffix)
    assert len(found) == 1, f"expected one {suffix}, found {[r.name for r in found]}"
    return found[0]
