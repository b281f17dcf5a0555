"""Secret config (issue 24, "Secrets that work"): what may be secret, and what must be.

A webhook URL (``mlops:alerts.webhooks[*]``, declared with ``settings.secrets.Credential``)
may be secret, set with ``--path`` or as the whole ``mlops:alerts``; the offline preview, which
cannot decrypt, stands in a valid value and says so. Any other secret is refused, and so is a
URL with a token in plain config, naming the key and the command, never the value. No output
shows a secret value: the tests pass one the way ``pulumi up`` does (the decrypted JSON, the key
among the secret keys) and search every output for it. The configs are the tests' own.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import jsonschema
import pytest

import settings
from offline import engine, preview
from offline.diff import diff_plans
from offline.engine import PROJECT, file_config
from offline.plan import Plan
from offline.policies import check, proxied
from offline.preview import (
    ConfigError,
    render_compare,
    render_diff,
    render_json,
    render_markdown,
    render_text,
    run_stack,
)
from offline.reference import SCHEMA_FILE, stack_file_schema
from offline.stack_file import StackFileError
from settings import secrets
from settings.loader import CONFIG_KEYS
from settings.secrets import SECRET_PLACEHOLDER, token_pattern, token_reason

# A dev stack of the tests' own: the least config the program needs.
BASE: Final[Mapping[str, Any]] = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": ["ml-platform@contoso.com"]},
}
# A webhook URL whose token is known, to search every output for.
TOKEN: Final = "T0KEN5ecretOnlyInConfigXyz"
SECRET_HOOK: Final = f"https://hooks.slack.com/services/T01/B02/{TOKEN}"
PLAIN_HOOK: Final = "https://alerts.contoso.com/hook"
STAND_IN: Final = "https://secret-webhook-1.invalid"


def config(**keys: Any) -> dict[str, str]:
    """BASE with ``mlops:<key>`` set, as Pulumi passes config (structures as JSON text)."""
    values = {**BASE, **{f"mlops:{key}": value for key, value in keys.items()}}
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def stack_file(tmp_path: Path, body: str) -> Path:
    """A stack file of BASE's location and prefix, with ``body`` (YAML under config:) added."""
    path = tmp_path / "Pulumi.dev.yaml"
    head = "config:\n  azure-native:location: westeurope\n  mlops:prefix: contoso\n"
    path.write_text(head + textwrap.indent(textwrap.dedent(body), "  "), encoding="utf-8")
    return path


def offline_config(tmp_path: Path, body: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """What the offline preview passes the program for that stack file."""
    return file_config(stack_file(tmp_path, body))


def problems(
    values: Mapping[str, str], secret_keys: tuple[str, ...] = (), **options: Any
) -> tuple[str, ...]:
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(values, project=PROJECT, stack="dev", secret_keys=secret_keys, **options)
    return caught.value.problems


def loaded(values: Mapping[str, str], secret_keys: tuple[str, ...] = ()) -> settings.Settings:
    return settings.load(values, project=PROJECT, stack="dev", secret_keys=secret_keys)


# -- the stack file, read offline -----------------------------------------------------------------


def test_a_path_secret_is_the_placeholder_at_its_position_and_the_rest_stays_readable(
    tmp_path: Path,
) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        """\
        mlops:alerts:
          emails: [ml-platform@contoso.com]
          webhooks: [{secure: v1:AAAA}]
        """,
    )

    assert json.loads(values["mlops:alerts"]) == {
        "emails": ["ml-platform@contoso.com"],
        "webhooks": [SECRET_PLACEHOLDER],
    }
    assert secret_keys == ("mlops:alerts",)


def test_a_whole_key_secret_is_the_placeholder_for_the_whole_key(tmp_path: Path) -> None:
    values, secret_keys = offline_config(tmp_path, "mlops:alerts:\n  secure: v1:AAAA\n")

    assert values["mlops:alerts"] == SECRET_PLACEHOLDER
    assert secret_keys == ("mlops:alerts",)


