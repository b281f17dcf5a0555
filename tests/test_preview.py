"""The offline preview: tree, settings, summary, outputs, JSON, markdown, compare, secrets."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pulumi
import pytest
import yaml

from offline.engine import (
    MOCK_SUBSCRIPTION_ID,
    MOCK_SUFFIX,
    MOCK_TENANT_ID,
    ROOT,
    ProgramRun,
    Resource,
    evaluate,
    stack_config,
)
from offline.plan import KNOWN_AFTER_APPLY, SECRET, SUFFIX_MARKER, Plan, critical_path
from offline.preview import (
    ConfigError,
    compare_data,
    main,
    render_compare,
    render_json,
    render_markdown,
    render_text,
    run_stack,
)
from tests.conftest import FIXTURE_STACKS

SECRET_VALUE = "s3cret-tag-value-only-in-config"


@pytest.fixture(scope="module")
def plans(stack_runs: dict[str, ProgramRun]) -> dict[str, Plan]:
    return {stack: Plan(run) for stack, run in stack_runs.items()}


@pytest.fixture(scope="module")
def dev_text(plans: dict[str, Plan]) -> str:
    return render_text(plans["dev"])


@pytest.fixture(scope="module")
def secret_run() -> ProgramRun:
    """dev with its alerts set as a secret config value, as `pulumi up` passes it (the e-mail
    reaches the action group and the budget)."""
    config, _ = stack_config("dev", FIXTURE_STACKS)
    config["mlops:alerts"] = json.dumps({"emails": [f"{SECRET_VALUE}@contoso.com"]})
    return run_stack("dev", config=config, secret_keys=["mlops:alerts"])


def _every_format(plans: dict[str, Plan]) -> list[str]:
    rendered = []
    for plan in plans.values():
        rendered += [render_text(plan), render_json(plan), render_markdown(plan)]
    return rendered


def _bad_stack_file(tmp_path: Path) -> Path:
    document = yaml.safe_load((FIXTURE_STACKS / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    document["config"]["mlops:prefix"] = "Not-A-Prefix"
    document["config"]["mlops:computeClusters"][0]["maxNodes"] = 0
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


# -- text -----------------------------------------------------------------------------------------


def test_tree_shows_type_logical_name_and_physical_name(dev_text: str) -> None:
    line = next(line for line in dev_text.splitlines() if "storage:StorageAccount" in line)
    assert "azure-native:storage:StorageAccount" in line
    assert f"ml-storage (stcontosodev{SUFFIX_MARKER})" in line


def test_tree_nests_resources_under_their_components(plans: dict[str, Plan]) -> None:
    order = [(len(flags), resource.name) for flags, resource in plans["dev"].walk()]
    component = order.index((1, "ml"))
    assert (2, "ml-workspace") in order[component + 1 :]
    next_top = next(i for i, (depth, _) in enumerate(order) if i > component and depth == 1)
    assert order.index((2, "ml-workspace")) < next_top


def test_physical_names_show_the_suffix_marker_never_the_mock_suffix(
    plans: dict[str, Plan],
) -> None:
    for rendered in _every_format(plans):
        assert MOCK_SUFFIX not in rendered
    assert SUFFIX_MARKER in render_text(plans["dev"])


def test_subscription_and_tenant_of_the_mock_are_never_shown(plans: dict[str, Plan]) -> None:
    for rendered in _every_format(plans):
        assert MOCK_SUBSCRIPTION_ID not in rendered
        assert MOCK_TENANT_ID not in rendered


def test_outputs_only_azure_knows_are_known_after_apply(plans: dict[str, Plan]) -> None:
    outputs = plans["dev"].outputs()
    assert outputs["workspaceId"] == KNOWN_AFTER_APPLY
    assert outputs["keyVaultUri"] == KNOWN_AFTER_APPLY
    assert outputs["studioUrl"] == KNOWN_AFTER_APPLY
    assert outputs["scoringUris"] == {"churn-score": KNOWN_AFTER_APPLY}


def test_outputs_the_program_decides_are_shown(plans: dict[str, Plan]) -> None:
    outputs = plans["dev"].outputs()
    assert outputs["resourceGroupName"] == "rg-contoso-mlops-dev"
    assert outputs["workspaceName"] == f"mlw-contoso-dev-{SUFFIX_MARKER}"


def test_storage_replication_is_shown(dev_text: str) -> None:
    assert "replication: LRS" in dev_text


def test_cluster_vm_size_and_node_counts_are_shown(plans: dict[str, Plan]) -> None:
    plan = plans["dev"]
    cluster = dict(plan.settings(plan.run.named("dev-compute-cluster-gpu-cluster")))
    assert cluster["vm"] == "Standard_NC4as_T4_v3"
    assert cluster["nodes"] == "0-2"
    assert cluster["priority"] == "LowPriority"


def test_compute_instance_idle_shutdown_is_shown(plans: dict[str, Plan]) -> None:
    plan = plans["dev"]
    instance = dict(plan.settings(plan.run.named("dev-compute-instance-ds-bob")))
    assert instance["idle shutdown"] == "PT30M"


def test_workspace_network_isolation_is_shown(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    workspace = dict(plan.settings(plan.run.named("ml-workspace")))
    assert workspace["isolation"] == "AllowOnlyApprovedOutbound"
    assert workspace["storage"] == "→ ml-storage"


def test_endpoint_auth_mode_is_shown(plans: dict[str, Plan]) -> None:
    plan = plans["dev"]
    assert dict(plan.settings(plan.run.named("endpoints-churn-score")))["auth"] == "AADToken"


def test_role_assignment_shows_role_principal_and_scope(plans: dict[str, Plan]) -> None:
    plan = plans["dev"]
    role = dict(plan.settings(plan.run.named("datastores-datastore-raw_sales-workspace-2a2b9908")))
    assert role["role"] == "Storage Blob Data Reader"
    assert role["principal"] == "identity of ml-workspace"
    assert role["scope"].startswith("stdataplatformexample/containers/sales")


def test_datastore_target_is_shown(plans: dict[str, Plan]) -> None:
    plan = plans["dev"]
    target = dict(plan.settings(plan.run.named("datastores-raw_customers")))["target"]
    assert target.startswith("stcrmexample/customers (rg-crm-prod")


def test_protected_resources_are_flagged(plans: dict[str, Plan]) -> None:
    lines = render_text(plans["prod"]).splitlines()
    line = next(line for line in lines if "storage:StorageAccount" in line)
    assert "[protect]" in line


def test_summary_counts_resources_by_type(plans: dict[str, Plan], dev_text: str) -> None:
    roles = len(plans["dev"].run.of_type("azure-native:authorization:RoleAssignment"))
    assert f"    {roles}  azure-native:authorization:RoleAssignment" in dev_text


# -- critical path --------------------------------------------------------------------------------


def test_critical_path_is_a_chain_of_dependencies(plans: dict[str, Plan]) -> None:
    chain = plans["prod"].critical_chain()
    for before, after in itertools.pairwise(chain):
        assert before.urn in after.dependencies


def test_critical_path_runs_from_the_resource_group_through_the_workspace(
    plans: dict[str, Plan],
) -> None:
    names = [r.name for r in plans["dev"].critical_chain()]
    assert names[0] == "environment-rg"
    assert names.index("ml-logs") < names.index("ml-insights") < names.index("ml-workspace")


def _fake(
    template: Resource,
    name: str,
    *,
    custom: bool = True,
    parent: str = "",
    deps: Sequence[str] = (),
) -> Resource:
    return replace(
        template,
        urn=f"urn:{name}",
        name=name,
        custom=custom,
        parent=parent,
        depends_on=tuple(deps),
        property_dependencies={},
    )


def test_critical_path_expands_a_dependency_on_a_component_to_its_children(
    stack_runs: dict[str, ProgramRun],
) -> None:
    template = stack_runs["dev"].resources[0]
    resources = [
        _fake(template, "a"),
        _fake(template, "group", custom=False),
        _fake(template, "b1", parent="urn:group"),
        _fake(template, "b2", parent="urn:group", deps=["urn:a"]),
        _fake(template, "d", deps=["urn:group"]),
    ]
    assert critical_path(resources).urns == ("urn:a", "urn:b2", "urn:d")


def test_critical_path_handles_long_chains_without_recursion(
    stack_runs: dict[str, ProgramRun],
) -> None:
    template = stack_runs["dev"].resources[0]
    chain = [_fake(template, "r0")]
    chain += [_fake(template, f"r{i}", deps=[f"urn:r{i - 1}"]) for i in range(1, 5000)]
    assert len(critical_path(list(reversed(chain))).urns) == 5000


# -- json -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_json_is_byte_identical_across_runs(
    stack: str, stack_runs: dict[str, ProgramRun], stack_reruns: dict[str, ProgramRun]
) -> None:
    """Slow for its first stack (2-5 s): ``stack_reruns`` evaluates every fixture stack twice
    in one process."""
    first = render_json(Plan(stack_runs[stack]))
    second = render_json(Plan(stack_reruns[stack]))
    assert first == second


def test_json_lists_every_resource(plans: dict[str, Plan]) -> None:
    data = json.loads(render_json(plans["qa"]))
    assert sorted(r["urn"] for r in data["resources"]) == sorted(
        r.urn for r in plans["qa"].run.resources
    )


def test_json_resource_carries_options_and_dependencies(plans: dict[str, Plan]) -> None:
    data = json.loads(render_json(plans["prod"]))
    store = next(r for r in data["resources"] if r["name"] == "datastores-raw_sales")
    assert store["options"]["protect"] is False
    assert set(store["options"]) >= {"protect", "retainOnDelete", "ignoreChanges", "dependsOn"}
    assert [urn.rsplit("::", 1)[-1] for urn in store["options"]["dependsOn"]] == [
        "datastores-datastore-raw_sales-workspace-2a2b9908"
    ]
    assert any(urn.endswith("::ml-workspace") for urn in store["dependencies"])
    assert store["inputs"]["name"] == "raw_sales"


def test_json_has_outputs_and_parent(plans: dict[str, Plan]) -> None:
    data = json.loads(render_json(plans["dev"]))
    workspace = next(r for r in data["resources"] if r["name"] == "ml-workspace")
    assert workspace["parent"].endswith("::ml")
    assert data["outputs"]["workspaceId"] == KNOWN_AFTER_APPLY


# -- markdown -------------------------------------------------------------------------------------


def test_markdown_has_the_tree_the_summary_and_the_outputs(plans: dict[str, Plan]) -> None:
    plan = plans["dev"]
    markdown = render_markdown(plan)
    roles = len(plan.run.of_type("azure-native:authorization:RoleAssignment"))
    assert "### Offline preview: stack `dev`" in markdown
    assert "├─ azure-native:machinelearningservices:Workspace" in markdown
    assert f"| `azure-native:authorization:RoleAssignment` | {roles} |" in markdown
    assert f"**Critical path: {len(plan.critical_chain())} resources**" in markdown
    assert f"| `workspaceId` | *{KNOWN_AFTER_APPLY}* |" in markdown


# -- compare --------------------------------------------------------------------------------------


def test_compare_shows_prod_approved_outbound_as_a_workspace_difference(
    plans: dict[str, Plan],
) -> None:
    data = compare_data(plans["qa"], plans["prod"])
    workspace = next(d for d in data["differences"] if d["name"] == "ml-workspace")
    assert workspace["settings"]["isolation"] == {
        "qa": "AllowInternetOutbound",
        "prod": "AllowOnlyApprovedOutbound",
    }
    assert data["onlyIn"]["qa"] == []


def test_compare_shows_storage_replication_zrs_against_gzrs(plans: dict[str, Plan]) -> None:
    data = compare_data(plans["qa"], plans["prod"])
    storage = next(d for d in data["differences"] if d["name"] == "ml-storage")
    assert storage["settings"]["replication"] == {"qa": "ZRS", "prod": "GZRS"}


def test_compare_text_names_both_stacks(plans: dict[str, Plan]) -> None:
    text = render_compare(plans["qa"], plans["prod"], "text")
    assert "Only in prod (" in text
    assert "replication  ZRS  →  GZRS" in text


def test_compare_command_prints_json_for_two_stacks(
    stack_runs: dict[str, ProgramRun],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The session's runs stand in for the command's own evaluation (run_stack, tested above).
    monkeypatch.setattr("offline.preview.run_stack", lambda stack, **_: stack_runs[stack])
    assert main(["--compare", "qa", "prod", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stacks"] == ["qa", "prod"]


ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def _with_resource(run: ProgramRun, name: str, **inputs: object) -> ProgramRun:
    """`run` with resource `name`'s inputs (and the outputs echoing them) updated by `inputs`."""
    resources = tuple(
        replace(r, inputs={**r.inputs, **inputs}, outputs={**r.outputs, **inputs})
        if r.name == name
        else r
        for r in run.resources
    )
    return replace(run, resources=resources)


