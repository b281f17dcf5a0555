"""The Azure ML registry that dev, qa and prod promote models through (the shared stack's).

A model registered and tested in dev is shared to the registry (``az ml model share``) and
deployed from it, unchanged, to qa's and prod's endpoints:
https://learn.microsoft.com/azure/machine-learning/how-to-share-models-pipelines-across-workspaces-with-registries

Azure creates the registry's storage account and container registry in a managed resource group
of its own, one storage account per region and one container registry replicated to each, as
``regionDetails`` describes them (how-to-manage-registries, REST API tab); the program cannot
bring its own. Workspaces use the registry only from one of its regions. The registry is always
protected and locked: deleting it deletes every model version that reached qa or prod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.context import StackContext

# The explicit marker of a registry that config opens to the internet: the policy pack accepts
# publicNetworkAccess Enabled only on a registry carrying it.
PUBLIC_ACCESS_TAG = "allowPublicNetworkAccess"
# Replicating the registry's images to every region needs geo-replication, which only Premium
# container registries have (how-to-manage-registries creates them Premium).
ACR_SKU = "Premium"


@dataclass(frozen=True)
class ModelRegistryArgs:
    # Replica regions besides the stack's location (the primary region).
    regions: tuple[str, ...]
    # Accept traffic from the internet; False: private endpoints only.
    public_network_access: bool
    # Each region's storage account survives the loss of an availability zone (ZRS, else LRS);
    # the registry itself replicates across its regions.
    zone_redundant: bool


def _region(location: str, storage_account_type: str) -> ml.RegistryRegionArmDetailsArgs:
    """A region of the registry, with the storage account and container registry Azure creates
    for it (regionDetails: both are required per region)."""
    return ml.RegistryRegionArmDetailsArgs(
        location=location,
        storage_account_details=[
            ml.StorageAccountDetailsArgs(
                system_created_storage_account=ml.SystemCreatedStorageAccountArgs(
                    storage_account_type=storage_account_type,
                    storage_account_hns_enabled=False,
                    allow_blob_public_access=False,
                )
            )
        ],
        acr_details=[
            ml.AcrDetailsArgs(
                system_created_acr_account=ml.SystemCreatedAcrAccountArgs(acr_account_sku=ACR_SKU)
            )
        ],
    )


class ModelRegistry(pulumi.ComponentResource):
    """Exposes ``id``, ``name`` and ``discovery_url`` (what `az ml` and the SDK connect to)."""

    def __init__(
        self,
        name: str,
        context: StackContext,
        args: ModelRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:registry:ModelRegistry", name, None, opts)
        tags = dict(context.tags)
        if args.public_network_access:
            tags[PUBLIC_ACCESS_TAG] = "true"
        self.registry = ml.Registry(
            f"{name}-registry",
            registry_name=context.unique_name(context.names.model_registry),
            resource_group_name=context.resource_group_name,
            location=context.location,
            identity=ml.ManagedServiceIdentityArgs(
                type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED
            ),
            # The primary region first, then the replicas.
            region_details=[
                _region(region, "Standard_ZRS" if args.zone_redundant else "Standard_LRS")
                for region in (context.location, *args.regions)
            ],
            # Private: clients reach it through private endpoints, workspaces through their
            # managed network's amlregistry rule.
            # https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation
            public_network_access="Enabled" if args.public_network_access else "Disabled",
            tags=tags,
            # Always: it holds every promoted model version, whatever mlops:protect says.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.lock = context.lock(f"{name}-registry-lock", self.registry, parent=self)
        self.id: pulumi.Output[str] = self.registry.id
        self.name: pulumi.Output[str] = self.registry.name
        self.discovery_url: pulumi.Output[str] = self.registry.discovery_url.apply(
            lambda url: url or ""
        )
        # What Azure created for it, per region (regionDetails, in the order given): the
        # storage accounts and the container registry clients and managed networks reach.
        self.regions: tuple[str, ...] = (context.location, *args.regions)
        self.storage_account_ids: dict[str, pulumi.Output[str]] = {
            region: self.registry.region_details.apply(
                lambda details, region=region: _created_id(
                    details, region, "storage_account_details", "system_created_storage_account"
                )
            )
            for region in self.regions
        }
        # One container registry, geo-replicated to every region: the primary region's names it.
        self.container_registry_id: pulumi.Output[str] = self.registry.region_details.apply(
            lambda details: _created_id(
                details, context.location, "acr_details", "system_created_acr_account"
            )
        )
        self.register_outputs(
            {
                "id": self.id,
                "name": self.name,
                "discoveryUrl": self.discovery_url,
                "storageAccountIds": self.storage_account_ids,
                "containerRegistryId": self.container_registry_id,
            }
        )


def _created_id(regions: Any, location: str, details: str, created: str) -> str:
    """The resource ID of what Azure created for the registry in ``location`` (its region's
    ``<details>[0].<created>.armResourceId.resourceId``); "" until Azure has created it."""
    region = next(
        (r for r in regions or () if str(getattr(r, "location", "")).lower() == location), None
    )
    listed = getattr(region, details, None) or [None]
    arm_id = getattr(getattr(listed[0], created, None), "arm_resource_id", None)
    return getattr(arm_id, "resource_id", None) or ""