def test_the_placeholder_written_as_plain_text_in_a_stack_file_is_refused(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "mlops:alerts:\n  webhooks: ['[secret]']\n")

    with pytest.raises(StackFileError) as caught:
        file_config(path)

    assert re.match(
        rf"{re.escape(str(path))}:\d+: mlops:alerts: holds the text '\[secret\]'", str(caught.value)
    )


def test_the_offline_placeholder_is_one_constant() -> None:
    assert engine.SECRET_PLACEHOLDER is secrets.SECRET_PLACEHOLDER == "[secret]"


# -- what may be secret ---------------------------------------------------------------------------


def test_a_path_secret_webhook_is_read_offline_as_a_stand_in(tmp_path: Path) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        """\
        mlops:alerts:
          emails: [ml-platform@contoso.com]
          webhooks: [{secure: v1:AAAA}, https://alerts.contoso.com/hook]
        """,
    )

    alerts = loaded(values, secret_keys).alerts

    assert alerts.webhooks == (STAND_IN, PLAIN_HOOK)
    assert alerts.emails == ("ml-platform@contoso.com",)


def test_several_secret_webhooks_stand_in_as_distinct_urls(tmp_path: Path) -> None:
    values, secret_keys = offline_config(
        tmp_path, "mlops:alerts:\n  webhooks: [{secure: v1:AAAA}, {secure: v1:BBBB}]\n"
    )

    webhooks = loaded(values, secret_keys).alerts.webhooks

    assert webhooks == (STAND_IN, "https://secret-webhook-2.invalid")


def test_a_whole_key_secret_alerts_is_read_offline_as_one_secret_webhook(tmp_path: Path) -> None:
    values, secret_keys = offline_config(tmp_path, "mlops:alerts:\n  secure: v1:AAAA\n")

    alerts = loaded(values, secret_keys).alerts

    assert (alerts.enabled, alerts.emails, alerts.webhooks) == (True, (), (STAND_IN,))


@pytest.mark.parametrize("environment", ["dev", "qa", "prod"])
def test_every_key_that_may_be_secret_as_a_whole_is_valid_with_its_stand_in(
    environment: str,
) -> None:
    wholes = {key: field for key, field in CONFIG_KEYS.items() if secrets.positions(field)}

    assert list(wholes) == ["mlops:alerts"]
    for field in wholes.values():
        section: Any = field.annotation
        stand_in = secrets.whole_stand_in(field)
        assert section.model_validate(stand_in, context={"environment": environment})


def test_a_decrypted_secret_is_used_as_pulumi_up_passes_it() -> None:
    alerts = {"emails": ["ml-platform@contoso.com"], "webhooks": [SECRET_HOOK]}

    assert loaded(config(alerts=alerts), ("mlops:alerts",)).alerts.webhooks == (SECRET_HOOK,)


def test_pulumi_up_refuses_the_offline_placeholder_in_a_secret() -> None:
    whole = problems(config(alerts=SECRET_PLACEHOLDER), ("mlops:alerts",), refuse_placeholders=True)
    item = problems(
        config(alerts={"webhooks": [SECRET_PLACEHOLDER]}),
        ("mlops:alerts",),
        refuse_placeholders=True,
    )

    assert whole == (
        "mlops:alerts: is '[secret]', what the offline preview passes for a secret it cannot "
        "read, not a value: `pulumi up` needs the real one, set with `pulumi config set --secret "
        "--path 'mlops:alerts.webhooks[0]' '<url>'`",
    )
    assert item[0].startswith("mlops:alerts.webhooks[0]: is '[secret]', what the offline")
    assert len(item) == 1


# -- what may not be secret -----------------------------------------------------------------------


def test_a_secret_key_that_holds_no_credential_is_refused_naming_the_key() -> None:
    offline = problems(config(prefix=SECRET_PLACEHOLDER), ("mlops:prefix",))
    decrypted = problems(config(prefix="contoso"), ("mlops:prefix",))

    expected = (
        "mlops:prefix: is secret, but holds no credential: set it in plain config, without "
        "--secret, so that reviewers and the offline preview can read it",
    )
    assert offline == decrypted == expected  # and no "is required" or "got '[secret]'"


