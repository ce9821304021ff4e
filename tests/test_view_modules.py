"""The shape of the page code (STYLE.md rows 3, 4 and 8): HTML pages only in ``portal`` and ``workspace``, one
views module per area under ~300 lines, no ORM query in a view module, no dossier status or event name as a
literal in the page templates' comparisons."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from motcua.dossiers.statuses import EventKind, Status

SOURCE = Path(__file__).resolve().parent.parent / "src" / "motcua"
VIEW_MODULES = sorted([*(SOURCE / "portal" / "views").glob("*.py"), *(SOURCE / "workspace" / "views").glob("*.py")])
MAX_LINES = 300
ORM_CALLS = {"objects", "filter", "exclude", "select_related", "prefetch_related", "order_by", "annotate", "raw",
             "cursor"}
LOWER_APPS = ("core", "geo", "agencies", "catalog", "dossiers", "documents", "payments", "notifications",
              "feedback", "accounts")


@pytest.mark.parametrize("module", VIEW_MODULES, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_a_views_module_is_short_and_never_queries(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES
    used = {node.attr for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Attribute)}
    assert not used & ORM_CALLS, f"{module.name} queries the ORM: {sorted(used & ORM_CALLS)}"


def test_no_lower_app_has_views_or_imports_the_page_apps() -> None:
    for app in LOWER_APPS:
        assert not (SOURCE / app / "views.py").exists(), f"{app}/views.py: pages live in portal/ or workspace/"
        for module in (SOURCE / app).rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(from|import) motcua\.(portal|workspace)\b", text, re.M), module


def test_page_templates_compare_no_dossier_status_or_event_literal() -> None:
    names = "|".join(sorted({*Status.values, *EventKind.values}, key=len, reverse=True))
    literal = re.compile(rf"""(==|!=|\bin)\s*["']({names})["']""")
    for app in ("portal", "workspace"):
        for template in (SOURCE / app / "templates").rglob("*.html"):
            found = literal.search(template.read_text(encoding="utf-8"))
            assert found is None, f"{template.relative_to(SOURCE)}: {found.group(0) if found else ''}"
