"""Microsoft Defender for Cloud's plan for AI workloads on the stack's subscription
(``mlops:defender.aiServices``).

Defender for AI services is a plan of the subscription, not of a resource: "You enable the plan
per Azure subscription", by an Owner or Contributor there
(https://learn.microsoft.com/azure/defender-for-cloud/ai-onboarding). As Azure Resource Manager
holds it, it is the pricing named ``AI`` at the subscription's scope, tier Standard (the
``security.Pricing`` Args, REST API 2024-01-01). What it covers:

* threat protection for generative AI: prompts and responses of Azure OpenAI and Foundry model
  inference (https://learn.microsoft.com/azure/defender-for-cloud/ai-threat-protection), not
  the scoring requests of Azure ML's own online endpoints;
* AI model security, a component of the plan that scans models in Azure ML workspaces and
  registries for malware, unsafe operators and exposed secrets, where "Workspaces and
  registries that use a private link aren't supported"
  (https://learn.microsoft.com/azure/defender-for-cloud/ai-model-security). The REST API the
  SDK uses documents no extension for it (only AIPromptEvidence for the AI plan), so the program
  leaves the plan's components at Microsoft's defaults: the subscription's owner switches them
  in Defender for Cloud.

The pricing is subscription-wide, whichever stack declares it, so it is kept when the stack is
destroyed or the key turned off (``retain_on_delete``): removing one team's stack must not
downgrade the plan for every other resource of the subscription.
"""

from __future__ import annotations

from typing import Final

import pulumi
from pulumi_azure_native import security

from components.context import StackContext

# The pricing's name for Defender for AI services at subscription scope.
AI_PLAN: Final = "AI"


class Defender(pulumi.ComponentResource):
    """Exposes ``ai_services``: the subscription's Defender for AI services pricing."""

    def __init__(
        self, name: str, context: StackContext, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:defender:Defender", name, None, opts)
        scope = pulumi.Output.from_input(context.subscription_id).apply(
            lambda subscription: f"/subscriptions/{subscription}"
        )
        self.ai_services = security.Pricing(
            f"{name}-ai-services",
            pricing_name=AI_PLAN,
            pricing_tier=security.PricingTier.STANDARD,
            scope_id=scope,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        self.register_outputs({"aiServicesPlan": self.ai_services.id})
