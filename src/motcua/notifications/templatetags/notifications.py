"""``{% load notifications %}{% notifications_alert %}``: the count of failed notifications, for staff pages."""

from __future__ import annotations

from typing import Any

from django import template

from motcua.notifications.selectors import failed_count_for

register = template.Library()


@register.inclusion_tag("notifications/_staff_alert.html", takes_context=True)
def notifications_alert(context: Any) -> dict[str, Any]:
    """Nothing when all is well; else a warning with the count and, for those who may, a link to the list
    in the administration where each can be resent."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    count = failed_count_for(user)
    return {
        "failed_count": count,
        "can_resend": bool(count and user is not None and user.has_perm("notifications.change_notification")),
    }
