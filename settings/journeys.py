"""The workflows an MLOps team runs, declared once: the journey table.

A stack is right when these work on real Azure, not when each resource looks right alone. Each
journey is a sequence of hops; each hop says who (a principal kind of the access matrix,
``components.access``), from where (``Origin``), to what (``Destination`` and its Private Link
sub-resource), with which permission (a role on a scope, which must be a row of the access
matrix) and the Microsoft Learn page that says the hop is needed. Where the docs are ambiguous,
the hop names the question.

``offline.journeys`` evaluates the table over a stack's plan (``python -m offline.preview
--journeys``); ``mlops:journeys`` switches a journey off, with a reason, and the settings schema
takes its keys from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from settings.learn import (
    APPROVE_ENDPOINTS,
    ASSIGN_ROLES,
    BATCH_DATA,
    BATCH_INVOKE,
    BATCH_STORAGE,
    CMK,
    CMK_IDENTITY,
    COMPUTE_ACR,
    CPU_BUILD_COMPUTE,
    ENDPOINT_LOGS,
    ENDPOINT_ROLES,
    IMAGE_BUILDS,
    JOB_DATA,
    KEY_VAULT_TRUSTED,
    KUBERNETES_ATTACH,
    KUBERNETES_CONNECTIVITY,
    KUBERNETES_EGRESS,
    KUBERNETES_EXTENSION,
    KUBERNETES_PRIVATE_LINK,
    KUBERNETES_VNET,
    MONITOR_EGRESS,
    NO_SHARED_KEY,
    ONLINE_ENDPOINT_ROLES,
    ONLINE_KINDS,
    PACKAGES,
    PRIVATE_LINK,
    PRIVATE_MONITOR,
    REGISTRY_ASSETS,
    REGISTRY_CLIENTS,
    REGISTRY_CMK,
    REGISTRY_DEPLOY,
    REGISTRY_NETWORK,
    REGISTRY_READ,
    REGISTRY_WRITE,
    REQUIRED_RULES,
    SHARE_MODELS,
    SHARE_TO_REGISTRY,
    STORAGE_CMK,
    STORAGE_IP_RULES,
    STUDIO,
    TRUSTED_ACCESS,
    V2_CONTROL_PLANE,
)

# Where a hop starts:
# - client: a person's laptop or a pipeline's runner: on the internet where the workspace accepts
#   public traffic, in the team's network (through its private endpoints) where it does not;
# - teamNetwork: a runner or client inside the team's network, always through private endpoints;
# - managedNetwork: the workspace's compute (clusters, managed online deployments): in its managed
#   network, through Azure ML's required rules and the stack's outbound rules; with the team's
#   network instead (isolation customerManaged), in the team's subnet, through the stack's
#   inbound private endpoints and what the team's network routes to;
# - kubernetesCluster: an attached AKS cluster's nodes, where a Kubernetes online deployment
#   runs: in the team's network (their own subnet, in the virtual network of the stack's private
#   endpoints or one peered with it), through the stack's inbound private endpoints to the
#   workspace, its storage and registry where they refuse public traffic, through the shared
#   stack's private endpoints to the model registry, through the team's egress to the rest;
# - azureML: Azure ML's own service, server-side: the hop needs a permission or a setting, no
#   network path of the caller's;
# - azureService: another Azure service, server-side (the workspace's storage account, its
#   container registry), with a managed identity: likewise, a permission and the target's leave.
Origin = Literal[
    "client", "teamNetwork", "managedNetwork", "kubernetesCluster", "azureML", "azureService"
]
# What a hop reaches. resourceManager is Azure's control plane, which answers from anywhere;
# datastores are each datastore's storage account; the model registry's storage and container
# registry are those Azure creates for it; packageFeeds the pip and conda hosts; kubernetesCompute
# the attached clusters Kubernetes online endpoints serve on, with their Azure ML extension;
# encryptionKey the customer-managed key (mlops:encryption), reached in its vault.
Destination = Literal[
    "resourceManager",
    "workspace",
    "storage",
    "storageEndpoints",
    "keyVault",
    "registry",
    "applicationInsights",
    "imageBuildCompute",
    "kubernetesCompute",
    "datastores",
    "modelRegistry",
    "modelRegistryStorage",
    "modelRegistryAcr",
    "packageFeeds",
    "encryptionKey",
]
# When a journey or hop applies, from the stack's settings (offline.journeys says how each is
# read): a workspace, dev's compute, private inbound, a managed network, a network of either kind
# (managed or the team's: the workspace's dependencies refuse public traffic), a container
# registry, datastores, models shared from here, a model registry used (dev, qa, prod) or created
# (shared), private, a Key Vault and a container registry the stack creates (an adopted one is its
# owner's to reach), a customer-managed key, and a created registry that takes it.
Condition = Literal[
    "workspace",
    "privateInbound",
    "managedNetwork",
    "isolatedNetwork",
    "containerRegistry",
    "datastores",
    "sharesModels",
    "usesModelRegistry",
    "privateModelRegistry",
    "ownKeyVault",
    "ownContainerRegistry",
    "customerManagedKey",
    "encryptedRegistry",
]

# The questions Microsoft's docs leave open, named where a hop depends on them.
UNLISTED_REGISTRY_APPROVAL: Final = (
    "The page lists Azure Machine Learning registries among the targets the approver role "
    "covers, but the role's published actions (December 2024) name no registries action: if "
    "Azure refuses the approval, approve the connection in the registry's Networking."
)
MANAGED_REGISTRY_RULES: Final = (
    "Registry network isolation asks for private endpoints to the registry, its storage and its "
    "ACR from a customer network; for a managed network it says only that Azure ML creates the "
    "endpoints to the registry a deployment needs. The program adds all three as outbound rules."
)
REGISTRY_GROUP_ENDPOINTS: Final = (
    "The registry's storage and ACR sit in the managed resource group Azure created for it; "
    "no page says whether a deny assignment there stops their connections being approved "
    "automatically (the endpoints themselves are in the stack's own group). If one stays "
    "Pending, approve it in the resource's Networking."
)
KUBERNETES_PULL_IDENTITY: Final = (
    "The attach page has a Kubernetes compute's own managed identity pull images (for training "
    "jobs); the online endpoint pages have the endpoint's identity pull them, with AcrPull Azure "
    "ML grants a system-assigned one. The program attaches the cluster without an identity and "
    "relies on the endpoint's."
)
TRUSTED_STORAGE: Final = (
    "Key Vault lists Azure Storage's customer-managed keys among the trusted services without "
    "saying which identity it passes with; the program relies on it for the user-assigned one a "
    "new account takes."
)
SERVICE_SIDE_FIREWALL: Final = (
    "While service-side encryption was in preview its page said it did not support a vault "
    "with public network access disabled; the page since its release says nothing of it. Azure "
    "Machine Learning is among the vault's trusted services."
)
BUILDER_ROLES: Final = (
    "No page says which identity pushes an image built on the image build compute (a job on "
    "it sets up the registry with the cluster's identity): the program grants the cluster "
    "AcrPush, which pulls too, beside the roles Azure ML gives the workspace identity."
)


@dataclass(frozen=True)
class Hop:
    """One step of a journey: ``who`` reaches ``to`` from ``origin``, with ``role`` on
    ``scope`` (a row of the access matrix) where the step needs one."""

    what: str
    who: str
    origin: Origin
    to: Destination
    source: str | tuple[str, ...]
    # The Private Link sub-resource the path reaches (blob, amlworkspace...); None: the
    # destination's own (datastores: each datastore's, by its kind).
    subresource: str | None = None
    role: str | None = None
    # The access matrix's kind of scope; "datastores": each datastore's container, with the data
    # role its readOnly gives.
    scope: str | None = None
    when: tuple[Condition, ...] = ()
    # What Microsoft's docs leave open about this hop.
    question: str = ""
    # To a Key Vault: the caller passes the vault's exception for trusted Microsoft services
    # (Key Vault lists the service, with this identity); False: only a vault that accepts public
    # traffic lets it through.
    trusted: bool = True

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else self.source


@dataclass(frozen=True)
class Journey:
    key: str  # under mlops:journeys
    title: str
    hops: tuple[Hop, ...]
    # It applies only where these hold, and only where each of ``needs`` (principal kinds) has
    # someone in the stack: a journey nobody can take is not broken.
    when: tuple[Condition, ...] = ()
    needs: tuple[str, ...] = ()


def _datastore_reads(who: str, why: str, source: str | tuple[str, ...]) -> tuple[Hop, ...]:
    """A job's compute reads each datastore through the managed network's private endpoints,
    which the workspace identity approves."""
    return (
        Hop(
            f"reads each datastore's container ({why})",
            who,
            "managedNetwork",
            "datastores",
            source,
            scope="datastores",
            when=("datastores",),
        ),
        Hop(
            "approves the managed network's private endpoints to each datastore's account",
            "workspace",
            "azureML",
            "datastores",
            APPROVE_ENDPOINTS,
            role="Azure AI Enterprise Network Connection Approver",
            scope="datastoreAccounts",
            when=("datastores", "managedNetwork"),
            question="The page says the role goes 'on the target resources', not whether on the "
            "resource or its group: the program grants it on each storage account.",
        ),
    )


def _release_reads_registry() -> tuple[Hop, ...]:
    """A release deploys a registry model version: Azure ML resolves it for the pipeline, and
    the workspace uses it in the deployment (a managed or a Kubernetes online endpoint alike)."""
    return (
        Hop(
            "reads the registry's model version, which Azure ML resolves server-side",
            "releasePipeline",
            "azureML",
            "modelRegistry",
            REGISTRY_READ,
            role="Reader",
            scope="modelRegistry",
        ),
        Hop(
            "the workspace uses the registry's model and environment in the deployment",
            "workspace",
            "azureML",
            "modelRegistry",
            (REGISTRY_READ, SHARE_MODELS),
            role="Reader",
            scope="modelRegistry",
        ),
    )


def _registry_pulls(who: str, what: str) -> tuple[Hop, ...]:
    """Compute uses a registry model: the registry, its storage and its ACR, approved."""
    return (
        *_registry_reads(who, what, "managedNetwork"),
        Hop(
            "approves the managed network's private endpoint to the registry",
            "workspace",
            "azureML",
            "modelRegistry",
            APPROVE_ENDPOINTS,
            role="Azure AI Enterprise Network Connection Approver",
            scope="modelRegistry",
            when=("usesModelRegistry", "managedNetwork"),
            question=UNLISTED_REGISTRY_APPROVAL,
        ),
    )


def _registry_reads(who: str, what: str, origin: Origin) -> tuple[Hop, ...]:
    """A deployment reads a registry model: the registry, its storage and its ACR. Compute in a
    managed network (or the team's subnet) reaches the last two only where the workspace is
    isolated; an attached cluster, in the team's network, always does, as the registry refuses
    public traffic."""
    managed = origin == "managedNetwork"
    storage_when: tuple[Condition, ...] = (
        ("usesModelRegistry", "isolatedNetwork") if managed else ("usesModelRegistry",)
    )
    return (
        Hop(
            what,
            who,
            origin,
            "modelRegistry",
            (REGISTRY_DEPLOY, REGISTRY_READ),
            subresource="amlregistry",
            role="Reader",
            scope="modelRegistry",
            when=("usesModelRegistry",),
        ),
        Hop(
            "downloads the model's files from the registry's storage",
            who,
            origin,
            "modelRegistryStorage",
            REGISTRY_ASSETS if managed else (REGISTRY_ASSETS, KUBERNETES_CONNECTIVITY),
            subresource="blob",
            when=storage_when,
            question=MANAGED_REGISTRY_RULES if managed else "",
        ),
        Hop(
            "pulls a registry environment's image from the registry's container registry",
            who,
            origin,
            "modelRegistryAcr",
            REGISTRY_ASSETS if managed else (REGISTRY_ASSETS, KUBERNETES_CONNECTIVITY),
            subresource="registry",
            when=storage_when,
            question=MANAGED_REGISTRY_RULES if managed else "",
        ),
    )


JOURNEYS: Final[tuple[Journey, ...]] = (
    Journey(
        "laptopJobs",
        "Submit a job with local code from a laptop",
        when=("workspace",),
        needs=("dataScientist", "computeCluster"),
        hops=(
            Hop("submits the job (az ml job create)", "dataScientist", "client", "workspace",
                ASSIGN_ROLES, subresource="amlworkspace", role="AzureML Data Scientist",
                scope="workspace"),
            Hop("uploads the local code snapshot to the workspace storage", "dataScientist",
                "client", "storage", (NO_SHARED_KEY, STORAGE_IP_RULES), subresource="blob",
                role="Storage Blob Data Contributor", scope="storage"),
            Hop("reads the code snapshot and writes outputs and logs", "computeCluster",
                "managedNetwork", "storage", (JOB_DATA, NO_SHARED_KEY), subresource="blob",
                role="Storage Blob Data Contributor", scope="storage"),
            Hop("pulls the job's environment image", "computeCluster", "managedNetwork",
                "registry", COMPUTE_ACR, subresource="registry", role="AcrPull",
                scope="registry", when=("containerRegistry",)),
        ),
    ),
    Journey(
        "imageBuild",
        "Build a custom environment image",
        # Without a network (managed or the team's), the registry builds images itself.
        when=("workspace", "containerRegistry", "isolatedNetwork"),
        hops=(
            Hop("Azure ML builds the image on the workspace's image build compute (a container "
                "registry behind a network cannot build it)", "workspace", "azureML",
                "imageBuildCompute", (IMAGE_BUILDS, CPU_BUILD_COMPUTE)),
            Hop("reads the image's build context from the workspace storage", "imageBuilder",
                "managedNetwork", "storage", (IMAGE_BUILDS, NO_SHARED_KEY), subresource="blob",
                role="Storage Blob Data Contributor", scope="storage"),
            Hop("installs pip and conda packages", "imageBuilder", "managedNetwork",
                "packageFeeds", PACKAGES),
            Hop("pulls base images from and pushes the built image to the workspace registry",
                "imageBuilder", "managedNetwork", "registry", (IMAGE_BUILDS, COMPUTE_ACR),
                subresource="registry", role="AcrPush", scope="registry",
                question=BUILDER_ROLES),
        ),
    ),
    Journey(
        "trainingData",
        "A training job reads a datastore and writes its outputs",
        when=("workspace", "datastores"),
        needs=("computeCluster",),
        hops=(
            *_datastore_reads("computeCluster", "its inputs", JOB_DATA),
            Hop("writes outputs, models and MLflow artifacts to the workspace storage",
                "computeCluster", "managedNetwork", "storage", (JOB_DATA, NO_SHARED_KEY),
                subresource="blob", role="Storage Blob Data Contributor", scope="storage"),
        ),
    ),
    Journey(
        "shareModel",
        "Register a model and share it to the registry",
        when=("workspace", "sharesModels", "usesModelRegistry"),
        needs=("dataScientist",),
        hops=(
            Hop("registers the training job's model (az ml model create)", "dataScientist",
                "client", "workspace", ASSIGN_ROLES, subresource="amlworkspace",
                role="AzureML Data Scientist", scope="workspace"),
            Hop("shares it to the registry (az ml model share), from the team's network",
                "dataScientist", "teamNetwork", "modelRegistry",
                (REGISTRY_CLIENTS, REGISTRY_WRITE), subresource="amlregistry",
                role="AzureML Registry User", scope="modelRegistry"),
            Hop("the registry copies the model out of the workspace storage", "workspace",
                "azureML", "storage", SHARE_TO_REGISTRY, when=("isolatedNetwork",)),
        ),
    ),
    Journey(
        "releaseDeploy",
        "The release pipeline deploys a registry model version to a managed online endpoint",
        when=("workspace", "usesModelRegistry"),
        needs=("releasePipeline", "onlineEndpoint"),
        hops=(
            Hop("creates the online deployment (az ml online-deployment create, Azure Resource "
                "Manager)", "releasePipeline", "client", "resourceManager",
                (V2_CONTROL_PLANE, ASSIGN_ROLES), role="AzureML Data Scientist",
                scope="workspace"),
            *_release_reads_registry(),
            *_registry_pulls("onlineEndpoint", "the deployment pulls the registry's model"),
        ),
    ),
    Journey(
        "endpointServing",
        "The endpoint pulls its image and model, and logs to Application Insights",
        when=("workspace",),
        needs=("onlineEndpoint",),
        hops=(
            Hop("pulls the deployment's image", "onlineEndpoint", "managedNetwork", "registry",
                ENDPOINT_ROLES, subresource="registry", role="AcrPull", scope="registry",
                when=("containerRegistry",)),
            Hop("reads the model from the workspace storage", "onlineEndpoint",
                "managedNetwork", "storage", ENDPOINT_ROLES, subresource="blob",
                role="Storage Blob Data Reader", scope="storage"),
            Hop("writes metrics to the workspace", "onlineEndpoint", "azureML", "workspace",
                ENDPOINT_ROLES, role="AzureML Metrics Writer (preview)", scope="workspace"),
            Hop("sends requests, responses and traces to the workspace's Application Insights "
                "(app_insights_enabled)", "onlineEndpoint", "managedNetwork",
                "applicationInsights", (ENDPOINT_LOGS, REQUIRED_RULES)),
        ),
    ),
    Journey(
        "kubernetesReleaseDeploy",
        "The release pipeline deploys a registry model version to a Kubernetes online endpoint",
        when=("workspace", "usesModelRegistry"),
        needs=("releasePipeline", "kubernetesEndpoint"),
        hops=(
            Hop("creates the Kubernetes online deployment on one of the compute's instance types "
                "(az ml online-deployment create, Azure Resource Manager)", "releasePipeline",
                "client", "resourceManager", (V2_CONTROL_PLANE, ASSIGN_ROLES),
                role="AzureML Data Scientist", scope="workspace"),
            *_release_reads_registry(),
            *_registry_reads("kubernetesEndpoint", "the deployment pulls the registry's model",
                             "kubernetesCluster"),
        ),
    ),
    Journey(
        "kubernetesServing",
        "The Kubernetes endpoint runs on its cluster, pulls its image and model, and reports "
        "to Application Insights",
        when=("workspace",),
        needs=("kubernetesEndpoint",),
        hops=(
            Hop("Azure ML runs the deployment on the attached cluster through its Azure ML "
                "extension (inference) and, without local accounts, AKS trusted access",
                "workspace", "azureML", "kubernetesCompute",
                (KUBERNETES_ATTACH, KUBERNETES_EXTENSION, TRUSTED_ACCESS)),
            Hop("the cluster's Azure ML components reach the workspace's API", "kubernetesEndpoint",
                "kubernetesCluster", "workspace", (KUBERNETES_EGRESS, KUBERNETES_VNET),
                subresource="amlworkspace"),
            Hop("pulls the deployment's image from the workspace registry", "kubernetesEndpoint",
                "kubernetesCluster", "registry",
                (ONLINE_ENDPOINT_ROLES, KUBERNETES_PRIVATE_LINK, KUBERNETES_CONNECTIVITY),
                subresource="registry", role="AcrPull", scope="registry",
                when=("containerRegistry",), question=KUBERNETES_PULL_IDENTITY),
            Hop("reads the model from the workspace storage", "kubernetesEndpoint",
                "kubernetesCluster", "storage",
                (ONLINE_ENDPOINT_ROLES, KUBERNETES_PRIVATE_LINK, KUBERNETES_CONNECTIVITY),
                subresource="blob", role="Storage Blob Data Reader", scope="storage"),
            Hop("sends requests, responses and traces to the workspace's Application Insights "
                "(app_insights_enabled) over Azure Monitor's public ingestion: the program builds "
                "no private path to it (an Azure Monitor Private Link Scope)",
                "kubernetesEndpoint", "kubernetesCluster", "applicationInsights",
                (ENDPOINT_LOGS, ONLINE_KINDS, MONITOR_EGRESS, PRIVATE_MONITOR)),
        ),
    ),
    Journey(
        "batchScoring",
        "A batch endpoint job reads its input datastore and writes results",
        when=("workspace",),
        needs=("batchCluster", "releasePipeline"),
        hops=(
            Hop("invokes the batch endpoint", "releasePipeline", "client", "workspace",
                BATCH_INVOKE, subresource="amlworkspace", role="AzureML Data Scientist",
                scope="workspace"),
            *_datastore_reads("batchCluster", "the job's input", BATCH_DATA),
            Hop("writes results to the workspace storage", "batchCluster", "managedNetwork",
                "storage", (BATCH_DATA, NO_SHARED_KEY), subresource="blob",
                role="Storage Blob Data Contributor", scope="storage"),
            Hop("coordinates the mini-batches through the workspace storage's queues",
                "batchCluster", "managedNetwork", "storage", (BATCH_STORAGE, NO_SHARED_KEY),
                subresource="queue", role="Storage Queue Data Contributor", scope="storage"),
            Hop("tracks the mini-batches in the workspace storage's tables", "batchCluster",
                "managedNetwork", "storage", (BATCH_STORAGE, NO_SHARED_KEY),
                subresource="table", role="Storage Table Data Contributor", scope="storage"),
            Hop("pulls the deployment's image", "batchCluster", "managedNetwork", "registry",
                COMPUTE_ACR, subresource="registry", role="AcrPull", scope="registry",
                when=("containerRegistry",)),
            *_registry_pulls("batchCluster", "the deployment uses the registry's model"),
        ),
    ),
    Journey(
        "studio",
        "The studio from a client on the team's network",
        when=("workspace", "privateInbound"),
        needs=("accessEntry",),
        hops=(
            Hop("opens the workspace in the studio", "accessEntry", "teamNetwork", "workspace",
                (STUDIO, PRIVATE_LINK), subresource="amlworkspace"),
            Hop("browses data and uploads files (blob)", "accessEntry", "teamNetwork",
                "storage", STUDIO, subresource="blob"),
            Hop("opens notebooks and their files (file share)", "accessEntry", "teamNetwork",
                "storage", STUDIO, subresource="file"),
            Hop("the studio reads the storage through the client network's endpoints",
                "workspace", "azureML", "storageEndpoints", STUDIO, role="Reader"),
            Hop("reads the workspace's secrets (connections) from its Key Vault",
                "accessEntry", "teamNetwork", "keyVault", PRIVATE_LINK, subresource="vault",
                when=("ownKeyVault",)),
            Hop("pushes a custom base image to the workspace's container registry",
                "accessEntry", "teamNetwork", "registry", PRIVATE_LINK, subresource="registry",
                when=("ownContainerRegistry",)),
        ),
    ),
    Journey(
        "customerManagedKey",
        "The encryption identity wraps and unwraps the data keys with the customer-managed key",
        when=("workspace", "customerManagedKey"),
        needs=("encryptionIdentity",),
        hops=(
            Hop("Azure ML encrypts the workspace's metadata with the key, as the encryption "
                "identity", "encryptionIdentity", "azureML", "encryptionKey",
                (CMK, CMK_IDENTITY, KEY_VAULT_TRUSTED),
                role="Key Vault Crypto Service Encryption User", scope="encryptionVault",
                question=SERVICE_SIDE_FIREWALL),
            Hop("the workspace storage wraps its account encryption key with the key",
                "encryptionIdentity", "azureService", "encryptionKey",
                (STORAGE_CMK, KEY_VAULT_TRUSTED), role="Key Vault Crypto Service Encryption User",
                scope="encryptionVault", question=TRUSTED_STORAGE),
            Hop("the container registry wraps its data key with the key, with its user-assigned "
                "identity (which passes no vault firewall)", "encryptionIdentity",
                "azureService", "encryptionKey", (REGISTRY_CMK, KEY_VAULT_TRUSTED),
                role="Key Vault Crypto Service Encryption User", scope="encryptionVault",
                when=("encryptedRegistry",), trusted=False),
        ),
    ),
    Journey(
        "registryClients",
        "Share models to and read the registry from the team's network",
        when=("privateModelRegistry",),
        hops=(
            Hop("az ml against the registry (model share, show)", "releasePipeline",
                "teamNetwork", "modelRegistry", (REGISTRY_CLIENTS, REGISTRY_NETWORK),
                subresource="amlregistry"),
            Hop("uploads and downloads assets in the registry's storage", "releasePipeline",
                "teamNetwork", "modelRegistryStorage", REGISTRY_CLIENTS, subresource="blob",
                question=REGISTRY_GROUP_ENDPOINTS),
            Hop("pushes and pulls images in the registry's container registry",
                "releasePipeline", "teamNetwork", "modelRegistryAcr", REGISTRY_CLIENTS,
                subresource="registry", question=REGISTRY_GROUP_ENDPOINTS),
        ),
    ),
)  # fmt: skip
