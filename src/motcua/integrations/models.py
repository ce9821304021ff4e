"""What leaves MotCua for an outside system, and what comes in from one (DESIGN.md §4, ``integrations``).

:class:`OutboxMessage`: one message to deliver to one outside system (the national portal, a peer instance…),
written in the same transaction as the event that causes it (``integrations.receivers``), delivered by the outbox
worker (``motcua deliver_outbox``) with retries and backoff; a message is never lost when a process dies (a claim
is a lease that runs out) and never delivered twice to a receiver that honours its key (``key`` is sent with it).
:class:`InboxMessage`: one message received from a peer, kept by its sender's id so that a replay is refused.
:class:`CodeMapping`: our codes (statuses, channels, procedures, units) in each outside system's codes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class System(models.TextChoices):
    """The outside systems MotCua talks to. A peer instance is ``peer``; which one is the message's ``target``."""

    PORTAL = "portal", _("National public service portal")
    STORE = "store", _("Citizens' national document store")
    POPULATION = "population", _("National population database")
    PEER = "peer", _("Another province's MotCua")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class MessageKind(models.TextChoices):
    """What a message asks its receiver to do (the handlers' own codes: ``dvcqg.sync``, ``peers``)."""

    EVENT = "event", _("Dossier progress")
    RESULT = "result", _("Issued result for the citizen's store")
    SEND = "send", _("Dossier sent between provinces")
    STATUS = "status", _("Progress of a dossier sent between provinces")
    ZALO = "zalo", _("Zalo event (official account)")