def test_compare_matches_role_assignments_by_role_principal_and_scope(
    plans: dict[str, Plan],
) -> None:
    qa, prod = plans["qa"], plans["prod"]
    data = compare_data(qa, prod)
    text = render_compare(qa, prod, "text")
    # Their GUID names differ in every pair of stacks: never a difference.
    assert "roleAssignmentName" not in text
    assert all(
        "roleAssignmentName" not in d["properties"]
        for d in data["differences"]
        if d["type"] == ROLE_ASSIGNMENT
    )
    only = {item["name"] for stack in ("qa", "prod") for item in data["onlyIn"][stack]}
    both = [r for r in qa.run.of_type(ROLE_ASSIGNMENT) if r.name not in only]
    assert both, "the fixture's qa and prod share role assignments"


def test_compare_reports_a_role_assignment_to_another_principal_on_both_sides(
    plans: dict[str, Plan],
) -> None:
    qa = plans["qa"]
    grant = qa.run.of_type(ROLE_ASSIGNMENT)[0]
    elsewhere = Plan(
        _with_resource(qa.run, grant.name, principalId="11111111-2222-3333-4444-555555555555")
    )
    data = compare_data(qa, elsewhere, ("before", "after"))
    assert data["onlyIn"] == {
        "before": [{"type": ROLE_ASSIGNMENT, "name": grant.name}],
        "after": [{"type": ROLE_ASSIGNMENT, "name": grant.name}],
    }
    assert data["differences"] == []


