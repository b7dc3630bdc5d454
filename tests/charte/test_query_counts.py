"""Charter pages and endpoints answer in the same number of queries on a small and a large territory."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from charte import services
from charte.models import Version
from communes.models import Seat
from decisions import services as decisions
from decisions.models import Proposition
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import import_epci
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db


def write_charter(territoire, admin, amendments: int) -> Version:
    """Version 1 adopted, `amendments` new sections adopted one by one, signatures of every titulaire."""
    closes_at = timezone.now() + timedelta(days=3)

    def adopt(proposition):
        Proposition.objects.filter(pk=proposition.pk).update(quorum_percent=0)  # nobody needs to speak here
        decisions.proposition_close(proposition=proposition, by=admin)

    draft = services.charte_start(territoire=territoire, by=admin)
    adopt(services.draft_submit(version=draft, by=admin, closes_at=closes_at))
    charte = draft.charte
    for index in range(amendments):
        amendement = services.amendement_propose(
            charte=charte,
            by=admin,
            kind="nouvelle_section",
            title=f"Section {index}",
            text="Texte",
            motive="m",
            closes_at=closes_at,
        )
        adopt(amendement.proposition)
    in_force = charte.versions.get(status="adoptee")
    for seat in (
        Seat.objects.active()
        .filter(collectivite__territoire=territoire, kind="titulaire")
        .select_related("membership__agent")
    ):
        services.version_sign(version=in_force, by=seat.membership.agent)
    services.draft_start(charte=charte, by=admin)
    return in_force


PAGES = {
    "charte": (lambda t, v: reverse("charte:charte", args=[t.slug]), 12),
    "draft": (lambda t, v: reverse("charte:draft", args=[t.slug]), 8),
    "versions": (lambda t, v: reverse("charte:versions", args=[t.slug]), 7),
    "version": (lambda t, v: reverse("charte:version", args=[t.slug, v.number]), 13),
    "markdown": (lambda t, v: reverse("charte:version_markdown", args=[t.slug, v.number]), 10),
    "diff": (lambda t, v: reverse("charte:diff", args=[t.slug, 1, v.number]), 12),
    "amendements": (lambda t, v: reverse("charte:amendements", args=[t.slug]), 7),
    "api_versions": (lambda t, v: reverse("api:charte-version-list", args=[t.slug]), 7),
    "api_version": (lambda t, v: reverse("api:charte-version-detail", args=[t.slug, v.number]), 12),
    "api_amendements": (lambda t, v: reverse("api:charte-amendement-list", args=[t.slug]), 7),
    "api_regles": (lambda t, v: reverse("api:charte-regles", args=[t.slug]), 6),
}


def test_charter_query_counts_do_not_grow_with_the_territory(client, django_assert_max_num_queries, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 1000}
    small = import_epci("248500662")
    small_admin = populate(small, members_per_commune=1)
    small_version = write_charter(small, small_admin, amendments=1)
    large = import_epci(PAYS_BASQUE)
    large_admin = populate(large, members_per_commune=1)
    large_version = write_charter(large, large_admin, amendments=6)
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_version)),
        (large_admin, (large, large_version)),
    )
