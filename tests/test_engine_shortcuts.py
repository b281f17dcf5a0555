"""What the offline engine leaves out of Pulumi's SDK for speed changes nothing it records."""

from __future__ import annotations

from typing import Any

import pulumi.runtime.resource
import pytest

from offline import engine
from offline.engine import ProgramRun, run_program, run_to_data, stack_config
from tests.conftest import FIXTURE_STACKS


def test_runs_without_the_sdks_stack_traces_record_the_same(
    stack_runs: dict[str, ProgramRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine sends no stack trace with a registration, which the mock monitor never reads
    (offline/engine.py): a run with the SDK's stack traces registers the same resources with
    the same inputs, options and aliases."""
    traced: list[Any] = []

    def sdk_stack_trace() -> Any:
        traced.append(engine._sdk_stack_trace())
        return traced[-1]

    monkeypatch.setattr(pulumi.runtime.resource, "_get_stack_trace", sdk_stack_trace)
    config, secret_keys = stack_config("prod", FIXTURE_STACKS)
    with_traces = run_program("prod", config, secret_keys)
    assert any(trace.frames for trace in traced)
    assert run_to_data(with_traces) == run_to_data(stack_runs["prod"])