def test_an_unknown_secret_key_is_refused_as_unknown() -> None:
    found = problems({**config(), "mlops:token": SECRET_PLACEHOLDER}, ("mlops:token",))

    assert len(found) == 1 and found[0].startswith("mlops:token: unknown key")


def test_a_whole_key_secret_on_a_structured_key_that_may_not_hold_one_is_refused(
    tmp_path: Path,
) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        """\
        mlops:alerts: {emails: [ml-platform@contoso.com]}
        mlops:network: {secure: v1:AAAA}
        """,
    )

    found = problems(values, secret_keys)

    assert found == (
        "mlops:network: is secret, but holds no credential: set it in plain config, without "
        "--secret, so that reviewers and the offline preview can read it",
    )


def test_a_secret_in_alerts_outside_its_webhooks_is_refused_alone(tmp_path: Path) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        """\
        mlops:alerts:
          emails: [{secure: v1:AAAA}]
          webhooks: [{secure: v1:BBBB}]
        """,
    )

    found = problems(values, secret_keys)

    assert found == (
        "mlops:alerts.emails[0]: is secret, but holds no credential (only "
        "mlops:alerts.webhooks[*] may be): set it in plain config, without --secret, so that "
        "reviewers and the offline preview can read it",
    )


def test_a_secret_nested_deeper_than_a_webhook_is_refused(tmp_path: Path) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        """\
        mlops:alerts:
          emails: [ml-platform@contoso.com]
          thresholds: {latencyP95Ms: {secure: v1:AAAA}}
          webhooks: [[{secure: v1:BBBB}]]
        """,
    )

    found = problems(values, secret_keys)

    assert [p.partition(": ")[0] for p in found] == [
        "mlops:alerts.thresholds.latencyP95Ms",
        "mlops:alerts.webhooks[0][0]",
        "mlops:alerts.webhooks[0]",
    ]
    assert found[2] == "mlops:alerts.webhooks[0]: must be an https:// URL, got a list"


def test_a_secure_map_where_a_webhook_url_is_expected_is_refused(tmp_path: Path) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        """\
        mlops:alerts:
          webhooks: [{url: {secure: v1:AAAA}}]
        """,
    )

    found = problems(values, secret_keys)

    assert found[0].startswith("mlops:alerts.webhooks[0].url: is secret, but holds no credential")
    assert "mlops:alerts.webhooks[0]: must be an https:// URL, got a map" in found


def test_the_placeholder_typed_by_hand_in_a_plain_key_is_refused() -> None:
    found = problems(config(alerts={"webhooks": [SECRET_PLACEHOLDER]}))

    assert found == (
        "mlops:alerts.webhooks[0]: is the text '[secret]' in plain config, which stands for a "
        "secret the offline preview cannot read: write the value itself",
    )


def test_a_provider_secret_is_the_providers_business() -> None:
    values = {**config(), "azure-native:clientSecret": "s3cret"}

    assert loaded(values, ("azure-native:clientSecret",)).prefix == "contoso"


# -- what must be secret --------------------------------------------------------------------------

