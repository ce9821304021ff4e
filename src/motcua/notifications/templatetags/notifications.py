"""``{% load notifications %}{% notifications_alert %}``: the count of failed notifications, for staff pages."""

from __future__ import annotations

from typing import Any

from django import template

from motcua.notifications.selectors import alert_counts_for

register = template.Library()


@register.inclusion_tag("notifications/_staff_alert.html", takes_context=True)
def notifications_alert(context: Any) -> dict[str, Any]:
    """Nothing when all is well; else a warning with the counts of failed and overdue messages (the latter
    usually means the worker is not running) and, for those who may, a link to the admin list to resend them."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    failed, overdue = alert_counts_for(user)
    return {
        "failed_count": failed,
        "overdue_count": overdue,
        "can_resend": bool((failed or overdue) and user.has_perm("notifications.change_notification")),
    }
