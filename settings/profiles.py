"""What dev, qa, prod and shared differ in: one table, resolved in settings.

Components receive these values, never an environment name to branch on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from settings.alerts import default_thresholds

# shared: the stack every environment promotes models through (the Azure ML registry).
Environment = Literal["dev", "qa", "prod", "shared"]


@dataclass(frozen=True)
class EnvironmentProfile:
    # Compute instances and clusters (experiments, training) are allowed.
    allows_compute: bool
    # Default of mlops:protect: data-bearing resources are protected and locked.
    protect: bool
    log_retention_days: int
    # Days a deleted blob or container can be restored.
    soft_delete_days: int
    # Blob versions keep every overwritten model and dataset recoverable.
    blob_versioning: bool
    # A Premium registry survives the loss of an availability zone (chosen at creation only).
    zone_redundant_registry: bool
    # Alert rules may be switched off (mlops:alerts.enabled: false).
    alerts_optional: bool
    # Each alert's threshold unless mlops:alerts.thresholds says otherwise (settings.alerts).
    alert_thresholds: Mapping[str, int]
    # Monthly budget of the resource group, in the billing currency, unless mlops:budget sets
    # one; None: the stack must set it.
    monthly_budget: int | None
    # An Azure ML workspace with its dependencies, endpoints and access (every environment but
    # shared, which holds the model registry alone).
    has_workspace: bool = True
    # Models are shared from here to the registry (mlops:modelRegistry): people and the release
    # pipeline may write registry assets; elsewhere they only read them to deploy.
    shares_models: bool = False
    # The workspace and its storage, Key Vault and registry take traffic through private
    # endpoints only (mlops:network.inbound: private), as the policy pack requires.
    private_inbound: bool = False
    # The managed network allows only approved outbound (mlops:network.isolation), as the
    # policy pack requires.
    approved_outbound_only: bool = False
    # A created Azure ML registry accepts traffic from the internet unless
    # mlops:modelRegistry.publicNetworkAccess says otherwise.
    model_registry_public: bool = False


PROFILES: Final[Mapping[str, EnvironmentProfile]] = {
    "dev": EnvironmentProfile(
        allows_compute=True,
        protect=False,
        log_retention_days=30,
        soft_delete_days=7,
        blob_versioning=False,
        zone_redundant_registry=False,
        alerts_optional=True,
        alert_thresholds=default_thresholds("dev"),
        monthly_budget=1000,
        shares_models=True,
    ),
    "qa": EnvironmentProfile(
        allows_compute=False,
        protect=False,
        log_retention_days=30,
        soft_delete_days=7,
        blob_versioning=False,
        zone_redundant_registry=False,
        alerts_optional=True,
        alert_thresholds=default_thresholds("qa"),
        monthly_budget=2000,
        private_inbound=True,
    ),
    "prod": EnvironmentProfile(
        allows_compute=False,
        protect=True,
        log_retention_days=90,
        soft_delete_days=30,
        blob_versioning=True,
        zone_redundant_registry=True,
        alerts_optional=False,
        alert_thresholds=default_thresholds("prod"),
        monthly_budget=None,
        private_inbound=True,
        approved_outbound_only=True,
    ),
    # The registry every environment's promoted models live in: no workspace, no compute;
    # always protected (it holds every model version that reached qa or prod); told when it
    # breaks or overspends like prod. The alert catalogue watches workspaces and endpoints, none
    # of which it has, so its action group serves the budget.
    "shared": EnvironmentProfile(
        allows_compute=False,
        protect=True,
        log_retention_days=90,
        soft_delete_days=30,
        blob_versioning=True,
        zone_redundant_registry=True,
        alerts_optional=False,
        alert_thresholds=default_thresholds("shared"),
        monthly_budget=500,
        has_workspace=False,
    ),
}
