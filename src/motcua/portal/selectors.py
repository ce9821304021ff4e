"""What the citizen's pages read, scoped to the signed-in citizen: their drafts and the files given for them,
their dossiers and their files, their stored documents. The pages never query the ORM themselves."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import AssistedConsentLog, ConsentAction
from motcua.agencies.models import Agency
from motcua.agencies.selectors import service_points
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.core.errors import NotFound
from motcua.documents import services as warehouse
from motcua.documents.models import StoredDocument
from motcua.dossiers import rules
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier
from motcua.dossiers.statuses import EventKind, Status
from motcua.portal.models import Draft, DraftFile


def own_draft(owner_id: int | None, draft_id: Any) -> Draft | None:
    """The citizen's own draft, with what its pages show (the components once, read by several checks of a
    request), or ``None`` (another's draft is not found)."""
    return Draft.objects.select_related(
        "version", "version__procedure", "version__field", "dossier", "assisted_consent__staff",
        "assisted_consent__agency").prefetch_related("version__components").filter(
        pk=draft_id, owner_id=owner_id).first()


def assisted_draft(staff_id: int | None, draft_id: Any) -> Draft | None:
    """A citizen's draft that this staff member fills on her behalf (assisted filing), with what the wizard's
    pages show and the consent they are checked against; ``None`` for anyone else's."""
    return Draft.objects.select_related(
        "version", "version__procedure", "version__field", "dossier", "owner__citizen", "assisted_consent",
        "assisted_consent__agency", "assisted_consent__citizen").prefetch_related(
        "version__components").filter(pk=draft_id, assisted_consent__staff_id=staff_id).first()


def given_files(draft: Draft) -> dict[int, DraftFile]:
    """The file given for each of the draft's components, by component number."""
    return {item.order: item for item in draft.files.select_related("stored")}


def given_file(draft: Draft, order: int) -> DraftFile | None:
    return draft.files.select_related("stored").filter(order=order).first()


def own_dossiers(owner_id: int | None) -> QuerySet[Dossier]:
    """The citizen's dossiers, the latest first; ``filed_on_behalf``: filed for her by staff (assisted filing),
    in the same query as the list."""
    on_behalf = AssistedConsentLog.objects.filter(dossier_id=OuterRef("pk"), action=ConsentAction.USED)
    return Dossier.objects.filter(applicant_user_id=owner_id).select_related("version").annotate(
        filed_on_behalf=Exists(on_behalf)).order_by("-submitted_at", "-pk")


def own_dossier_count(owner_id: int | None) -> int:
    return Dossier.objects.filter(applicant_user_id=owner_id).count()


# what the applicant's pages never list with the dossier's files: the result (listed apart, once issued) and the
# drafts of the result (for staff only)
STAFF_ONLY_KINDS = (AttachmentKind.RESULT, AttachmentKind.DRAFT)


def result_released(dossier: Dossier) -> bool:
    """Whether the applicant may download the result: issued, and no fee due (``rules.check_fee_settled``: an
    unpaid dossier cannot release its result)."""
    return dossier.result_issued_at is not None and rules.fee_settled(dossier, rules.RELEASE)


def results(dossier: Dossier) -> list[Attachment]:
    """The dossier's result files, once the result is issued and its fee paid (none before)."""
    if not result_released(dossier):
        return []
    return list(Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT))


def submitted_files(dossier: Dossier) -> QuerySet[Attachment]:
    """The files given with the dossier and its supplements (not the result, never a draft of it)."""
    return Attachment.objects.filter(dossier=dossier).exclude(kind__in=STAFF_ONLY_KINDS)


def own_attachment(dossier: Dossier, pk: int) -> Attachment | None:
    """One of the dossier's files; a result only once it is issued; never a draft of the result."""
    item = Attachment.objects.filter(dossier=dossier, pk=pk).exclude(kind=AttachmentKind.DRAFT).first()
    if item is None or (item.kind == AttachmentKind.RESULT and not result_released(dossier)):
        return None
    return item


def owned_document(owner_id: int, pk: int) -> StoredDocument | None:
    """One of the citizen's stored documents (the data warehouse)."""
    return warehouse.owned(owner_id).filter(pk=pk).first()


def offers(owner_id: int, component_name: str, limit: int = 5) -> list[StoredDocument]:
    """The stored documents the citizen may reuse for a component, the best first."""
    return list(warehouse.offers_for(owner_id, component_name)[:limit])


def open_drafts(owner: Any, procedure: Procedure | None = None) -> QuerySet[Draft]:
    """The citizen's drafts not yet submitted nor expired (of one procedure if given)."""
    drafts = Draft.objects.filter(owner=owner, dossier__isnull=True, expires_at__gt=timezone.now()).select_related(
        "version", "version__procedure")
    return drafts.filter(version__procedure=procedure) if procedure is not None else drafts


def find_own(owner_id: int | None, code: str) -> Dossier:
    """The citizen's own dossier ``code`` (another's is not found, so that codes reveal nothing)."""
    dossier = Dossier.objects.select_related(
        "version", "receiving_agency", "current_agency", "competent_unit",
    ).filter(code=code, applicant_user_id=owner_id).first() if owner_id else None
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})
    return dossier


def missing_items(dossier: Dossier) -> list[dict[str, str]]:
    """What the last supplement request asked for (document and reason), while it is pending."""
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        return []
    event = dossier.events.filter(action=EventKind.REQUEST_SUPPLEMENT).order_by("-seq").first()
    return list(event.data.get("missing", [])) if event is not None else []


# --- the public pages ------------------------------------------------------------------------------------


def service_points_by_kind() -> QuerySet[Agency]:
    """The public service points, by kind then name (the agencies page)."""
    return service_points().order_by("kind", "name")


def fee_total(version: ProcedureVersion) -> int:
    """The sum of a version's listed fees (as prefetched by ``catalog.selectors.procedure_version``)."""
    return sum(f.amount for f in version.fees.all())


def database_answers() -> bool:
    """Whether the database answers a trivial query (the health check)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() is not None
