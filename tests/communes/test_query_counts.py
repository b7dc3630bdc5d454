"""List and detail pages answer in the same number of queries on a small and a large territory."""

import pytest
from django.urls import reverse

from communes import services
from communes.models import Collectivite, Membership, Seat
from tests.conftest import import_epci, make_member
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

PAYS_BASQUE = "200067106"  # 158 communes, the largest EPCI of France


def populate(territoire, members_per_commune: int):
    """Give every commune members, a titulaire and a suppléant, plus pending invitations."""
    admin = None
    for index, target in enumerate(Collectivite.objects.for_territoire(territoire)):
        for rank in range(members_per_commune):
            seat = [Seat.Kind.TITULAIRE, Seat.Kind.SUPPLEANT, ""][min(rank, 2)]
            agent = make_member(
                territoire, target.name, f"agent{index}-{rank}@{territoire.slug}.test", Membership.Role.DGS, seat
            )
            if target.is_epci and rank == 0:
                admin = agent
        services.invitation_create(
            territoire=territoire,
            collectivite=target,
            email=f"invite{index}@{territoire.slug}.test",
            role="sg",
            by=admin,
        )
    return admin


PAGES = {
    # name: (url builder, max queries). Expected queries for a page: session, agent, membership with its
    # territory and object permissions, then the page's own prefetched lists.
    "mes_territoires": (lambda t: reverse("mes_territoires"), 5),  # with the next meetings
    "territoire": (lambda t: reverse("communes:territoire", args=[t.slug]), 10),
    "membres": (lambda t: reverse("communes:membres", args=[t.slug]), 9),  # with the paginator's count
    "journal": (lambda t: reverse("communes:journal", args=[t.slug]), 7),
    "collectivite": (
        lambda t: reverse("communes:collectivite", args=[t.slug, t.collectivites.get(kind="epci").pk]),
        10,
    ),
    "api_collectivites": (lambda t: reverse("api:collectivite-list", args=[t.slug]), 8),
    "api_membres": (lambda t: reverse("api:membre-list", args=[t.slug]), 8),
    "api_sieges": (lambda t: reverse("api:siege-list", args=[t.slug]), 7),
    "api_invitations": (lambda t: reverse("api:invitation-list", args=[t.slug]), 7),
    "api_journal": (lambda t: reverse("api:journal-list", args=[t.slug]), 7),
}


def test_query_counts_do_not_grow_with_the_territory(client, django_assert_max_num_queries, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 1000}  # lists show every row
    small = import_epci("248500662")  # 12 collectivités, 12 members
    small_admin = populate(small, members_per_commune=1)
    large = import_epci(PAYS_BASQUE)  # 159 collectivités, 477 members, 318 seats
    large_admin = populate(large, members_per_commune=3)
    pages = {name: (lambda t, url_for=url_for: url_for(t), maximum) for name, (url_for, maximum) in PAGES.items()}
    assert_counts_do_not_grow(
        client, django_assert_max_num_queries, pages, (small_admin, (small,)), (large_admin, (large,))
    )
