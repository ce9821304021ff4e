"""Helpers of the browser tests (a real Chromium through Playwright): the phone's screen, what fits on it."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "vi-VN"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


def fits(page: Any) -> bool:
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def header_link(page: Any, selector: str) -> None:
    """Click a link of the page header, opening the menu first where it is folded (phones)."""
    toggle = page.locator("#mc-menu-toggle")
    if toggle.is_visible():
        toggle.click()
    page.locator(f"#mc-menu {selector}").first.click()


def workspace_link(page: Any, selector: str) -> None:
    """Click a link of the staff workspace's navigation, opening its menu first where it is folded (phones)."""
    toggle = page.locator("#mc-ws-toggle")
    if toggle.is_visible():
        toggle.click()
        page.locator("#mc-ws-menu.show").wait_for()
    page.locator(f"#mc-ws-menu {selector}").first.click()
