"""Config a team can't get silently wrong (issue 24, "Config hygiene").

Provider keys are checked against the azure-native provider's own (its SDK's list), classic
azure keys are pointed at their azure-native spelling, the provider's GUIDs and the schedules'
cron fields are range-checked, keys outside ``config:`` are refused naming the file and line,
and the first problem reported is the key to change. The refusals of patched stack configs are
in ``tests/hostile_configs/config_hygiene.yaml``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

import settings
from offline.engine import PROJECT, ROOT, SECRET_PLACEHOLDER, file_config, stack_config
from offline.preview import main
from offline.stack_file import STACK_FILE_KEYS, StackFileError
from settings.loader import provider_keys

GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def problems(
    stack: str = "dev", changes: dict[str, Any] | None = None, secret: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The problems of the repository's stack with ``changes`` (a value of None removes the key;
    a structure is passed as JSON text, as Pulumi passes it)."""
    config, secret_keys = stack_config(stack)
    config = dict(config)
    for key, value in (changes or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    try:
        settings.load(config, project=PROJECT, stack=stack, secret_keys=(*secret_keys, *secret))
    except settings.SettingsError as error:
        return error.problems
    return ()


# -- provider keys --------------------------------------------------------------------------------


def test_provider_keys_are_the_installed_sdks() -> None:
    spec = importlib.util.find_spec("pulumi_azure_native")
    assert spec is not None and spec.origin is not None
    vars_py = Path(spec.origin).parent / "config" / "vars.py"
    read = set(re.findall(r"__config__\.get\w*\('(\w+)'\)", vars_py.read_text(encoding="utf-8")))

    assert set(provider_keys()) == read
    assert {"location", "subscriptionId", "tenantId", "clientId", "useOidc"} <= read


def test_a_misspelled_azure_native_key_is_refused_with_did_you_mean() -> None:
    found = problems(changes={"azure-native:locaton": "westeurope"})

    assert found and found[0].startswith("azure-native:locaton: unknown key")
    assert "did you mean azure-native:location?" in found[0]
    assert "useOidc" in found[0]  # and what would be valid


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("azure-native:useOidc", "true"),
        ("azure-native:subscriptionId", GUID),
        ("azure-native:tenantId", GUID.upper()),
        ("azure-native:clientId", GUID),
        ("pulumi:disable-default-providers", '["*"]'),  # other namespaces stay their own
        ("azuread:tenantId", "not-checked-here"),
    ],
)
def test_keys_the_providers_read_are_accepted(key: str, value: str) -> None:
    assert problems(changes={key: value}) == ()


def test_a_classic_azure_key_names_its_azure_native_spelling_first_and_alone() -> None:
    found = problems("qa", {"azure:location": "westeurope", "azure-native:location": None})

    assert found == (
        "azure:location: this program uses the azure-native provider, which does not read "
        "azure: keys (those of the classic azure provider): write azure-native:location",
    )


def test_a_classic_azure_key_azure_native_lacks_lists_its_keys() -> None:
    found = problems(changes={"azure:skipProviderRegistration": "true"})

    assert len(found) == 1
    assert found[0].startswith(
        "azure:skipProviderRegistration: this program uses the azure-native provider"
    )
    assert "the azure-native provider's keys are auxiliaryTenantIds" in found[0]


@pytest.mark.parametrize("name", ["subscriptionId", "tenantId", "clientId"])
def test_provider_ids_must_be_guids(name: str) -> None:
    found = problems(changes={f"azure-native:{name}": "my-dev-sub"})

    assert len(found) == 1
    assert found[0].startswith(f"azure-native:{name}: must be a GUID like 0000")
    assert "got 'my-dev-sub'" in found[0]


def test_a_secret_provider_id_is_not_judged_by_its_offline_placeholder() -> None:
    key = "azure-native:subscriptionId"
    assert problems(changes={key: SECRET_PLACEHOLDER}, secret=(key,)) == ()


# -- cron -----------------------------------------------------------------------------------------


def schedule(cron: str) -> dict[str, Any]:
    config, _ = stack_config("dev")
    instances = json.loads(config["mlops:computeInstances"])
    instances[0]["schedules"][0]["cron"] = cron
    return instances


def test_cron_fields_out_of_range_are_refused_naming_key_and_field() -> None:
    found = problems(changes={"mlops:computeInstances": schedule("75 25 * * *")})

    assert len(found) == 1
    assert found[0].startswith("mlops:computeInstances[0].schedules[0].cron: ")
    assert "the minute field '75' is outside 0-59" in found[0]
    assert "the hour field '25' is outside 0-23" in found[0]


