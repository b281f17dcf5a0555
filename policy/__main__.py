"""The mlops policy pack's entry point: `pulumi preview --policy-pack policy`.

The validations live in the mlops_policy package, beside this file, so that tests can call them
directly.
"""

from mlops_policy import PACK_NAME, build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    description="Guardrails for the mlops Azure Machine Learning environments (dev, qa, prod).",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)
