"""Compute instance and cluster policies."""

from __future__ import annotations

from typing import Any

from policy.mlops_policy import compute
from policy.mlops_policy.properties import COMPUTE
from tests.policy_pack.conftest import (
    CLUSTER,
    INSTANCE,
    ResourceCase,
    violation_tests,
)


def of_kind(kind: str, **settings: Any) -> dict[str, Any]:
    return {"properties": {"computeType": kind, "properties": settings}}


VIOLATIONS = [
    ResourceCase(
        "compute-instance-idle-shutdown",
        COMPUTE,
        of_kind(INSTANCE),
        "properties.properties.idleTimeBeforeShutdown is not set; set an ISO 8601 duration",
    ),
    ResourceCase(
        "compute-instance-ssh-disabled",
        COMPUTE,
        of_kind(INSTANCE, sshSettings={"sshPublicAccess": "Enabled"}),
        "properties.properties.sshSettings.sshPublicAccess is 'Enabled'; set it to 'Disabled'",
    ),
    ResourceCase(
        "compute-instance-assigned-user",
        COMPUTE,
        of_kind(INSTANCE),
        "personalComputeInstanceSettings.assignedUser.objectId is not set; assign the instance",
    ),
    ResourceCase(
        "compute-local-auth-disabled",
        COMPUTE,
        {"properties": {"computeType": CLUSTER, "disableLocalAuth": False}},
        "properties.disableLocalAuth is false; set it to true",
    ),
    ResourceCase(
        "cluster-scale-to-zero",
        COMPUTE,
        of_kind(CLUSTER, scaleSettings={"minNodeCount": 1.0, "maxNodeCount": 4.0}),
        "properties.properties.scaleSettings.minNodeCount is 1; set it to 0",
    ),
    ResourceCase(
        "cluster-remote-login-disabled",
        COMPUTE,
        of_kind(CLUSTER, remoteLoginPortPublicAccess="NotSpecified"),
        "properties.properties.remoteLoginPortPublicAccess is 'NotSpecified'; set it to 'Disabled'",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    compute.area, VIOLATIONS
)
