"""Decision pages and endpoints answer in the same number of queries on a small and a large territory."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Seat
from decisions import services
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import import_epci
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db


def decide(territoire, admin, how_many: int):
    """`how_many` closed decisions with every titulaire's position and actions, plus one open with an objection."""
    titulaires = [
        s.membership.agent
        for s in Seat.objects.active()
        .filter(collectivite__territoire=territoire, kind="titulaire")
        .select_related("membership__agent")
    ]
    closes_at = timezone.now() + timedelta(days=3)
    for index in range(how_many):
        proposition = services.proposition_create(
            territoire=territoire, author=admin, title=f"Décision {index}", body="Texte"
        )
        services.proposition_open(proposition=proposition, by=admin, closes_at=closes_at)
        for agent in titulaires:
            services.position_express(proposition=proposition, agent=agent, choice="pour")
        services.proposition_close(proposition=proposition, by=admin)
        for n in range(2):
            services.action_create(proposition=proposition, by=admin, title=f"Action {n}", owner_agent=admin)
    open_one = services.proposition_create(territoire=territoire, author=admin, title="Ouverte", body="Texte")
    services.proposition_open(proposition=open_one, by=admin, closes_at=closes_at)
    objection = services.position_express(proposition=open_one, agent=titulaires[-1], choice="objection", motive="Non")
    services.proposition_amend(
        proposition=open_one, by=admin, body="Texte 2", responses={objection.pk: "Oui"}, closes_at=closes_at
    )
    for agent in titulaires[:-1]:
        services.position_express(proposition=open_one, agent=agent, choice="contre")
        services.position_express(proposition=open_one, agent=agent, choice="pour")  # a replaced position each
    return open_one


PAGES = {
    "list": (lambda t, p: reverse("decisions:list", args=[t.slug]), 9),
    "proposition": (lambda t, p: reverse("decisions:proposition", args=[t.slug, p.pk]), 14),
    "tally": (lambda t, p: reverse("decisions:tally", args=[t.slug, p.pk]), 14),
    "register": (lambda t, p: reverse("decisions:register", args=[t.slug]), 7),
    "register_csv": (lambda t, p: reverse("decisions:register_csv", args=[t.slug]), 6),
    "actions": (lambda t, p: reverse("decisions:actions", args=[t.slug]), 6),
    "actions_csv": (lambda t, p: reverse("decisions:actions_csv", args=[t.slug]), 6),
    "api_propositions": (lambda t, p: reverse("api:proposition-list", args=[t.slug]), 7),
    "api_register": (lambda t, p: reverse("api:proposition-list", args=[t.slug]) + "?etat=close", 7),
    "api_proposition": (lambda t, p: reverse("api:proposition-detail", args=[t.slug, p.pk]), 10),
    "api_positions": (lambda t, p: reverse("api:proposition-positions", args=[t.slug, p.pk]), 8),
    "api_actions": (lambda t, p: reverse("api:action-list", args=[t.slug]), 7),
}


def test_decision_query_counts_do_not_grow_with_the_territory(client, django_assert_max_num_queries, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 1000}
    small = import_epci("248500662")
    small_admin = populate(small, members_per_commune=1)
    small_open = decide(small, small_admin, how_many=1)
    large = import_epci(PAYS_BASQUE)
    large_admin = populate(large, members_per_commune=2)
    large_open = decide(large, large_admin, how_many=4)
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_open)),
        (large_admin, (large, large_open)),
    )
