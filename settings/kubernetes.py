"""The cluster side of an attached AKS cluster: what it takes, and who does it.

``STEPS`` is one table: what a cluster must have before a Kubernetes online endpoint serves on
it, in the order to do it, each with what the owner of a cluster owned elsewhere does
(``manage: false``), what is left by hand for the team's own cluster (``manage: true``: this
stack installs the Azure ML extension, binds the workspace through AKS trusted access and
declares the instance types in the attach) and the Microsoft Learn page that says so. The stack
output ``kubernetesOwnerActions``, the offline preview and the docs' table are all read from
it. ``extension_settings`` is what this stack configures the extension with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from settings.learn import KUBERNETES_ATTACH as ATTACH
from settings.learn import KUBERNETES_EXTENSION as DEPLOY_EXTENSION
from settings.learn import TRUSTED_ACCESS
from settings.schema import KubernetesClusterSettings

_ML: Final = "https://learn.microsoft.com/azure/machine-learning"
# The extension's ARM form: Microsoft's template, which this page links
# (Azure/AML-Kubernetes files/deployextension.json).
EXTENSION_ARM: Final = f"{_ML}/reference-kubernetes#use-arm-template-to-deploy-extension"
SECURE_ENDPOINTS: Final = f"{_ML}/how-to-secure-kubernetes-online-endpoint"
INSTANCE_TYPES: Final = f"{_ML}/how-to-manage-kubernetes-instance-types"
ASSIGN_ROLES: Final = f"{_ML}/how-to-assign-roles#common-scenarios"

# The extension a managed cluster gets: one per cluster, named as Microsoft's examples name it,
# released into the namespace the Azure ML extension always uses.
EXTENSION_TYPE: Final = "Microsoft.AzureML.Kubernetes"
EXTENSION_NAME: Final = "azureml"
RELEASE_NAMESPACE: Final = "azureml"
# The trusted access role Azure ML's workloads need of a cluster, bound per workspace.
MLWORKLOAD_ROLE: Final = "Microsoft.MachineLearningServices/workspaces/mlworkload"

KEY: Final = "mlops:kubernetesClusters"


@dataclass(frozen=True)
class ClusterStep:
    """One thing a cluster needs: what its owner does when the cluster is another team's
    (``elsewhere``), what remains by hand when this stack manages it (``managed``; None: this
    stack does it), and the page saying so. The texts take {cluster}, {group} (its resource
    group), {namespace}, {instance_types}, {tls_secret} and {tls_host}."""

    what: str
    elsewhere: str
    managed: str | None
    source: str
    # Only where the config lists instance types.
    instance_types_only: bool = False


STEPS: Final[tuple[ClusterStep, ...]] = (
    ClusterStep(
        "The cluster qualifies",
        "{cluster} uses a managed identity (not a service principal) and is in the workspace's "
        "subscription (Azure ML attaches no AKS cluster across subscriptions), where the "
        "Microsoft.KubernetesConfiguration resource provider is registered",
        "{cluster} uses a managed identity (not a service principal) and is in the workspace's "
        "subscription (Azure ML attaches no AKS cluster across subscriptions), where the "
        "Microsoft.KubernetesConfiguration resource provider is registered; no other stack "
        "manages it (a cluster has one Azure ML extension: other stacks attach it with manage: "
        "false)",
        DEPLOY_EXTENSION,
    ),
    ClusterStep(
        "The deploy identity's roles on the cluster",
        "The identity that runs pulumi up holds Azure Kubernetes Service Cluster Admin Role on "
        "{cluster}: attaching a cluster requires it",
        "The identity that runs pulumi up holds, on {cluster}: Azure Kubernetes Service Cluster "
        "Admin Role (the attach), Kubernetes Extension Contributor (the extension) and the "
        "actions Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/read, "
        "write and delete (the trusted access binding, in a custom role): the program grants "
        "its own identity nothing",
        ASSIGN_ROLES,
    ),
    ClusterStep(
        "HTTPS: certificate and host name",
        "A TLS certificate for the scoring host name (PEM, the full chain, no passphrase) and a "
        "DNS record of that name for the inference router's internal load balancer (service "
        "azureml-fe, namespace azureml)",
        "The namespace azureml and in it the Kubernetes secret {tls_secret}, with cert.pem and "
        "key.pem for {tls_host} (PEM, the full chain, no passphrase), before the first pulumi "
        "up (the extension uses the namespace, and finds the secret there); then a "
        "DNS record of {tls_host} for the inference router's internal load balancer (service "
        "azureml-fe)",
        SECURE_ENDPOINTS,
    ),
    ClusterStep(
        "The Azure ML extension, for inference",
        "The Azure ML extension for inference only, its router behind an internal load "
        "balancer, over HTTPS: az k8s-extension create --name azureml --extension-type "
        "Microsoft.AzureML.Kubernetes --cluster-type managedClusters --cluster-name {cluster} "
        "--resource-group {group} --scope cluster --config enableInference=True "
        "inferenceRouterServiceType=LoadBalancer internalLoadBalancerProvider=azure "
        "sslSecret=<secret> sslCname=<scoring host name> (allowInsecureConnections stays "
        "False; inferenceRouterHA, on by default, needs three nodes)",
        None,
        DEPLOY_EXTENSION,
    ),
    ClusterStep(
        "Trusted access for the workspace",
        "Where {cluster} has local accounts disabled or authorized IP ranges on its API server: "
        "a trusted access role binding for this workspace before the attach (az aks "
        "trustedaccess rolebinding create --cluster-name {cluster} --resource-group {group} "
        "--name <name> --roles Microsoft.MachineLearningServices/workspaces/mlworkload "
        "--source-resource-id <the workspaceId output>)",
        None,
        TRUSTED_ACCESS,
    ),
    ClusterStep(
        "The namespace",
        "The namespace {namespace} exists on {cluster}: attaching neither creates nor checks it",
        "The namespace {namespace} exists on {cluster}: attaching neither creates nor checks it",
        ATTACH,
    ),
    ClusterStep(
        "The instance types",
        "The InstanceType resources {instance_types} (apiVersion amlarc.azureml.com/v1alpha1), "
        "each with CPU and memory requests and limits",
        # Azure ML's REST API takes instance types in the attach, which this stack declares; Learn
        # documents only InstanceType resources made on the cluster, so they are made there too.
        "The InstanceType resources {instance_types} (apiVersion amlarc.azureml.com/v1alpha1) "
        "as mlops:kubernetesClusters declares them: the attach declares them too, but Microsoft "
        "documents instance types only as resources created on the cluster",
        INSTANCE_TYPES,
        instance_types_only=True,
    ),
)


def owner_actions(cluster: KubernetesClusterSettings) -> list[str]:
    """What is done by hand on ``cluster`` before this stack serves on it, in order."""
    tls = cluster.extension.tls if cluster.extension is not None else None
    fields = {
        "cluster": cluster.cluster.name,
        "group": cluster.cluster.resource_group,
        "namespace": cluster.namespace,
        "instance_types": ", ".join(cluster.instance_type_names),
        "tls_secret": tls.secret if tls else "",
        "tls_host": tls.host_name if tls else "",
    }
    found: list[str] = []
    for step in STEPS:
        text = step.managed if cluster.manage else step.elsewhere
        if text is None or (step.instance_types_only and not cluster.instance_type_names):
            continue
        found.append(text.format(**fields))
    return found


def cluster_problems(clusters: Sequence[KubernetesClusterSettings]) -> list[str]:
    """Entries attaching one cluster (other namespaces) agree on whether this stack manages it,
    and, where it does, on its one Azure ML extension."""
    return list(_disagreements(clusters))


def _disagreements(clusters: Sequence[KubernetesClusterSettings]) -> Iterator[str]:
    first: dict[str, int] = {}
    for index, cluster in enumerate(clusters):
        seen = first.setdefault(cluster.cluster.id.lower(), index)
        if seen == index:
            continue
        earlier = clusters[seen]
        if cluster.manage != earlier.manage:
            yield (
                f"{KEY}[{index}].manage: is {str(cluster.manage).lower()}, but {KEY}[{seen}] "
                f"attaches the same cluster ({cluster.cluster.name}) with manage: "
                f"{str(earlier.manage).lower()}; entries attaching one cluster agree on who "
                "manages it"
            )
        elif cluster.manage and cluster.extension != earlier.extension:
            yield (
                f"{KEY}[{index}].extension: differs from {KEY}[{seen}].extension, which manages "
                f"the same cluster ({cluster.cluster.name}): a cluster has one Azure ML "
                "extension; give both entries the same"
            )


def cluster_key(cluster: KubernetesClusterSettings) -> str:
    """The cluster in logical resource names: its name, and a digest of its ID (two clusters of
    one name in two resource groups stay apart)."""
    digest = hashlib.sha256(cluster.cluster.id.lower().encode()).hexdigest()[:8]
    return f"{cluster.cluster.name}-{digest}"


def binding_name(seed: str) -> str:
    """This stack's trusted access role binding on a cluster: one per workspace, named after
    the stack (letters, digits and hyphens, at most 24 characters)."""
    return f"azureml-{hashlib.sha256(seed.encode()).hexdigest()[:12]}"


def _flag(value: bool) -> str:
    return "True" if value else "False"


def extension_settings(cluster: KubernetesClusterSettings, location: str) -> dict[str, str]:
    """The configuration settings of a managed cluster's Azure ML extension (in ``location``,
    the cluster's region): inference only, the router on an internal Azure load balancer, HTTPS
    with the certificate in a Kubernetes secret. The keys are those of Microsoft's ARM template
    (``EXTENSION_ARM``) and of what `az k8s-extension create` sends for an AKS cluster (the
    documented sslSecret, which both pass on as scoringFe.sslSecret)."""
    assert cluster.extension is not None, "settings require an extension with manage: true"
    extension, aks = cluster.extension, cluster.cluster
    high_availability = extension.high_availability
    return {
        # DEPLOY_EXTENSION, configuration settings: inference only, nothing trains here.
        "enableTraining": "False",
        "enableInference": "True",
        "inferenceRouterServiceType": "LoadBalancer",
        "internalLoadBalancerProvider": "azure",
        "scoringFe.serviceType.internalLoadBalancer": "True",
        # SECURE_ENDPOINTS: HTTPS from a secret in the azureml namespace, for sslCname.
        "allowInsecureConnections": "False",
        "sslSecret": extension.tls.secret,
        "scoringFe.sslSecret": extension.tls.secret,
        "sslCname": extension.tls.host_name,
        "inferenceRouterHA": _flag(high_availability),
        "clusterPurpose": "FastProd" if high_availability else "DevTest",
        "installNvidiaDevicePlugin": _flag(extension.nvidia_device_plugin),
        # Which cluster the extension runs on, as the template and the CLI name it.
        "cluster_name": aks.id,
        "clusterId": aks.id,
        "prometheus.prometheusSpec.externalLabels.cluster_name": aks.id,
        "cluster_name_friendly": aks.name,
        "domain": location,
        "jobSchedulerLocation": location,
        # An AKS cluster talks to Azure ML without Azure Relay or Service Bus.
        "servicebus.enabled": "false",
        "relayserver.enabled": "false",
        "nginxIngress.enabled": "true",
    }
