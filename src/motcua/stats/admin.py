"""Administration of the service-quality index's versions (``stats.index``): weights, thresholds, formulas and
bands, each version in effect from its date. A row names one of ``stats.index.FORMULAS``; a version that names
another, or whose scored rows do not add up to its groups' maxima, is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from motcua.stats.index import FORMULAS
from motcua.stats.models import IndexVersion


class IndexVersionForm(forms.ModelForm):
    class Meta:
        model = IndexVersion
        fields = ("name", "legal_basis", "effective_from", "groups", "rows", "bands")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        groups, rows = data.get("groups") or [], data.get("rows") or []
        try:
            unknown = sorted({r["formula"] for r in rows} - set(FORMULAS))
            if unknown:
                raise forms.ValidationError(_("Unknown formulas: %(names)s (known: %(known)s).") % {
                    "names": ", ".join(unknown), "known": ", ".join(sorted(FORMULAS))})
            for group in groups:
                scored = sum((Decimal(str(r.get("max") or 0)) for r in rows
                              if r["code"].split(".")[0] == group["code"]), Decimal(0))
                if scored != Decimal(str(group["max"])):
                    raise forms.ValidationError(_("The rows of group %(group)s add up to %(sum)s, not %(max)s.") % {
                        "group": group["code"], "sum": scored, "max": group["max"]})
        except (KeyError, TypeError, AttributeError) as exc:
            raise forms.ValidationError(_("A group needs code and max; a row needs code, formula and max.")) from exc
        return data


@admin.register(IndexVersion)
class IndexVersionAdmin(admin.ModelAdmin):
    form = IndexVersionForm
    list_display = ("effective_from", "name")
    ordering = ("-effective_from",)