class OutboxMessage(models.Model):
    system = models.CharField(_("system"), max_length=20, choices=System.choices)
    target = models.CharField(_("recipient"), max_length=40, blank=True)  # a peer's code; empty for a national one
    kind = models.CharField(_("kind"), max_length=40, choices=MessageKind.choices)  # what its handler is to do
    # messages of one (system, target, ordering) go out in id order: a later one waits for an earlier undelivered one
    ordering = models.CharField(_("order group"), max_length=80, blank=True)
    key = models.CharField(_("idempotency key"), max_length=120)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=OutboxStatus.choices,
                              default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # a worker's lease; expired: another may take it
    claimed_until = models.DateTimeField(_("claimed by a worker until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response = models.JSONField(_("answer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        constraints = [models.UniqueConstraint(fields=["system", "target", "key"], name="unique_outbox_key")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due",
                         condition=models.Q(status="pending")),
            models.Index(fields=["system", "target", "ordering", "id"], name="outbox_order",
                         condition=models.Q(status="pending")),
            models.Index(fields=["dossier", "system"], name="outbox_dossier"),
            # the claim's scan: the pending messages of a system in id order (delivered ones pile up, unread)
            models.Index(fields=["system", "id"], name="outbox_pending", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        where = f"{self.get_system_display()} {self.target}".strip()
        return f"{where} · {self.get_kind_display()} · {self.key}"


class InboxMessage(models.Model):
    """A message a peer sent us, kept by (sender, message id): the same id again is a replay, answered with what
    the first one got and never applied twice."""

    sender = models.CharField(_("sender"), max_length=40)
    message_id = models.CharField(_("message id"), max_length=120)
    kind = models.CharField(_("kind"), max_length=40, choices=MessageKind.choices)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    payload = models.JSONField(_("payload"), default=dict)
    result = models.JSONField(_("answer"), default=dict, blank=True)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("incoming message")
        verbose_name_plural = _("incoming messages")
        constraints = [models.UniqueConstraint(fields=["sender", "message_id"], name="unique_inbox_message")]

    def __str__(self) -> str:
        return f"{self.sender} · {self.get_kind_display()} · {self.message_id}"


class MappingKind(models.TextChoices):
    STATUS = "status", _("Dossier status")
    CHANNEL = "channel", _("Channel")
    PROCEDURE = "procedure", _("Procedure")
    UNIT = "unit", _("Administrative unit or agency")
    DELIVERY = "delivery", _("Result delivery")
    APPLICANT = "applicant", _("Applicant kind")


class CodeMapping(models.Model):
    """Our code for something, in an outside system's code (editable in the admin): one table for all systems,
    one row per (system, kind, local code). Missing rows fall back to the defaults each system's module knows."""

    system = models.CharField(_("system"), max_length=20, choices=System.choices)
    kind = models.CharField(_("what"), max_length=20, choices=MappingKind.choices)
    local_code = models.CharField(_("our code"), max_length=80)
    remote_code = models.CharField(_("their code"), max_length=80)
    remote_name = models.CharField(_("their name"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("code mapping")
        verbose_name_plural = _("code mappings")
        ordering = ["system", "kind", "local_code"]
        constraints = [models.UniqueConstraint(fields=["system", "kind", "local_code"], name="unique_code_mapping")]
        indexes = [models.Index(fields=["system", "kind", "remote_code"], name="mapping_remote")]

    def __str__(self) -> str:
        return f"{self.system} {self.kind}: {self.local_code} → {self.remote_code}"


class LookupPurpose(models.TextChoices):
    SIGN_UP = "sign_up", _("Sign-up")
    COUNTER = "counter", _("Counter reception")
    POST_OFFICE = "post_office", _("Post office reception")
    PREFILL = "prefill", _("Prefilling a form")


class LookupOutcome(models.TextChoices):
    MATCHED = "matched", _("Matched")
    NAME_MISMATCH = "name_mismatch", _("Name does not match")
    BIRTH_MISMATCH = "birth_mismatch", _("Date of birth does not match")
    FOUND = "found", _("Found")
    UNKNOWN = "unknown", _("Unknown citizen ID")
    UNAVAILABLE = "unavailable", _("Database unavailable")


class PopulationLookup(models.Model):
    """One question put to the national population database, kept for accountability (Law 91/2025 on personal
    data: who processed whose data, why and when). The citizen ID is kept only as a keyed hash (to find every
    look-up of one person) and masked (to read); what the database answered about the person is never kept."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    agency = models.ForeignKey("agencies.Agency", verbose_name=_("for agency"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=20, choices=LookupPurpose.choices)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    id_hash = models.CharField(_("citizen ID (keyed hash)"), max_length=64, db_index=True)
    id_masked = models.CharField(_("citizen ID (masked)"), max_length=20)
    outcome = models.CharField(_("outcome"), max_length=20, choices=LookupOutcome.choices)

    class Meta:
        verbose_name = _("population database look-up")
        verbose_name_plural = _("population database look-ups")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.purpose} {self.id_masked} {self.outcome}"


# --- other provinces' MotCua (``integrations.peers``, docs/peers.md) ----------------------------------------------

class Peer(models.Model):
    """Another province's MotCua: its code (the ``keyid`` of what it signs), where it answers, and the Ed25519
    public key its messages must be signed with. An inactive peer's messages are refused, none are sent to it."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    base_url = models.URLField(_("address"), max_length=300)
    public_key = models.TextField(_("public key (Ed25519, PEM)"))
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("peer instance")
        verbose_name_plural = _("peer instances")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PeerAgency(models.Model):
    """A local agency row that stands for an agency of a peer (an agency that "lives" there): a dossier held by it
    is sent to the peer, for the agency with ``remote_code`` there."""

    agency = models.OneToOneField("agencies.Agency", verbose_name=_("local stand-in"), on_delete=models.CASCADE,
                                  related_name="peer_agency")
    peer = models.ForeignKey(Peer, verbose_name=_("peer instance"), on_delete=models.CASCADE,
                             related_name="agencies")
    remote_code = models.CharField(_("its code there"), max_length=20)

    class Meta:
        verbose_name = _("agency of a peer")
        verbose_name_plural = _("agencies of peers")
        constraints = [models.UniqueConstraint(fields=["peer", "remote_code"], name="unique_peer_agency")]

    def __str__(self) -> str:
        return f"{self.peer.code}:{self.remote_code}"


class PeerStep(models.Model):
    """A step of a procedure's workflow done by an agency of a peer (e.g. a verification by another province):
    every new dossier's plan gives the step named ``step_name`` to that agency (``dossiers.routing``)."""

    procedure_code = models.CharField(_("procedure code"), max_length=40)
    step_name = models.CharField(_("step (as in the workflow)"), max_length=500)
    agency = models.ForeignKey(PeerAgency, verbose_name=_("agency of a peer"), on_delete=models.CASCADE,
                               related_name="steps")

    class Meta:
        verbose_name = _("step done by a peer")
        verbose_name_plural = _("steps done by peers")
        constraints = [models.UniqueConstraint(fields=["procedure_code", "step_name"], name="unique_peer_step")]

    def __str__(self) -> str:
        return f"{self.procedure_code} / {self.step_name} → {self.agency}"


class ExchangeDirection(models.TextChoices):
    OUT = "out", _("Sent to a peer")
    IN = "in", _("Received from a peer")


class ExchangeState(models.TextChoices):
    SENT = "sent", _("Sent")
    WORKING = "working", _("Being handled")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class PeerExchange(models.Model):
    """One dossier sent to a peer for a step (``out``), or received from one (``in``): the dossiers on both sides
    (``remote_code``: the other side's code, known once it answers), and where the sent dossier goes back to."""

    direction = models.CharField(_("direction"), max_length=4, choices=ExchangeDirection.choices)
    peer = models.ForeignKey(Peer, verbose_name=_("peer instance"), on_delete=models.PROTECT,
                             related_name="exchanges")
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.CASCADE,
                                related_name="+")
    remote_code = models.CharField(_("its dossier code there"), max_length=60, blank=True)
    message_id = models.CharField(_("message id"), max_length=120)
    step_index = models.SmallIntegerField(_("step"), default=0)
    held_by = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")  # out: the stand-in holding the dossier while it is away
    back_to = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")  # out: the agency that sent it (takes it back after a transfer)
    from_step = models.SmallIntegerField(null=True, blank=True)  # out: the step it was sent from
    by_transfer = models.BooleanField(default=False)  # out: sent by a transfer (done: back to ``back_to``)
    state = models.CharField(_("state"), max_length=10, choices=ExchangeState.choices, default=ExchangeState.SENT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dossier exchanged with a peer")
        verbose_name_plural = _("dossiers exchanged with peers")
        constraints = [models.UniqueConstraint(fields=["peer", "direction", "message_id"],
                                               name="unique_peer_exchange")]
        indexes = [models.Index(fields=["dossier", "direction"], name="exchange_dossier")]

    def __str__(self) -> str:
        return f"{self.direction} {self.peer_id} {self.message_id}"