TOKEN_URLS: Final = {
    "slack": f"https://hooks.slack.com/services/T01/B02/{TOKEN}",
    "slack-mixed-case": f"https://HOOKS.Slack.COM/Services/T01/B02/{TOKEN}",
    "slack-url-encoded-path": f"https://hooks.slack.com/%73ervices/T01/B02/{TOKEN}",
    "slack-double-encoded": f"https://hooks.slack.com/%2573ervices/T01/B02/{TOKEN}",
    "slack-port-and-dot": f"https://hooks.slack.com.:443/services/T01/B02/{TOKEN}",
    "slack-workflow": f"https://hooks.slack.com/workflows/T01/A02/{TOKEN}",
    "teams": f"https://contoso.webhook.office.com/webhookb2/{TOKEN}/IncomingWebhook/x",
    "teams-legacy": f"https://outlook.office.com/webhook/{TOKEN}/IncomingWebhook/x",
    "logic-apps": f"https://prod-00.westeurope.logic.azure.com/workflows/0/triggers?sig={TOKEN}",
    "power-automate-sig": f"https://x.environment.api.powerplatform.com/flows?sp=%2F&sig={TOKEN}",
    "sig-upper-case": f"https://alerts.contoso.com/hook?SIG={TOKEN}",
    "sig-url-encoded-name": f"https://alerts.contoso.com/hook?%73ig={TOKEN}",
    "discord": f"https://discord.com/api/webhooks/123/{TOKEN}",
    "pagerduty": f"https://events.pagerduty.com/integration/{TOKEN}/enqueue",
    "function-code": f"https://fn.azurewebsites.net/api/alert?code={TOKEN}",
    "token": f"https://alerts.contoso.com/hook?format=json&token={TOKEN}",
    "key": f"https://alerts.contoso.com/hook?key={TOKEN}",
    "apikey": f"https://alerts.contoso.com/hook?ApiKey={TOKEN}",
    "x-api-key": f"https://alerts.contoso.com/hook?x-api-key={TOKEN}",
    "access-token-in-fragment": f"https://alerts.contoso.com/hook#access_token={TOKEN}",
    "secret": f"https://alerts.contoso.com/hook?client_secret={TOKEN}",
    "basic-auth": f"https://alerts:{TOKEN}@alerts.contoso.com/hook",
    "user-only": f"https://{TOKEN}@alerts.contoso.com/hook",
}
PLAIN_URLS: Final = (
    PLAIN_HOOK,
    "https://alerts.contoso.com/hook?format=json&api-version=2016-06-01",
    "https://alerts.contoso.com/keys/hook?keyword=monkey&sign=1",
    "https://hooks.slack.com.contoso.com/services/x",
    "https://contoso.com/users/@me",
)


@pytest.mark.parametrize("url", TOKEN_URLS.values(), ids=TOKEN_URLS.keys())
def test_a_webhook_with_a_token_in_plain_config_is_refused_with_the_command(url: str) -> None:
    found = problems(config(alerts={"webhooks": [PLAIN_HOOK, url]}))

    assert len(found) == 1
    assert found[0].startswith("mlops:alerts.webhooks[1]: looks like a credential (")
    assert found[0].endswith(
        "in plain config: set it as a secret, "
        "`pulumi config set --secret --path 'mlops:alerts.webhooks[1]' '<url>'`"
    )
    assert TOKEN not in found[0] and "contoso" not in found[0]


@pytest.mark.parametrize("url", PLAIN_URLS)
def test_a_webhook_without_a_token_is_plain_config(url: str) -> None:
    assert token_reason(url) is None
    assert loaded(config(alerts={"webhooks": [url]})).alerts.webhooks == (url,)


def test_an_offline_read_secret_key_checks_its_plain_values(tmp_path: Path) -> None:
    values, secret_keys = offline_config(
        tmp_path,
        f"""\
        mlops:alerts:
          webhooks: [{{secure: v1:AAAA}}, "{SECRET_HOOK}"]
        """,
    )

    found = problems(values, secret_keys)

    assert [p.partition(": ")[0] for p in found] == ["mlops:alerts.webhooks[1]"]
    assert "--path 'mlops:alerts.webhooks[1]'" in found[0]
    assert TOKEN not in found[0]


def test_a_token_url_where_no_credential_belongs_is_refused_without_suggesting_a_secret() -> None:
    found = problems(config(tags={"runbook": SECRET_HOOK}))

    assert found == (
        "mlops:tags.runbook: looks like a credential; never put secrets in plain config (a "
        "Slack webhook URL carries its token in its path), and this key takes none: remove it, "
        "and prefer identity-based access, which is all this program needs",
    )


# -- the editors' JSON Schema ---------------------------------------------------------------------


def schema_errors(alerts: Any) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = {"config": {**BASE, "mlops:alerts": alerts}}
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]


def test_the_committed_schema_is_the_generated_one_for_secrets() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    alerts = stack_file_schema()["properties"]["config"]["properties"]["mlops:alerts"]
    assert committed["properties"]["config"]["properties"]["mlops:alerts"] == alerts


