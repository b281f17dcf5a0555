"""Compute instances and clusters: Entra ID only, no public SSH, nothing billed while idle."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, Severity

from .properties import COMPUTE, get, is_set, require, same, show
from .rules import Area

_ISO_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")

area = Area()


@area.resource_rule(
    "compute-instance-idle-shutdown",
    "Compute instances shut down when idle.",
    COMPUTE,
    compute_types=("ComputeInstance",),
    severity=Severity.MEDIUM,
)
def compute_instance_idle_shutdown(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "idleTimeBeforeShutdown")
    if not (isinstance(found, str) and _ISO_DURATION.fullmatch(found)):
        yield (
            f"properties.properties.idleTimeBeforeShutdown is {show(found)}; set an ISO 8601 "
            "duration such as 'PT60M': an idle instance costs as much as a busy one"
        )


@area.resource_rule(
    "compute-instance-ssh-disabled",
    "Compute instances have public SSH access disabled.",
    COMPUTE,
    compute_types=("ComputeInstance",),
)
def compute_instance_ssh_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "sshSettings", "sshPublicAccess")
    if not same(found, "Disabled"):
        yield (
            f"properties.properties.sshSettings.sshPublicAccess is {show(found)}; set it to "
            "'Disabled': use the studio, VS Code or Jupyter over Entra ID instead"
        )


@area.resource_rule(
    "compute-instance-assigned-user",
    "Compute instances are personal: assigned to one user.",
    COMPUTE,
    compute_types=("ComputeInstance",),
)
def compute_instance_assigned_user(args: ResourceValidationArgs) -> Iterator[str]:
    settings = get(args.props, "properties", "properties")
    kind = get(settings, "computeInstanceAuthorizationType")
    if kind is not None and not same(kind, "personal"):
        yield (
            f"properties.properties.computeInstanceAuthorizationType is {show(kind)}; "
            "set it to 'personal'"
        )
    if not is_set(settings, "personalComputeInstanceSettings", "assignedUser", "objectId"):
        yield (
            "properties.properties.personalComputeInstanceSettings.assignedUser.objectId is "
            "not set; assign the instance to the one user who works on it"
        )


@area.resource_rule(
    "compute-local-auth-disabled",
    "Compute instances and clusters have local authentication disabled.",
    COMPUTE,
    compute_types=("ComputeInstance", "AmlCompute"),
)
def compute_local_auth_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("properties", "disableLocalAuth"),
        True,
        "only Microsoft Entra ID identities may authenticate to compute",
    )


@area.resource_rule(
    "cluster-scale-to-zero",
    "Compute clusters scale down to zero nodes.",
    COMPUTE,
    compute_types=("AmlCompute",),
    severity=Severity.MEDIUM,
)
def cluster_scale_to_zero(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "scaleSettings", "minNodeCount")
    if found != 0 or isinstance(found, bool):
        yield (
            f"properties.properties.scaleSettings.minNodeCount is {show(found)}; set it to 0: "
            "idle nodes are billed"
        )


@area.resource_rule(
    "cluster-remote-login-disabled",
    "Compute clusters have public remote login (SSH) disabled.",
    COMPUTE,
    compute_types=("AmlCompute",),
)
def cluster_remote_login_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "properties", "remoteLoginPortPublicAccess")
    if not same(found, "Disabled"):
        yield (
            f"properties.properties.remoteLoginPortPublicAccess is {show(found)}; set it to "
            "'Disabled' (Azure's default opens the SSH port on public IPs)"
        )
