"""A Content Security Policy on every page (django-csp): scripts only from this host, no inline handlers, no
framing; and the pages still work under it in a real Chromium (no violation reported, the behaviours that were
inline handlers — language switch, print, submit once — still happen)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import motcua
from tests.factories import World

SOURCE = Path(motcua.__file__).parent
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


@pytest.mark.parametrize("path", ["/", "/thu-tuc/", "/tra-cuu/", "/workspace/login/", "/admin/login/",
                                  "/api/v1/docs", "/tai-khoan/dang-nhap/"])
def test_every_page_carries_the_policy(client: Client, db: Any, path: str) -> None:
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]  # the sandbox gateway lives on this host


def test_a_real_gateway_is_a_permitted_form_action(settings: Any, client: Client, db: Any) -> None:
    """The payment start answers a redirect to the bank's page: the policy names that page's origin."""
    import importlib

    from motcua.config import settings as motcua_settings

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PAYMENT_GATEWAY", "vnpay")
            patch.setenv("PAYMENT_URL", "https://pay.bank.example.vn/vpcpay.html")
            reloaded = importlib.reload(motcua_settings)
            actions = reloaded.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
    finally:
        importlib.reload(motcua_settings)
    assert actions == ["'self'", "https://pay.bank.example.vn"]


def test_no_template_has_an_inline_script_or_handler() -> None:
    """What the policy would block is not written in the first place (PDF slips are rendered, not served)."""
    offending = []
    for template in SOURCE.glob("**/templates/**/*.html"):
        if "/slips/" in str(template) or template.name == "receipt.html" and "payments" in str(template):
            continue
        text = template.read_text()
        if INLINE_HANDLER.search(text) or INLINE_SCRIPT.search(text):
            offending.append(str(template.relative_to(SOURCE)))
    assert offending == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_policy_in_chromium(browser: Any, live_server: Any, world: World) -> None:
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => console.error("
                         "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    try:
        for path in ["/", "/thu-tuc/", "/thu-tuc/1.000894/", "/tra-cuu/", "/co-quan/000.01.20.H22/danh-muc-in/",
                     "/api/v1/docs", "/admin/login/"]:
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
        page.goto(live_server.url + "/api/v1/docs")
        page.wait_for_selector("#swagger-ui .opblock", timeout=20_000)  # Swagger UI ran, from local files
        # the language switch was an inline onchange handler; it is now motcua.js
        page.goto(live_server.url + "/thu-tuc/")
        with page.expect_navigation():
            page.select_option("#lang", "en")
        assert page.locator("html").get_attribute("lang") == "en"
        # the staff workspace, with htmx, signed in
        page.goto(live_server.url + "/workspace/login/")
        page.fill("input[name=username]", "tiepnhan")
        page.fill("input[name=password]", "motcua-demo")
        with page.expect_navigation():
            page.locator("main form button.btn-primary").click()
        page.goto(live_server.url + "/workspace/")
        page.wait_for_load_state("networkidle")
        assert "/workspace/login/" not in page.url
    finally:
        context.close()
    assert violations == []
