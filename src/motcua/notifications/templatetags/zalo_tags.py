"""``{% load zalo_tags %}{% zalo_follow_card %}``: "Follow and send feedback on Zalo", the QR code of the
province's official account (on an agency's page and its printed list); nothing while Zalo is off."""

from __future__ import annotations

from typing import Any

from django import template

from motcua.core.formats import qr_data_uri
from motcua.notifications import zalo

register = template.Library()


@register.inclusion_tag("notifications/_zalo_follow.html")
def zalo_follow_card() -> dict[str, Any]:
    if not zalo.enabled():
        return {"enabled": False}
    url = zalo.follow_url()
    return {"enabled": True, "url": url, "qr": qr_data_uri(url)}
