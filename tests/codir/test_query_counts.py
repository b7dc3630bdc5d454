"""Meeting pages answer in the same number of queries on a small and a large territory."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from codir import dispatch, services
from communes.models import Membership
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import import_epci
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db


def plan(territoire, admin, items: int):
    """A bureau, its CoDir with `items` items each with two documents, dispatched and updated once."""
    bureau = services.instance_create(
        territoire=territoire, by=admin, kind="bureau", starts_at=timezone.now() + timedelta(days=20)
    )
    reunion = services.reunion_create(
        territoire=territoire, by=admin, title="CoDir", starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=2), instance=bureau,
    )  # fmt: skip
    for days in range(2, 2 + items):  # more meetings ahead, for the lists
        services.reunion_create(
            territoire=territoire, by=admin, title=f"CoDir {days}", starts_at=timezone.now() + timedelta(days=days * 7),
            ends_at=timezone.now() + timedelta(days=days * 7, hours=2),
        )  # fmt: skip
    presenters = [
        m.collectivite for m in Membership.objects.active().filter(territoire=territoire).select_related("collectivite")
    ]
    for index in range(items):
        documents = [
            SimpleUploadedFile(f"d{index}-{n}.pdf", b"%PDF-1.4", content_type="application/pdf") for n in range(2)
        ]
        services.point_add(
            reunion=reunion,
            by=admin,
            title=f"Point {index}",
            presenter=presenters[index % len(presenters)],
            documents=documents,
        )
    dispatch.codir_sweep(now=timezone.now())  # the deadline (48 h before) has passed: the agenda goes out
    services.point_add(reunion=reunion, by=admin, title="Point tardif")  # an update
    dispatch.send_pending()
    return bureau, reunion


PAGES = {
    "calendar": (lambda t, i, r: reverse("codir:calendar", args=[t.slug]), 10),  # lists and the month grid
    "reunion": (lambda t, i, r: reverse("codir:reunion", args=[t.slug, r.pk]), 13),
    "instance": (lambda t, i, r: reverse("codir:instance", args=[t.slug, i.pk]), 7),
    "api_reunions": (lambda t, i, r: reverse("api:reunion-list", args=[t.slug]), 9),
    "api_reunion": (lambda t, i, r: reverse("api:reunion-detail", args=[t.slug, r.pk]), 12),
}


def test_meeting_query_counts_do_not_grow_with_the_territory(client, django_assert_max_num_queries, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    small = import_epci("248500662")
    small_admin = populate(small, members_per_commune=1)
    small_bureau, small_reunion = plan(small, small_admin, items=2)
    large = import_epci(PAYS_BASQUE)
    large_admin = populate(large, members_per_commune=1)
    large_bureau, large_reunion = plan(large, large_admin, items=12)
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_bureau, small_reunion)),
        (large_admin, (large, large_bureau, large_reunion)),
    )
