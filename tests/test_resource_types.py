"""offline/resource_types.py is the one place the offline tools learn about a resource type."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import replace
from typing import Final

import pulumi
import pulumi_azure_native as azure
import pytest

from offline.diagram import mermaid
from offline.engine import ROOT, ProgramRun, evaluate
from offline.plan import Plan
from offline.preview import render_text
from offline.resource_types import (
    RESOURCE_TYPES,
    AzureMock,
    Field,
    InResourceGroup,
    resource_type,
)

STORAGE: Final = "azure-native:storage:StorageAccount"


def test_every_type_the_stacks_create_has_a_row(stack_runs: dict[str, ProgramRun]) -> None:
    created = {r.type for run in stack_runs.values() for r in run.resources if r.custom}
    missing = sorted(created - RESOURCE_TYPES.keys())
    assert not missing, f"add a row to offline/resource_types.py for {missing}"


def test_no_other_offline_module_names_a_resource_type() -> None:
    # Full tokens and their module:Type part (``storage:StorageAccount``).
    tokens = set(RESOURCE_TYPES) | {token.split(":", 1)[1] for token in RESOURCE_TYPES}
    for module in sorted((ROOT / "offline").glob("*.py")):
        if module.name == "resource_types.py":
            continue
        source = module.read_text(encoding="utf-8")
        named = sorted(token for token in tokens if token in source)
        assert not named, f"{module.name} names {named}: declare it in resource_types.py"


def test_summary_and_diagram_read_the_row(
    monkeypatch: pytest.MonkeyPatch, stack_runs: dict[str, ProgramRun]
) -> None:
    row = replace(
        RESOURCE_TYPES[STORAGE], label="Blob store", summary=(Field("tier", "accessTier"),)
    )
    monkeypatch.setitem(RESOURCE_TYPES, STORAGE, row)
    plan = Plan(stack_runs["dev"])
    assert plan.settings(plan.run.named("ml-storage")) == [("tier", "Hot")]
    assert 'r_ml_storage[("Blob store<br/>' in mermaid(plan)


def test_the_mock_engine_reads_the_row(monkeypatch: pytest.MonkeyPatch) -> None:
    mock = AzureMock(
        InResourceGroup("Example.Provider/stores"),
        "accountName",
        {"primaryEndpoints.blob": "https://{name}.example/"},
    )
    monkeypatch.setitem(RESOURCE_TYPES, STORAGE, replace(RESOURCE_TYPES[STORAGE], mock=mock))

    def body() -> None:
        azure.storage.StorageAccount(
            "st",
            account_name="stexample",
            resource_group_name="rg",
            kind="StorageV2",
            sku={"name": "Standard_LRS"},
        )

    storage = evaluate(body).named("st")
    assert storage.id.endswith("/resourceGroups/rg/providers/Example.Provider/stores/stexample")
    assert storage.outputs["primaryEndpoints"] == {"blob": "https://stexample.example/"}


class _AccessGrants(pulumi.ComponentResource):
    """A component type the table does not know, parenting a type it does."""

    def __init__(self, name: str, scope: pulumi.Input[str]) -> None:
        super().__init__("mlops:access:AccessGrants", name)
        azure.authorization.RoleAssignment(
            f"{name}-reader",
            principal_id="11111111-2222-3333-4444-555555555555",
            principal_type="Group",
            role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/reader",
            scope=scope,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def test_types_without_a_row_render_generically() -> None:
    def body() -> None:
        group = azure.resources.ResourceGroup("rg", resource_group_name="rg-example")
        network = pulumi.CustomResource(
            "azure-native:network:VirtualNetwork",
            "vnet",
            {"resourceGroupName": group.name, "location": "westeurope", "sku": {"name": "Basic"}},
        )
        _AccessGrants("grants", scope=network.id)

    plan = Plan(evaluate(body))
    network, grants = plan.run.named("vnet"), plan.run.named("grants")
    assert resource_type(network.type).label == "VirtualNetwork"
    assert plan.settings(network) == [("sku", "Basic"), ("location", "westeurope")]
    assert plan.settings(grants) == []
    assert dict(plan.settings(plan.run.named("grants-reader")))["scope"] == "→ vnet"
    assert 'r_vnet["VirtualNetwork<br/>vnet"]' in mermaid(plan)
    assert "mlops:access:AccessGrants" in render_text(plan)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _wire_name(args: type, parameter: str) -> str:
    """An input as the engine names it: its getter's name where the SDK gives one (the REST
    spec's spelling, enableServiceSideCMKEncryption), else the parameter in camelCase."""
    found = args.__dict__.get(parameter)
    return found.fget._pulumi_name if isinstance(found, property) else _camel(parameter)


def test_replace_and_refused_inputs_are_inputs_of_their_type() -> None:
    """The columns name real inputs of the SDK's Args class, so a typo cannot hide a replace."""
    for token, row in RESOURCE_TYPES.items():
        if not token.startswith("azure-native:"):
            continue
        _, module, name = token.split(":")
        args = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), f"{name}Args")
        inputs = {_wire_name(args, p) for p in inspect.signature(args.__init__).parameters}
        named = [*row.replace_on_changes, *(refusal.path for refusal in row.refused)]
        unknown = sorted(key for key in named if key.split(".")[0] not in inputs)
        assert not unknown, f"{token}: {unknown} are not inputs of {name}Args"