@pytest.mark.parametrize(
    "alerts",
    [
        {"webhooks": [{"secure": "v1:AAAA"}]},
        {"emails": ["ml-platform@contoso.com"], "webhooks": [{"secure": "v1:A"}, PLAIN_HOOK]},
        {"secure": "v1:AAAA"},
    ],
    ids=["path-secret", "path-secret-beside-plain", "whole-key-secret"],
)
def test_the_schema_accepts_the_secret_forms(alerts: Any) -> None:
    assert schema_errors(alerts) == []


@pytest.mark.parametrize(
    "alerts",
    [
        {"webhooks": [{"secure": "v1:AAAA", "other": 1}]},
        {"webhooks": [{"secure": {"nested": "v1"}}]},
        {"emails": [{"secure": "v1:AAAA"}]},
        {"thresholds": {"secure": "v1:AAAA"}},
        {"secure": "v1:AAAA", "emails": []},
    ],
    ids=["extra-key", "secure-map", "secret-e-mail", "secret-thresholds", "whole-key-extra"],
)
def test_the_schema_refuses_a_secret_where_none_belongs(alerts: Any) -> None:
    assert schema_errors(alerts) != []


@pytest.mark.parametrize(
    "url",
    [u for name, u in TOKEN_URLS.items() if "encoded" not in name],
    ids=[name for name in TOKEN_URLS if "encoded" not in name],
)
def test_the_schema_refuses_a_plain_webhook_with_a_token(url: str) -> None:
    assert re.search(token_pattern(), url)
    assert schema_errors({"webhooks": [url]}) != []


@pytest.mark.parametrize("url", PLAIN_URLS)
def test_the_schema_accepts_a_plain_webhook_without_a_token(url: str) -> None:
    assert schema_errors({"webhooks": [url]}) == []


# -- never shown ----------------------------------------------------------------------------------

# Alerts as `pulumi up` passes them when mlops:alerts is secret: decrypted, the key listed secret.
SECRET_ALERTS: Final = {"emails": [f"{TOKEN.lower()}@contoso.com"], "webhooks": [SECRET_HOOK]}


def assert_hidden(*outputs: str) -> None:
    for output in outputs:
        assert TOKEN not in output and TOKEN.lower() not in output


def test_a_settings_error_never_shows_a_secret_value() -> None:
    alerts = {"emails": [f"{TOKEN}-not-an-address"], "webhooks": [SECRET_HOOK, SECRET_HOOK]}

    with pytest.raises(settings.SettingsError) as caught:
        settings.load(
            config(alerts=alerts, prefix="Not A Prefix"),
            project=PROJECT,
            stack="dev",
            secret_keys=("mlops:alerts",),
        )

    assert_hidden(str(caught.value))
    assert caught.value.problems == (
        "mlops:prefix: must be 2-10 lowercase letters and digits, starting with a letter (it "
        "starts globally unique names such as the storage account's), got 'Not A Prefix'",
        "mlops:alerts.emails[0]: must be an e-mail address such as ml-platform@contoso.example, "
        "got [secret]",
        "mlops:alerts.webhooks[1]: repeats webhooks[0] ([secret])",
    )


def test_an_error_caused_by_another_key_never_shows_the_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack(
            "dev",
            config=config(alerts=SECRET_ALERTS, prefix="Not A Prefix"),
            secret_keys=("mlops:alerts",),
        )

    assert str(caught.value).startswith("Invalid stack configuration:\n  - mlops:prefix:")
    assert_hidden(str(caught.value))


@pytest.fixture(scope="module")
def secret_plan() -> Plan:
    return Plan(
        run_stack("dev", config=config(alerts=SECRET_ALERTS), secret_keys=("mlops:alerts",))
    )


@pytest.fixture(scope="module")
def plain_plan() -> Plan:
    return Plan(run_stack("dev", config=config(alerts={"webhooks": [PLAIN_HOOK]})))


