import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from communes.models import Invitation, Membership, Seat
from tests.conftest import PASSWORD, collectivite, make_member

pytestmark = pytest.mark.django_db


def test_collectivites_list_the_epci_and_11_communes_with_their_voices(mortagne, dgs_commune, api_for):
    response = api_for(dgs_commune).get(reverse("api:collectivite-list", args=[mortagne.slug]))
    data = response.json()
    assert response.status_code == 200 and data["count"] == 12
    by_name = {c["name"]: c for c in data["results"]}
    assert by_name["CC du Pays de Mortagne"]["kind"] == "epci"
    assert by_name["Mallièvre"]["population"] == 240 and by_name["Mallièvre"]["code_insee"] == "85134"
    seats = by_name["Mortagne-sur-Sèvre"]["active_seats"]
    assert [(s["kind"], s["agent"]["email"]) for s in seats] == [("titulaire", dgs_commune.email)]


def test_members_list_excludes_former_members_unless_asked(mortagne, dgs_epci, dgs_commune, api_for):
    api = api_for(dgs_epci)
    url = reverse("api:membre-list", args=[mortagne.slug])
    membership = dgs_commune.memberships.get()
    response = api.post(reverse("api:membre-desactiver", args=[mortagne.slug, membership.pk]))
    assert response.status_code == 200 and response.json()["ended_at"] is not None
    assert dgs_commune.email not in {m["agent"]["email"] for m in api.get(url).json()["results"]}
    assert dgs_commune.email in {m["agent"]["email"] for m in api.get(url, {"anciens": "1"}).json()["results"]}
    again = api.post(reverse("api:membre-desactiver", args=[mortagne.slug, membership.pk]))
    assert again.status_code == 400 and again.json() == {"detail": ["Ce membre est déjà désactivé."]}


