"""The pack as a whole: its shape, every policy on the three stacks, its entry point and files.

Every policy passes on what each stack registers under the offline mock engine; each area's
test module has the minimal violations. The pack is also started as the Pulumi CLI starts it,
to talk to it over the analyzer protocol.
"""

from __future__ import annotations

import importlib.metadata
import re
import runpy
import select
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel

from offline.engine import ROOT, ProgramRun, Resource
from offline.policies import resource_args, stack_args
from policy.mlops_policy import AREAS, RESOURCE_RULES, RULES, STACK_RULES
from policy.mlops_policy.properties import REGISTRY, ROLE_ASSIGNMENT, canonical_type
from policy.mlops_policy.rules import ResourceRule, StackRule
from tests.conftest import STACKS
from tests.policy_pack.conftest import (
    ACCESS_GRANTS_URN,
    CONTRIBUTOR,
    Violations,
    resource_violations,
)

POLICY_DIR = ROOT / "policy"

# --------------------------------------------------------------------------------------------
# The pack's shape
# --------------------------------------------------------------------------------------------


def test_pack_has_at_least_twenty_mandatory_resource_policies() -> None:
    mandatory = [r for r in RESOURCE_RULES if r.enforcement_level is EnforcementLevel.MANDATORY]
    assert len(mandatory) >= 20


# The one advisory policy: a regulated dev or qa workspace's controls (prod requires them).
ADVISORY: Final = {"compliance-regulated-advisory"}


def test_every_policy_is_mandatory_but_the_advisory_compliance_one() -> None:
    advisory = {
        name
        for name, rule in RULES.items()
        if rule.enforcement_level is not EnforcementLevel.MANDATORY
    }
    assert advisory == ADVISORY
    assert all(RULES[name].enforcement_level is EnforcementLevel.ADVISORY for name in ADVISORY)


def test_policy_names_are_unique() -> None:
    names = [rule.name for rule in [*RESOURCE_RULES, *STACK_RULES]]
    assert len(names) == len(set(names)) == len(RULES)


def test_pack_has_stack_policies() -> None:
    assert len(STACK_RULES) >= 3


def test_every_area_has_a_test_module() -> None:
    """Each area's test module checks that every policy of the area has a violating case."""
    here = Path(__file__).parent
    missing = [
        module.__name__
        for module in AREAS
        if not (here / f"test_{module.__name__.rsplit('.', 1)[-1]}.py").is_file()
    ]
    assert missing == []


# --------------------------------------------------------------------------------------------
# Every policy passes on the three stacks
# --------------------------------------------------------------------------------------------


def of_its_types(rule: ResourceRule, run: ProgramRun) -> list[Resource]:
    """The resources of the types a policy names: it checks no other (``applies_to``), so only
    these need the copied arguments pulumi-policy would pass."""
    return [r for r in run.resources if canonical_type(r.type) in rule.resource_types]


@pytest.mark.parametrize("rule", RESOURCE_RULES, ids=lambda rule: rule.name)
@pytest.mark.parametrize("stack", STACKS)
def test_resource_policy_passes_on_stack(
    stack_runs: dict[str, ProgramRun], stack: str, rule: ResourceRule
) -> None:
    """Slow for its first case only (2-6 s): it evaluates the session's fixture stacks
    (``stack_runs``), or waits for the worker evaluating them."""
    found = {
        resource.name: violations
        for resource in of_its_types(rule, stack_runs[stack])
        if (violations := resource_violations(rule, resource_args(resource)))
    }
    assert found == {}


@pytest.mark.parametrize("rule", STACK_RULES, ids=lambda rule: rule.name)
@pytest.mark.parametrize("stack", STACKS)
def test_stack_policy_passes_on_stack(
    stack_runs: dict[str, ProgramRun], stack: str, rule: StackRule
) -> None:
    found = Violations()
    rule.validate(stack_args(stack_runs[stack]), found)
    assert found == []


@pytest.mark.parametrize("rule", RESOURCE_RULES, ids=lambda rule: rule.name)
def test_resource_policy_checks_some_resource_of_the_stacks(
    stack_runs: dict[str, ProgramRun], rule: ResourceRule
) -> None:
    """A policy that matches nothing (a mistyped type token) would pass vacuously."""
    checked = [
        f"{stack}/{resource.name}"
        for stack in STACKS
        for resource in of_its_types(rule, stack_runs[stack])
        if rule.applies_to(resource.type, resource_args(resource).props)
    ]
    assert checked


# --------------------------------------------------------------------------------------------
# The entry point and the pack's files
# --------------------------------------------------------------------------------------------


def forget_pack_modules() -> None:
    """Drop the pack as the entry point imports it: top-level ``mlops_policy``, from policy/."""
    for name in [n for n in sys.modules if n.partition(".")[0] == "mlops_policy"]:
        del sys.modules[name]


