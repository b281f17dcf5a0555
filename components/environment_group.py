"""The environment's resource group: everything a stack creates lives in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import resources


@dataclass(frozen=True)
class EnvironmentGroupArgs:
    name: str
    location: str
    tags: dict[str, str]
    # Protect the group against `pulumi destroy` (the default in prod).
    protect: bool


class EnvironmentGroup(pulumi.ComponentResource):
    """A resource group, protected in prod but never locked: a lock on the group would stop
    Azure ML compute clusters from scaling in and block removing role assignments. The
    data-bearing resources in it carry delete locks of their own (``StackContext.lock``)."""

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
        self.name: pulumi.Output[str] = self.resource_group.name
        self.id: pulumi.Output[str] = self.resource_group.id
        outputs: dict[str, Any] = {"name": self.name, "id": self.id}
        self.register_outputs(outputs)
