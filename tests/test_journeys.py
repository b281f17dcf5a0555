"""Journeys: the workflows an MLOps team runs, each judged hop by hop on a stack's plan.

Every fixture and repository stack takes every journey that applies to it; taking away one
enabling piece (a role, an outbound rule, a private endpoint, the image build compute) breaks
the journeys whose hops need it, naming the hop, and no other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from components.access import PRINCIPALS
from offline import journeys
from offline.diagram import STALE
from offline.engine import ROOT, ProgramRun, Resource
from offline.journeys import JourneyReport, evaluate, matrix_row
from offline.preview import main
from settings.journeys import JOURNEYS
from settings.private_link import INBOUND_ENDPOINTS
from settings.roles import BUILT_IN_ROLES
from tests.conftest import FIXTURE_STACKS as FIXTURES_ROOT
from tests.conftest import REAL_STACKS, STACKS, of_type, only, real_run, stack_run
from tests.run_cache import cached_run

ROLE = "authorization:RoleAssignment"
ENDPOINT = "network:PrivateEndpoint"


def broken(report: JourneyReport) -> dict[str, list[str]]:
    """Each broken journey, with the hops that broke it."""
    return {
        result.journey.key: [h.hop.what for h in result.hops or () if not h.ok]
        for result in report.broken
    }


def fixture(stack: str) -> ProgramRun:
    return stack_run(stack, FIXTURES_ROOT)


def without(run: ProgramRun, gone: Callable[[Resource], bool]) -> ProgramRun:
    return replace(run, resources=tuple(r for r in run.resources if not gone(r)))


def role_named(role: str) -> Callable[[Resource], bool]:
    guid = BUILT_IN_ROLES[role]
    return lambda r: r.type.endswith(ROLE) and r.inputs["roleDefinitionId"].endswith(guid)


def workspace_changed(run: ProgramRun, change: Callable[[dict[str, Any]], None]) -> ProgramRun:
    """The run with the workspace's inputs changed as ``change`` says (on a copy)."""
    workspace = only(run, "machinelearningservices:Workspace")
    inputs = json.loads(json.dumps(workspace.inputs))
    change(inputs)
    changed = replace(workspace, inputs=inputs)
    return replace(run, resources=tuple(changed if r is workspace else r for r in run.resources))


def rule_removed(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda inputs: inputs["managedNetwork"]["outboundRules"].pop(name)


# ---------------------------------------------------------------- the table


def test_every_journey_has_its_own_key() -> None:
    keys = [journey.key for journey in JOURNEYS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: j.key)
def test_every_hop_is_a_principal_of_the_access_matrix_with_a_matrix_role(journey: Any) -> None:
    for hop in journey.hops:
        assert hop.who in PRINCIPALS, hop.what
        assert matrix_row(hop), f"{hop.what}: {hop.role} on {hop.scope} is no row of the matrix"


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: j.key)
def test_every_hop_names_the_microsoft_page_that_needs_it(journey: Any) -> None:
    for hop in journey.hops:
        assert hop.sources
        assert all(s.startswith("https://learn.microsoft.com/azure/") for s in hop.sources)


# ---------------------------------------------------------------- every stack takes them


@pytest.mark.parametrize("stack", STACKS)
def test_every_journey_holds_in_each_fixture_stack(stack: str) -> None:
    assert broken(evaluate(fixture(stack))) == {}


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_every_journey_holds_in_each_repository_stack_unless_switched_off(stack: str) -> None:
    assert broken(evaluate(real_run(stack))) == {}


@pytest.mark.parametrize(
    ("stack", "journeys"),
    [
        ("dev", {"laptopJobs", "imageBuild", "trainingData", "shareModel", "endpointServing"}),
        ("qa", {"imageBuild", "releaseDeploy", "endpointServing", "batchScoring", "studio"}),
        ("prod", {"imageBuild", "releaseDeploy", "endpointServing", "batchScoring", "studio"}),
        ("shared", {"registryClients"}),
    ],
)
def test_each_environment_takes_the_journeys_its_people_and_workloads_need(
    stack: str, journeys: set[str]
) -> None:
    report = evaluate(fixture(stack))
    assert {r.journey.key for r in report.results if r.hops is not None} == journeys


