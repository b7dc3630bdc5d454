"""Portfolio pages answer in the same number of queries with 3 projects as with 300."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from codir import services as meetings
from communes.models import Collectivite
from reseaux import services
from reseaux.models import Axe, Contribution, HealthChange, Jalon, Lien, Phase, Pilote, Projet, Referent, Revue
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import import_epci
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db


def portfolio_of(territoire, admin, count: int):
    """`count` projects in every pilotage mode, each with pilots, contributions, phases, milestones,
    a review, a health change, a référent and links; built in bulk (the services are tested elsewhere)."""
    places = list(Collectivite.objects.for_territoire(territoire))
    axe = Axe.objects.create(territoire=territoire, name="Coopération")
    today = timezone.localdate()
    modes = ["epci", "commune", "copilotage", "alterne"]
    projets = Projet.objects.bulk_create(
        Projet(
            territoire=territoire, axe=axe, title=f"Projet {index:03}", pilotage=modes[index % 4],
            status="en_cours", created_by=admin, starts_on=date(2026, 1, 1),
        )
        for index in range(count)
    )  # fmt: skip
    Pilote.objects.bulk_create(
        Pilote(projet=projet, collectivite=places[(index + n) % len(places)], starts_on=start, ends_on=end)
        for index, projet in enumerate(projets)
        for n, (start, end) in enumerate([(date(2026, 1, 1), today), (today, None)])
    )
    Contribution.objects.bulk_create(
        Contribution(projet=projet, collectivite=places[(index + 3) % len(places)], amount=Decimal(1000))
        for index, projet in enumerate(projets)
    )
    Phase.objects.bulk_create(
        Phase(projet=projet, kind=kind, starts_on=date(2026, 1, 1) + timedelta(days=60 * n),
              ends_on=date(2026, 2, 28) + timedelta(days=60 * n), status="en_cours")
        for projet in projets for n, kind in enumerate(["co_diagnostic", "co_elaboration"])
    )  # fmt: skip
    Jalon.objects.bulk_create(
        Jalon(projet=projet, title=f"Jalon {n}", due_on=today + timedelta(days=n * 20 - 30))
        for projet in projets
        for n in range(3)
    )
    revues = Revue.objects.bulk_create(
        Revue(projet=projet, held_on=date(2026, 3, 1), progress="Avancement", health="orange", recorded_by=admin)
        for projet in projets
    )
    for revue in revues:
        revue.collectivites.set(places[:2])
    HealthChange.objects.bulk_create(
        HealthChange(projet=projet, health="orange", previous="vert", reason="Retard", changed_by=admin)
        for projet in projets
    )
    Referent.objects.bulk_create(Referent(projet=projet, agent=admin) for projet in projets)
    Lien.objects.bulk_create(
        Lien(
            source=projet, target=projets[(index + 1) % count], kind="renforce", justification="Lien", created_by=admin
        )
        for index, projet in enumerate(projets)
        if count > 1
    )
    start = timezone.now() + timedelta(days=30)
    reunion = meetings.reunion_create(
        territoire=territoire, by=admin, title="CoDir", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    # The first project is read by one of its pilots (the EPCI's DGS), the pages' worst case: the pilot's
    # rights and forms come on top.
    epci = next(place for place in places if place.is_epci)
    Pilote.objects.create(projet=projets[0], collectivite=epci, starts_on=today)
    services.sync_pilot_permissions(projets[0])
    return projets[0], reunion


PAGES = {
    "portfolio": (lambda t, p, r: reverse("reseaux:portfolio", args=[t.slug]), 15),
    "portfolio_csv": (lambda t, p, r: reverse("reseaux:portfolio_csv", args=[t.slug]), 12),
    "parity": (lambda t, p, r: reverse("reseaux:parity", args=[t.slug]), 10),
    "systemic": (lambda t, p, r: reverse("reseaux:systemic", args=[t.slug]), 10),
    # Session, agent, membership with its permissions, the project with the reader's pilot permission, its
    # 9 prefetches, the collectivités represented at its reviews, its links: 15, the target of #11.
    "projet": (lambda t, p, r: reverse("reseaux:projet", args=[t.slug, p.pk]), 15),
    "fiche": (lambda t, p, r: reverse("reseaux:fiche", args=[t.slug, p.pk]), 15),
    "portfolio_review": (lambda t, p, r: reverse("codir:portfolio_review", args=[t.slug, r.pk]), 14),
}


def test_portfolio_query_counts_do_not_grow_with_the_portfolio(client, django_assert_max_num_queries):
    small = import_epci("248500662")
    small_admin = populate(small, members_per_commune=1)
    small_projet, small_reunion = portfolio_of(small, small_admin, 3)
    large = import_epci(PAYS_BASQUE)
    large_admin = populate(large, members_per_commune=1)
    large_projet, large_reunion = portfolio_of(large, large_admin, 300)
    assert Projet.objects.for_territoire(large).count() == 300
    client.force_login(large_admin)  # read by a pilot: the pilot's forms are on the page
    page = client.get(reverse("reseaux:projet", args=[large.slug, large_projet.pk])).content.decode()
    assert "Lier à un autre projet" in page
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_projet, small_reunion)),
        (large_admin, (large, large_projet, large_reunion)),
    )
