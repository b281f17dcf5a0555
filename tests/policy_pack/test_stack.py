"""Stack policies, and the environment tag they read."""

from __future__ import annotations

import pytest
from pulumi_policy import PolicyResource

from offline.engine import ProgramRun
from offline.policies import stack_args
from policy.mlops_policy import stack
from policy.mlops_policy.properties import (
    BATCH_ENDPOINT,
    BLOB_SERVICE,
    COMPUTE,
    KEY_VAULT,
    LOG_ANALYTICS,
    ML_WORKSPACE,
    PRIVATE_DNS_ZONE_GROUP,
    PRIVATE_ENDPOINT,
    REGISTRY,
    RESOURCE_GROUP,
    RESOURCE_GROUP_LOCK,
    STORAGE_ACCOUNT,
)
from tests.conftest import STACKS
from tests.policy_pack.conftest import (
    ACCOUNT_ID,
    CLUSTER,
    GROUP_ID,
    INSTANCE,
    ResourceCase,
    StackCase,
    Violations,
    stack_resource,
    stack_rule,
    stack_violations,
    tagged,
    violation_tests,
)

VAULT_ID = f"{GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv-test"
WORKSPACE_ID = f"{GROUP_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
MANAGED = {"isolationMode": "AllowInternetOutbound"}
ENDPOINT_ID = f"{GROUP_ID}/providers/Microsoft.Network/privateEndpoints/pe-test"
ZONE_ID = f"{GROUP_ID}/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms"
COMPUTE_SUBNET_ID = (
    f"{GROUP_ID}/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/snet-compute"
)
# A workspace the team's network isolates, private in itself (its compute is what cases vary).
CUSTOMER_MANAGED_WORKSPACE = {
    "id": WORKSPACE_ID,
    "name": "mlw-test",
    "tags": {"environment": "prod", "customerManagedNetwork": "true"},
    "managedNetwork": {"isolationMode": "Disabled"},
    "publicNetworkAccess": "Disabled",
    "serverlessComputeSettings": {
        "serverlessComputeCustomSubnet": COMPUTE_SUBNET_ID,
        "serverlessComputeNoPublicIP": True,
    },
}

