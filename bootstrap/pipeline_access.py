"""Who can do what in the delivery: every identity the bootstrap creates, where it signs in
from, and each role it holds on what, read from the bootstrap program run on its example config
(``bootstrap/Pulumi.example.yaml``) under Pulumi's mock engine. The table between the
``pipeline-access`` markers of docs/delivery/bootstrap.md is this (``make docs``, ``BLOCKS`` of
``offline.reference``), so it cannot drift from the bootstrap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

from offline.engine import ROOT, ProgramRun, Resource, evaluate, file_config

EXAMPLE: Final = ROOT / "bootstrap" / "Pulumi.example.yaml"
_DESCRIPTION: Final = re.compile(r"^(?P<role>.+) for (?P<holder>\S+) \(mlops bootstrap\)$")
# A GitHub subject names the run's ref and the workflow's (bootstrap.identities): one ref shown,
# so only a subject where both agree is read as GitHub's.
_GITHUB: Final = re.compile(
    r"^repo:[^:]+:environment:(?P<environment>[^:]+):ref:(?P<ref>[^:]+):job_workflow_ref:"
    r"[^/]+/[^/]+/\.github/workflows/(?P<workflow>[^@]+)@(?P=ref)$"
)
_ARM: Final = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)(?:/resourceGroups/(?P<group>[^/]+))?"
    r"(?:/providers/(?P<type>[^/]+/[^/]+)/(?P<name>[^/]+))?(?P<rest>/.*)?$"
)


@functools.cache
def bootstrap_run(example: Path = EXAMPLE) -> ProgramRun:
    """The bootstrap program on its example config, run once per process."""
    from bootstrap.program import main  # noqa: PLC0415 (only make docs and the tests run it)

    config, _ = file_config(example)
    return evaluate(main, "admin", config)


def _holder(label: str) -> str:
    """``dev-deploy`` → ``dev deploy``; ``group-<id>`` → ``state administrators (<id>)``."""
    if label.startswith("group-"):
        return f"state administrators ({label.removeprefix('group-')})"
    stack, _, purpose = label.rpartition("-")
    return f"{stack} {purpose}"


def _scope(scope: str, by_id: Mapping[str, Resource]) -> str:
    resource = by_id.get(scope)
    if resource is not None:  # the bootstrap's own: the state container, a key, the vault
        name = next(
            (resource.inputs[k] for k in ("containerName", "keyName", "vaultName", "accountName")
             if k in resource.inputs),
            resource.name,
        )  # fmt: skip
        kind = resource.type.rsplit(":", 1)[-1]
        return f"{kind} `{name}`"
    found = _ARM.match(scope)
    if found is None:
        return f"`{scope}`"
    if found["name"]:
        return f"{found['type'].rsplit('/', 1)[-1]} `{found['name']}`"
    if found["group"]:
        return f"resource group `{found['group']}`"
    return f"subscription `{found['subscription']}`"


def _sign_ins(run: ProgramRun) -> dict[str, list[str]]:
    """Per identity label, the pipelines federated with it."""
    found: dict[str, list[str]] = {}
    for credential in run.of_type("azure-native:managedidentity:FederatedIdentityCredential"):
        holder = credential.name.rsplit("-github", 1)[0].rsplit("-azure-devops", 1)[0]
        subject = str(credential.inputs["subject"])
        github = _GITHUB.match(subject)
        if github is not None:
            ref = github["ref"].removeprefix("refs/heads/")
            shown = f"GitHub `{github['workflow']}` in `{github['environment']}`, `{ref}` only"
        else:
            shown = f"Azure DevOps connection `{subject.rsplit('/', 1)[-1]}`"
        found.setdefault(holder, []).append(shown)
    return found


def rows(run: ProgramRun) -> Iterator[str]:
    by_id = {r.id: r for r in run.resources if r.custom}
    sign_ins = _sign_ins(run)
    grants: dict[str, list[tuple[str, str, str]]] = {label: [] for label in sign_ins}
    for assignment in run.of_type("azure-native:authorization:RoleAssignment"):
        described = _DESCRIPTION.match(str(assignment.inputs.get("description", "")))
        if described is None:
            continue
        limit = (
            "condition: only the roles granted there, each to its principal types, never to itself"
            if assignment.inputs.get("condition")
            else ""
        )
        scope = _scope(str(assignment.inputs["scope"]), by_id)
        grants.setdefault(described["holder"], []).append((described["role"], scope, limit))
    yield "| Identity | Signs in from | Role | Scope | Limit |"
    yield "| --- | --- | --- | --- | --- |"
    for label in sorted(grants):
        held = sorted(grants[label]) or [("none from the bootstrap", "-", "")]
        signs_in = "; ".join(sorted(sign_ins.get(label, ["-"])))
        for index, (role, scope, limit) in enumerate(held):
            first = index == 0
            who = f"**{_holder(label)}**" if first else ""
            yield f"| {who} | {signs_in if first else ''} | {role} | {scope} | {limit} |"


def table(run: ProgramRun | None = None) -> str:
    """Who can do what: one row per role an identity holds."""
    return "\n".join(rows(run or bootstrap_run()))
