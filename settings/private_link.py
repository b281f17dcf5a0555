"""Private Link: the inbound private endpoints a private workspace needs, and their DNS zones.

One table of what Microsoft documents, read by the settings (which zone IDs a stack must give)
and by the component that creates the endpoints:

- the workspace (sub-resource ``amlworkspace``) and, for the studio, its storage account's
  ``blob`` and ``file`` (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network,
  "Azure Machine Learning studio"); a created Key Vault (``vault``) and registry (``registry``)
  (https://learn.microsoft.com/azure/machine-learning/how-to-secure-workspace-vnet);
- with the team's network (``customerManaged``) and batch endpoints, the storage's ``queue`` and
  ``table`` too: "Batch deployments require all the four"
  (https://learn.microsoft.com/azure/machine-learning/how-to-secure-batch-endpoint);
- each sub-resource's private DNS zones
  (https://learn.microsoft.com/azure/private-link/private-endpoint-dns).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

# Tags a private endpoint whose DNS records Azure Policy keeps (privateDns.mode: policy): the
# explicit marker the policy pack accepts instead of a private DNS zone group.
DNS_BY_POLICY_TAG: Final = "dnsByPolicy"

# Key of a zone in `mlops:network.privateDns.zoneIds` → the zone's name.
PRIVATE_DNS_ZONES: Final[Mapping[str, str]] = {
    "api": "privatelink.api.azureml.ms",
    "notebooks": "privatelink.notebooks.azure.net",
    "blob": "privatelink.blob.core.windows.net",
    "file": "privatelink.file.core.windows.net",
    "queue": "privatelink.queue.core.windows.net",
    "table": "privatelink.table.core.windows.net",
    "vault": "privatelink.vaultcore.azure.net",
    "registry": "privatelink.azurecr.io",
}

# What an inbound private endpoint connects to: one of the stack's resources (in shared, the
# model registry and the storage account and container registry Azure creates for it).
Target = Literal[
    "workspace",
    "storage",
    # The workspace storage's queues and tables, for batch deployments on the team's network.
    "batchStorage",
    "keyVault",
    "registry",
    "modelRegistry",
    "modelRegistryStorage",
    "modelRegistryAcr",
]
MODEL_REGISTRY_TARGETS: Final[tuple[Target, ...]] = (
    "modelRegistry",
    "modelRegistryStorage",
    "modelRegistryAcr",
)


@dataclass(frozen=True)
class InboundEndpoint:
    target: Target
    # The sub-resource (Private Link group ID) the endpoint connects to.
    group: str
    # Keys of PRIVATE_DNS_ZONES holding its records.
    zones: tuple[str, ...]


INBOUND_ENDPOINTS: Final[tuple[InboundEndpoint, ...]] = (
    InboundEndpoint("workspace", "amlworkspace", ("api", "notebooks")),
    InboundEndpoint("storage", "blob", ("blob",)),
    InboundEndpoint("storage", "file", ("file",)),
    InboundEndpoint("batchStorage", "queue", ("queue",)),
    InboundEndpoint("batchStorage", "table", ("table",)),
    InboundEndpoint("keyVault", "vault", ("vault",)),
    InboundEndpoint("registry", "registry", ("registry",)),
    # Clients of a private Azure ML registry: the registry, its storage and its ACR.
    # https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation#use-assets-from-registry-in-workspace-1
    InboundEndpoint("modelRegistry", "amlregistry", ("api",)),
    InboundEndpoint("modelRegistryStorage", "blob", ("blob",)),
    InboundEndpoint("modelRegistryAcr", "registry", ("registry",)),
)
# The storage endpoints the studio reaches from the client network; the workspace identity
# needs Reader on them when the storage refuses public access (see components.inbound_network).
STUDIO_STORAGE_GROUPS: Final = ("blob", "file")


def zones_for(targets: set[str]) -> list[str]:
    """Keys of the zones the endpoints to ``targets`` need, in table order."""
    found = [zone for e in INBOUND_ENDPOINTS if e.target in targets for zone in e.zones]
    return list(dict.fromkeys(found))