def test_every_output_of_a_run_with_a_secret_hides_it(secret_plan: Plan, plain_plan: Plan) -> None:
    diff = diff_plans(plain_plan, secret_plan)
    outputs = [
        render_text(secret_plan),
        render_json(secret_plan),
        render_markdown(secret_plan),
        *(render_diff(diff, "base", fmt) for fmt in preview.FORMATS),
        *(render_compare(secret_plan, plain_plan, fmt) for fmt in preview.FORMATS),
        *(v.message for v in check(secret_plan.run).violations),
    ]

    assert_hidden(*outputs)
    assert "webhookReceivers" in render_json(secret_plan)
    assert "[secret]" in render_diff(diff, "base", "text")


def test_policies_see_a_secret_webhook_receiver_but_not_its_url(secret_plan: Plan) -> None:
    group = next(r for r in secret_plan.run.resources if r.name == "monitoring-action-group")
    props = proxied(group.inputs)

    receivers = props["webhookReceivers"]

    assert len(receivers) == 1 and receivers[0]["serviceUri"] == SECRET_PLACEHOLDER
    assert not [
        v for v in check(secret_plan.run).violations if v.policy == "action-group-has-receivers"
    ]


# -- the offline preview --------------------------------------------------------------------------


def preview_outputs(path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[int, str]]:
    for fmt in preview.FORMATS:
        status = preview.main(["--stack", "dev", "--config-file", str(path), "--format", fmt])
        captured = capsys.readouterr()
        yield status, captured.out + captured.err


def test_the_offline_preview_runs_a_path_secret_and_shows_it_as_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(
        tmp_path,
        """\
        mlops:alerts:
          emails: [ml-platform@contoso.com]
          webhooks: [{secure: v1:C1PHERTEXT}]
        """,
    )

    for status, output in preview_outputs(path, capsys):
        assert status == 0, output
        assert "C1PHERTEXT" not in output and "secret-webhook-1" not in output
        assert "is secret as a whole" not in output


def test_the_offline_preview_says_a_whole_key_secret_was_not_read_and_what_stood_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(tmp_path, "mlops:alerts: {secure: v1:C1PHERTEXT}\n")
    note = (
        "mlops:alerts is secret as a whole: the offline preview cannot read it, and previews it "
        'as `{"webhooks": ["https://secret-webhook-1.invalid"]}`. Keep the key plain and only its '
        "credentials secret, each on its own: `pulumi config set --secret --path "
        "'mlops:alerts.webhooks[0]' '<url>'`"
    )

    outputs = dict(zip(preview.FORMATS, preview_outputs(path, capsys), strict=True))

    assert all(status == 0 for status, _ in outputs.values())
    assert f"    Note: {note}" in outputs["text"][1]
    assert f"> [!NOTE]\n> {note}\n" in outputs["markdown"][1]
    data = json.loads(outputs["json"][1])
    assert data["unreadableSecrets"] == [
        {"key": "mlops:alerts", "standIn": {"webhooks": [STAND_IN]}, "note": note}
    ]
    assert all("C1PHERTEXT" not in output for _, output in outputs.values())


def test_the_reviewers_diff_says_a_whole_key_secret_was_not_read(
    tmp_path: Path, plain_plan: Plan
) -> None:
    values, secret_keys = offline_config(tmp_path, "mlops:alerts: {secure: v1:C1PHERTEXT}\n")
    head = Plan(run_stack("dev", config=values, secret_keys=secret_keys))

    diff = diff_plans(plain_plan, head)

    for fmt in preview.FORMATS:
        assert "mlops:alerts is secret as a whole" in render_diff(diff, "base", fmt)


def test_the_offline_preview_refuses_a_secret_that_holds_no_credential(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_file(tmp_path, "mlops:alerts: {emails: [ml-platform@contoso.com]}\n")
    text = path.read_text(encoding="utf-8").replace("prefix: contoso", "prefix: {secure: v1:AAAA}")
    path.write_text(text, encoding="utf-8")

    status = preview.main(["--stack", "dev", "--config-file", str(path)])

    assert status == 1
    assert capsys.readouterr().err.strip() == (
        "Invalid stack configuration:\n  - mlops:prefix: is secret, but holds no credential: set "
        "it in plain config, without --secret, so that reviewers and the offline preview can "
        "read it"
    )
