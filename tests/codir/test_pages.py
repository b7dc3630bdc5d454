import html
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from codir import dispatch, services
from codir.models import Envoi, Instance, PointOdj, Reunion
from communes.models import Membership
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def plain(response):
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_epci_dgs_enters_a_conseil_and_sees_its_legal_convocation_deadline(mortagne, dgs_epci, client_for):
    client = client_for(dgs_epci)
    response = client.post(
        reverse("codir:instance_create", args=[mortagne.slug]),
        {"kind": "conseil", "starts_at": "2026-12-15T19:00", "place": "Salle du conseil, siège de la CC"},
        follow=True,
    )
    page = plain(response)
    assert "Instance enregistrée" in page
    assert "au plus tard le mercredi 9 décembre 2026 (5 jours francs)" in page
    assert "en cas d'urgence, le dimanche 13 décembre 2026 (1 jour franc)" in page


def test_the_meeting_form_proposes_date_host_and_animateur_from_the_charter(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, client_for
):
    bureau = services.instance_create(
        territoire=mortagne, by=dgs_epci, kind="bureau", starts_at=timezone.now() + timedelta(days=20)
    )
    client = client_for(dgs_epci)
    page = client.get(reverse("codir:reunion_create", args=[mortagne.slug]), {"instance": bureau.pk}).content.decode()
    proposed_day = (timezone.localtime(bureau.starts_at) - timedelta(days=7)).strftime("%Y-%m-%dT09:00")
    assert f'value="{proposed_day}"' in page
    assert "Lieu tournant" in html.unescape(page) and "Mairie de Mallièvre" in html.unescape(page)
    host = mortagne.collectivites.get(name="Mallièvre")
    response = client.post(
        reverse("codir:reunion_create", args=[mortagne.slug]),
        {"title": "CoDir préparatoire", "instance": bureau.pk, "starts_at": proposed_day, "ends_at": proposed_day.replace("09:00", "11:00"),
         "place": "Mairie de Mallièvre", "host": host.pk, "animateur": sg_petite_commune.pk},
        follow=True,
    )  # fmt: skip
    assert "son ordre du jour partira automatiquement" in plain(response)
    assert Reunion.objects.get().host == host


def test_bad_meeting_input_gets_french_errors(mortagne, dgs_epci, client_for):
    response = client_for(dgs_epci).post(
        reverse("codir:reunion_create", args=[mortagne.slug]),
        {"title": "CoDir", "starts_at": "2020-01-01T09:00", "ends_at": "2019-01-01T09:00"},
    )
    page = plain(response)
    assert response.status_code == 400 and ("La fin doit suivre le début." in page or "dans le futur" in page)
    assert not Reunion.objects.exists()


@pytest.mark.parametrize("persona", ["dgs_commune", "observateur", "facilitateur"])
def test_only_administrators_plan_meetings_and_enter_instances(persona, mortagne, request, client):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("codir:calendar", args=[mortagne.slug])).status_code == 200
    assert client.get(reverse("codir:reunion_create", args=[mortagne.slug])).status_code == 403
    assert client.get(reverse("codir:instance_create", args=[mortagne.slug])).status_code == 403


def test_a_commune_adds_an_item_with_a_document_served_only_to_members(
    reunion, mortagne, dgs_commune, outsider, media_root, client
):
    client.force_login(dgs_commune)
    note = SimpleUploadedFile("note-ads.pdf", b"%PDF-1.4 note", content_type="application/pdf")
    response = client.post(
        reverse("codir:point_add", args=[mortagne.slug, reunion.pk]),
        {"title": "Service commun ADS", "description": "Bilan **2026**", "duration_minutes": 20, "documents": [note]},
        follow=True,
    )
    assert "Point ajouté à l'ordre du jour." in plain(response)
    document = PointOdj.objects.get().documents.get()
    url = reverse("codir:document", args=[mortagne.slug, document.pk])
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 note"
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_observers_do_not_add_items(reunion, mortagne, observateur, client_for):
    response = client_for(observateur).post(
        reverse("codir:point_add", args=[mortagne.slug, reunion.pk]), {"title": "X", "duration_minutes": 10}
    )
    assert response.status_code == 403 and not PointOdj.objects.exists()


