"""The role assignments of the principals config names: people, groups and pipelines.

Those are the `mlops:access` entries (their own role, plus a data scientist's data roles), the
release pipeline and compute instances' assigned users, all with their roles from the access
matrix (components/access.py). They were reviewed with the stack's config. They sit apart from
every other role assignment (those go to workload identities) so that the policy pack can tell
them by their parent's type, ``mlops:access:AccessGrants``, and nothing else; and together, so
that a principal several entries name gets each role once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from components.access import Holder, Principal, Targets, grant_all
from components.context import StackContext
from settings.schema import AccessGrant, ComputeInstanceSettings, ReleasePipelineSettings

# Every description starts with it: reviewers and the policy pack (docs/security.md) read it.
ACCESS_PREFIX = "mlops:access "


def people(
    access: tuple[AccessGrant, ...],
    instances: tuple[ComputeInstanceSettings, ...],
    release_pipeline: ReleasePipelineSettings | None,
) -> tuple[Holder, ...]:
    """The principals config names, as the access matrix knows them."""
    holders: list[Holder] = []
    for entry in access:
        kinds: tuple[Principal, ...] = ("accessEntry",)
        if entry.brings_data_access:
            kinds += ("dataScientist",)
        holders += [
            Holder(
                kind,
                entry.principal_id,
                entry.principal_type,
                key=entry.principal_id,
                label=entry.principal_id,
                name=f"{entry.principal_type} {entry.principal_id}",
                configured=(entry.role, entry.scope) if kind == "accessEntry" else None,
            )
            for kind in kinds
        ]
    holders += [
        Holder(
            "instanceUser",
            instance.assigned_user_object_id,
            "User",
            key=instance.assigned_user_object_id,
            label=instance.assigned_user_object_id,
            name=f"User {instance.assigned_user_object_id} (compute instance {instance.name})",
        )
        for instance in instances
    ]
    if release_pipeline is not None:
        principal = release_pipeline.principal_id
        holders.append(
            Holder(
                "releasePipeline",
                principal,
                "ServicePrincipal",
                key=principal,
                label=principal,
                name=f"release pipeline {principal}",
            )
        )
    return tuple(holders)


@dataclass(frozen=True)
class AccessGrantsArgs:
    people: tuple[Holder, ...]
    targets: Targets
    # The component the grants were children of before they had their own (WorkspaceStack):
    # aliased, so moving them here keeps their state and replaces nothing.
    previous_parent: pulumi.Resource | None = None


class AccessGrants(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: AccessGrantsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:access:AccessGrants", name, None, opts)
        aliases = (
            [] if args.previous_parent is None else [pulumi.Alias(parent=args.previous_parent)]
        )
        self.assignments: list[authorization.RoleAssignment] = [
            assignment
            for _, assignment in grant_all(
                context,
                name,
                args.people,
                args.targets,
                parent=self,
                prefix=ACCESS_PREFIX,
                aliases=lambda _: aliases,
            )
        ]
        self.register_outputs({})
