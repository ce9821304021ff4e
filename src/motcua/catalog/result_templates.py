"""Result templates ("mail merge"): the sandboxed Jinja2 environment, the check made when a template is saved or
imported, and the rendering of a filled template into the page of an official document (PDF, WeasyPrint).

A template is an HTML fragment in Jinja2 syntax. It is rendered in a :class:`SandboxedEnvironment` with
:class:`StrictUndefined` and autoescaping, with no globals: it can only print the fields of
:mod:`motcua.catalog.result_fields`. :func:`check_template` refuses broken syntax or an unknown field, naming the
line, so that a mistake is found when the template is saved, not when a citizen is waiting for the result.

The page (``catalog/templates/catalog/result.html``) prints the national heading, the agency, "Số: …", the body,
and leaves two zones blank: the top-left corner of page 1 (:data:`QR_ZONE_MM`) for the QR code of Circular
01/2023/TT-VPCP and the register number, and the bottom-right of the last page (:data:`SIGNATURE_ZONE_MM`, anchor
``signature-zone``) for the signatures and the seal.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from motcua.catalog.eforms import EFormField
from motcua.catalog.result_fields import FIXED, LEAVES
from motcua.core.errors import MotCuaError

# the corner of page 1 kept blank for the QR code and the number under it: (left, top, width, height), mm
QR_ZONE_MM = (0.0, 0.0, 32.0, 40.0)
# the zone at the bottom right of the last page kept blank for the signatures: (width, height), mm
SIGNATURE_ZONE_MM = (80.0, 45.0)
SIGNATURE_ANCHOR = "signature-zone"
PAPER_SIZES = {"A4": "A4", "A5": "A5", "A4-landscape": "A4 landscape"}


class TemplateInvalid(MotCuaError):
    """A result template that cannot be used: broken syntax, or a name that is not one of the usable fields."""

    def __init__(self, code: str, message: Any, params: dict[str, Any], location: str = "body") -> None:
        super().__init__(code, message, params, location)


def environment() -> SandboxedEnvironment:
    """The environment templates are parsed and rendered in: sandboxed, strict, autoescaped, no globals."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.clear()
    return env


_ENV = environment()


def _syntax_error(exc: TemplateSyntaxError | TemplateError) -> TemplateInvalid:
    return TemplateInvalid(
        "template_syntax", _("Line %(line)s: the template's syntax is broken (%(error)s)."),
        {"line": getattr(exc, "lineno", None) or 1, "error": str(exc.message or exc)[:200]},
    )


def _path(node: nodes.Node) -> tuple[str, list[str]] | None:
    """``applicant.name`` / ``form["x"]`` as (root, [attributes]); ``None`` when it is not a plain chain."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(
                node.arg.value, str):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            return node.name, list(reversed(parts))
        else:
            return None


def check_template(body: str, eform: list[EFormField]) -> None:
    """Refuse ``body`` unless it parses and every name it reads is a usable field (the fixed ones and
    ``form.<name>`` of the e-form ``eform``). Raises :class:`TemplateInvalid` naming the line and the field."""
    try:
        tree = _ENV.parse(body)
        _ENV.compile(tree)  # unknown filters and tests are found here
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    except TemplateError as exc:
        raise _syntax_error(exc) from None
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        raise TemplateInvalid(
            "template_include", _("Line %(line)s: a result template cannot include, import or extend other "
                                  "templates."), {"line": node.lineno})
    form_keys = {f.name for f in eform}
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")} | {"loop"}
    for macro in tree.find_all(nodes.Macro):
        local.add(macro.name)
    # the outermost chain of each expression is checked; its inner links are part of it
    inner: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if id(node) in inner:
            continue
        chain = node
        while isinstance(chain, nodes.Getattr | nodes.Getitem):
            chain = chain.node
            inner.add(id(chain))
        if isinstance(node, nodes.Name) and node.ctx != "load":
            continue
        found = _path(node)
        if found is None:
            if isinstance(node, nodes.Getitem):
                raise TemplateInvalid(
                    "template_dynamic_field",
                    _("Line %(line)s: write a field's name in full (e.g. form.spouse_name), not a computed key."),
                    {"line": node.lineno})
            continue
        root, attrs = found
        if root in local:
            continue
        name = ".".join([root, *attrs])
        if root == "form" and len(attrs) == 1 and attrs[0] in form_keys:
            continue
        if name in FIXED and (attrs or root in LEAVES):
            continue
        raise TemplateInvalid(
            "unknown_template_field",
            _("Line %(line)s: %(name)s is not a field a result template can use; see the list of usable fields."),
            {"line": node.lineno, "name": name[:80]},
        )


def render_body(body: str, context: dict[str, Any]) -> str:
    """The filled HTML fragment. Raises :class:`TemplateInvalid` for a template that fails while rendering."""
    try:
        return str(_ENV.from_string(body).render(**context))
    except TemplateError as exc:
        raise TemplateInvalid(
            "template_render_failed", _("The template could not be filled in: %(error)s."),
            {"error": str(exc)[:200]},
        ) from None


def render_pdf(body: str, context: dict[str, Any], *, paper: str = "A4", heading: dict[str, Any]) -> bytes:
    """The official document: ``heading`` (``superior``, ``agency``, ``number_text``, ``place``, ``date_text``,
    ``title``, ``footer``) around the filled ``body``, as a PDF with the QR and signature zones left blank."""
    from weasyprint import HTML, URLFetcher  # loaded when a document is rendered (heavy), as dossiers.slips does

    html = render_page(body, context, paper=paper, heading=heading)
    fetcher = URLFetcher(allowed_protocols=["data"])  # nothing from the network or the disk
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


def render_page(body: str, context: dict[str, Any], *, paper: str = "A4", heading: dict[str, Any]) -> str:
    filled = render_body(body, context)
    with translation.override("vi"):  # an official document: its fixed text is Vietnamese
        return render_to_string("catalog/result.html", {
            **heading, "body": mark_safe(filled),  # noqa: S308 - autoescaped by the sandbox; the markup is the template's
            "page_size": PAPER_SIZES.get(paper, "A4"), "qr_zone": QR_ZONE_MM, "signature_zone": SIGNATURE_ZONE_MM,
            "signature_anchor": SIGNATURE_ANCHOR,
        })


def sample_heading(paper: str = "A4") -> dict[str, Any]:
    """The heading of the admin's preview, from the sample values of ``catalog.result_fields``."""
    return {
        "title": "Xem trước", "superior": FIXED["agency.superior"].sample, "agency": FIXED["agency.name"].sample,
        "number_text": "……/2026/GP", "place": FIXED["agency.place"].sample, "date_text": "ngày 25 tháng 11 năm 2026",
        "footer": "BẢN XEM TRƯỚC – dữ liệu mẫu", "recipient": FIXED["applicant.name"].sample,
        "dossier_code": FIXED["dossier.code"].sample, "signer_title": "TM. ỦY BAN NHÂN DÂN",
    }