VIOLATIONS = [
    ResourceCase(
        "environment-tag",
        RESOURCE_GROUP,
        {"tags": {"owner": "ml-platform@contoso.example"}},
        "tags.environment is not set; set it to one of dev, qa, shared, prod",
    ),
    StackCase(
        "qa-prod-no-experimentation-compute",
        (stack_resource(COMPUTE, "ds-alice", tagged("qa", properties={"computeType": INSTANCE})),),
        "ds-alice",
        "'ds-alice' is a compute instance in qa; experiments belong in dev",
    ),
    StackCase(
        "prod-resource-locks",
        (stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID)),),
        "storage",
        "'storage' has no CanNotDelete lock; add a ManagementLockByScope",
    ),
    StackCase(
        "no-resource-group-lock",
        (
            stack_resource(
                RESOURCE_GROUP_LOCK,
                "group-lock",
                {"resourceGroupName": "rg-test", "level": "CanNotDelete"},
            ),
        ),
        "group-lock",
        "'group-lock' locks a resource group; Azure ML compute clusters can't scale in",
    ),
    StackCase(
        "prod-data-protected",
        (stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID)),),
        "storage",
        "'storage' is not protected; register it with protect=True",
    ),
    StackCase(
        "storage-blob-service-configured",
        (stack_resource(STORAGE_ACCOUNT, "storage", {"id": ACCOUNT_ID}),),
        "storage",
        "'storage' has no BlobServiceProperties",
    ),
    StackCase(
        "prod-blob-versioning",
        (
            stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", name="sttest")),
            stack_resource(
                BLOB_SERVICE, "blobs", {"accountName": "sttest", "isVersioningEnabled": False}
            ),
        ),
        "blobs",
        "'blobs' has isVersioningEnabled false; set it to true in prod",
    ),
    StackCase(
        "workspace-diagnostic-settings",
        (stack_resource(ML_WORKSPACE, "workspace", {"id": WORKSPACE_ID}),),
        "workspace",
        "'workspace' has no diagnostic setting",
    ),
    StackCase(
        "keyvault-network-default-deny",
        (
            stack_resource(
                KEY_VAULT,
                "vault",
                {"id": VAULT_ID, "properties": {"networkAcls": {"defaultAction": "Allow"}}},
            ),
            stack_resource(
                ML_WORKSPACE, "workspace", {"keyVault": VAULT_ID, "managedNetwork": MANAGED}
            ),
        ),
        "vault",
        "'vault' has properties.networkAcls.defaultAction 'Allow'; set it to 'Deny'",
    ),
    StackCase(
        "storage-network-default-deny",
        (
            stack_resource(
                STORAGE_ACCOUNT,
                "storage",
                {"id": ACCOUNT_ID, "networkRuleSet": {"defaultAction": "Allow"}},
            ),
            stack_resource(
                ML_WORKSPACE,
                "workspace",
                {"storageAccount": ACCOUNT_ID, "managedNetwork": MANAGED},
            ),
        ),
        "storage",
        "'storage' has networkRuleSet.defaultAction 'Allow'; set it to 'Deny'",
    ),
    StackCase(
        "customer-managed-network",
        (
            stack_resource(ML_WORKSPACE, "workspace", CUSTOMER_MANAGED_WORKSPACE),
            stack_resource(
                COMPUTE,
                "cluster",
                {
                    "workspaceName": "mlw-test",
                    "properties": {
                        "computeType": CLUSTER,
                        "properties": {"enableNodePublicIp": True},
                    },
                },
            ),
        ),
        "cluster",
        "'cluster' has properties.properties.subnet not set and enableNodePublicIp true; put it "
        "in the team's subnet (mlops:network.computeSubnetId) with no public IP",
    ),
    StackCase(
        "private-endpoint-dns",
        (stack_resource(PRIVATE_ENDPOINT, "endpoint", {"id": ENDPOINT_ID, "name": "pe-test"}),),
        "endpoint",
        "'endpoint' has no private DNS zone group with a zone",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    stack.area, VIOLATIONS
)


@pytest.mark.parametrize("name", STACKS)
def test_stack_environment_comes_from_the_environment_tags(
    stack_runs: dict[str, ProgramRun], name: str
) -> None:
    assert stack.stack_environment(stack_args(stack_runs[name]).resources) == name


def test_batch_endpoint_cluster_is_allowed_in_prod() -> None:
    component = stack_resource("mlops:endpoints:Endpoints", "endpoints", {})
    cluster = stack_resource(
        COMPUTE, "cluster", tagged("prod", properties={"computeType": CLUSTER})
    )
    endpoint = stack_resource(BATCH_ENDPOINT, "endpoint", tagged("prod"))
    cluster.parent = endpoint.parent = component
    found = stack_violations(
        stack_rule("qa-prod-no-experimentation-compute"), [component, cluster, endpoint]
    )
    assert found == []


def test_the_image_build_cluster_is_allowed_in_prod() -> None:
    component = stack_resource("mlops:compute:ImageBuildCompute", "image-build", {})
    cluster = stack_resource(
        COMPUTE, "image-build-cluster", tagged("prod", properties={"computeType": CLUSTER})
    )
    cluster.parent = component
    found = stack_violations(stack_rule("qa-prod-no-experimentation-compute"), [component, cluster])
    assert found == []


def test_general_purpose_cluster_is_refused_in_prod() -> None:
    cluster = stack_resource(COMPUTE, "cpu", tagged("prod", properties={"computeType": CLUSTER}))
    found = stack_violations(stack_rule("qa-prod-no-experimentation-compute"), [cluster])
    assert found.messages == [
        "azure-native:machinelearningservices:Compute 'cpu' is a general-purpose cluster in "
        "prod; only batch endpoints' clusters (created beside the endpoint) and the "
        "workspace's image build compute are allowed; train in dev"
    ]


