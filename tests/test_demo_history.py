"""The demo's four months of history (``demo.history``): a living province for the supervisor, made through the
real services, with Bãi Cháy clearly behind; loaded once; its facts equal a rebuild from the event logs."""

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from zeal import zeal_ignore

from motcua.dossiers.audit import verify_all
from motcua.dossiers.models import Dossier, Event
from motcua.feedback.models import Petition, Rating
from motcua.integrations.models import OutboxMessage
from motcua.stats import services
from motcua.stats.models import DossierFact, Outcome
from tests.test_stats_facts import tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: Any, settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path_factory.mktemp("history-pki")
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("history-media")
    settings.MOTCUA_DVCQG_URL = "http://127.0.0.1:9"  # trial mode's portal (`make run` loads the demo so): queued only
    with zeal_ignore():  # the demo's history calls the services once per dossier, as requests would, in one loop
        call_command("load_demo", verbosity=0)


def test_the_history_is_a_living_province_with_bai_chay_behind(demo: None) -> None:
    now = timezone.now()
    dossiers = Dossier.objects.all()
    assert 300 <= dossiers.count() <= 600
    assert dossiers.filter(closed_at=None).count() >= 30  # the boards have content
    oldest = dossiers.order_by("submitted_at").first()
    assert oldest is not None and (now - oldest.submitted_at).days >= 100
    # Bãi Cháy is behind: the most late dossiers, and one officer holds most of its overdue ones at one step
    late = dict(DossierFact.objects.filter(outcome=Outcome.LATE).values_list("unit__name").annotate(n=Count("pk")))
    assert max(late, key=lambda name: late[name]) == "Phường Bãi Cháy", late
    overdue = Dossier.objects.filter(closed_at=None, due_at__lt=now, receiving_agency__identifier_code="000.03.20.H22")
    holders = dict(overdue.values_list("assignee__username").annotate(n=Count("pk")))
    assert holders.get("chuyenvien.baichay", 0) >= 10 and holders["chuyenvien.baichay"] > sum(holders.values()) / 2
    facts = DossierFact.objects
    assert facts.filter(supplements__gte=1).exists() and facts.filter(apologized=True).exists()
    assert facts.filter(paid_online=True).exists() and facts.filter(digitized=True).exists()
    assert 10 <= facts.filter(across_boundary=True).count() < facts.count() / 5  # received regardless of boundary
    assert Rating.objects.exists() and Petition.objects.filter(answered_at__isnull=False).exists()
    # every event log is intact and the facts are what a rebuild makes
    assert list(verify_all()) == []
    before = tables()
    services.rebuild()
    assert tables() == before
    # in trial mode every event of the history waits for the national portal, and every issued result for the
    # citizens' store (the outbox worker of `motcua serve` sends them)
    assert OutboxMessage.objects.filter(system="portal").count() == Event.objects.count()
    assert OutboxMessage.objects.filter(system="store").exists()
    # loaded once
    call_command("load_demo", verbosity=0)
    assert Dossier.objects.count() == dossiers.count()
    assert OutboxMessage.objects.filter(system="portal").count() == Event.objects.count()
