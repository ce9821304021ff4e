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


DEMO_VIETQR_ACCOUNT = "113366668888"  # the settings' demo default


@register()
def vietqr_account(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The VietQR account must make a payload banks read: a 6-digit BIN and an account of letters and digits."""
    bank_bin, account = settings.MOTCUA_VIETQR_BANK_BIN, settings.MOTCUA_VIETQR_ACCOUNT
    if account and not (bank_bin.isdigit() and len(bank_bin) == 6 and account.isalnum() and len(account) <= 19):
        return [Error("MOTCUA_VIETQR_BANK_BIN must be the bank's 6-digit NAPAS BIN and MOTCUA_VIETQR_ACCOUNT an "
                      "account number (letters and digits, at most 19).", id="motcua.payments.E003")]
    return []


@register(deploy=True)
def demo_vietqr_in_production(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """``motcua check --deploy``: the VietQR code must not send citizens' transfers to the demo account."""
    if settings.MOTCUA_VIETQR_ACCOUNT == DEMO_VIETQR_ACCOUNT and not settings.DEBUG:
        return [Warning("The VietQR code carries the demo bank account: transfers would go nowhere you own.",
                        hint="Set MOTCUA_VIETQR_BANK_BIN, MOTCUA_VIETQR_ACCOUNT and MOTCUA_VIETQR_ACCOUNT_NAME to "
                             "the account fees are collected on, or MOTCUA_VIETQR_ACCOUNT= (empty) for no code.",
                        id="motcua.payments.W002")]
    return []