def test_an_attached_kubernetes_cluster_is_allowed_in_prod() -> None:
    # It serves Kubernetes online endpoints; its owner installs the extension for inference only.
    attached = stack_resource(
        COMPUTE, "aks", tagged("prod", properties={"computeType": "Kubernetes"})
    )
    found = stack_violations(stack_rule("qa-prod-no-experimentation-compute"), [attached])
    assert found == []


def test_dev_may_have_compute_instances() -> None:
    instance = stack_resource(COMPUTE, "ds", tagged("dev", properties={"computeType": INSTANCE}))
    found = stack_violations(stack_rule("qa-prod-no-experimentation-compute"), [instance])
    assert found == []


LOCK = "azure-native:authorization:ManagementLockByScope"


def test_prod_lock_is_found_by_its_azure_id_alone() -> None:
    """Without property dependencies (state read back), the lock's ID under the resource's."""
    storage = stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID))
    lock_id = f"{ACCOUNT_ID}/providers/Microsoft.Authorization/locks/do-not-delete"
    lock = stack_resource(LOCK, "lock", {"id": lock_id, "level": "CanNotDelete"})
    assert stack_violations(stack_rule("prod-resource-locks"), [storage, lock]) == []


def test_prod_lock_is_found_by_its_scope() -> None:
    storage = stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID))
    lock = stack_resource(LOCK, "lock", {"scope": ACCOUNT_ID, "level": "CanNotDelete"})
    assert stack_violations(stack_rule("prod-resource-locks"), [storage, lock]) == []


def test_read_only_lock_does_not_count_as_the_prod_delete_lock() -> None:
    storage = stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID))
    lock = stack_resource(LOCK, "lock", {"scope": ACCOUNT_ID, "level": "ReadOnly"})
    assert len(stack_violations(stack_rule("prod-resource-locks"), [storage, lock])) == 1


def test_a_lock_on_the_resource_group_does_not_count_as_the_resources_own() -> None:
    storage = stack_resource(STORAGE_ACCOUNT, "storage", tagged("prod", id=ACCOUNT_ID))
    lock = stack_resource(LOCK, "lock", {"scope": GROUP_ID, "level": "CanNotDelete"})
    found = stack_violations(stack_rule("prod-resource-locks"), [storage, lock])
    assert [urn for _, urn in found] == [storage.urn]


def test_every_data_bearing_kind_needs_its_lock_in_prod() -> None:
    resources = [
        stack_resource(kind, kind.rsplit(":", 1)[1], tagged("prod", id=f"{GROUP_ID}/x/{n}"))
        for n, kind in enumerate((STORAGE_ACCOUNT, KEY_VAULT, REGISTRY, LOG_ANALYTICS))
    ]
    found = stack_violations(stack_rule("prod-resource-locks"), resources)
    assert [urn for _, urn in found] == [r.urn for r in resources]


def test_dev_needs_no_resource_locks() -> None:
    storage = stack_resource(STORAGE_ACCOUNT, "storage", tagged("dev", id=ACCOUNT_ID))
    assert stack_violations(stack_rule("prod-resource-locks"), [storage]) == []


def test_a_lock_by_scope_on_a_resource_group_is_refused_too() -> None:
    lock = stack_resource(LOCK, "lock", {"scope": GROUP_ID, "level": "CanNotDelete"})
    assert len(stack_violations(stack_rule("no-resource-group-lock"), [lock])) == 1


def test_a_lock_on_a_resource_is_no_resource_group_lock() -> None:
    lock = stack_resource(LOCK, "lock", {"scope": ACCOUNT_ID, "level": "CanNotDelete"})
    assert stack_violations(stack_rule("no-resource-group-lock"), [lock]) == []


