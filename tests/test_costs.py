"""The preview's compute upper bound: priced in the stack's region from a dated price table, East
US's price where the region has none (said so), and held against mlops:budget.monthlyAmount."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from offline.engine import ProgramRun
from offline.plan import Plan
from offline.preview import main, plan_data, render_markdown, render_text
from offline.prices import FALLBACK_REGION, PRICES, TERRA_UI, price

DEV_KEYS = (
    "mlops:computeClusters[0].maxNodes",
    "mlops:computeClusters[1].maxNodes",
    "mlops:budget.monthlyAmount",
)


def with_config(run: ProgramRun, changes: dict[str, Any]) -> Plan:
    """The run's plan with config keys changed (``None`` drops one); the resources stay."""
    config = {**run.config}
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    return Plan(dataclasses.replace(run, config=config))


def bound(plan: Plan) -> dict[str, Any]:
    return plan_data(plan)["summary"]["computeUpperBound"]


def test_the_price_table_is_sorted_without_duplicates_and_names_its_sources() -> None:
    rows = [(region, size.lower()) for region, size, _, _ in PRICES]
    assert rows == sorted(rows)
    assert len(set(rows)) == len(rows)
    assert all(hourly > 0 and source.name and source.dated for _, _, hourly, source in PRICES)
    # Every size has East US's price, the one a region without its own falls back to.
    sizes = {size.lower() for _, size, _, _ in PRICES}
    assert sizes == {size for region, size in rows if region == FALLBACK_REGION}
    assert {"westeurope", "northeurope"} <= {region for region, _ in rows}


def test_the_bound_is_priced_in_the_stacks_region(stack_runs: dict[str, ProgramRun]) -> None:
    plan = Plan(stack_runs["dev"])  # azure-native:location: westeurope
    cluster = dict(plan.settings(plan.run.named("dev-compute-cluster-cpu-cluster")))
    assert cluster["estimate/month ≤"] == (
        f"${0.272 * 2920:,.0f} (an estimate: $0.272/h, westeurope Linux list price, "
        f"{TERRA_UI.dated})"
    )
    north = with_config(stack_runs["dev"], {"azure-native:location": "North Europe"})
    cluster = dict(north.settings(north.run.named("dev-compute-cluster-cpu-cluster")))
    assert cluster["estimate/month ≤"].startswith(f"${0.263 * 2920:,.0f} (an estimate: $0.263/h")
    found = bound(north)
    assert found["region"] == "northeurope"
    assert "priced in northeurope" in render_text(north)
    assert "priced in northeurope" in render_markdown(north)
    assert {"regions": ["northeurope"], "source": TERRA_UI.name, "dated": TERRA_UI.dated} in (
        found["prices"]
    )
    # The same stack in East US costs more: the region changes the figure.
    east = with_config(stack_runs["dev"], {"azure-native:location": "eastus"})
    assert bound(east)["estimateUsd"] > bound(plan)["estimateUsd"] > bound(north)["estimateUsd"]


def test_a_size_without_a_price_in_the_region_says_it_used_east_us(
    stack_runs: dict[str, ProgramRun],
) -> None:
    plan = Plan(stack_runs["dev"])
    gpu = dict(plan.settings(plan.run.named("dev-compute-cluster-gpu-cluster")))
    fallback = "$0.526/h, eastus Linux list price: no westeurope price in the table"
    assert fallback in gpu["estimate/month ≤"]
    found = bound(plan)
    assert found["fallback"] == {"region": "eastus", "sizes": ["Standard_NC4as_T4_v3"]}
    label = "Standard_NC4as_T4_v3 at eastus's price (no westeurope price in the table)"
    assert label in render_text(plan)
    assert label in render_markdown(plan)
    # A region the table does not know prices every size at East US's, and says so for each.
    sweden = with_config(stack_runs["dev"], {"azure-native:location": "swedencentral"})
    assert bound(sweden)["fallback"] == {
        "region": "eastus",
        "sizes": ["Standard_DS3_v2", "Standard_NC4as_T4_v3"],
    }
    east = with_config(stack_runs["dev"], {"azure-native:location": "eastus"})
    assert bound(east)["fallback"] is None
    assert "no eastus price" not in render_text(east)
    listed = price("Standard_NC4as_T4_v3", "West Europe")
    assert listed is not None and listed.fallback and listed.region == "eastus"


def test_over_budget_the_preview_warns_with_both_figures_and_the_keys(
    stack_runs: dict[str, ProgramRun], capsys: pytest.CaptureFixture[str]
) -> None:
    plan = Plan(stack_runs["dev"])  # mlops:budget.monthlyAmount: 1500
    found = bound(plan)
    estimate = found["estimateUsd"]
    assert estimate > 1500
    over = found["overBudget"]
    assert (over["estimateUsd"], over["monthlyAmount"]) == (estimate, 1500)
    assert tuple(over["keys"]) == DEV_KEYS
    assert found["budget"] == {
        "monthlyAmount": 1500,
        "key": "mlops:budget.monthlyAmount",
        "fromProfile": False,
        "currency": "the subscription's billing currency",
    }
    figures = (f"${estimate:,}/month in USD", "budget of 1,500", "billing currency")
    text = render_text(plan)
    warning = next(line for line in text.splitlines() if "Warning:" in line)
    assert all(part in warning for part in (*figures, *DEV_KEYS))
    markdown = render_markdown(plan).splitlines()
    block = markdown[markdown.index("> [!WARNING]") + 1]
    assert block.startswith("> ") and all(part in block for part in (*figures, *DEV_KEYS))
    # A warning: the preview still succeeds.
    assert main(["--stack", "dev"]) == 0
    assert "exceeds the monthly budget of 1,500" in capsys.readouterr().out
    # Without mlops:budget, the profile's default amount is the one held against.
    default = bound(with_config(stack_runs["dev"], {"mlops:budget": None}))
    assert default["budget"]["fromProfile"]
    assert "the environment profile's default" in default["overBudget"]["message"]


def test_within_budget_there_is_no_warning(stack_runs: dict[str, ProgramRun]) -> None:
    plan = with_config(stack_runs["dev"], {"mlops:budget": {"monthlyAmount": 100_000}})
    found = bound(plan)
    assert found["budget"]["monthlyAmount"] == 100_000
    assert found["overBudget"] is None
    text = render_text(plan)
    assert "budget 100,000/month (mlops:budget.monthlyAmount" in text
    assert "Warning:" not in text and "exceeds the monthly budget" not in text
    assert "[!WARNING]" not in render_markdown(plan)
    for stack in ("qa", "prod"):
        assert bound(Plan(stack_runs[stack]))["overBudget"] is None
