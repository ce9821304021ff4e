"""Administrators see what left MotCua and what did not (pending, failed), send failed messages again, and edit
the code mappings of each outside system."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.core.errors import MotCuaError
from motcua.integrations import outbox
from motcua.integrations.models import (
    CodeMapping,
    InboxMessage,
    OutboxMessage,
    Peer,
    PeerAgency,
    PeerExchange,
    PeerStep,
    PopulationLookup,
)
from motcua.integrations.peers import keys
from motcua.integrations.population.services import id_hash


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "system", "target", "kind", "key", "status", "attempts", "next_attempt_at",
                    "delivered_at")
    list_filter = ("status", "system", "kind")
    search_fields = ("key", "target", "dossier__code")
    list_select_related = ("dossier",)
    date_hierarchy = "created_at"
    actions = ["replay_selected"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False  # never lost: a message is delivered or stays, failed, for an administrator to send again

    @admin.action(description=_("Send the selected failed or pending messages again"), permissions=["change"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done = outbox.replay(queryset)
        self.message_user(request, ngettext("%(count)d outgoing message queued again.",
                                            "%(count)d outgoing messages queued again.",
                                            done) % {"count": done}, messages.SUCCESS)


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "kind", "message_id", "dossier")
    list_filter = ("sender", "kind")
    search_fields = ("message_id", "dossier__code")
    readonly_fields = [f.name for f in InboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: InboxMessage | None = None) -> bool:
        return False  # a deleted message's id could be replayed


@admin.register(CodeMapping)
class CodeMappingAdmin(admin.ModelAdmin):
    list_display = ("system", "kind", "local_code", "remote_code", "remote_name")
    list_filter = ("system", "kind")
    search_fields = ("local_code", "remote_code", "remote_name")


@admin.register(PopulationLookup)
class PopulationLookupAdmin(admin.ModelAdmin):
    """The look-up log (Law 91/2025): read-only; it holds no data about the person, only who asked, why, when, the
    citizen ID masked and keyed-hashed (search by the full ID: it is hashed the same way) and the outcome."""

    list_display = ("at", "purpose", "user", "agency", "dossier", "id_masked", "outcome")
    list_filter = ("purpose", "outcome")
    list_select_related = ("user", "agency", "dossier")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in PopulationLookup._meta.fields]
    search_fields = ("dossier__code",)
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[PopulationLookup], search_term: str
                           ) -> tuple[QuerySet[PopulationLookup], bool]:
        term = search_term.strip()
        if term.isdigit() and len(term) == 12:
            return queryset.filter(id_hash=id_hash(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PopulationLookup | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PopulationLookup | None = None) -> bool:
        return False


class PeerAgencyInline(admin.TabularInline):
    model = PeerAgency
    extra = 0
    autocomplete_fields = ("agency",)


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "base_url", "is_active", "fingerprint", "added_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "base_url")
    readonly_fields = ("fingerprint", "added_at")
    inlines = [PeerAgencyInline]

    @admin.display(description=_("fingerprint"))
    def fingerprint(self, peer: Peer) -> str:
        try:
            return keys.fingerprint(peer.public_key)
        except MotCuaError as error:
            return str(error)


@admin.register(PeerAgency)
class PeerAgencyAdmin(admin.ModelAdmin):
    list_display = ("agency", "peer", "remote_code")
    list_filter = ("peer",)
    search_fields = ("agency__name", "agency__identifier_code", "remote_code")
    autocomplete_fields = ("agency",)


@admin.register(PeerStep)
class PeerStepAdmin(admin.ModelAdmin):
    list_display = ("procedure_code", "step_name", "agency")
    search_fields = ("procedure_code", "step_name")


@admin.register(PeerExchange)
class PeerExchangeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "direction", "peer", "dossier", "remote_code", "state", "step_index")
    list_filter = ("direction", "state", "peer")
    search_fields = ("dossier__code", "remote_code", "message_id")
    readonly_fields = [f.name for f in PeerExchange._meta.fields]
    list_select_related = ("peer", "dossier")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