def test_entry_point_registers_every_policy_as_mandatory(monkeypatch: pytest.MonkeyPatch) -> None:
    packs: list[dict[str, Any]] = []
    monkeypatch.setattr("pulumi_policy.PolicyPack", lambda **kwargs: packs.append(kwargs))
    forget_pack_modules()
    try:
        runpy.run_path(str(POLICY_DIR), run_name="__main__")
    finally:
        forget_pack_modules()
    (pack,) = packs
    assert re.fullmatch(r"[a-zA-Z0-9-_.]{1,100}", pack["name"])
    assert pack["enforcement_level"] is EnforcementLevel.MANDATORY
    assert [p.name for p in pack["policies"]] == list(RULES)


def locked(name: str) -> list[str]:
    """The versions uv.lock resolves for a package (one per package: one lock, one resolution)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return [p["version"] for p in lock["package"] if p["name"] == name]


def test_pack_runs_the_pulumi_policy_the_tests_use() -> None:
    # The pack (policy/.venv) and the tests (.venv) are synced from the same lock.
    pack = tomllib.loads((POLICY_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert "pulumi-policy" in pack["project"]["dependencies"]
    assert locked("pulumi-policy") == [importlib.metadata.version("pulumi-policy")]


def test_pack_runs_the_programs_pulumi() -> None:
    program = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert locked("mlops-policy") == ["0.0.0"]
    assert locked("pulumi") == [
        pin.removeprefix("pulumi==")
        for pin in program["project"]["dependencies"]
        if pin.startswith("pulumi==")
    ]


def test_pulumi_policy_yaml_declares_a_python_pack_with_its_own_venv() -> None:
    document = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert document["runtime"]["name"] == "python"
    # uv syncs policy/.venv from uv.lock; without `virtualenv` it would use the workspace's .venv.
    assert document["runtime"]["options"] == {"toolchain": "uv", "virtualenv": ".venv"}


# --------------------------------------------------------------------------------------------
# The pack as the Pulumi CLI runs it: a gRPC analyzer
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started as the CLI starts it (its __main__.py), reached on loopback."""
    process = subprocess.Popen(
        [sys.executable, str(POLICY_DIR)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the policy pack did not print its port"
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=30)


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(props))
    return message


def test_pack_serves_every_policy_as_mandatory(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert [p.name for p in info.policies] == list(RULES)
    assert {p.name for p in info.policies if p.enforcementLevel != analyzer_pb2.MANDATORY} == (
        ADVISORY
    )
    assert {p.enforcementLevel for p in info.policies if p.name in ADVISORY} == {
        analyzer_pb2.ADVISORY
    }


def test_pack_reports_a_violation_over_the_analyzer_protocol(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    request = analyzer_pb2.AnalyzeRequest(
        type=REGISTRY,
        properties=struct({"adminUserEnabled": True, "anonymousPullEnabled": False}),
        urn=f"urn:pulumi:test::mlops::{REGISTRY}::registry",
        name="registry",
        options=analyzer_pb2.AnalyzerResourceOptions(),
    )
    diagnostics = analyzer.Analyze(request).diagnostics
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("registry-admin-user-disabled", analyzer_pb2.MANDATORY),
        ("environment-tag", analyzer_pb2.MANDATORY),
    ]
    assert "adminUserEnabled is true; set it to false" in diagnostics[0].message


def test_pack_reads_a_grants_parent_over_the_analyzer_protocol(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """The `mlops:access` exemption rests on the parent the CLI sends in a resource's options."""

    def refused(parent: str) -> bool:
        request = analyzer_pb2.AnalyzeRequest(
            type=ROLE_ASSIGNMENT,
            properties=struct(
                {"principalType": "ServicePrincipal", "roleDefinitionId": CONTRIBUTOR}
            ),
            urn=f"urn:pulumi:test::mlops::{ROLE_ASSIGNMENT}::grant",
            name="grant",
            options=analyzer_pb2.AnalyzerResourceOptions(parent=parent),
        )
        names = [d.policyName for d in analyzer.Analyze(request).diagnostics]
        return "role-workload-identity-least-privilege" in names

    assert refused("")
    assert not refused(ACCESS_GRANTS_URN)


@pytest.mark.parametrize("stack", STACKS)
def test_pack_passes_each_stack_over_the_analyzer_protocol(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type,
                properties=struct(r.outputs),
                urn=r.urn,
                name=r.name,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent),
                parent=r.parent,
                dependencies=list(r.depends_on),
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                    for key, urns in r.property_dependencies.items()
                },
            )
            for r in run.resources
        ]
    )
    assert [(d.policyName, d.message) for d in analyzer.AnalyzeStack(request).diagnostics] == []
    for resource in run.resources:
        analyzed = analyzer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type=resource.type,
                properties=struct(resource.inputs),
                urn=resource.urn,
                name=resource.name,
                options=analyzer_pb2.AnalyzerResourceOptions(
                    protect=resource.protect, parent=resource.parent
                ),
            )
        )
        assert [(d.policyName, d.message) for d in analyzed.diagnostics] == [], resource.name
