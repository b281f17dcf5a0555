"""How the policy tests call the pack: the arguments pulumi-policy builds, and what it reports.

Policies are called directly with the argument objects pulumi-policy builds (``offline.policies``,
which the offline preview uses too): resource policies get a resource's inputs (wrapped in the
SDK's unknown-checking proxy) and options; stack policies get every resource's outputs, options,
parent and dependencies, as the engine sends them after the program has run. Both are taken from
the offline mock engine's records, or built by hand for a minimal violating case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)

from offline.policies import options, proxied
from policy.mlops_policy import RULES
from policy.mlops_policy.rules import Area, ResourceRule, StackRule

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
GROUP_ID = f"{SUB}/resourceGroups/rg-test"
ACCOUNT_ID = f"{GROUP_ID}/providers/Microsoft.Storage/storageAccounts/sttest"
ROLE_DEFINITIONS = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
OWNER = f"{ROLE_DEFINITIONS}/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = f"{ROLE_DEFINITIONS}/b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_DATA_READER = f"{ROLE_DEFINITIONS}/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
# Where the program creates the grants of `mlops:access`: under the AccessGrants component.
ACCESS_GRANTS_URN = (
    "urn:pulumi:dev::mlops::mlops:workspace:WorkspaceStack$mlops:access:AccessGrants::ml-access"
)
INSTANCE = "ComputeInstance"
CLUSTER = "AmlCompute"


# --------------------------------------------------------------------------------------------
# The arguments pulumi-policy passes
# --------------------------------------------------------------------------------------------


class Violations(list[tuple[str, str | None]]):
    """A ReportViolation callback that keeps what it is told."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self]


def subject(
    resource_type: str, props: Mapping[str, Any], *, parent: str | None = None
) -> ResourceValidationArgs:
    """A minimal resource of ``resource_type`` with only ``props`` (and ``parent``'s URN)."""
    return ResourceValidationArgs(
        resource_type=resource_type,
        props=proxied(props),
        urn=f"urn:pulumi:test::mlops::{resource_type}::subject",
        name="subject",
        opts=options(parent=parent),
        provider=None,
    )


def stack_resource(
    resource_type: str, name: str, props: Mapping[str, Any], *, protect: bool = False
) -> PolicyResource:
    return PolicyResource(
        resource_type=resource_type,
        props=proxied(props),
        urn=f"urn:pulumi:test::mlops::{resource_type}::{name}",
        name=name,
        opts=options(protect),
        provider=None,
        parent=None,
        dependencies=[],
        property_dependencies={},
    )


def tagged(environment: str, **props: Any) -> dict[str, Any]:
    return {"tags": {"environment": environment}, **props}


# --------------------------------------------------------------------------------------------
# Calling a policy
# --------------------------------------------------------------------------------------------


def resource_rule(name: str) -> ResourceRule:
    rule = RULES[name]
    assert isinstance(rule, ResourceRule)
    return rule


def stack_rule(name: str) -> StackRule:
    rule = RULES[name]
    assert isinstance(rule, StackRule)
    return rule


def resource_violations(rule: ResourceRule, args: ResourceValidationArgs) -> Violations:
    found = Violations()
    rule.validate(args, found)
    return found


def stack_violations(rule: StackRule, resources: list[PolicyResource]) -> Violations:
    found = Violations()
    rule.validate(StackValidationArgs(resources), found)
    return found


# --------------------------------------------------------------------------------------------
# Minimal violations: every policy fails on one
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceCase:
    """A minimal resource violating one resource policy, and the message it must get."""

    policy: str
    resource_type: str
    props: Mapping[str, Any]
    message: str


@dataclass(frozen=True)
class StackCase:
    """A minimal stack violating one stack policy, the resource reported, and the message."""

    policy: str
    resources: tuple[PolicyResource, ...]
    offender: str
    message: str


def case_id(case: ResourceCase | StackCase) -> str:
    return case.policy


def assert_covers(area: Area, cases: Iterable[ResourceCase | StackCase]) -> None:
    """Every policy of ``area`` has a violating case, and every case is for one of them."""
    rules = [*area.resource_rules, *area.stack_rules]
    assert sorted(case.policy for case in cases) == sorted(rule.name for rule in rules)


def assert_reported_once(case: ResourceCase | StackCase) -> None:
    """The case's policy reports one violation, with the case's message, on the offender."""
    if isinstance(case, ResourceCase):
        args = subject(case.resource_type, case.props)
        found = resource_violations(resource_rule(case.policy), args)
        offender = None  # a resource policy's violation is the resource's own
    else:
        found = stack_violations(stack_rule(case.policy), list(case.resources))
        offender = next(r.urn for r in case.resources if r.name == case.offender)
    assert len(found) == 1, found
    assert case.message in found.messages[0]
    assert found[0][1] == offender


def violation_tests(
    area: Area, cases: Sequence[ResourceCase | StackCase]
) -> tuple[Callable[[], None], Callable[[ResourceCase | StackCase], None]]:
    """The two tests every area's module runs on its minimal violations: the cases cover the
    area's policies, and each case's policy reports it once."""

    def covers() -> None:
        assert_covers(area, cases)

    @pytest.mark.parametrize("case", cases, ids=case_id)
    def reported_once(case: ResourceCase | StackCase) -> None:
        assert_reported_once(case)

    return covers, reported_once
