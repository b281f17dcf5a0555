"""The benchmark's generated stacks (offline/bench.py): valid, and linear in their size, so that
`make bench` runs on any clone and its N is the number of resources. Its timings are never
tested: `make bench`, and `make bench-smoke` in CI (.ci/run)."""

from __future__ import annotations

import pytest

from offline.bench import UNIT_RESOURCES, scale_config, units
from offline.engine import ProgramRun
from tests.conftest import load_settings, pulumi_config
from tests.run_cache import cached_run


def _run(count: int) -> ProgramRun:
    return cached_run("dev", pulumi_config(scale_config(count)["config"]))


@pytest.mark.parametrize("requested", [0, 10, 100, 1000])
def test_each_scale_config_passes_the_settings_rules(requested: int) -> None:
    load_settings(scale_config(units(requested))["config"])


def test_each_unit_adds_the_same_resources() -> None:
    """Three runs of the program (1-4 s: the first one in a process loads the SDK modules)."""
    counts = [sum(1 for r in _run(n).resources if r.custom) for n in (1, 2, 3)]
    assert counts[1] - counts[0] == counts[2] - counts[1] == UNIT_RESOURCES


def test_n_generated_resources_are_about_n() -> None:
    assert units(0) == 0
    assert units(10) == 1
    assert abs(units(1000) * UNIT_RESOURCES - 1000) <= UNIT_RESOURCES / 2
