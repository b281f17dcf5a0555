"""Typed, validated, immutable settings for one stack, read from Pulumi config.

``schema`` declares the config, ``profiles`` what environments differ in, ``names`` physical
names and Azure's naming rules, ``roles`` the roles the program grants, and ``load`` turns
Pulumi config into Settings. Components receive these objects and never read Pulumi config.
"""

from settings.loader import CONFIG_KEYS, SettingsError, from_pulumi, load
from settings.names import SUFFIX_LENGTH, ArmId, Names
from settings.profiles import PROFILES, EnvironmentProfile
from settings.roles import ACCESS_SCOPES, BUILT_IN_ROLES
from settings.schema import (
    NAMESPACE,
    AccessGrant,
    ComputeClusterSettings,
    ComputeInstanceSettings,
    DatastoreSettings,
    EndpointSettings,
    KeyVaultSettings,
    NetworkSettings,
    RegistrySettings,
    ScheduleSettings,
    Settings,
    StorageSettings,
)

__all__ = [
    "ACCESS_SCOPES",
    "BUILT_IN_ROLES",
    "CONFIG_KEYS",
    "NAMESPACE",
    "PROFILES",
    "SUFFIX_LENGTH",
    "AccessGrant",
    "ArmId",
    "ComputeClusterSettings",
    "ComputeInstanceSettings",
    "DatastoreSettings",
    "EndpointSettings",
    "EnvironmentProfile",
    "KeyVaultSettings",
    "Names",
    "NetworkSettings",
    "RegistrySettings",
    "ScheduleSettings",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "from_pulumi",
    "load",
]
