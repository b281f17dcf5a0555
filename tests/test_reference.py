"""The stack config's JSON Schema and every generated block of the docs come from the code: the
schema and the configuration reference from the settings models, the other blocks from the tables
and the offline preview they show (``offline.reference.BLOCKS``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from offline import reference
from settings.schema import Settings
from tests.conftest import FIXTURE_STACKS

FIXTURE = {
    "config": {
        "azure-native:location": "westeurope",
        "mlops:prefix": "contoso",
        "mlops:network": {"isolation": "allowInternetOutbound"},
        "mlops:computeClusters": [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": 2}],
        "mlops:alerts": {"emails": ["ml-platform@contoso.example"]},
        "azure-native:subscriptionId": "11111111-2222-3333-4444-555555555555",
        "random:anything": "another provider's key",
    }
}


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(reference.SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(document)]


def with_config(**changes: Any) -> dict[str, Any]:
    return {"config": {**FIXTURE["config"], **changes}}


def test_committed_schema_and_generated_docs_are_up_to_date() -> None:
    """Slow (about 10 s on the 2-core machine): every block is generated anew, which runs the
    program on dev twice (as committed, and edited for the diff's excerpt) and on prod, with the
    policy pack and the journeys, and the bootstrap program once."""
    assert reference.main(["--check"]) == 0, "run `make docs`"


def stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """A page holding ``text``, whose one block (``x``) should read ``fresh``."""
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    monkeypatch.setattr(reference, "BLOCKS", (reference.Block(page, "x", "y", lambda: "fresh"),))
    monkeypatch.setattr(reference, "ROOT", tmp_path)
    return page


def test_check_mode_fails_on_a_stale_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = reference.Block(tmp_path, "x", "y", str)
    stale_page(tmp_path, monkeypatch, f"# Page\n\n{block.begin}\n\nstale\n\n{block.end}\n")
    assert reference.main(["--check"]) == 1


def test_make_docs_rewrites_only_between_the_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = reference.Block(tmp_path, "x", "y", str)
    page = stale_page(tmp_path, monkeypatch, f"before\n{block.begin}\nstale\n{block.end}\nafter\n")
    assert reference.main([]) == 0
    assert page.read_text(encoding="utf-8") == (
        f"before\n{block.begin}\n\nfresh\n\n{block.end}\nafter\n"
    )


def test_a_page_without_its_markers_stops_make_docs_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale_page(tmp_path, monkeypatch, "# Page\n")
    with pytest.raises(SystemExit, match=r"page\.md: the markers .*x:begin.* are missing"):
        reference.main(["--check"])


EXCERPTED = ["Resources:", "    + 2 to create", "    1  a", "", "Policies: none"]


def test_an_excerpt_marks_left_out_lines() -> None:
    kept = [True, True, False, False, True]
    assert reference._excerpt(EXCERPTED, kept) == (
        "Resources:\n    + 2 to create\n...\nPolicies: none"
    )


def test_an_excerpt_keeps_a_left_out_blank_line_blank() -> None:
    kept = [True, True, True, False, True]
    assert reference._excerpt(EXCERPTED, kept).endswith("a\n\nPolicies: none")


def test_check_mode_fails_on_a_stale_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "stack-config.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(reference, "SCHEMA_FILE", stale)
    monkeypatch.setattr(reference, "ROOT", tmp_path.parent)
    monkeypatch.setattr(reference, "BLOCKS", ())
    assert reference.main(["--check"]) == 1


def test_schema_accepts_a_valid_stack_file() -> None:
    assert schema_errors(FIXTURE) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("azure-native:locaton", "westeurope"),  # a typo of a provider key
        ("azure:location", "westeurope"),  # the classic provider, which the program does not use
        ("azure-native:subscriptionId", "my-dev-sub"),  # not a GUID
    ],
)
def test_schema_refuses_what_the_azure_native_provider_would_not_read(key: str, value: str) -> None:
    assert schema_errors(with_config(**{key: value}))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("azure-native:useMsi", True),
        ("azure-native:tenantId", {"secure": "v1:AAAA"}),
        ("azure-native:clientId", "11111111-2222-3333-4444-555555555555"),
    ],
)
def test_schema_accepts_the_azure_native_providers_own_keys(key: str, value: Any) -> None:
    assert schema_errors(with_config(**{key: value})) == []


@pytest.mark.parametrize(
    "stack_file", sorted(FIXTURE_STACKS.glob("Pulumi.*.yaml")), ids=lambda p: p.name
)
def test_schema_accepts_each_fixture_stack(stack_file: Path) -> None:
    assert schema_errors(yaml.safe_load(stack_file.read_text(encoding="utf-8"))) == []


def test_schema_rejects_an_unknown_key() -> None:
    assert schema_errors(with_config(**{"mlops:computeCluster": []}))


def test_schema_rejects_an_unknown_nested_key() -> None:
    assert schema_errors(with_config(**{"mlops:network": {"isolationMode": "disabled"}}))


def test_schema_rejects_a_wrong_type() -> None:
    clusters = [{"name": "cpu", "vmSize": "Standard_DS3_v2", "maxNodes": "four"}]
    assert schema_errors(with_config(**{"mlops:computeClusters": clusters}))


def test_schema_rejects_an_invalid_choice() -> None:
    assert schema_errors(with_config(**{"mlops:network": {"isolation": "open"}}))


REGISTRY_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/"
    "Microsoft.ContainerRegistry/registries/crshared"
)


def test_schema_rejects_a_key_given_without_the_value_it_needs() -> None:
    assert schema_errors(with_config(**{"mlops:containerRegistry": {"existingId": REGISTRY_ID}}))


def test_schema_rejects_a_key_left_out_where_another_key_needs_it() -> None:
    assert schema_errors(with_config(**{"mlops:containerRegistry": {"mode": "existing"}}))


def test_schema_accepts_a_key_with_the_value_it_needs() -> None:
    registry = {"mode": "existing", "existingId": REGISTRY_ID}
    assert schema_errors(with_config(**{"mlops:containerRegistry": registry})) == []


def test_schema_takes_null_or_an_empty_list_as_a_key_left_out() -> None:
    assert schema_errors(with_config(**{"mlops:network": {"outboundFqdns": []}})) == []
    batch = {"name": "prep", "kind": "batch", "cluster": None}
    assert schema_errors(with_config(**{"mlops:endpoints": [batch]}))


def test_schema_by_python_names_states_the_same_conditions() -> None:
    rules = json.dumps(Settings.model_json_schema(by_alias=False))
    assert '"required": ["existing"]' in rules


def test_schema_rejects_a_workspace_section_in_the_shared_stack() -> None:
    shared = {k: v for k, v in FIXTURE["config"].items() if k != "mlops:computeClusters"}
    storage = {**shared, "mlops:storage": {"replication": "LRS"}}
    assert schema_errors({"config": storage}) == []
    assert schema_errors({"config": {**storage, "mlops:environment": "shared"}})


def test_schema_requires_location_prefix_and_alerts_but_not_environment() -> None:
    schema = json.loads(reference.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(schema["properties"]["config"]["required"]) == {
        "azure-native:location",
        "mlops:prefix",
        "mlops:alerts",
    }


def _models(model: type[BaseModel]) -> list[type[BaseModel]]:
    return [model, *reference._sections(model, set())]


@pytest.mark.parametrize("model", _models(Settings), ids=lambda m: m.__name__)
def test_every_key_is_described(model: type[BaseModel]) -> None:
    undescribed = [name for name, field in model.model_fields.items() if not field.description]
    assert undescribed == []


def test_the_reference_has_a_table_per_section() -> None:
    block = reference.reference()
    assert [m.__name__ for m in _models(Settings)[1:]] and all(
        f"### {reference._title(m)}" in block for m in _models(Settings)[1:]
    )


def test_reference_says_which_value_a_key_goes_with() -> None:
    assert (
        "The registry to adopt, by ID: for one no stack of this project exports. "
        "Only with mode: existing, and required there." in (reference.reference())
    )