def test_the_epci_dgs_assigns_and_vacates_a_seat_through_the_api(mortagne, dgs_epci, dgs_commune, api_for):
    interim = make_member(mortagne, "Mortagne-sur-Sèvre", "interim@mortagne.test", Membership.Role.DGA)
    api = api_for(dgs_epci)
    url = reverse("api:siege-list", args=[mortagne.slug])
    target = collectivite(mortagne, "Mortagne-sur-Sèvre")
    response = api.post(
        url, {"collectivite": target.pk, "kind": "titulaire", "membership": interim.memberships.get().pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["agent"]["email"] == interim.email
    history = api.get(url).json()["results"]
    assert [(s["agent"]["email"], s["ended_at"] is None) for s in history if s["collectivite"]["id"] == target.pk] == [
        (interim.email, True),
        (dgs_commune.email, False),
    ]
    seat_id = response.json()["id"]
    assert api.post(reverse("api:siege-liberer", args=[mortagne.slug, seat_id])).json()["ended_at"] is not None
    assert api.get(url, {"actifs": "1"}).json()["count"] == 1  # only the EPCI's titulaire remains


def test_bad_seat_input_gets_a_clear_french_400_and_changes_nothing(mortagne, achards, dgs_epci, outsider, api_for):
    api = api_for(dgs_epci)
    url = reverse("api:siege-list", args=[mortagne.slug])
    foreign = outsider.memberships.get()
    response = api.post(
        url,
        {"collectivite": foreign.collectivite_id, "kind": "président", "membership": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"collectivite", "kind", "membership"}
    assert "n'existe pas" in errors["collectivite"][0]
    assert "n'est pas un choix valide" in errors["kind"][0]
    before = Seat.objects.count()
    mallievre = collectivite(mortagne, "Mallièvre")
    response = api.post(
        url, {"collectivite": mallievre.pk, "kind": "suppleant", "membership": dgs_epci.memberships.get().pk}
    )
    assert response.status_code == 400 and "ne représente pas Mallièvre" in response.json()["detail"][0]
    assert Seat.objects.count() == before


@pytest.mark.parametrize("persona", ["dgs_commune", "observateur", "facilitateur"])
def test_non_administrators_read_but_cannot_write(persona, mortagne, dgs_epci, request, api_for):
    api = api_for(request.getfixturevalue(persona))
    slug = mortagne.slug
    assert api.get(reverse("api:collectivite-list", args=[slug])).status_code == 200
    assert api.get(reverse("api:membre-list", args=[slug])).status_code == 200
    assert api.get(reverse("api:invitation-list", args=[slug])).status_code == 403
    assert api.get(reverse("api:journal-list", args=[slug])).status_code == 403
    membership = dgs_epci.memberships.get()
    assert api.post(reverse("api:membre-desactiver", args=[slug, membership.pk])).status_code == 403
    seat = Seat.objects.get(membership=membership)
    assert api.post(reverse("api:siege-liberer", args=[slug, seat.pk])).status_code == 403
    assert Membership.objects.get(pk=membership.pk).is_active


def test_invitations_through_the_api(mortagne, dgs_epci, api_for, django_capture_on_commit_callbacks):
    api = api_for(dgs_epci)
    url = reverse("api:invitation-list", args=[mortagne.slug])
    payload = {"email": "dgs@tiffauges.test", "collectivite": collectivite(mortagne, "Tiffauges").pk, "role": "dgs"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "en_attente"
    assert mail.outbox[0].to == ["dgs@tiffauges.test"]
    invitation_id = response.json()["id"]
    response = api.post(reverse("api:invitation-annuler", args=[mortagne.slug, invitation_id]))
    assert response.json()["status"] == "annulee"
    assert Invitation.objects.get(pk=invitation_id).revoked_at is not None
    bad = api.post(url, {"email": "nope", "role": "maire"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"email", "role", "collectivite"}


def test_the_journal_endpoint_lists_the_territory_actions(mortagne, dgs_epci, dgs_commune, api_for):
    entries = api_for(dgs_epci).get(reverse("api:journal-list", args=[mortagne.slug])).json()["results"]
    actions = [e["action"] for e in entries]
    assert "communes.seat.assigned" in actions and actions[-1] == "communes.territoire.imported"


def test_token_authentication_works_with_the_email_and_password(dgs_commune, mortagne):
    anonymous = APIClient()
    response = anonymous.post(reverse("api:token"), {"username": dgs_commune.email, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=dgs_commune).key == token
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get(reverse("api:collectivite-list", args=[mortagne.slug])).json()["count"] == 12
    assert APIClient().get(reverse("api:territoire-list")).status_code == 401


def test_the_openapi_schema_documents_every_endpoint_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in (
        "/api/v1/territoires/",
        "/api/v1/t/{territoire_slug}/collectivites/",
        "/api/v1/t/{territoire_slug}/membres/{id}/desactiver/",
        "/api/v1/t/{territoire_slug}/sieges/",
        "/api/v1/t/{territoire_slug}/invitations/",
        "/api/v1/t/{territoire_slug}/journal/",
        "/api/v1/t/{territoire_slug}/projets/",
        "/api/v1/t/{territoire_slug}/projets/{id}/sante/",
        "/api/v1/t/{territoire_slug}/projets/{id}/pilotage/",
        "/api/v1/t/{territoire_slug}/projets/systemique/",
        "/api/v1/t/{territoire_slug}/pilotes/",
        "/api/v1/t/{territoire_slug}/contributions/{id}/",
        "/api/v1/t/{territoire_slug}/phases/",
        "/api/v1/t/{territoire_slug}/jalons/{id}/atteint/",
        "/api/v1/t/{territoire_slug}/indicateurs/{id}/",
        "/api/v1/t/{territoire_slug}/referents/{id}/terminer/",
        "/api/v1/t/{territoire_slug}/revues/",
        "/api/v1/t/{territoire_slug}/liens/{id}/",
        "/api/v1/t/{territoire_slug}/axes/",
        "/api/v1/t/{territoire_slug}/reseaux/",
        "/api/v1/t/{territoire_slug}/reseaux/{id}/",
        "/api/v1/t/{territoire_slug}/reseaux/{id}/clore/",
        "/api/v1/t/{territoire_slug}/reseaux-membres/",
        "/api/v1/t/{territoire_slug}/reseaux-membres/{id}/terminer/",
        "/api/v1/t/{territoire_slug}/reseaux-membres/{id}/role/",
        "/api/v1/t/{territoire_slug}/reseaux-evenements/",
        "/api/v1/t/{territoire_slug}/reseaux-ressources/",
        "/api/v1/t/{territoire_slug}/reseaux-ressources/{id}/retirer/",
        "/api/v1/t/{territoire_slug}/echanges/",
        "/api/v1/t/{territoire_slug}/echanges/{id}/",
        "/api/v1/t/{territoire_slug}/reseaux/analyses/",
        "/api/v1/t/{territoire_slug}/reseaux/evolution/",
    ):
        assert path in schema, path


def test_the_swagger_ui_is_served_without_a_cdn(client, dgs_commune):
    client.force_login(dgs_commune)
    page = client.get(reverse("api_docs")).content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower()


@pytest.mark.parametrize(
    "name", ["api:membre-desactiver", "api:siege-liberer", "api:invitation-annuler", "api:collectivite-detail"]
)
def test_a_non_numeric_id_is_a_404_not_a_500(name, mortagne, dgs_epci, api_for):
    url = reverse(
        name.replace("-desactiver", "-list")
        .replace("-liberer", "-list")
        .replace("-annuler", "-list")
        .replace("-detail", "-list"),
        args=[mortagne.slug],
    )
    api = api_for(dgs_epci)
    for suffix in ("abc/", "abc/desactiver/", "abc/liberer/", "abc/annuler/", "1e9/"):
        assert api.post(url + suffix).status_code in (404, 405)
        assert api.get(url + suffix).status_code in (404, 405)


def test_a_non_administrator_cannot_assign_a_seat_through_the_api(mortagne, dgs_epci, dgs_commune, api_for):
    response = api_for(dgs_commune).post(
        reverse("api:siege-list", args=[mortagne.slug]),
        {
            "collectivite": dgs_epci.memberships.get().collectivite_id,
            "kind": "suppleant",
            "membership": dgs_epci.memberships.get().pk,
        },
        format="json",
    )
    assert response.status_code == 403