def test_prod_rules_apply_when_any_resource_is_tagged_prod() -> None:
    resources = [
        stack_resource(STORAGE_ACCOUNT, "dev-storage", tagged("dev")),
        stack_resource(REGISTRY, "prod-registry", tagged("prod")),
    ]
    found = stack_violations(stack_rule("prod-data-protected"), resources)
    assert [urn for _, urn in found] == [r.urn for r in resources]


def test_workspace_without_managed_network_leaves_its_vault_open() -> None:
    resources = [
        stack_resource(
            KEY_VAULT,
            "vault",
            {"id": VAULT_ID, "properties": {"networkAcls": {"defaultAction": "Allow"}}},
        ),
        stack_resource(
            ML_WORKSPACE,
            "workspace",
            {"keyVault": VAULT_ID, "managedNetwork": {"isolationMode": "Disabled"}},
        ),
    ]
    assert stack_violations(stack_rule("keyvault-network-default-deny"), resources) == []


def test_unprotected_prod_storage_is_reported_on_the_real_prod_stack(
    stack_runs: dict[str, ProgramRun],
) -> None:
    args = stack_args(stack_runs["prod"])
    storage = next(r for r in args.resources if r.resource_type == STORAGE_ACCOUNT)
    storage.opts.protect = False
    found = Violations()
    stack_rule("prod-data-protected").validate(args, found)
    assert [urn for _, urn in found] == [storage.urn]


def zone_group(configs: list[dict], **props: str) -> PolicyResource:
    return stack_resource(
        PRIVATE_DNS_ZONE_GROUP, "dns", {"privateDnsZoneConfigs": configs, **props}
    )


def endpoint(**tags: str) -> PolicyResource:
    return stack_resource(
        PRIVATE_ENDPOINT, "endpoint", {"id": ENDPOINT_ID, "name": "pe-test", "tags": tags}
    )


@pytest.mark.parametrize(
    "group",
    [
        {"privateEndpointName": "pe-test"},
        {"id": f"{ENDPOINT_ID}/privateDnsZoneGroups/default"},
    ],
    ids=["by-endpoint-name", "by-azure-id"],
)
def test_an_endpoint_with_a_zone_group_has_dns(group: dict[str, str]) -> None:
    resources = [endpoint(), zone_group([{"privateDnsZoneId": ZONE_ID}], **group)]
    assert stack_violations(stack_rule("private-endpoint-dns"), resources) == []


def test_a_zone_group_without_zones_gives_no_dns() -> None:
    resources = [endpoint(), zone_group([], privateEndpointName="pe-test")]
    assert len(stack_violations(stack_rule("private-endpoint-dns"), resources)) == 1


def test_an_endpoint_whose_dns_azure_policy_keeps_needs_no_zone_group() -> None:
    found = stack_violations(stack_rule("private-endpoint-dns"), [endpoint(dnsByPolicy="true")])
    assert found == []


def test_a_zone_group_of_another_endpoint_does_not_count() -> None:
    resources = [endpoint(), zone_group([{"privateDnsZoneId": ZONE_ID}], privateEndpointName="x")]
    assert len(stack_violations(stack_rule("private-endpoint-dns"), resources)) == 1


def test_a_customer_managed_workspaces_compute_is_in_its_own_compute_subnet() -> None:
    elsewhere = COMPUTE_SUBNET_ID.replace("snet-compute", "snet-other")
    cluster = stack_resource(
        COMPUTE,
        "cluster",
        {
            "workspaceName": "mlw-test",
            "properties": {
                "computeType": CLUSTER,
                "properties": {"subnet": {"id": elsewhere}, "enableNodePublicIp": False},
            },
        },
    )
    workspace = stack_resource(ML_WORKSPACE, "workspace", CUSTOMER_MANAGED_WORKSPACE)
    found = stack_violations(stack_rule("customer-managed-network"), [workspace, cluster])
    assert any("not the workspace's compute subnet" in message for message, _ in found), found
