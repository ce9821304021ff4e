"""System checks: the SANDBOX gateway must not be what a real deployment collects fees with, and a real gateway
needs its merchant code and secret."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from motcua.payments.gateways import GATEWAYS


@register()
def payment_gateway(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    name = getattr(settings, "PAYMENT_GATEWAY", "sandbox")
    if name not in GATEWAYS:
        return [Error(f"PAYMENT_GATEWAY={name!r} is not a known payment gateway.",
                      hint=f"Use one of: {', '.join(GATEWAYS)}.", id="motcua.payments.E001")]
    if name != "sandbox" and not (getattr(settings, "PAYMENT_TMN_CODE", "") and
                                  getattr(settings, "PAYMENT_HASH_SECRET", "")):
        return [Error(f"PAYMENT_GATEWAY={name} needs PAYMENT_TMN_CODE and PAYMENT_HASH_SECRET.",
                      id="motcua.payments.E002")]
    return []


@register(deploy=True)
def sandbox_in_production(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """``motcua check --deploy``: a deployment must not collect fees through the sandbox (kept quiet otherwise,
    so that the trial mode's commands do not warn at every run)."""
    if getattr(settings, "PAYMENT_GATEWAY", "sandbox") == "sandbox" and not settings.DEBUG:
        return [Warning(
            "The SANDBOX payment gateway is in use with DEBUG off: citizens would 'pay' without real money.",
            hint="Set PAYMENT_GATEWAY=vnpay with PAYMENT_TMN_CODE, PAYMENT_HASH_SECRET and PAYMENT_URL from your "
                 "gateway contract (see docs/payments.md).",
            id="motcua.payments.W001",
        )]
    return []