def test_the_meeting_page_shows_the_deadline_the_dispatch_log_and_acknowledgements(
    reunion, mortagne, dgs_commune, client_for
):
    client = client_for(dgs_commune)
    assert "automatique le dimanche 13 décembre 2026 à 09:00" in plain(
        client.get(reverse("codir:reunion", args=[mortagne.slug, reunion.pk]))
    )
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.codir_sweep(now=deadline + timedelta(hours=3))
    page = plain(client.get(reverse("codir:reunion", args=[mortagne.slug, reunion.pk])))
    assert "Version 1 — Envoi de l'ordre du jour" in page and "en retard de 3 h 00" in page
    client.post(reverse("codir:acknowledge", args=[mortagne.slug, reunion.pk]))
    page = plain(client.get(reverse("codir:reunion", args=[mortagne.slug, reunion.pk])))
    assert timezone.localtime().strftime("%d/%m/%Y") in page.split("Pris connaissance", 1)[1]
    assert len(mail.outbox) == 3


def test_a_late_item_is_announced_as_hors_delai(reunion, mortagne, dgs_commune, client_for):
    dispatch.dispatch_due(now=dispatch.dispatch_deadline(reunion))
    reunion.refresh_from_db()
    client = client_for(dgs_commune)
    response = client.post(
        reverse("codir:point_add", args=[mortagne.slug, reunion.pk]),
        {"title": "Point tardif", "duration_minutes": 10},
        follow=True,
    )
    page = plain(response)
    assert "Point ajouté hors délai" in page and "hors délai" in page
    assert Instance.objects.count() == 0


def test_the_month_view_shows_meetings_and_instances_on_their_day(reunion, mortagne, dgs_epci, client_for):
    services.instance_create(
        territoire=mortagne, by=dgs_epci, kind="conseil", starts_at=reunion.starts_at + timedelta(days=7)
    )
    page = plain(client_for(dgs_epci).get(reverse("codir:calendar", args=[mortagne.slug]), {"mois": "2026-12"}))
    assert "Calendrier de décembre 2026" in page
    assert "15 09:00 CoDir préparatoire au bureau communautaire" in page and "22 09:00 Conseil communautaire" in page
    assert (
        client_for(dgs_epci).get(reverse("codir:calendar", args=[mortagne.slug]), {"mois": "n'importe"}).status_code
        == 200
    )


def test_the_dispatch_log_is_summed_up_on_the_meeting_page_and_paged_on_its_own(
    reunion, mortagne, dgs_commune, client_for, django_assert_max_num_queries
):
    from codir.views import ENVOIS_PAGE

    client = client_for(dgs_commune)
    envois_url = reverse("codir:envois", args=[mortagne.slug, reunion.pk])
    assert "pas encore parti" in plain(client.get(envois_url))
    for index in range(ENVOIS_PAGE + 7):
        make_member(mortagne, "Tiffauges", f"agent{index:02d}@tiffauges.test", Membership.Role.SG)
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.dispatch_due(now=deadline)
    dispatch.send_pending(now=deadline)
    recipients = Envoi.objects.filter(version__number=1, version__reunion=reunion).count()
    page = plain(client.get(reverse("codir:reunion", args=[mortagne.slug, reunion.pk])))
    assert "Version 1 — Envoi de l'ordre du jour" in page and "agent00@tiffauges.test" not in page
    summary = page.split("Votre envoi", 1)[1]
    assert str(recipients) in summary and "envoyé le" in summary
    first = client.get(envois_url, {"version": "1"}).content.decode()
    second = client.get(envois_url, {"version": "1", "page": "2"}).content.decode()
    assert first.count("<tr>") - 1 == ENVOIS_PAGE and second.count("<tr>") - 1 == recipients - ENVOIS_PAGE
    assert 'href="?version=1&amp;page=2"' in first
    with django_assert_max_num_queries(10):
        client.get(envois_url, {"version": "1", "page": "2"})
