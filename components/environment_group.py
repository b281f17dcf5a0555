"""The environment's resource group: everything a stack creates lives in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization, resources


@dataclass(frozen=True)
class EnvironmentGroupArgs:
    name: str
    location: str
    tags: dict[str, str]
    # Protect the group and lock it against deletion (the default in prod).
    protect: bool


class EnvironmentGroup(pulumi.ComponentResource):
    """A resource group; when protected, also a CanNotDelete lock, so neither Pulumi nor a
    click in the portal can delete the environment's data with it."""

    def __init__(
        self, name: str, args: EnvironmentGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:group:EnvironmentGroup", name, None, opts)
        self.resource_group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.name,
            location=args.location,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.lock: authorization.ManagementLockAtResourceGroupLevel | None = None
        if args.protect:
            self.lock = authorization.ManagementLockAtResourceGroupLevel(
                f"{name}-lock",
                lock_name="mlops-do-not-delete",
                resource_group_name=self.resource_group.name,
                level=authorization.LockLevel.CAN_NOT_DELETE,
                notes="Holds an Azure ML environment's data. Remove deliberately, see README.",
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
        self.name: pulumi.Output[str] = self.resource_group.name
        self.id: pulumi.Output[str] = self.resource_group.id
        outputs: dict[str, Any] = {"name": self.name, "id": self.id}
        self.register_outputs(outputs)
