from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from codir import dispatch, services
from codir.models import Envoi, PointOdj, Reunion
from communes.models import Membership
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_instances_meetings_items_and_dispatch_log_through_the_api(
    mortagne, dgs_epci, dgs_commune, api_for, media_root
):
    api = api_for(dgs_epci)
    instance = api.post(
        reverse("api:instance-list", args=[mortagne.slug]),
        {"kind": "bureau", "starts_at": (timezone.now() + timedelta(days=20)).isoformat(), "place": "Siège"},
        format="json",
    )
    assert instance.status_code == 201, instance.json()
    start = timezone.now() + timedelta(days=5)
    created = api.post(
        reverse("api:reunion-list", args=[mortagne.slug]),
        {
            "title": "CoDir",
            "instance": instance.json()["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    reunion_id = created.json()["id"]
    assert created.json()["dispatch_deadline"] == (start - timedelta(hours=48)).isoformat()
    point = api_for(dgs_commune).post(
        reverse("api:reunion-points", args=[mortagne.slug, reunion_id]),
        {
            "title": "Service commun ADS",
            "duration_minutes": 20,
            "documents": [SimpleUploadedFile("n.pdf", b"%PDF-1.4", content_type="application/pdf")],
        },
        format="multipart",
    )
    assert point.status_code == 201, point.json()
    assert point.json()["documents"][0]["url"].startswith(f"/t/{mortagne.slug}/reunions/documents/")
    dispatch.codir_sweep(now=start - timedelta(hours=47))
    detail = api.get(reverse("api:reunion-detail", args=[mortagne.slug, reunion_id])).json()
    assert [p["title"] for p in detail["points"]] == ["Service commun ADS"]
    assert len(mail.outbox) == 2
    # Swept an hour after the 48-hour deadline: both copies left one hour late.
    summary = {k: detail["agenda_versions"][0][k] for k in ("recipients", "sent", "pending", "late", "read")}
    assert summary == {"recipients": 2, "sent": 2, "pending": 0, "late": 2, "read": 0}
    assert detail["agenda_versions"][0]["longest_delay"].startswith("01:00")
    read = api_for(dgs_commune).post(reverse("api:reunion-pris-connaissance", args=[mortagne.slug, reunion_id]))
    assert read.json() == {"versions_lues": 1}
    detail = api.get(reverse("api:reunion-detail", args=[mortagne.slug, reunion_id])).json()
    assert detail["agenda_versions"][0]["read"] == 1


def test_bad_meeting_input_gets_french_400s_and_roles_are_checked(
    mortagne, dgs_epci, dgs_commune, observateur, api_for, reunion
):
    url = reverse("api:reunion-list", args=[mortagne.slug])
    response = api_for(dgs_epci).post(
        url, {"title": "CoDir", "starts_at": "2020-01-01T09:00:00Z", "ends_at": "2020-01-01T11:00:00Z"}, format="json"
    )
    assert response.status_code == 400 and "futur" in response.json()["starts_at"][0]
    assert api_for(dgs_commune).post(url, {"title": "X"}, format="json").status_code == 403
    points = reverse("api:reunion-points", args=[mortagne.slug, reunion.pk])
    assert api_for(observateur).post(points, {"title": "X"}, format="json").status_code == 403
    response = api_for(dgs_commune).post(points, {"title": "", "duration_minutes": 1}, format="json")
    assert response.status_code == 400 and {"title", "duration_minutes"} <= set(response.json())
    assert Reunion.objects.count() == 1 and not PointOdj.objects.exists()


def test_attendance_and_minutes_through_the_api(mortagne, dgs_epci, dgs_commune, api_for, monkeypatch):
    start = timezone.now() + timedelta(minutes=30)
    reunion = services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        animateur=dgs_commune,
    )
    url = reverse("api:reunion-presences", args=[mortagne.slug, reunion.pk])
    mallievre = mortagne.collectivites.get(name="Mallièvre")
    response = api_for(dgs_commune).post(url, [{"collectivite": mallievre.pk, "status": "excuse"}], format="json")
    assert response.status_code == 200 and response.json() == [
        {"collectivite": mallievre.pk, "status": "excuse", "represented_by": ""}
    ]
    assert (
        api_for(dgs_commune)
        .post(url, [{"collectivite": mallievre.pk, "status": "endormie"}], format="json")
        .status_code
        == 400
    )
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(hours=3))
    minutes = api_for(dgs_commune).post(
        reverse("api:reunion-compte-rendu", args=[mortagne.slug, reunion.pk]),
        {"text": "- ADS : favorable", "publish": True},
        format="json",
    )
    assert minutes.status_code == 200 and minutes.json()["minutes_published_at"] is not None


def test_my_calendar_link_through_the_api(dgs_commune, api_for, client):
    api = api_for(dgs_commune)
    url = reverse("api:calendar-link")
    assert api.get(url).json() == {"url": None}
    created = api.post(url).json()["url"]
    assert created.endswith(".ics") and client.get(created.replace("http://testserver", "")).status_code == 200
    assert api.get(url).json()["url"] == created
    assert api.delete(url).status_code == 204 and api.get(url).json() == {"url": None}
    assert client.get(created.replace("http://testserver", "")).status_code == 404


def test_the_api_sums_up_each_agenda_version_and_pages_its_recipients(
    reunion, mortagne, dgs_commune, api_for, django_assert_max_num_queries
):
    from django.conf import settings

    page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
    api = api_for(dgs_commune)
    envois = reverse("api:reunion-envois", args=[mortagne.slug, reunion.pk])
    assert api.get(envois).json()["results"] == []  # nothing sent yet: an empty page, not an error
    for index in range(page_size + 7):
        make_member(mortagne, "Tiffauges", f"agent{index:02d}@tiffauges.test", Membership.Role.SG)
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.dispatch_due(now=deadline)
    dispatch.send_pending(now=deadline + timedelta(minutes=5))
    recipients = Envoi.objects.filter(version__reunion=reunion, version__number=1).count()
    assert recipients > page_size

    detail = api.get(reverse("api:reunion-detail", args=[mortagne.slug, reunion.pk])).json()
    (version,) = detail["agenda_versions"]
    assert "envois" not in version  # the detail no longer grows with the members
    assert (version["number"], version["recipients"], version["sent"], version["pending"]) == (
        1,
        recipients,
        recipients,
        0,
    )
    first = api.get(envois, {"version": 1}).json()
    second = api.get(envois, {"version": 1, "page": 2}).json()
    assert first["count"] == recipients and len(first["results"]) == page_size
    assert len(second["results"]) == recipients - page_size and second["next"] is None
    emails = [row["recipient"]["email"] for row in first["results"] + second["results"]]
    assert emails == sorted(emails) and len(set(emails)) == recipients
    assert api.get(envois).json()["count"] == recipients  # the latest version by default
    with django_assert_max_num_queries(10):
        api.get(envois, {"version": 1, "page": 2})

    unknown = api.get(envois, {"version": 7})
    assert unknown.status_code == 400 and "n'a pas de version 7" in unknown.json()["version"][0]
    assert api.get(envois, {"version": "x"}).status_code == 400
