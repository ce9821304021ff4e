"""Citizen sign-up, sign-in, contact verification and sign-out (see issue 4, item 1)."""

from __future__ import annotations

from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def login(request: HttpRequest) -> HttpResponse:  # replaced by the accounts work
    raise NotImplementedError


def signup(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def verify(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("portal:home")