def test_inserting_an_outbound_rule_makes_no_later_rule_differ(plans: dict[str, Plan]) -> None:
    prod = plans["prod"]
    (workspace,) = prod.run.of_type("azure-native:machinelearningservices:Workspace")
    network = dict(workspace.inputs["managedNetwork"])
    rules = network["outboundRules"]
    assert len(rules) > 1, "the fixture's prod workspace has outbound rules to shift"
    # Sorted first by name: before the change, every later rule moved one place down.
    inserted = {"type": "FQDN", "category": "UserDefined", "destination": "example.org"}
    network["outboundRules"] = {"aaa-inserted": inserted, **rules}
    after = Plan(_with_resource(prod.run, workspace.name, managedNetwork=network))
    data = compare_data(prod, after, ("before", "after"))
    (difference,) = data["differences"]
    assert difference["settings"] == {
        "outbound rule to FQDN example.org": {"before": "-", "after": "aaa-inserted"}
    }
    assert set(difference["properties"]) == {
        f"managedNetwork.outboundRules.aaa-inserted.{key}" for key in inserted
    }
    assert data["onlyIn"] == {"before": [], "after": []}
    assert "outbound rule #" not in render_compare(prod, after, "text")


# -- secrets --------------------------------------------------------------------------------------


def test_secret_config_value_never_appears_in_any_format(
    secret_run: ProgramRun, plans: dict[str, Plan]
) -> None:
    plan = Plan(secret_run)
    clean = plans["qa"]
    for rendered in (
        render_text(plan),
        render_json(plan),
        render_markdown(plan),
        render_compare(plan, clean, "text"),
        render_compare(plan, clean, "json"),
    ):
        assert SECRET_VALUE not in rendered


