"""A dossier is rated once, from the applicant's account or with its receipt's QR code: not once by each."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from motcua.feedback import services, tokens
from motcua.feedback.models import Rating, RatingChannel
from tests.concurrency import at_once
from tests.factories import World, owned, returned
from tests.test_feedback import ANSWERS, citizen, english, signed_in


@pytest.fixture
def rated_dossier(world: World) -> Any:
    owner = citizen()
    return owner, returned(world, owned(world, owner))


@pytest.mark.django_db
def test_rated_from_the_account_the_receipt_survey_is_refused(rated_dossier: Any) -> None:
    owner, dossier = rated_dossier
    assert signed_in(owner).post(reverse("feedback:rate", args=[dossier.code]), ANSWERS).status_code == 200
    url = reverse("feedback:receipt_survey", args=[tokens.receipt_token(dossier.code)])
    assert "has already been rated" in english().get(url).content.decode()
    twice = english().post(url, {"score": "1"})
    assert twice.status_code == 409 and "each dossier is rated once" in twice.content.decode()
    assert Rating.objects.get().channel == RatingChannel.ACCOUNT


@pytest.mark.django_db
def test_rated_with_the_receipt_the_account_shows_it_and_refuses_another(rated_dossier: Any) -> None:
    owner, dossier = rated_dossier
    services.rate_receipt(token=tokens.receipt_token(dossier.code), answers=services.Answers(score=4))
    client = signed_in(owner)
    url = reverse("feedback:rate", args=[dossier.code])
    page = client.get(url).content.decode()
    assert "You rated this dossier 4/5" in page and 'name="score"' not in page
    refused = client.post(url, ANSWERS)
    assert refused.status_code == 409 and "You rated this dossier 4/5" in refused.content.decode()
    with pytest.raises(services.AlreadyRated) as caught:
        services.rate_dossier(user=owner, dossier_code=dossier.code, answers=services.Answers(score=5))
    assert caught.value.code == "already_rated" and caught.value.messages()["vi"]
    assert Rating.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_rating_of_a_dossier(rated_dossier: Any) -> None:
    _owner, dossier = rated_dossier
    first = Rating.objects.create(score=5, channel=RatingChannel.ACCOUNT, dossier=dossier,
                                  agency_id=dossier.receiving_agency_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(score=1, channel=RatingChannel.RECEIPT_QR, dossier=dossier,
                              agency_id=dossier.receiving_agency_id)
    Rating.objects.create(score=3, channel=RatingChannel.COUNTER_QR, agency_id=dossier.receiving_agency_id)
    Rating.objects.create(score=3, channel=RatingChannel.COUNTER_QR, agency_id=dossier.receiving_agency_id)
    assert list(Rating.objects.filter(dossier=dossier)) == [first]  # counter surveys are tied to no dossier


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_two_ratings_at_the_same_moment_one_is_kept_the_other_is_told(world: World) -> None:
    owner = citizen()
    dossier = returned(world, owned(world, owner))
    token = tokens.receipt_token(dossier.code)

    def rate(index: int) -> Any:
        if index % 2:
            return services.rate_receipt(token=token, answers=services.Answers(score=2))
        return services.rate_dossier(user=owner, dossier_code=dossier.code, answers=services.Answers(score=5))

    results = at_once(4, rate)
    kept = [r for r in results if isinstance(r, Rating)]
    refused = [r for r in results if isinstance(r, services.AlreadyRated)]
    assert len(kept) == 1 and len(refused) == 3, results
    assert Rating.objects.filter(dossier=dossier).count() == 1
