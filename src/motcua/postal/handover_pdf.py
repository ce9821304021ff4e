"""The hand-over record as a PDF (biên bản bàn giao hồ sơ / kết quả giải quyết thủ tục hành chính), rendered by
WeasyPrint like the dossier slips (``dossiers.slips``): an A4 page per few dozen items, fixed Vietnamese text (a
record of the law, whatever the reader's language), nothing fetched from the network.

Two renderings of a batch: as the giver signs it (``final=False``: what was handed over) and as the receiver
closes it (``final=True``: what arrived, missing and extra items, both signatures' names and times). The services
sign or seal the bytes (``postal.services.handover``).
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from motcua.agencies.models import Agency
from motcua.core.formats import moment, vnd
from motcua.dossiers.slips import place_name
from motcua.postal.models import Direction, HandoverBatch, HandoverItem, ItemState

STATE_LABELS = {ItemState.LISTED: "Chưa xác nhận", ItemState.RECEIVED: "Đã nhận", ItemState.MISSING: "Thiếu",
                ItemState.EXTRA: "Thừa (không có trong danh sách)"}


def context(batch: HandoverBatch, items: list[HandoverItem], *, final: bool) -> dict[str, Any]:
    agencies = Agency.objects.select_related("unit__parent").in_bulk([batch.giver_id, batch.receiver_id])
    giver, receiver = agencies[batch.giver_id], agencies[batch.receiver_id]
    listed = [item for item in items if item.state != ItemState.EXTRA]
    return {
        "batch": batch, "final": final, "giver": giver, "receiver": receiver, "place": place_name(giver),
        "to_agency": batch.direction == Direction.TO_AGENCY,
        "rows": [{"n": n, "item": item, "fee": vnd(item.fee), "state": STATE_LABELS[ItemState(item.state)]}
                 for n, item in enumerate(listed, start=1)],
        "extras": [item for item in items if item.state == ItemState.EXTRA],
        "originals": sum(item.originals for item in listed), "copies": sum(item.copies for item in listed),
        "fees": vnd(batch.fees_total), "sent": moment(batch.giver_signed_at),
        "confirmed": moment(batch.receiver_signed_at), "opened": moment(batch.opened_at),
    }


def render_html(batch: HandoverBatch, items: list[HandoverItem], *, final: bool) -> str:
    with translation.override("vi"):
        return render_to_string("postal/handover.html", context(batch, items, final=final))


def render(batch: HandoverBatch, items: list[HandoverItem], *, final: bool) -> bytes:
    """The record as an A4 PDF (unsigned: the caller signs or seals it)."""
    from weasyprint import HTML, URLFetcher  # noqa: PLC0415 - WeasyPrint loads its fonts on import (slow)

    fetcher = URLFetcher(allowed_protocols=["data"])
    return bytes(HTML(string=render_html(batch, items, final=final), url_fetcher=fetcher).write_pdf())