def test_secret_config_value_is_shown_as_secret(secret_run: ProgramRun) -> None:
    data = json.loads(render_json(Plan(secret_run)))
    assert data["config"]["mlops:alerts"] == SECRET
    group = next(r for r in data["resources"] if r["name"] == "monitoring-action-group")
    assert group["inputs"]["emailReceivers"][0]["emailAddress"] == SECRET


def test_invalid_secret_value_is_not_echoed_in_the_error() -> None:
    config, _ = stack_config("dev", FIXTURE_STACKS)
    config["mlops:prefix"] = "Secret-Prefix-Value"
    with pytest.raises(ConfigError) as raised:
        run_stack("dev", config=config, secret_keys=["mlops:prefix"])
    assert "mlops:prefix" in str(raised.value)
    assert "Secret-Prefix-Value" not in str(raised.value)


# -- command line ---------------------------------------------------------------------------------


def test_invalid_config_prints_only_the_settings_errors_and_exits_1(tmp_path: Path) -> None:
    """Slow (1.5-3 s): a fresh interpreter, which imports the SDK and the program."""
    # The one command these tests start as a process: its exit status and streams are the
    # process's own. Everything else is tested in process, through ``main``.
    result = subprocess.run(
        [sys.executable, "-m", "offline.preview", "--config-file", str(_bad_stack_file(tmp_path))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Invalid stack configuration:\n")
    assert "mlops:prefix" in result.stderr
    assert "mlops:computeClusters[0].maxNodes" in result.stderr
    assert all(line.startswith("  - ") for line in result.stderr.splitlines()[1:])


def test_unknown_stack_is_an_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "no-such-stack"]) == 1
    assert "Pulumi.no-such-stack.yaml" in capsys.readouterr().err


