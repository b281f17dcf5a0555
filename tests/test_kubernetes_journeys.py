"""Kubernetes online endpoints on the team's network (#25): the release pipeline deploys a
registry model to a Kubernetes online endpoint in qa and prod; the deployment runs on the
attached cluster, whose nodes pull its image and model through the stack's private endpoints
and the shared stack's, and reports to Application Insights (the journeys
kubernetesReleaseDeploy and kubernetesServing). Taking away one enabling piece breaks the hops
that need it, and no other.

Runs use tests/fixtures/kubernetes_serving/Pulumi.qa.yaml (qa, customerManaged, the team's own
cluster beside a batch endpoint), tests/fixtures/kubernetes/Pulumi.managed.yaml (dev without a
network) and, to show they preview clean, the example stacks in docs/examples; never the
repository's stack files.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Final

import pytest

from offline import journeys
from offline.diagram import EXAMPLES, example_stack
from offline.engine import ROOT, ProgramRun
from offline.journeys import JourneyReport, JourneyResult, evaluate
from offline.preview import main
from tests.conftest import of_type, only, stack_run
from tests.test_journeys import ROLE, broken, role_named, without

QA: Final = ROOT / "tests" / "fixtures" / "kubernetes_serving"
DEV: Final = ROOT / "tests" / "fixtures" / "kubernetes"
KUBERNETES_JOURNEYS: Final = {"kubernetesReleaseDeploy", "kubernetesServing"}
IMAGE_PULL: Final = "pulls the deployment's image from the workspace registry"
TELEMETRY: Final = "sends requests, responses and traces to the workspace's Application Insights"


def qa() -> ProgramRun:
    return stack_run("qa", QA)


def taken(report: JourneyReport) -> set[str]:
    """The journeys that apply, and so are judged hop by hop."""
    return {r.journey.key for r in report.results if r.hops is not None}


def journey(report: JourneyReport, key: str) -> JourneyResult:
    return next(r for r in report.results if r.journey.key == key)


def detail(report: JourneyReport, key: str, what: str) -> str:
    """The reason given for the hop of journey ``key`` whose text starts with ``what``."""
    return next(h.detail for h in journey(report, key).hops or () if h.hop.what.startswith(what))


# ---------------------------------------------------------------- qa and prod take them


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_each_example_stack_previews_with_no_policy_violation_and_no_broken_journey(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = example_stack(example.name.removeprefix("Pulumi.").removesuffix(".yaml"))
    status = main(["--stack", stack, "--config-file", str(example)])
    assert status == 0, capsys.readouterr().err


def test_qa_deploys_a_registry_model_to_its_kubernetes_endpoint_every_hop_holding() -> None:
    report = evaluate(qa())
    assert broken(report) == {}
    assert taken(report) >= KUBERNETES_JOURNEYS


def test_the_prod_example_deploys_a_registry_model_to_its_kubernetes_endpoint() -> None:
    report = evaluate(stack_run("prod-aks", EXAMPLES))
    assert broken(report) == {}
    assert taken(report) >= KUBERNETES_JOURNEYS


@pytest.mark.parametrize(
    ("what", "group"),
    [
        ("the cluster's Azure ML components reach the workspace's API", "amlworkspace"),
        (IMAGE_PULL, "registry"),
        ("reads the model from the workspace storage", "blob"),
    ],
)
def test_the_clusters_nodes_reach_the_stack_through_its_private_endpoints(
    what: str, group: str
) -> None:
    found = detail(evaluate(qa()), "kubernetesServing", what)
    assert f"nodes in the team's network through the stack's private endpoint ({group})" in found


def test_the_deployment_reaches_the_model_registry_through_the_shared_stacks_endpoints() -> None:
    report = evaluate(qa())
    for hop in journey(report, "kubernetesReleaseDeploy").hops or ():
        if hop.hop.to.startswith("modelRegistry") and hop.hop.origin == "kubernetesCluster":
            assert "to the shared stack's private endpoints" in hop.detail, hop.hop.what


def test_a_dev_cluster_reaches_a_workspace_without_a_network_over_the_internet() -> None:
    found = detail(
        evaluate(stack_run("managed", DEV)),
        "kubernetesServing",
        "reads the model from the workspace storage",
    )
    assert "over the internet to ml-storage, which accepts public traffic" in found


def test_the_telemetry_hop_holds_over_public_ingestion_and_names_the_missing_private_path() -> None:
    result = journey(evaluate(qa()), "kubernetesServing")
    (hop,) = [h for h in result.hops or () if h.hop.what.startswith(TELEMETRY)]
    assert hop.ok
    assert "Azure Monitor Private Link Scope" in hop.hop.what
    assert "accepts public ingestion" in hop.detail
    assert "no private path" in hop.detail


# ---------------------------------------------------------------- each piece enables its hops


def test_without_the_blob_endpoint_the_cluster_cannot_read_the_model_nor_the_others_storage() -> (
    None
):
    found = broken(evaluate(without(qa(), lambda r: r.name == "inbound-blob")))
    assert found == {
        "imageBuild": ["reads the image's build context from the workspace storage"],
        "kubernetesServing": ["reads the model from the workspace storage"],
        "batchScoring": ["writes results to the workspace storage"],
        "studio": [
            "browses data and uploads files (blob)",
            "the studio reads the storage through the client network's endpoints",
        ],
    }


def test_without_acr_pull_for_kubernetes_endpoints_only_their_image_pull_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = tuple(
        replace(row, principals=tuple(p for p in row.principals if p != "kubernetesEndpoint"))
        if row.role == "AcrPull"
        else row
        for row in journeys.MATRIX
    )
    monkeypatch.setattr(journeys, "MATRIX", rows)
    report = evaluate(qa())
    assert broken(report) == {"kubernetesServing": [IMAGE_PULL]}
    assert "has no AcrPull on ml-registry" in detail(report, "kubernetesServing", IMAGE_PULL)


def test_without_the_azure_ml_extension_only_kubernetes_serving_breaks() -> None:
    run = without(qa(), lambda r: r.type.endswith("kubernetesconfiguration:Extension"))
    report = evaluate(run)
    what = "Azure ML runs the deployment on the attached cluster"
    assert list(broken(report)) == ["kubernetesServing"]
    assert broken(report)["kubernetesServing"][0].startswith(what)
    assert "mlops:kubernetesClusters" in detail(report, "kubernetesServing", what)


def test_without_the_workspaces_trusted_access_only_kubernetes_serving_breaks() -> None:
    run = without(qa(), lambda r: r.type.endswith("containerservice:TrustedAccessRoleBinding"))
    report = evaluate(run)
    what = "Azure ML runs the deployment on the attached cluster"
    assert list(broken(report)) == ["kubernetesServing"]
    assert "no trusted access for the workspace on aks-qa" in detail(
        report, "kubernetesServing", what
    )


def test_without_the_endpoints_reader_on_the_registry_the_deployment_cannot_pull_the_model() -> (
    None
):
    run = qa()
    principal = only(run, "machinelearningservices:OnlineEndpoint").outputs["identity"][
        "principalId"
    ]
    reader = role_named("Reader")
    found = broken(
        evaluate(without(run, lambda r: reader(r) and r.inputs["principalId"] == principal))
    )
    assert found == {"kubernetesReleaseDeploy": ["the deployment pulls the registry's model"]}


def test_application_insights_closed_to_public_ingestion_breaks_only_the_telemetry_hop() -> None:
    run = qa()
    insights = only(run, "applicationinsights:Component")
    inputs = {
        **json.loads(json.dumps(insights.inputs)),
        "publicNetworkAccessForIngestion": "Disabled",
    }
    closed = replace(insights, inputs=inputs)
    run = replace(run, resources=tuple(closed if r is insights else r for r in run.resources))
    report = evaluate(run)
    assert list(broken(report)) == ["kubernetesServing"]
    assert broken(report)["kubernetesServing"][0].startswith(TELEMETRY)
    assert "Azure Monitor Private Link Scope" in detail(report, "kubernetesServing", TELEMETRY)


# ---------------------------------------------------------------- the endpoint's identity


def test_a_kubernetes_endpoints_identity_is_granted_only_read_on_the_model_registry() -> None:
    run = qa()
    principal = only(run, "machinelearningservices:OnlineEndpoint").outputs["identity"][
        "principalId"
    ]
    granted = [
        (role, r.inputs["scope"].rsplit("/", 2)[-2])
        for r in of_type(run, ROLE)
        if r.inputs["principalId"] == principal
        for role in ("Reader", "AcrPull", "Storage Blob Data Reader")
        if role_named(role)(r)
    ]
    # AcrPull and Storage Blob Data Reader are Azure ML's own grants: never the program's.
    assert granted == [("Reader", "registries")]
