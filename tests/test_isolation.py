"""Nobody sees a territory they do not belong to: every territory URL answers 404 to outsiders.

The guard test fails when a URL pattern under a territory has no entry in TERRITORY_URL_KWARGS
(tests/isolation_objects.py), so each new page or endpoint must come with its isolation check.
"""

import pytest
from django.urls import reverse

from charte.models import Charte, Ratification, Signature, Version
from codir.models import Engagement, Instance, Partage, PointOdj, Reponse, Reunion, RevueAnnuelle
from communes.models import Territoire
from decisions.models import Position
from reseaux.models import (
    Axe,
    Contribution,
    DocumentProjet,
    Echange,
    Evenement,
    HealthChange,
    Indicateur,
    Jalon,
    Lien,
    MembreReseau,
    Phase,
    Pilote,
    Projet,
    Referent,
    Reseau,
    Ressource,
    Revue,
)
from tests.isolation_objects import TERRITORY_URL_KWARGS, Objects, build_objects, territory_url_names


def test_every_territory_url_has_an_isolation_check():
    missing = territory_url_names() - set(TERRITORY_URL_KWARGS)
    assert not missing, f"URL patterns under /t/<territoire_slug>/ without an isolation test: {sorted(missing)}"
    stale = set(TERRITORY_URL_KWARGS) - territory_url_names()
    assert not stale, f"Isolation entries for URLs that no longer exist: {sorted(stale)}"


@pytest.fixture
def objects(mortagne, dgs_epci, dgs_commune, settings, tmp_path) -> Objects:
    settings.MEDIA_ROOT = tmp_path
    return build_objects(mortagne, dgs_epci, dgs_commune)


def url_for(name: str, territoire: Territoire, objects: Objects) -> str:
    return reverse(name, kwargs={"territoire_slug": territoire.slug, **TERRITORY_URL_KWARGS[name](objects)})


def assert_untouched(objects: Objects):
    objects.membership.refresh_from_db()
    objects.seat.refresh_from_db()
    objects.invitation.refresh_from_db()
    objects.proposition.refresh_from_db()
    objects.action.refresh_from_db()
    assert objects.membership.is_active and objects.seat.ended_at is None and objects.invitation.is_usable
    assert objects.proposition.is_open and objects.proposition.rounds.count() == 1
    assert not Position.objects.exists() and objects.action.status == "a_faire"
    objects.section.refresh_from_db()
    assert objects.section.revision == 1 and not Signature.objects.exists() and Ratification.objects.count() == 1
    assert Charte.objects.count() == 1 and Version.objects.count() == 2
    assert PointOdj.objects.count() == 1 and Reunion.objects.count() == 1 and Instance.objects.count() == 1
    projet = Projet.objects.get(pk=objects.projet.pk)
    assert (projet.title, projet.health, projet.pilotage) == ("Groupement de commandes", "vert", "commune")
    assert Projet.objects.count() == 2 and Axe.objects.count() == 1 and Pilote.objects.count() == 2
    assert Contribution.objects.get().amount == 1000 and Phase.objects.get().status == "en_cours"
    assert Jalon.objects.get().done_on is None and Indicateur.objects.get().measured is None
    assert Referent.objects.get().until is None and Revue.objects.count() == 1 and Lien.objects.count() == 1
    assert DocumentProjet.objects.get().withdrawn_at is None and not HealthChange.objects.exists()
    assert Reseau.objects.get().closed_on is None and MembreReseau.objects.filter(until__isnull=True).count() == 2
    assert MembreReseau.objects.get(role="membre").agent_id == objects.membre_reseau.agent_id
    assert Evenement.objects.count() == 1 and Echange.objects.count() == 1
    assert Ressource.objects.get().withdrawn_at is None
    revue_annuelle = RevueAnnuelle.objects.get()
    assert (revue_annuelle.stage, revue_annuelle.bilan, revue_annuelle.questionnaire) == (
        "seminaire",
        "",
        objects.revue_annuelle.questionnaire,
    )
    assert not Reponse.objects.exists() and not Partage.objects.exists() and RevueAnnuelle.objects.count() == 1
    assert Engagement.objects.get().withdrawn_at is None and Engagement.objects.count() == 1


@pytest.mark.parametrize("name", sorted(TERRITORY_URL_KWARGS))
def test_an_agent_of_another_territory_gets_404_for_get_and_post(name, mortagne, objects, outsider, client, api_for):
    url = url_for(name, mortagne, objects)
    if name.startswith("api:"):
        api = api_for(outsider)
        responses = [api.get(url), api.post(url, {}, format="json")]
    else:
        client.force_login(outsider)
        responses = [client.get(url), client.post(url, {})]
    assert [r.status_code for r in responses] == [404, 404]
    assert_untouched(objects)


@pytest.mark.parametrize("name", sorted(TERRITORY_URL_KWARGS))
def test_a_territory_that_does_not_exist_answers_404_like_a_foreign_one(name, mortagne, objects, dgs_epci, client):
    client.force_login(dgs_epci)
    url = url_for(name, mortagne, objects).replace(f"/t/{mortagne.slug}/", "/t/cc-inexistante/")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, f in TERRITORY_URL_KWARGS.items() if f.__code__.co_names))
def test_an_object_of_another_territory_is_404_under_ones_own_slug(name, mortagne, achards, objects, outsider, client):
    """A member of the Achards who puts a Mortagne id under the Achards' slug still sees nothing."""
    url = reverse(name, kwargs={"territoire_slug": achards.slug, **TERRITORY_URL_KWARGS[name](objects)})
    client.force_login(outsider)  # the Achards' EPCI DGS: an administrator there
    statuses = [client.get(url).status_code, client.post(url, {}).status_code]
    statuses.append(client.patch(url, {}, content_type="application/json").status_code)
    # 405 (method not allowed) answers the same for any id, so it reveals nothing.
    assert set(statuses) <= {404, 405} and 404 in statuses, statuses
    assert_untouched(objects)


@pytest.mark.parametrize("name", sorted(TERRITORY_URL_KWARGS))
def test_anonymous_visitors_are_sent_to_the_login_page_or_refused(name, mortagne, objects, client):
    url = url_for(name, mortagne, objects)
    response = client.get(url)
    if name.startswith("api:"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_my_territories_lists_only_mine(mortagne, achards, dgs_commune, outsider, facilitateur, client, api_for):
    client.force_login(outsider)
    page = client.get(reverse("mes_territoires")).content.decode()
    assert "CC du Pays des Achards" in page and "CC du Pays de Mortagne" not in page
    assert [t["slug"] for t in api_for(outsider).get(reverse("api:territoire-list")).json()["results"]] == [
        achards.slug
    ]
    assert api_for(outsider).get(reverse("api:territoire-detail", args=[mortagne.slug])).status_code == 404
    # The facilitator sees the territory they accompany, and only it.
    assert [t["slug"] for t in api_for(facilitateur).get(reverse("api:territoire-list")).json()["results"]] == [
        mortagne.slug
    ]
