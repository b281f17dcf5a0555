"""What dev, qa and prod differ in: one table, resolved in settings.

Components receive these values, never an environment name to branch on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Environment = Literal["dev", "qa", "prod"]


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


PROFILES: Final[Mapping[str, EnvironmentProfile]] = {
    "dev": EnvironmentProfile(
        allows_compute=True,
        protect=False,
        log_retention_days=30,
        soft_delete_days=7,
        blob_versioning=False,
        zone_redundant_registry=False,
    ),
    "qa": EnvironmentProfile(
        allows_compute=False,
        protect=False,
        log_retention_days=30,
        soft_delete_days=7,
        blob_versioning=False,
        zone_redundant_registry=False,
    ),
    "prod": EnvironmentProfile(
        allows_compute=False,
        protect=True,
        log_retention_days=90,
        soft_delete_days=30,
        blob_versioning=True,
        zone_redundant_registry=True,
    ),
}
