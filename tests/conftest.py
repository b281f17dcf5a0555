"""Shared fixtures and helpers: program runs under Pulumi's mock engine, each made once while
nothing it depends on changes (``cached_run``), each stack file's among them.

Tests that compare two evaluations of a stack take the second from ``stack_reruns``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hypothesis
import pytest

import settings
from offline.engine import (
    ROOT,
    ProgramRun,
    Resource,
    stack_config,
    stacks,
)
from settings.profiles import PROFILES
from settings.schema import Settings
from tests.run_cache import cached_run, keep_runs_in

FIXTURE_STACKS = ROOT / "tests" / "fixtures" / "stacks"
STACKS = stacks(FIXTURE_STACKS)
# The fixture stacks of environments with a workspace (dev, qa, prod), apart from a shared
# stack, which holds the model registry alone (tests/test_model_registry.py).
WORKSPACE_STACKS = [
    stack
    for stack in STACKS
    if PROFILES[
        stack_config(stack, FIXTURE_STACKS)[0].get("mlops:environment", stack)
    ].has_workspace
]
# The repository's own stack files, whatever a team has made of them.
REAL_STACKS = stacks()


def required_network(environment: str) -> dict[str, str]:
    """``mlops:network`` as the environment's profile requires it (qa and prod: private inbound;
    prod: approved outbound only), for tests of other concerns on configs of their own."""
    profile = PROFILES[environment]
    if not profile.private_inbound:
        return {}
    subnet = (
        "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-spoke"
        "/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/snet-endpoints"
    )
    network = {"inbound": "private", "subnetId": subnet, "privateDns": {"mode": "create"}}
    if profile.approved_outbound_only:
        network["isolation"] = "allowOnlyApprovedOutbound"
    return {"mlops:network": json.dumps(network)}


# The property tests run as many examples as the loaded profile says: Hypothesis' default (100
# per property; its "ci" profile, derandomized, under CI=true), or, for a longer hunt,
# `pytest --hypothesis-profile=thorough tests/test_settings_properties.py`.
hypothesis.settings.register_profile("thorough", max_examples=2_000)


# Net allocations past which the collector runs after all: about 200 program runs' garbage.
GARBAGE_BOUND = 20_000_000


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave the program runs' garbage to the end of the process.

    Pulumi's runtime leaves each run's asyncio tasks, futures and handles behind in reference
    cycles (a few MB a run) that only the cyclic collector frees, finalizers first: collecting
    them cost a fifth of the suite's CPU time, and as much again at exit. What is imported by
    now is frozen, the collector waits for GARBAGE_BOUND (so a growing suite cannot exhaust
    memory), and what is left at the end goes with the process.
    """
    del session
    gc.collect()
    gc.freeze()
    gc.disable()


def pytest_runtest_teardown() -> None:
    if gc.get_count()[0] > GARBAGE_BOUND:
        gc.collect()


def pytest_sessionfinish() -> None:
    gc.freeze()  # out of the collections at exit


def pytest_configure(config: pytest.Config) -> None:
    cache = getattr(config, "cache", None)
    if cache is not None:  # none with -p no:cacheprovider: runs are then kept in-process only
        keep_runs_in(cache.mkdir("program-runs"), prune=not hasattr(config, "workerinput"))


def stack_run(stack: str, root: Path = ROOT, evaluation: int = 0) -> ProgramRun:
    """A stack file evaluated once (``cached_run``), its references resolved from the
    repository's stack files: a fixture stack and a repository stack file of the same name and
    config share one run. Evaluation ``n`` is the run that followed ``n`` runs of it in the
    same process."""
    config, secret_keys = stack_config(stack, root)
    ordered = dict(sorted(config.items()))
    return cached_run(stack, ordered, sorted(secret_keys), evaluation=evaluation)


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    """Each fixture stack, evaluated."""
    return {stack: stack_run(stack, FIXTURE_STACKS) for stack in STACKS}


@pytest.fixture(scope="session")
def stack_reruns(stack_runs: dict[str, ProgramRun]) -> dict[str, ProgramRun]:
    """Each fixture stack evaluated a second time in one process: compared with ``stack_runs``,
    it shows that nothing of one run carries over into the next."""
    return {stack: stack_run(stack, FIXTURE_STACKS, evaluation=1) for stack in stack_runs}


def real_run(stack: str) -> ProgramRun:
    """One of the repository's own stack files, evaluated once (invariants, docs).

    A config the settings refuse raises SettingsError, listing its problems by key.
    """
    return stack_run(stack)


@pytest.fixture(scope="session")
def real_stack_runs() -> dict[str, ProgramRun]:
    """Every repository stack file, evaluated: what the generated docs are made from."""
    return {stack: real_run(stack) for stack in REAL_STACKS}


def of_type(run: ProgramRun, suffix: str) -> list[Resource]:
    """Resources whose type token ends with ``suffix`` (e.g. ``storage:StorageAccount``)."""
    return [r for r in run.resources if r.type.endswith(suffix)]


def only(run: ProgramRun, suffix: str) -> Resource:
    found = of_type(run, suffix)
    assert len(found) == 1, f"expected one {suffix}, found {[r.name for r in found]}"
    return found[0]


def pulumi_config(values: Mapping[str, Any]) -> dict[str, str]:
    """Config as Pulumi passes it to programs: structured values as JSON text."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def load_settings(base: Mapping[str, Any], stack: str = "dev", **keys: Any) -> Settings:
    """Settings of the config ``base`` with ``mlops:<key>`` set from ``keys`` (structures passed
    as JSON text, as Pulumi does); qa and prod get the network their profile requires unless
    ``base`` or ``keys`` give one."""
    config = {**required_network(stack), **base, **{f"mlops:{k}": v for k, v in keys.items()}}
    return settings.load(pulumi_config(config), project="mlops", stack=stack)


def settings_problems(base: Mapping[str, Any], stack: str = "dev", **keys: Any) -> tuple[str, ...]:
    """What ``settings.load`` refuses in that config, one problem per key path."""
    with pytest.raises(settings.SettingsError) as caught:
        load_settings(base, stack, **keys)
    return caught.value.problems


def problem_at(found: tuple[str, ...], key: str) -> str:
    """The one problem reported under ``key``."""
    matching = [p for p in found if p.startswith(f"{key}: ")]
    assert len(matching) == 1, found
    return matching[0]
