"""Everything the offline tools know about each resource type, in one table.

One row per type token says how the mock engine answers when the program creates one (its ARM
ID, its Azure name, the values only Azure computes). The engine reads this table and keeps no
knowledge of types of its own, so supporting a new type is one row here.

A type without a row still works: it gets a generic row (a ``<logical name>-id`` ID, named by
its ``name`` input). Components (``mlops:*``) reach the mock engine too and get that generic row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

_ML_WORKSPACES: Final = "Microsoft.MachineLearningServices/workspaces"

# -- how the mock engine answers ------------------------------------------------------------------


@dataclass(frozen=True)
class InResourceGroup:
    """A resource of its own in its resource group (``resourceGroupName``)."""

    provider_type: str  # e.g. Microsoft.Storage/storageAccounts

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        return f"{group_id}/providers/{self.provider_type}/{name}"


@dataclass(frozen=True)
class InWorkspace:
    """A child of the Azure ML workspace its ``workspaceName`` input names."""

    segment: str  # e.g. computes

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        workspace = inputs.get("workspaceName")
        return f"{group_id}/providers/{_ML_WORKSPACES}/{workspace}/{self.segment}/{name}"


@dataclass(frozen=True)
class AtScope:
    """An extension of whatever its ``scope`` input names (a role assignment)."""

    provider_type: str

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        return f"{inputs.get('scope')}/providers/{self.provider_type}/{name}"


@dataclass(frozen=True)
class IsResourceGroup:
    """The resource group itself."""

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        return group_id


Placement = InResourceGroup | InWorkspace | AtScope | IsResourceGroup


@dataclass(frozen=True)
class AzureMock:
    """How the mock engine answers the creation of an Azure resource.

    ``computed`` maps an output path (``properties.vaultUri``) to a template of a value only
    Azure knows; ``{name}`` is the Azure name and ``{location}`` the location input.
    """

    # Where its ARM ID puts it; None: the mock does not know, the ID is ``<logical name>-id``.
    placement: Placement | None = None
    # The input holding its Azure name; without it, the logical name stands in.
    name_input: str = "name"
    computed: Mapping[str, str] = field(default_factory=dict[str, str])


@dataclass(frozen=True)
class Generated:
    """No Azure resource but values a provider generates: no ARM ID, no Azure name.

    ``outputs`` maps an output to its template; ``{suffix}`` is the mock's random suffix.
    """

    outputs: Mapping[str, str]


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    token: str
    mock: AzureMock | Generated = AzureMock()
    # Later columns (replace-on-change properties, cost hints...) come with a default, so a
    # row only names what sets its type apart.


def _endpoint(segment: str, kind: str, path: str) -> AzureMock:
    """Online and batch endpoints: scoring URIs differ in host kind and path."""
    return AzureMock(
        InWorkspace(segment),
        "endpointName",
        {"properties.scoringUri": f"https://{{name}}.{{location}}.{kind}.ml.azure.com/{path}"},
    )


_ROWS: Final = (
    ResourceType(
        "azure-native:resources:ResourceGroup",
        mock=AzureMock(IsResourceGroup(), "resourceGroupName"),
    ),
    ResourceType("azure-native:authorization:ManagementLockAtResourceGroupLevel"),
    ResourceType(
        "random:index/randomString:RandomString",
        mock=Generated({"result": "{suffix}"}),
    ),
    ResourceType(
        "azure-native:keyvault:Vault",
        mock=AzureMock(
            InResourceGroup("Microsoft.KeyVault/vaults"),
            "vaultName",
            {"properties.vaultUri": "https://{name}.vault.azure.net/"},
        ),
    ),
    ResourceType(
        "azure-native:storage:StorageAccount",
        mock=AzureMock(InResourceGroup("Microsoft.Storage/storageAccounts"), "accountName"),
    ),
    ResourceType("azure-native:storage:BlobServiceProperties"),
    ResourceType(
        "azure-native:operationalinsights:Workspace",
        mock=AzureMock(
            InResourceGroup("Microsoft.OperationalInsights/workspaces"), "workspaceName"
        ),
    ),
    ResourceType(
        "azure-native:applicationinsights:Component",
        mock=AzureMock(InResourceGroup("Microsoft.Insights/components"), "resourceName"),
    ),
    ResourceType(
        "azure-native:containerregistry:Registry",
        mock=AzureMock(
            InResourceGroup("Microsoft.ContainerRegistry/registries"),
            "registryName",
            {"loginServer": "{name}.azurecr.io"},
        ),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Workspace",
        mock=AzureMock(InResourceGroup(_ML_WORKSPACES), "workspaceName"),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Compute",
        mock=AzureMock(InWorkspace("computes"), "computeName"),
    ),
    ResourceType(
        "azure-native:machinelearningservices:OnlineEndpoint",
        mock=_endpoint("onlineEndpoints", "inference", "score"),
    ),
    ResourceType(
        "azure-native:machinelearningservices:BatchEndpoint",
        mock=_endpoint("batchEndpoints", "batchendpoint", "jobs"),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Datastore",
        mock=AzureMock(InWorkspace("datastores")),
    ),
    ResourceType(
        "azure-native:machinelearningservices:ManagedNetworkSettingsRule",
        mock=AzureMock(InWorkspace("outboundRules"), "ruleName"),
    ),
    ResourceType(
        "azure-native:authorization:RoleAssignment",
        mock=AzureMock(AtScope("Microsoft.Authorization/roleAssignments"), "roleAssignmentName"),
    ),
    ResourceType("azure-native:monitor:DiagnosticSetting"),
)


def _by_token(rows: tuple[ResourceType, ...]) -> dict[str, ResourceType]:
    table = {row.token: row for row in rows}
    if len(table) != len(rows):
        raise ValueError("a type token has more than one row")
    return table


RESOURCE_TYPES: Final[Mapping[str, ResourceType]] = _by_token(_ROWS)


def resource_type(token: str) -> ResourceType:
    """The row of a type token; a generic row for a type the table does not declare."""
    return RESOURCE_TYPES.get(token) or ResourceType(token)
