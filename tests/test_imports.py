"""One-shot processes (offline/imports.py): azure-native modules loaded slim give the program
exactly the SDK's objects; what they leave out, and what waits for its first use.

That a whole program run in such a process registers what the tests' runs register:
tests/test_stable_plans.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Final

import pytest

from offline.engine import ROOT
from offline.imports import SLIM_PACKAGE, _SlimModule, program_modules, star_exports

# What the program imports from azure-native, module by module.
AZURE_MODULES: Final = sorted(
    {".".join(name.split(".")[:2]) for name in program_modules() if name.startswith(SLIM_PACKAGE)}
)


@pytest.mark.parametrize("name", AZURE_MODULES)
def test_a_slim_module_gives_each_name_the_sdk_s_own_object(name: str) -> None:
    """Every name of the module as the SDK loads it (its star imports, last one winning) is the
    very object a slim load of it binds, submodules and shared input types included."""
    whole = importlib.import_module(name)
    getattr(whole, "_utilities")  # noqa: B009 (an attribute access loads a lazy module)
    spec = whole.__spec__
    assert spec is not None and spec.loader is not None and spec.origin is not None
    assert star_exports(Path(spec.origin)) is not None, f"{name}: its __init__ has changed"
    slim = importlib.util.module_from_spec(spec)
    _SlimModule(spec.loader).exec_module(slim)
    names = [n for n in vars(whole) if not n.startswith("__")]
    assert names
    different = [n for n in names if getattr(slim, n) is not vars(whole)[n]]
    assert not different, f"{name}: {different[:10]}"
    with pytest.raises(AttributeError):
        slim.NoSuchResource  # noqa: B018


def test_a_name_two_submodules_export_is_the_later_one_s() -> None:
    exports = star_exports(Path(importlib.util.find_spec("pulumi_azure_native.network").origin))
    assert exports is not None
    assert exports["SubnetArgs"] == "_inputs"  # subnet.py exports one too, imported before
    assert exports["PrivateEndpoint"] == "private_endpoint"


_ONE_SHOT: Final = textwrap.dedent(
    """
    import json, sys
    from offline.imports import loaded_modules, start_one_shot
    start_one_shot()
    import pulumi
    from pulumi_azure_native import network
    endpoint = network.PrivateEndpoint
    before = loaded_modules()
    automation = pulumi.automation.LocalWorkspace  # first use
    json.dump({"endpoint": endpoint.__module__, "before": before, "after": loaded_modules(),
               "automation": automation.__module__}, sys.stdout)
    """
)


def test_a_one_shot_process_loads_what_the_program_uses_and_the_rest_on_first_use() -> None:
    """A fresh interpreter (about 1 s: it imports the Pulumi SDK)."""
    completed = subprocess.run(
        [sys.executable, "-c", _ONE_SHOT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(completed.stdout)
    assert found["endpoint"] == "pulumi_azure_native.network.private_endpoint"
    loaded = set(found["before"])
    assert "pulumi_azure_native.network.private_endpoint" in loaded
    assert "pulumi_azure_native.network.virtual_network" not in loaded  # never named
    assert "pulumi.automation" not in loaded  # `import pulumi` loads it; nothing used it yet
    assert "pulumi.automation" in set(found["after"])
    assert found["automation"].startswith("pulumi.automation")
