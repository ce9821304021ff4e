"""Staff sign-in and sign-out, under the one sign-in lockout (:mod:`motcua.accounts.lockout`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views

from motcua.accounts.lockout import StaffLoginForm
from motcua.workspace import selectors


class LoginView(auth_views.LoginView):
    """Staff sign-in; in trial mode the page lists the demo province's accounts and their roles."""

    template_name = "workspace/login.html"
    redirect_authenticated_user = True
    authentication_form = StaffLoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = selectors.demo_accounts() if settings.DEMO_MODE else []
        return context


class LogoutView(auth_views.LogoutView):
    next_page = "workspace:login"