@pytest.mark.parametrize(
    ("cron", "field"),
    [
        ("0 19 32 * *", "the day of month field '32' is outside 1-31"),
        ("0 19 * 0 *", "the month field '0' is outside 1-12"),
        ("0 19 * * 1-7", "the day of week field '1-7' is outside 0-6 (Sunday is 0)"),
        ("0,60 19 * * *", "the minute field '0,60' is outside 0-59"),
        ("0 18-24/2 * * *", "the hour field '18-24/2' is outside 0-23"),
        ("0 19 * * 5-1", "the day of week field '5-1' has a range that ends before it starts"),
        ("0 19 * * 1-5/x", "the day of week field '1-5/x' has step 'x'"),
        ("0 19 * smarch *", "the month field 'smarch' must be *, values 1-12 or names (jan-dec)"),
        ("0 19 L * *", "the day of month field 'L' must be *, values 1-31, ranges"),
    ],
)
def test_each_cron_field_is_range_checked(cron: str, field: str) -> None:
    found = problems(changes={"mlops:computeInstances": schedule(cron)})

    assert len(found) == 1 and field in found[0], found


@pytest.mark.parametrize(
    "cron",
    ["0 19 * * 1-5", "*/15 8-18/2 1,15 * *", "0 7 * jan-mar mon-fri", "30 6 1-31/7 12 Sunday"],
)
def test_cron_lists_ranges_steps_and_names_are_accepted(cron: str) -> None:
    assert problems(changes={"mlops:computeInstances": schedule(cron)}) == ()


# -- the key to change comes first ----------------------------------------------------------------


def test_a_model_registry_created_in_dev_blames_mode_alone() -> None:
    config, _ = stack_config("dev")
    registry = {**json.loads(config["mlops:modelRegistry"]), "mode": "create"}

    found = problems(changes={"mlops:modelRegistry": registry})

    assert found == (
        "mlops:modelRegistry.mode: create is only valid in the shared stack "
        "(mlops:environment: shared); in dev use mode: shared, which reads the shared stack's "
        "registry (mlops:sharedStack), or mode: existing with a registry's existingId",
    )


def test_a_model_registry_created_in_dev_still_reports_unrelated_problems_after_mode() -> None:
    config, _ = stack_config("dev")
    registry = {**json.loads(config["mlops:modelRegistry"]), "mode": "create", "existngId": "x"}

    found = problems(changes={"mlops:modelRegistry": registry})

    assert found[0].startswith("mlops:modelRegistry.mode: create is only valid in the shared")
    assert [p.partition(":")[2].partition(":")[0] for p in found[1:]] == ["modelRegistry.existngId"]


# -- keys outside config: -------------------------------------------------------------------------


def stack_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def test_the_pulumi_clis_own_top_level_keys_are_accepted(tmp_path: Path) -> None:
    path = stack_file(
        tmp_path,
        """
        secretsprovider: passphrase
        encryptedkey: ""
        encryptionsalt: v1:AAAAAAAAAAA=:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==
        environment:
          - mlops/dev
        config:
          mlops:prefix: contoso
        """,
    )

    assert set(STACK_FILE_KEYS) == {
        "config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"
    }  # fmt: skip
    assert file_config(path) == ({"mlops:prefix": "contoso"}, ())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "config:\n  mlops:prefix: contoso\nmlops:budget:\n  monthlyAmount: 1500\n",
            [":3: mlops:budget is outside config: the Pulumi CLI passes the program only the keys "
             "under config: and drops this one; indent it under config:"],
        ),
        (
            "confg:\n  mlops:prefix: contoso\n",
            [":1: unknown top-level key 'confg' (did you mean config?): a stack file holds only "
             "config, environment, secretsprovider, encryptedkey and encryptionsalt"],
        ),
        (
            "config:\n  mlops:prefix: contoso\nazure-native:location: westeurope\n"
            "protect: true\n",
            [":3: azure-native:location is outside config:", ":4: unknown top-level key 'protect'"],
        ),
    ],
    ids=["mlops-key-at-top-level", "config-misspelled", "every-key-at-once"],
)  # fmt: skip
def test_keys_outside_config_are_refused_naming_file_and_line(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    path = stack_file(tmp_path, body)

    with pytest.raises(StackFileError) as raised:
        file_config(path)

    lines = str(raised.value).splitlines()
    assert len(lines) == len(expected)
    for line, fragment in zip(lines, expected, strict=True):
        assert line.startswith(f"{path}{fragment}"), line


def test_a_key_outside_config_ends_the_preview_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The dev stack's file, with a key written after its config, at the top level.
    body = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8") + "mlops:protect: true\n"
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(body, encoding="utf-8")
    last = body.count("\n")

    assert main(["--config-file", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"{path}:{last}: mlops:protect is outside config:")
    assert "Traceback" not in captured.err