# ---------------------------------------------------------------- each piece enables its hops


def test_without_the_image_build_compute_only_the_image_build_breaks() -> None:
    run = workspace_changed(fixture("prod"), lambda inputs: inputs.pop("imageBuildCompute"))
    found = broken(evaluate(run))
    assert list(found) == ["imageBuild"]
    assert found["imageBuild"][0].startswith("Azure ML builds the image")


def test_without_the_build_clusters_acr_push_only_the_image_build_breaks() -> None:
    found = broken(evaluate(without(fixture("qa"), role_named("AcrPush"))))
    assert found == {
        "imageBuild": [
            "pulls base images from and pushes the built image to the workspace registry"
        ]
    }


def test_without_client_ip_rules_a_laptop_cannot_upload_code_to_dev() -> None:
    def no_ip_rules(run: ProgramRun) -> ProgramRun:
        storage = only(run, "storage:StorageAccount")
        inputs = json.loads(json.dumps(storage.inputs))
        del inputs["networkRuleSet"]["ipRules"]
        changed = replace(storage, inputs=inputs)
        return replace(run, resources=tuple(changed if r is storage else r for r in run.resources))

    found = broken(evaluate(no_ip_rules(fixture("dev"))))
    assert found == {"laptopJobs": ["uploads the local code snapshot to the workspace storage"]}


def test_without_the_rule_to_the_registrys_storage_deployments_cannot_download_models() -> None:
    run = workspace_changed(fixture("prod"), rule_removed("model-registry-storage-blob"))
    hop = "downloads the model's files from the registry's storage"
    assert broken(evaluate(run)) == {"releaseDeploy": [hop], "batchScoring": [hop]}


def test_without_the_queue_rule_only_batch_scoring_breaks() -> None:
    run = workspace_changed(fixture("qa"), rule_removed("workspace-storage-queue"))
    assert broken(evaluate(run)) == {
        "batchScoring": ["coordinates the mini-batches through the workspace storage's queues"]
    }


def test_without_the_approver_role_on_datastores_their_readers_break() -> None:
    approves = role_named("Azure AI Enterprise Network Connection Approver")

    def on_accounts(r: Resource) -> bool:
        scope = str(r.inputs.get("scope", ""))
        return approves(r) and "storageAccounts" in scope and "/containers/" not in scope

    hop = "approves the managed network's private endpoints to each datastore's account"
    assert broken(evaluate(without(fixture("dev"), on_accounts))) == {"trainingData": [hop]}
    assert broken(evaluate(without(fixture("prod"), on_accounts))) == {"batchScoring": [hop]}


def test_without_the_endpoints_reader_on_the_registry_the_deployment_cannot_pull_the_model() -> (
    None
):
    run = fixture("prod")
    endpoint = only(run, "machinelearningservices:OnlineEndpoint")
    principal = endpoint.outputs["identity"]["principalId"]
    reader = role_named("Reader")
    found = broken(
        evaluate(without(run, lambda r: reader(r) and r.inputs["principalId"] == principal))
    )
    assert found == {"releaseDeploy": ["the deployment pulls the registry's model"]}


def test_without_the_studio_readers_on_the_storage_endpoints_only_the_studio_breaks() -> None:
    run = fixture("qa")
    readers = {r.urn for r in of_type(run, ROLE) if r.name.startswith("inbound-")}
    found = broken(evaluate(without(run, lambda r: r.urn in readers)))
    assert found == {
        "studio": ["the studio reads the storage through the client network's endpoints"]
    }


def test_without_the_shared_registrys_private_endpoint_its_clients_break() -> None:
    run = fixture("shared")
    registry_endpoint = [
        r for r in of_type(run, ENDPOINT) if r.name == "registry-clients-amlregistry"
    ]
    assert registry_endpoint
    found = broken(evaluate(without(run, lambda r: r in registry_endpoint)))
    assert found == {"registryClients": ["az ml against the registry (model share, show)"]}


