"""The Microsoft Learn pages the access matrix and the journey table cite, each once.

A role or a hop names the page that says Azure needs it; both tables import their sources from
here, so one page has one name.
"""

from __future__ import annotations

from typing import Final

_LEARN: Final = "https://learn.microsoft.com/azure"
_ML: Final = f"{_LEARN}/machine-learning"
NO_SHARED_KEY: Final = f"{_ML}/how-to-disable-local-auth-storage#scenarios-for-role-assignments"
JOB_DATA: Final = (
    f"{_ML}/how-to-identity-based-service-authentication"
    "#access-data-for-training-jobs-on-compute-using-managed-identity"
)
BATCH_DATA: Final = (
    f"{_ML}/how-to-authenticate-batch-endpoint#configure-compute-clusters-for-data-access"
)
DATA_AUTH: Final = f"{_ML}/how-to-administrate-data-authentication"
COMPUTE_ACR: Final = (
    f"{_ML}/how-to-identity-based-service-authentication"
    "#create-compute-with-managed-identity-to-access-docker-images-for-training"
)
IMAGE_BUILDS: Final = f"{_ML}/how-to-managed-network#configure-image-builds"
ENDPOINT_ROLES: Final = (
    f"{_ML}/concept-endpoints-online-auth#automatic-role-assignment-for-endpoint-identity"
)
ASSIGN_ROLES: Final = f"{_ML}/how-to-assign-roles"
BATCH_INVOKE: Final = (
    f"{_ML}/how-to-authenticate-batch-endpoint#configure-rbac-for-batch-endpoints-invoke"
)
WORKSPACE_ROLES: Final = f"{_ML}/how-to-identity-based-service-authentication"
# Reader uses a registry's assets; writing them takes registries/assets/write (AzureML Registry
# User has it, without the right to change or delete the registry).
REGISTRY_READ: Final = f"{_ML}/how-to-manage-registries#allow-users-to-use-assets-from-the-registry"
REGISTRY_WRITE: Final = (
    f"{_ML}/how-to-manage-registries#allow-users-to-create-and-use-assets-from-the-registry"
)
REGISTRY_USER: Final = (
    f"{_LEARN}/role-based-access-control/built-in-roles/ai-machine-learning#azureml-registry-user"
)
# "The identity used to create assets in the registry must be assigned the AzureML Registry
# User, owner, or contributor role."
REGISTRY_NETWORK: Final = f"{_ML}/how-to-registry-network-isolation"
# "the workspace managed identity ... must have permissions to approve the Private Endpoint
# connections on the target resources"; Azure ML stopped assigning it itself on 30 April 2025.
APPROVE_ENDPOINTS: Final = f"{_ML}/how-to-managed-network#approval-of-private-endpoints"
SHARE_MODELS: Final = f"{_ML}/how-to-share-models-pipelines-across-workspaces-with-registries"
STORAGE_IP_RULES: Final = (
    f"{_LEARN}/storage/common/storage-network-security#grant-access-from-an-internet-ip-range"
)
REQUIRED_RULES: Final = f"{_ML}/how-to-managed-network#list-of-required-rules"
CPU_BUILD_COMPUTE: Final = f"{_ML}/how-to-secure-workspace-vnet#enable-azure-container-registry-acr"
PACKAGES: Final = f"{_ML}/how-to-managed-network#scenario-access-public-machine-learning-packages"
BATCH_STORAGE: Final = (
    f"{_ML}/how-to-managed-network#scenario-use-batch-endpoints-or-parallelrunstep"
)
ENDPOINT_LOGS: Final = f"{_ML}/how-to-monitor-online-endpoints#using-application-insights"
STUDIO: Final = f"{_ML}/how-to-managed-network#azure-machine-learning-studio"
PRIVATE_LINK: Final = f"{_ML}/how-to-configure-private-link"
V2_CONTROL_PLANE: Final = f"{_ML}/how-to-configure-network-isolation-with-v2"
SHARE_TO_REGISTRY: Final = f"{REGISTRY_NETWORK}#share-assets-from-workspace-to-registry-1"
REGISTRY_ASSETS: Final = f"{REGISTRY_NETWORK}#use-assets-from-registry-in-workspace-1"
REGISTRY_CLIENTS: Final = f"{REGISTRY_NETWORK}#create-assets-in-registry-from-local-files-1"
REGISTRY_DEPLOY: Final = f"{REGISTRY_NETWORK}#deploy-a-model-from-registry-to-workspace-1"
# Kubernetes online endpoints, on an attached AKS cluster in the team's network. The cluster side
# (settings.kubernetes's steps): the Azure ML extension, the attach, AKS trusted access.
KUBERNETES_EXTENSION: Final = f"{_ML}/how-to-deploy-kubernetes-extension"
KUBERNETES_ATTACH: Final = f"{_ML}/how-to-attach-kubernetes-to-workspace"
TRUSTED_ACCESS: Final = f"{_LEARN}/aks/trusted-access-feature"
# Managed against Kubernetes: identity supported for both; Azure Monitor's metrics and logs "user
# responsibility" on Kubernetes; Application Insights supported for both.
ONLINE_KINDS: Final = (
    f"{_ML}/concept-endpoints-online#managed-online-endpoints-vs-kubernetes-online-endpoints"
)
# "Online endpoints require ... AcrPull permission, to the container registry and Storage Blob
# Data Reader permission to the default datastore of the workspace": a page for managed and
# Kubernetes endpoints alike.
ONLINE_ENDPOINT_ROLES: Final = (
    f"{_ML}/how-to-access-resources-from-endpoints-managed-identities"
    "#give-access-permission-to-the-managed-identity"
)
# "If your ACR and blob storage are configured as private ... access from the Kubernetes endpoint
# should be over the private link regardless of whether your workspace is public or private."
KUBERNETES_PRIVATE_LINK: Final = (
    f"{_ML}/how-to-access-resources-from-endpoints-managed-identities#limitations"
)
# "At model deployment time ... AKS node should be able to ... Download images from customer's
# ACR ... Download models from Azure BLOBs."
KUBERNETES_CONNECTIVITY: Final = (
    f"{_ML}/how-to-kubernetes-inference-routing-azureml-fe"
    "#understand-connectivity-requirements-for-aks-inferencing-cluster"
)
# "If your AKS cluster is behind of a VNet, your workspace and its associated resources
# (storage, key vault, Azure Container Registry) must have private endpoints or service
# endpoints in the same or peered VNet as AKS cluster's VNet."
KUBERNETES_VNET: Final = f"{_ML}/how-to-secure-kubernetes-inferencing-environment#limitations"
# Inference on Kubernetes compute needs the workspace's API, its ACR and its blob storage.
KUBERNETES_EGRESS: Final = (
    f"{_ML}/how-to-access-azureml-behind-firewall#scenario-use-kubernetes-compute"
)
# Application Insights behind a network needs an Azure Monitor Private Link Scope; without one,
# telemetry leaves through the AzureMonitor service tag.
PRIVATE_MONITOR: Final = (
    f"{_ML}/how-to-secure-workspace-vnet#secure-azure-monitor-and-application-insights"
)
MONITOR_EGRESS: Final = f"{_ML}/how-to-access-azureml-behind-firewall#basic-configuration"
# Customer-managed keys. Azure ML: "The key vault must enable soft delete and purge protection";
# the identity needs "Wrap Key, Unwrap Key, Get"; what cannot change after creation; HBI.
CMK: Final = f"{_ML}/concept-customer-managed-keys"
# "For a workspace with customer-managed keys for encryption, you can pass in a user-assigned
# managed identity to authenticate ... to Key Vault."
CMK_IDENTITY: Final = f"{_ML}/how-to-identity-based-service-authentication#workspace"
# "Assign the Key Vault Crypto Service Encryption User role to the user-assigned managed
# identity"; a new account takes a customer-managed key through a user-assigned identity.
STORAGE_CMK: Final = (
    f"{_LEARN}/storage/common/customer-managed-keys-configure-new-account"
    "#use-a-user-assigned-managed-identity-to-authorize-access-to-the-key-vault"
)
# A registry takes a key only at creation, through a user-assigned identity; "an Azure container
# registry can only bypass the firewall when using its system-managed identity".
REGISTRY_CMK: Final = f"{_LEARN}/container-registry/container-registry-customer-managed-keys"
# Azure Machine Learning, Azure Storage and Azure Container Registry among the services a vault's
# "Allow trusted services" exception lets through.
KEY_VAULT_TRUSTED: Final = (
    f"{_LEARN}/key-vault/general/overview-vnet-service-endpoints#trusted-services"
)
# "Our recommendation is to use a vault per application per environment ... with roles assigned
# at the key vault scope"; roles on single keys are the exception.
KEY_VAULT_RBAC: Final = f"{_LEARN}/key-vault/general/rbac-guide"
