"""What the workspace shows of a dossier's exchange with another province: where it came from (and whether the
user may send it back), or where it was sent and what state it is in."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.agencies.models import Role
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import TERMINAL, EventKind
from motcua.integrations.models import ExchangeDirection, PeerExchange, System
from motcua.integrations.selectors import DeliveryState, delivery_state


@dataclass(frozen=True)
class ExchangeView:
    direction: str
    peer_name: str
    peer_code: str
    remote_code: str
    state: str
    state_label: str
    may_send_back: bool
    history: list[dict[str, str]]  # in: what happened to the dossier in the province that sent it
    delivery: DeliveryState | None = None  # out: whether the dossier reached the other province yet


def _local(moment: str) -> str:
    parsed = parse_datetime(moment)
    if parsed is None:
        return moment[:16]
    return f"{timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed:%d/%m/%Y %H:%M}"


def exchange_view(dossier: Dossier, actor: Actor) -> ExchangeView | None:
    exchange = (PeerExchange.objects.filter(dossier_id=dossier.pk).select_related("peer").order_by("-pk").first())
    if exchange is None:
        return None
    may = (exchange.direction == ExchangeDirection.IN and dossier.status not in TERMINAL
           and bool(actor.roles_at(dossier.current_agency_id) & {Role.PROCESSING, Role.LEADER}))
    history: list[dict[str, str]] = []
    if exchange.direction == ExchangeDirection.IN:
        first = dossier.events.filter(action=EventKind.SUBMIT).values_list("data", flat=True).first() or {}
        origin = first.get("from_peer") or {}
        history = [{"at": _local(str(row.get("at", ""))), "label": str(row.get("label", "")),
                    "agency": str(row.get("agency", "")), "note": str(row.get("note", ""))}
                   for row in origin.get("history") or [] if isinstance(row, dict)]
    delivery = (delivery_state(dossier.pk, System.PEER, target=exchange.peer.code)
                if exchange.direction == ExchangeDirection.OUT else None)
    return ExchangeView(exchange.direction, exchange.peer.name, exchange.peer.code, exchange.remote_code,
                        exchange.state, str(exchange.get_state_display()), may, history, delivery)
