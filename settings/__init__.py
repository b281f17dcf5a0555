"""Typed, validated, immutable settings for one stack, read from Pulumi config.

``schema`` declares the config (``validation`` says how its rules report, ``values`` what
each kind of value looks like), ``profiles`` what environments differ in, ``names`` physical
names and Azure's naming rules, ``roles`` the roles the program grants, ``private_link`` the
private endpoints of a private workspace and their DNS zones, and ``loader`` turns Pulumi
config into Settings. Components receive these objects and never read Pulumi config
themselves.
"""

from settings.loader import SettingsError, from_pulumi, load

__all__ = ["SettingsError", "from_pulumi", "load"]
