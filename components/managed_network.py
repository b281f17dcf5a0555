"""The workspace's managed network: isolation mode and outbound rules, set inline on the workspace.

Outbound rules live in the workspace's ``managedNetwork.outboundRules``, as the Azure Verified
Modules set them, not as separate ``outboundRules`` resources (those race each other and show
a diff on the workspace after a refresh). So the workspace needs every rule when it is created,
and they are computed here from the settings:

- a private endpoint to each datastore's storage account, ``blob`` and for ADLS Gen2 also
  ``dfs`` (Data Lake operations may be redirected to the blob endpoint), in both isolation modes;
- with batch endpoints, the workspace storage's ``queue`` and ``table``
  (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network, "Scenario: Use
  batch endpoints or ParallelRunStep");
- with internet outbound, the workspace storage's ``blob`` and ``file`` when that storage keeps
  its public endpoint for the model registry's resource instance rule (dev, which shares models):
  Azure ML's required private endpoints cover only resources "with public network access
  disabled" in that mode (how-to-managed-network, "List of required rules");
- an FQDN rule per ``mlops:network.outboundFqdns`` host (approved outbound only; Microsoft's pip
  and conda hosts when the key is left out);
- a private endpoint to the shared Azure ML registry (``amlregistry``), through which jobs and
  deployments use its models, environments and components wherever it refuses public traffic
  (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network, "Private
  endpoints" lists "Azure Machine Learning registries"; their sub-resource is ``amlregistry``:
  https://learn.microsoft.com/azure/private-link/private-endpoint-dns, "AI + Machine Learning"),
  and to the storage account (``blob``) and container registry (``registry``) Azure created for
  the registry, from which deployments download models and pull images: registry network
  isolation asks for private endpoints to "the registry, storage, and ACR"
  (https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation#use-assets-from-registry-in-workspace-1);
  it documents them for a customer network, and no page says a managed network adds the last
  two itself.

Azure ML adds its own required rules (service tags, and private endpoints to the workspace's
storage, Key Vault and registry where their public network access is disabled, or always with
approved outbound only); they are not repeated here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.shared_stack import UsedModelRegistry
from settings.schema import DatastoreSettings, NetworkSettings

# Azure allows 3-33 letters, digits, '_' and '-' in a rule name, starting with a letter or digit.
RULE_NAME_LENGTH: Final = 33
# Rules to the workspace's own storage: its name is only known once the suffix is.
WORKSPACE_STORAGE_RULE: Final = "workspace-storage-{subresource}"
BATCH_STORAGE_SUBRESOURCES: Final = ("queue", "table")
# What Azure ML's own required rules reach on the workspace storage (its datastores' blobs and
# file share), when they do not.
WORKSPACE_STORAGE_SUBRESOURCES: Final = ("blob", "file")
MODEL_REGISTRY_RULE: Final = "model-registry"
MODEL_REGISTRY_SUBRESOURCE: Final = "amlregistry"
MODEL_REGISTRY_STORAGE_RULE: Final = "model-registry-storage-blob"
MODEL_REGISTRY_ACR_RULE: Final = "model-registry-acr"

OutboundRule = ml.PrivateEndpointOutboundRuleArgs | ml.FqdnOutboundRuleArgs


def datastore_rule_name(account_name: str, subresource: str) -> str:
    """Storage account names (3-24 lowercase alphanumerics) fit with the sub-resource."""
    return f"{account_name}-{subresource}"


def fqdn_rule_name(fqdn: str) -> str:
    """``fqdn-pypi_org``, ``wildcard-anaconda_org`` for ``*.anaconda.org``: one name per host.

    Host names have no ``_``, so dots become ``_`` without two hosts meeting; a host too long
    for a rule name keeps a readable start and a hash of the whole.
    """
    wildcard = fqdn.startswith("*.")
    name = ("wildcard-" if wildcard else "fqdn-") + fqdn.removeprefix("*.").replace(".", "_")
    if len(name) <= RULE_NAME_LENGTH:
        return name
    digest = hashlib.sha256(fqdn.encode()).hexdigest()[:6]
    return f"{name[: RULE_NAME_LENGTH - len(digest) - 1].rstrip('-_')}-{digest}"


def _private_endpoint(resource_id: pulumi.Input[str], subresource: str) -> OutboundRule:
    return ml.PrivateEndpointOutboundRuleArgs(
        type="PrivateEndpoint",
        category=ml.RuleCategory.USER_DEFINED,
        destination=ml.PrivateEndpointDestinationArgs(
            service_resource_id=resource_id,
            subresource_target=subresource,
            spark_enabled=False,
        ),
    )


def outbound_rules(
    network: NetworkSettings,
    datastores: Sequence[DatastoreSettings],
    workspace_storage_id: pulumi.Input[str],
    batch_endpoints: bool,
    *,
    model_registry: UsedModelRegistry | None = None,
    workspace_storage_public: bool = False,
) -> dict[str, OutboundRule]:
    """The user-defined outbound rules of the workspace's managed network, by rule name.

    ``workspace_storage_public``: the workspace storage keeps its public endpoint (firewalled,
    for a resource instance rule), so Azure ML creates no private endpoint to it unless the
    network allows only approved outbound."""
    if not network.managed:
        return {}
    rules: dict[str, OutboundRule] = {}
    if workspace_storage_public and not network.approved_outbound_only:
        for subresource in WORKSPACE_STORAGE_SUBRESOURCES:
            name = WORKSPACE_STORAGE_RULE.format(subresource=subresource)
            rules[name] = _private_endpoint(workspace_storage_id, subresource)
    for store in datastores:
        account = store.storage_account
        for subresource in store.subresources:
            name = datastore_rule_name(account.name, subresource)
            rules.setdefault(name, _private_endpoint(account.id, subresource))
    if batch_endpoints:
        for subresource in BATCH_STORAGE_SUBRESOURCES:
            name = WORKSPACE_STORAGE_RULE.format(subresource=subresource)
            rules[name] = _private_endpoint(workspace_storage_id, subresource)
    if model_registry is not None:
        rules[MODEL_REGISTRY_RULE] = _private_endpoint(
            model_registry.registry.id, MODEL_REGISTRY_SUBRESOURCE
        )
        if model_registry.storage_account_id is not None:
            rules[MODEL_REGISTRY_STORAGE_RULE] = _private_endpoint(
                model_registry.storage_account_id, "blob"
            )
        if model_registry.container_registry_id is not None:
            rules[MODEL_REGISTRY_ACR_RULE] = _private_endpoint(
                model_registry.container_registry_id, "registry"
            )
    for fqdn in network.fqdns:
        rules[fqdn_rule_name(fqdn)] = ml.FqdnOutboundRuleArgs(
            type="FQDN", category=ml.RuleCategory.USER_DEFINED, destination=fqdn
        )
    return rules


# Who approves the connections the workspace identity cannot: the registry's storage and
# container registry sit in the managed resource group Azure created for the registry, where no
# stack grants roles.
REGISTRY_OWNER_APPROVES: Final = (
    "the shared stack's owner, in the resource's Networking > Private endpoint connections "
    "(the registry's managed resource group azureml-rg-<registry>_<GUID>)"
)


def pending_approvals(
    network: NetworkSettings, model_registry: UsedModelRegistry | None
) -> list[dict[str, pulumi.Input[str]]]:
    """The outbound private endpoints whose connection someone else approves, and whom: every
    other target's is approved by the workspace identity (access matrix, approver rows)."""
    if not network.managed or model_registry is None:
        return []
    targets = (
        (MODEL_REGISTRY_STORAGE_RULE, model_registry.storage_account_id),
        (MODEL_REGISTRY_ACR_RULE, model_registry.container_registry_id),
    )
    return [
        {"rule": rule, "target": target, "approver": REGISTRY_OWNER_APPROVES}
        for rule, target in targets
        if target is not None
    ]


def managed_network(
    network: NetworkSettings, rules: dict[str, OutboundRule]
) -> ml.ManagedNetworkSettingsArgs:
    return ml.ManagedNetworkSettingsArgs(
        isolation_mode=network.isolation, outbound_rules=rules or None
    )
