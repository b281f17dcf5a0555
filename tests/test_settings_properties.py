"""Property-based tests: whatever the config, the loader returns Settings or raises SettingsError.

Values are generated as Pulumi passes them to a program: text as is, anything else (numbers,
booleans, null, lists, maps) as JSON text. Generated structures draw their keys and leaves
partly from the names and values the loader knows, so they reach deep into its sections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Final

import hypothesis
import yaml
from hypothesis import strategies as st

import settings
from offline.engine import PROJECT, stack_config
from settings.loader import CONFIG_KEYS
from settings.schema import NAMESPACE, Settings
from tests.conftest import FIXTURE_STACKS

STACKS: Final = ("dev", "qa", "prod")
LOCATION_KEY: Final = "azure-native:location"
MLOPS_KEYS: Final = tuple(key for key in CONFIG_KEYS if key.startswith("mlops:"))
# Field names of every section, so generated maps are often half-right rather than all noise.
FIELDS: Final = (
    "access", "action", "assignedUserObjectId", "assignedUserTenantId", "authMode", "cluster",
    "container", "cron", "description", "existingId", "idleSecondsBeforeScaleDown",
    "idleShutdownMinutes", "isolation", "kind", "lowPriority", "maxNodes", "minNodes", "mode",
    "name", "principalId", "principalType", "publicNetworkAccess", "purpose", "readOnly",
    "replication", "role", "schedules", "scope", "sku", "storageAccountId", "timeZone", "vmSize",
    "inbound", "subnetId", "privateDns", "zoneIds", "outboundFqdns", "api", "blob",
    "emails", "webhooks", "enabled", "thresholds", "cpuPercent", "monthlyAmount", "deployments",
)  # fmt: skip
LEAVES: Final = (
    "",
    " ",
    "true",
    "false",
    "null",
    "dev",
    "prod",
    "online",
    "batch",
    "scoring",
    "preprocessing",
    "key",
    "aadToken",
    "create",
    "existing",
    "none",
    "Premium",
    "storage",
    "registry",
    "workspace",
    "AcrPull",
    "Reader",
    "Standard_DS3_v2",
    "private",
    "policy",
    "pypi.org",
    "cpu-cluster",
    "sales-prep",
    "raw_sales",
    "0 19 * * 1-5",
    "00000000-0000-0000-0000-00000000d5a1",
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/stexample",
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/"
    "Microsoft.KeyVault/vaults/kv-example",
    "AccountKey=abc",
    "ml-platform@contoso.example",
    "https://hooks.example/alerts",
)
# As many examples as the loaded Hypothesis profile says: 100 by default (a few seconds for the
# whole file on two cores), more with `pytest --hypothesis-profile=thorough` (see conftest.py).
PROPERTY_SETTINGS: Final = hypothesis.settings(
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

texts = st.one_of(st.sampled_from(LEAVES), st.text(max_size=20))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-2, max_value=2000),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
map_keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(map_keys, children, max_size=5),
    ),
    max_leaves=24,
)


def pulumi_text(value: object) -> str:
    """A config value as Pulumi passes it: text as is, anything else as compact JSON, keys sorted
    (as Go's encoding/json writes it)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


config_texts = st.one_of(json_values.map(pulumi_text), st.text(max_size=40))
unknown_keys = st.one_of(
    st.text(max_size=20).map(lambda key: f"{NAMESPACE}:{key}"),
    st.text(max_size=30),
)


@cache
def stack_values(stack: str) -> Mapping[str, Any]:
    """A stack file's config as YAML values (JSON-like Python), keys as namespace:key."""
    document = yaml.safe_load((FIXTURE_STACKS / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return {
        (key if ":" in key else f"{PROJECT}:{key}"): value
        for key, value in (document.get("config") or {}).items()
    }


@cache
def base_config(stack: str) -> Mapping[str, str]:
    """The stack file's config as the engine passes it, read once (examples copy it)."""
    return stack_config(stack, FIXTURE_STACKS)[0]


_DELETE: Final = object()


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one change somewhere inside: replaced, removed, added to, or rewrapped."""
    children: list[Any] = []
    if isinstance(value, dict):
        children = list(value)
    elif isinstance(value, list):
        children = list(range(len(value)))
    operations = ["replace", "wrap in a list", "as JSON text"]
    if isinstance(value, dict | list):
        operations.append("add a child")
    if children:
        operations += ["change a child", "change a child", "change a child", "remove a child"]
    operation = draw(st.sampled_from(operations))
    if operation in ("change a child", "remove a child"):
        child = draw(st.sampled_from(children))
        replacement = _DELETE if operation == "remove a child" else draw(mutated(value[child]))
        return _with_child(value, child, replacement)
    if operation == "add a child":
        child = draw(map_keys) if isinstance(value, dict) else len(value)
        return _with_child(value, child, draw(json_values))
    if operation == "wrap in a list":
        return [value]
    if operation == "as JSON text":
        return json.dumps(value)
    return draw(json_values)


def _with_child(value: dict[str, Any] | list[Any], child: Any, replacement: Any) -> Any:
    """A copy of ``value`` with ``child`` replaced, added, or (with ``_DELETE``) removed."""
    if isinstance(value, dict):
        changed = {k: v for k, v in value.items() if k != child}
        if replacement is not _DELETE:
            changed[child] = replacement
        return changed
    items = list(value)
    if replacement is _DELETE:
        del items[child]
    elif child == len(items):
        items.append(replacement)
    else:
        items[child] = replacement
    return items


@st.composite
def mutated_stack_configs(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A real stack file with one to three changes, as Pulumi would pass it."""
    stack = draw(st.sampled_from(STACKS))
    values = dict(stack_values(stack))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(sorted({*values, *MLOPS_KEYS, LOCATION_KEY})))
        if key in values and draw(st.integers(min_value=0, max_value=5)) == 0:
            del values[key]
        else:
            values[key] = draw(mutated(values.get(key)))
    return stack, {key: pulumi_text(value) for key, value in values.items()}


def assert_settings_or_settings_error(load: Callable[[], object]) -> None:
    """The property: a Settings, or a SettingsError naming config keys; nothing else."""
    try:
        result = load()
    except settings.SettingsError as error:
        assert error.problems
        for problem in error.problems:
            # Each names a config key, or the stack name that the config is checked against.
            assert re.match(r"^(stack name: |[\w-]+:)", problem), problem
    else:
        assert isinstance(result, Settings)


def load(stack: str, config: Mapping[str, str], secret_keys: tuple[str, ...] = ()) -> Any:
    return settings.load(config, project=PROJECT, stack=stack, secret_keys=secret_keys)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_pulumi_text_encodes_stack_files_as_the_engine_does() -> None:
    for stack in STACKS:
        encoded = {key: pulumi_text(value) for key, value in stack_values(stack).items()}
        assert encoded == stack_config(stack, FIXTURE_STACKS)[0]


@PROPERTY_SETTINGS
@hypothesis.given(
    stack=st.sampled_from(STACKS),
    key=st.sampled_from((*MLOPS_KEYS, LOCATION_KEY)),
    text=config_texts,
)
@hypothesis.example(stack="dev", key="mlops:computeClusters", text="[" + "1" * 5000 + "]")
@hypothesis.example(stack="dev", key="mlops:tags", text="[" * 2000 + "]" * 2000)
@hypothesis.example(stack="qa", key="mlops:network", text="")
def test_any_value_of_a_known_key_loads_or_raises_settings_error(
    stack: str, key: str, text: str
) -> None:
    """Slow (3-8 s): Hypothesis loads a hundred configs, its explicit examples among them
    values of thousands of characters."""
    config = {**base_config(stack), key: text}

    assert_settings_or_settings_error(lambda: load(stack, config))


@PROPERTY_SETTINGS
@hypothesis.given(
    stack=st.sampled_from(STACKS),
    extra=st.dictionaries(unknown_keys, config_texts, min_size=1, max_size=4),
)
def test_unknown_keys_load_or_raise_settings_error(stack: str, extra: dict[str, str]) -> None:
    """Slow (1-3 s): Hypothesis loads a hundred configs."""
    config = {**base_config(stack), **extra}

    assert_settings_or_settings_error(lambda: load(stack, config))


@PROPERTY_SETTINGS
@hypothesis.given(case=mutated_stack_configs())
def test_mutated_stack_configs_load_or_raise_settings_error(
    case: tuple[str, dict[str, str]],
) -> None:
    stack, config = case

    assert_settings_or_settings_error(lambda: load(stack, config))


@PROPERTY_SETTINGS
@hypothesis.given(
    stack=st.one_of(st.sampled_from(STACKS), st.text(max_size=12)),
    config=st.dictionaries(
        st.one_of(st.sampled_from((*MLOPS_KEYS, LOCATION_KEY)), unknown_keys),
        config_texts,
        max_size=8,
    ),
    secret=st.booleans(),
)
def test_arbitrary_configs_load_or_raise_settings_error(
    stack: str, config: dict[str, str], secret: bool
) -> None:
    secret_keys = tuple(config) if secret else ()

    assert_settings_or_settings_error(lambda: load(stack, config, secret_keys))


@PROPERTY_SETTINGS
@hypothesis.given(case=mutated_stack_configs())
def test_the_same_config_loads_to_the_same_settings_or_problems(
    case: tuple[str, dict[str, str]],
) -> None:
    """Slow (1-2 s): Hypothesis loads a hundred configs, each twice."""
    stack, config = case

    def outcome() -> object:
        try:
            return load(stack, config)
        except settings.SettingsError as error:
            return error.problems

    assert outcome() == outcome()