def test_the_command_defaults_to_dev(
    tmp_path: Path,
    stack_runs: dict[str, ProgramRun],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A file not named Pulumi.<stack>.yaml names no stack: the command's default applies.
    unnamed = tmp_path / "stack.yaml"
    shutil.copy(FIXTURE_STACKS / "Pulumi.dev.yaml", unnamed)
    asked: list[tuple[str, object]] = []

    def session_run(stack: str, config_file: object = None, **_: object) -> ProgramRun:
        asked.append((stack, config_file))
        return stack_runs[stack]

    # The session's run stands in for the command's own evaluation (run_stack, tested above).
    monkeypatch.setattr("offline.preview.run_stack", session_run)
    status = main(["--config-file", str(unnamed)])

    captured = capsys.readouterr()
    assert (status, asked) == (0, [("dev", unnamed)]), captured.err
    assert captured.out.startswith("Previewing stack dev offline")
    assert captured.err == ""


def test_outputs_the_program_marks_secret_are_shown_as_secret() -> None:
    def body() -> None:
        pulumi.export("token", pulumi.Output.secret("s3cr3t-value"))
        pulumi.export("name", "visible")

    plan = Plan(evaluate(body))
    assert plan.outputs() == {"name": "visible", "token": SECRET}


def test_json_and_text_show_what_a_change_would_replace(plans: dict[str, Plan]) -> None:
    data = json.loads(render_json(plans["dev"]))
    cluster = next(r for r in data["resources"] if r["name"] == "dev-compute-cluster-cpu-cluster")
    assert "properties.properties.vmSize" in cluster["options"]["replaceOnChanges"]
    line = next(line for line in render_text(plans["dev"]).splitlines() if "(cpu-cluster)" in line)
    assert "replaceOnChanges (7 properties)" in line
