"""What dev, qa, prod and shared differ in: one table, resolved in settings.

Components receive these values, never an environment name to branch on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

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
    has_workspace: bool
    # Models are shared from here to the registry (mlops:modelRegistry): people and the release
    # pipeline may write registry assets; elsewhere they only read them to deploy.
    shares_models: bool
    # The workspace and its storage, Key Vault and registry take traffic through private
    # endpoints only (mlops:network.inbound: private), as the policy pack requires.
    private_inbound: bool
    # The managed network allows only approved outbound (mlops:network.isolation), as the
    # policy pack requires.
    approved_outbound_only: bool
    # The team's own network may isolate the workspace instead of a managed network
    # (mlops:network.isolation: customerManaged): private endpoints only, compute in the team's
    # subnet with no public IP, egress filtered by the team's firewall. It meets private_inbound
    # and approved_outbound_only, as the policy pack accepts (tag customerManagedNetwork).
    customer_managed_network: bool
    # A created Azure ML registry accepts traffic from the internet unless
    # mlops:modelRegistry.publicNetworkAccess says otherwise.
    model_registry_public: bool


def _by_environment(**rows: tuple[Any, ...]) -> dict[str, EnvironmentProfile]:
    """A profile per environment, from one row per difference (columns as in Environment)."""
    environments = get_args(Environment)
    return {
        environment: EnvironmentProfile(**{name: row[column] for name, row in rows.items()})
        for column, environment in enumerate(environments)
    }


# shared holds the registry every environment's promoted models live in: no workspace, no
# compute; always protected (it holds every model version that reached qa or prod); told when it
# breaks or overspends like prod. The alert catalogue watches workspaces and endpoints, none of
# which it has, so its action group serves the budget.
# fmt: off
PROFILES: Final[Mapping[str, EnvironmentProfile]] = _by_environment(
    #                         dev    qa     prod   shared
    allows_compute=           (True,  False, False, False),
    protect=                  (False, False, True,  True),
    log_retention_days=       (30,    30,    90,    90),
    soft_delete_days=         (7,     7,     30,    30),
    blob_versioning=          (False, False, True,  True),
    zone_redundant_registry=  (False, False, True,  True),
    alerts_optional=          (True,  True,  False, False),
    alert_thresholds=         tuple(map(default_thresholds, get_args(Environment))),
    monthly_budget=           (1000,  2000,  None,  500),
    has_workspace=            (True,  True,  True,  False),
    shares_models=            (True,  False, False, False),
    private_inbound=          (False, True,  True,  False),
    approved_outbound_only=   (False, False, True,  False),
    customer_managed_network= (True,  True,  True,  False),
    model_registry_public=    (False, False, False, False),
)
# fmt: on
