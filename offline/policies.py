"""The policy pack run offline, as ``pulumi preview --policy-pack policy`` runs it.

Each resource policy is called for every resource with the arguments pulumi-policy builds from
the engine's request (its inputs behind the SDK's unknown-checking proxy, its options); each
stack policy once with every resource's outputs, options, parent and dependencies. The pack's
own ``validate`` functions are called, so the preview and ``pulumi preview`` judge alike.

A violation is reported in config terms where a config key fixes it (``CONFIG_FIXES``), with the
policy's own message after it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from offline.engine import SECRET_PLACEHOLDER, ProgramRun, Resource, is_secret
from policy.mlops_policy import PACK_NAME, RESOURCE_RULES, STACK_RULES
from policy.mlops_policy.rules import ResourceRule, StackRule

POLICY_COUNT: Final = len(RESOURCE_RULES) + len(STACK_RULES)


@dataclass(frozen=True)
class ConfigFix:
    """The config key that fixes a policy's violations, and what to set it to."""

    key: str
    advice: str


# Policies a stack file can violate, and the key that fixes them. Others hold whatever the
# config says: the program sets what they check.
CONFIG_FIXES: Final[Mapping[str, ConfigFix]] = {
    "prod-data-protected": ConfigFix(
        "mlops:protect", "prod protects its data: set `mlops:protect: true`"
    ),
    "prod-resource-locks": ConfigFix(
        "mlops:protect", "prod locks its data against deletion: set `mlops:protect: true`"
    ),
    "prod-budget": ConfigFix(
        "mlops:budget", "prod has a monthly cost budget: set `mlops:budget.monthlyAmount`"
    ),
    "workspace-prod-managed-network": ConfigFix(
        "mlops:network",
        "prod allows only approved outbound traffic: set `mlops:network.isolation: "
        "allowOnlyApprovedOutbound` (or `customerManaged`, the team's network filtering egress)",
    ),
    "workspace-network-isolation": ConfigFix(
        "mlops:network",
        "qa and prod isolate the workspace: set `mlops:network.isolation` to a managed network, "
        "or `customerManaged` with `computeSubnetId`",
    ),
    "customer-managed-network": ConfigFix(
        "mlops:network",
        "the team's network isolates the workspace: `mlops:network.isolation: customerManaged` "
        "with `inbound: private` and `computeSubnetId`, and no `clientIpRanges`",
    ),
    "compliance-regulated-prod": ConfigFix(
        "mlops:compliance",
        "a regulated prod workspace has `mlops:encryption` (mode create or existing), "
        "`mlops:highBusinessImpact: true` and `mlops:endpointLogs.enabled: true`, or "
        "`mlops:compliance: standard`",
    ),
    "compliance-regulated-advisory": ConfigFix(
        "mlops:compliance",
        "advised for a regulated workspace (`mlops:compliance: regulated`): `mlops:encryption`, "
        "`mlops:highBusinessImpact: true` and `mlops:endpointLogs.enabled: true`, as prod "
        "requires",
    ),
    "cluster-scale-to-zero": ConfigFix(
        "mlops:computeClusters",
        "clusters scale to zero: set `minNodes: 0` in `mlops:computeClusters`",
    ),
}


@dataclass(frozen=True)
class Violation:
    """One violation, as ``pulumi preview`` reports it, with the config key that fixes it."""

    policy: str
    mandatory: bool
    severity: str
    message: str
    urn: str | None  # the resource at fault; None for a stack-wide finding
    fix: ConfigFix | None

    @property
    def level(self) -> str:
        return "mandatory" if self.mandatory else "advisory"


@dataclass(frozen=True)
class PolicyReport:
    pack: str
    violations: tuple[Violation, ...]

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mandatory)

    def by_policy(self) -> dict[str, list[Violation]]:
        """Violations grouped by policy, in the order the pack reported them."""
        groups: dict[str, list[Violation]] = {}
        for violation in self.violations:
            groups.setdefault(violation.policy, []).append(violation)
        return groups


# -- the arguments pulumi-policy passes -----------------------------------------------------------


def options(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def recorded_options(resource: Resource) -> PolicyResourceOptions:
    found = options(resource.protect, resource.parent or None)
    found.ignore_changes = list(resource.ignore_changes)
    found.delete_before_replace = resource.delete_before_replace
    return found


def proxied(props: Mapping[str, Any]) -> Any:
    """Properties as the SDK hands them to a policy: copied, secrets unwrapped as Analyze's
    ``deserialize_properties`` does (a list holding a secret is still a list), behind its
    unknown-value proxy. A secret's text is ``[secret]`` here, so no message can show it."""
    return unknown_checking_proxy(_unwrapped(copy.deepcopy(dict(props))))


def _unwrapped(value: Any, secret: bool = False) -> Any:
    if is_secret(value):
        value, secret = value["value"], True
    if isinstance(value, dict):
        return {key: _unwrapped(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrapped(item, secret) for item in value]
    return SECRET_PLACEHOLDER if secret and isinstance(value, str) else value


def resource_args(resource: Resource) -> ResourceValidationArgs:
    """What pulumi-policy's Analyze passes for one registered resource: its inputs."""
    return ResourceValidationArgs(
        resource_type=resource.type,
        props=proxied(resource.inputs),
        urn=resource.urn,
        name=resource.name,
        opts=recorded_options(resource),
        provider=None,
    )


def stack_args(run: ProgramRun) -> StackValidationArgs:
    """What pulumi-policy's AnalyzeStack passes: outputs, linked to parents and dependencies."""
    by_urn = {
        r.urn: PolicyResource(
            resource_type=r.type,
            props=proxied(r.outputs),
            urn=r.urn,
            name=r.name,
            opts=recorded_options(r),
            provider=None,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
        for r in run.resources
    }
    for record in run.resources:
        resource = by_urn[record.urn]
        resource.parent = by_urn.get(record.parent)
        resource.dependencies = [by_urn[urn] for urn in record.depends_on if urn in by_urn]
        resource.property_dependencies = {
            key: [by_urn[urn] for urn in urns if urn in by_urn]
            for key, urns in record.property_dependencies.items()
        }
    return StackValidationArgs(list(by_urn.values()))


# -- running the pack -----------------------------------------------------------------------------


def check(run: ProgramRun) -> PolicyReport:
    """Every policy of the pack against one run: resource policies first, as the engine does."""
    found: list[Violation] = []

    def reporter(rule: ResourceRule | StackRule, default_urn: str | None) -> ReportViolation:
        def report(message: str, urn: str | None = None) -> None:
            found.append(
                Violation(
                    policy=rule.name,
                    mandatory=rule.enforcement_level is EnforcementLevel.MANDATORY,
                    severity=rule.severity.name.lower(),
                    message=message,
                    urn=urn or default_urn,
                    fix=CONFIG_FIXES.get(rule.name),
                )
            )

        return report

    for resource in run.resources:
        args = resource_args(resource)
        for rule in RESOURCE_RULES:
            rule.validate(args, reporter(rule, resource.urn))
    stack = stack_args(run)
    for rule in STACK_RULES:
        rule.validate(stack, reporter(rule, None))
    return PolicyReport(PACK_NAME, tuple(found))