def test_a_missing_package_feed_rule_breaks_the_image_build_under_approved_outbound() -> None:
    run = workspace_changed(fixture("prod"), rule_removed("fqdn-pypi_org"))
    assert broken(evaluate(run)) == {"imageBuild": ["installs pip and conda packages"]}


# ---------------------------------------------------------------- switching one off


def test_a_journey_switched_off_with_a_reason_never_fails_and_says_why() -> None:
    run = without(fixture("qa"), role_named("AcrPush"))
    reason = "images are built by the platform team's pipeline"
    config = {
        **run.config,
        "mlops:journeys": json.dumps({"imageBuild": {"enabled": False, "reason": reason}}),
    }
    report = evaluate(replace(run, config=config))
    assert broken(report) == {}
    result = next(r for r in report.results if r.journey.key == "imageBuild")
    assert result.switched_off
    assert reason in result.note


# ---------------------------------------------------------------- the command line


def test_the_journeys_option_prints_every_hop(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--config-file", str(FIXTURES_ROOT / "Pulumi.prod.yaml"), "--journeys"])
    out = capsys.readouterr().out
    assert status == 0
    assert "Journeys (0 broken):" in out
    assert "✓ releaseDeploy" in out
    assert "outbound rule model-registry-acr (private endpoint, registry)" in out


def test_a_broken_journey_fails_the_preview_naming_the_hop_and_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    text = (FIXTURES_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(text.replace("    clientIpRanges: [203.0.113.0/24]\n", ""), "utf-8")
    status = main(["--config-file", str(stack_file), "--format", "markdown"])
    captured = capsys.readouterr()
    assert status == 1
    assert "**Journeys**</b>" not in captured.out  # the section, not a stray marker
    assert "laptopJobs" in captured.out
    assert "laptopJobs: uploads the local code snapshot" in captured.err
    assert "mlops:network.clientIpRanges" in captured.err


def test_committed_journeys_document_is_up_to_date(
    real_stack_runs: dict[str, ProgramRun],
) -> None:
    committed = (ROOT / journeys.DOCUMENT).read_text(encoding="utf-8")
    assert committed == journeys.document(real_stack_runs), f"{journeys.DOCUMENT} {STALE}"


# ---------------------------------------------------------------- what the journeys found broken


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_qa_and_prod_workspaces_read_the_registry_and_cannot_change_promoted_models(
    stack: str,
) -> None:
    run = fixture(stack)
    principal = only(run, "machinelearningservices:Workspace").outputs["identity"]["principalId"]
    registry_roles = {
        role
        for role in ("Reader", "AzureML Registry User")
        for r in of_type(run, ROLE)
        if role_named(role)(r)
        and r.inputs["principalId"] == principal
        and r.inputs["scope"].endswith("/registries/mlr-contoso-shared-example")
    }
    assert registry_roles == {"Reader"}


def test_pending_approvals_name_the_registrys_storage_and_acr_and_who_approves() -> None:
    pending = fixture("prod").outputs["pendingApprovals"]
    assert [(p["rule"], p["target"].rsplit("/", 1)[1]) for p in pending] == [
        ("model-registry-storage-blob", "stregistryexample"),
        ("model-registry-acr", "crregistryexample"),
    ]
    assert all("shared stack's owner" in p["approver"] for p in pending)


def test_the_shared_stack_exports_what_workspaces_reach_the_registry_through() -> None:
    outputs = fixture("shared").outputs
    assert set(outputs["modelRegistryStorageAccountIds"]) == {"westeurope", "northeurope"}
    assert "/Microsoft.ContainerRegistry/registries/" in outputs["modelRegistryContainerRegistryId"]


def test_prod_locks_neither_the_workspace_nor_a_resource_group() -> None:
    # how-to-managed-network, Limitations: "Make sure there are no scope locks on the Azure
    # Machine Learning resources and resource group."
    run = fixture("prod")
    workspace = only(run, "machinelearningservices:Workspace").outputs["id"]
    group = only(run, "resources:ResourceGroup").outputs["id"]
    scopes = {r.inputs["scope"] for r in of_type(run, "authorization:ManagementLockByScope")}
    assert scopes
    assert workspace not in scopes
    assert group not in scopes
    assert not of_type(run, "ManagementLockAtResourceGroupLevel")


def test_every_client_and_cluster_hop_to_a_private_endpoint_target_is_an_inbound_row() -> None:
    inbound = {(e.target, e.group) for e in INBOUND_ENDPOINTS}
    targets = {target for target, _ in inbound}
    for journey in JOURNEYS:
        for hop in journey.hops:
            if hop.origin in ("client", "teamNetwork", "kubernetesCluster") and hop.to in targets:
                assert (hop.to, hop.subresource) in inbound, f"{journey.key}: {hop.what}"


def test_a_role_that_includes_the_one_a_hop_needs_takes_the_hop() -> None:
    # dev's release pipeline holds AzureML Registry User on the registry, which reads too.
    run = fixture("dev")
    pipeline = {"principalId": "00000000-0000-0000-0000-0000000000c1"}
    config = {**run.config, "mlops:releasePipeline": json.dumps(pipeline)}
    report = evaluate(cached_run("dev", config=config))
    assert broken(report) == {}
    assert any(r.journey.key == "releaseDeploy" and r.hops for r in report.results)


def test_without_the_workspaces_reader_on_the_registry_qa_cannot_deploy_from_it() -> None:
    run = fixture("qa")
    workspace = only(run, "machinelearningservices:Workspace").outputs["identity"]["principalId"]
    reader = role_named("Reader")
    on_registry = [
        r
        for r in of_type(run, ROLE)
        if reader(r)
        and r.inputs["principalId"] == workspace
        and r.inputs["scope"].endswith("/registries/mlr-contoso-shared-example")
    ]
    assert on_registry
    assert broken(evaluate(without(run, lambda r: r in on_registry))) == {
        "releaseDeploy": [
            "the workspace uses the registry's model and environment in the deployment"
        ]
    }


def test_without_the_vault_endpoint_the_team_network_cannot_read_the_workspaces_secrets() -> None:
    run = fixture("qa")
    vault = [r for r in of_type(run, ENDPOINT) if r.name == "inbound-vault"]
    assert vault
    assert broken(evaluate(without(run, lambda r: r in vault))) == {
        "studio": ["reads the workspace's secrets (connections) from its Key Vault"]
    }


def test_a_hop_whose_role_nobody_in_the_stack_holds_is_broken() -> None:
    # The workspace builds images on the batch endpoint's cluster, which holds no AcrPush.
    run = workspace_changed(
        without(fixture("qa"), lambda r: r.name.startswith("image-build")),
        lambda inputs: inputs.update(imageBuildCompute="sales-prep-batch"),
    )
    found = broken(evaluate(run))
    assert found == {
        "imageBuild": [
            "pulls base images from and pushes the built image to the workspace registry"
        ]
    }


def test_without_a_managed_network_compute_cannot_reach_the_private_registry() -> None:
    run = fixture("dev")
    network = {**json.loads(run.config["mlops:network"]), "isolation": "disabled"}
    network.pop("clientIpRanges")  # no effect without a managed network
    pipeline = {"principalId": "00000000-0000-0000-0000-0000000000c1"}
    config = {
        **run.config,
        "mlops:network": json.dumps(network),
        "mlops:releasePipeline": json.dumps(pipeline),
    }
    report = evaluate(cached_run("dev", config=config))
    assert broken(report) == {"releaseDeploy": ["the deployment pulls the registry's model"]}
    result = next(r for r in report.results if r.journey.key == "releaseDeploy")
    assert "mlops:network.isolation" in next(h.detail for h in result.hops or () if not h.ok)
