import pytest
from django.core import mail
from django.urls import reverse

from communes import services
from communes.models import Invitation, JournalEntry, Membership, Seat
from tests.conftest import PASSWORD, collectivite, make_member

pytestmark = pytest.mark.django_db


def test_the_territory_home_shows_its_communes_their_voices_and_who_is_missing(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, client_for
):
    page = client_for(dgs_commune).get(reverse("communes:territoire", args=[mortagne.slug])).content.decode()
    assert "<h1>CC du Pays de Mortagne</h1>" in page
    assert "11 communes membres" in page
    for name in ("Mortagne-sur-Sèvre", "Chanverrie", "Mallièvre", "Treize-Vents", "Tiffauges"):
        assert name in page
    assert "6\xa0065" in page  # population with the French thousands separator
    assert "Sophie Guérin" in page and "Élodie Martineau" in page and "Claire Bernard" in page
    # 9 communes have nobody yet (only Mortagne-sur-Sèvre and Mallièvre have a titulaire).
    assert "9 collectivités n&#x27;ont encore personne" in page or "9 collectivités n'ont encore personne" in page


def test_the_members_page_can_include_former_members_and_answers_htmx_with_the_table_only(
    mortagne, dgs_epci, dgs_commune, client_for
):
    services.membership_deactivate(membership=dgs_commune.memberships.get(), by=dgs_epci)
    client = client_for(dgs_epci)
    url = reverse("communes:membres", args=[mortagne.slug])
    assert "Sophie Guérin" not in client.get(url).content.decode()
    full = client.get(url, {"anciens": "1"}).content.decode()
    assert "Sophie Guérin" in full and "ancien·ne membre" in full and "<h1>" in full
    fragment = client.get(url, {"anciens": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Sophie Guérin" in fragment and "<h1>" not in fragment and 'id="membres-table"' in fragment


def test_the_epci_dgs_invites_by_the_form_and_the_mail_leaves(
    mortagne, dgs_epci, client_for, django_capture_on_commit_callbacks
):
    client = client_for(dgs_epci)
    url = reverse("communes:inviter", args=[mortagne.slug])
    data = {
        "email": "dgs@treize-vents.test",
        "collectivite": collectivite(mortagne, "Treize-Vents").pk,
        "role": "dgs",
        "seat_kind": "titulaire",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("communes:membres", args=[mortagne.slug])
    assert "Invitation envoyée à dgs@treize-vents.test" in response.content.decode()
    assert Invitation.objects.get().email == "dgs@treize-vents.test"
    assert mail.outbox[0].to == ["dgs@treize-vents.test"]


def test_bad_invitation_input_gets_french_errors_and_changes_nothing(mortagne, dgs_epci, achards, client_for):
    client = client_for(dgs_epci)
    url = reverse("communes:inviter", args=[mortagne.slug])
    response = client.post(url, {"email": "pas-une-adresse", "collectivite": achards.collectivites.first().pk})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide." in page
    assert "Sélectionnez un choix valide" in page  # a collectivité of another territory does not exist here
    assert "rien n&#x27;a été enregistré" in page or "rien n'a été enregistré" in page
    response = client.post(
        url,
        {"email": dgs_epci.email, "collectivite": collectivite(mortagne, "Tiffauges").pk, "role": "sg"},
    )
    assert response.status_code == 400 and "déjà membre du territoire" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["dgs_commune", "referent", "observateur", "facilitateur"])
def test_only_administrators_invite_deactivate_assign_seats_or_read_the_journal(persona, mortagne, request, client):
    target = make_member(mortagne, "Tiffauges", "sg@tiffauges.test", Membership.Role.SG, Seat.Kind.TITULAIRE)
    membership = target.memberships.get()
    client.force_login(request.getfixturevalue(persona))
    slug = mortagne.slug
    assert client.get(reverse("communes:territoire", args=[slug])).status_code == 200
    assert client.get(reverse("communes:inviter", args=[slug])).status_code == 403
    assert client.get(reverse("communes:journal", args=[slug])).status_code == 403
    assert client.post(reverse("communes:membership_deactivate", args=[slug, membership.pk])).status_code == 403
    seat = Seat.objects.get(membership=membership)
    assert client.post(reverse("communes:seat_vacate", args=[slug, seat.pk])).status_code == 403
    url = reverse("communes:collectivite", args=[slug, membership.collectivite_id])
    assert client.post(url, {"kind": "suppleant", "membership": membership.pk}).status_code == 403
    membership.refresh_from_db()
    seat.refresh_from_db()
    assert membership.is_active and seat.ended_at is None


def test_an_administrator_granted_by_permission_can_administer(mortagne, dgs_epci, dgs_commune, client_for):
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    assert client_for(dgs_commune).get(reverse("communes:journal", args=[mortagne.slug])).status_code == 200


def test_the_epci_dgs_deactivates_a_member_and_the_journal_shows_it(mortagne, dgs_epci, dgs_commune, client_for):
    client = client_for(dgs_epci)
    membership = dgs_commune.memberships.get()
    response = client.post(reverse("communes:membership_deactivate", args=[mortagne.slug, membership.pk]), follow=True)
    assert "n&#x27;est plus membre" in response.content.decode()
    membership.refresh_from_db()
    assert membership.ended_at is not None
    journal = client.get(reverse("communes:journal", args=[mortagne.slug])).content.decode()
    assert "communes.membership.deactivated" in journal and "Claire Bernard" in journal


def test_a_seat_is_handed_over_from_the_collectivite_page(mortagne, dgs_epci, dgs_commune, client_for):
    interim = make_member(mortagne, "Mortagne-sur-Sèvre", "interim@mortagne.test", Membership.Role.DGA)
    target = collectivite(mortagne, "Mortagne-sur-Sèvre")
    url = reverse("communes:collectivite", args=[mortagne.slug, target.pk])
    client = client_for(dgs_epci)
    response = client.post(url, {"kind": "titulaire", "membership": interim.memberships.get().pk}, follow=True)
    page = response.content.decode()
    assert "est désormais titulaire" in page
    assert page.count("en cours") == 1  # the new tenure; the previous one is closed but listed
    assert "Sophie Guérin" in page
    # A member of another collectivité is not offered, and is refused if forced.
    other = make_member(mortagne, "Tiffauges", "sg@tiffauges.test", Membership.Role.SG)
    response = client.post(url, {"kind": "suppleant", "membership": other.memberships.get().pk})
    assert response.status_code == 400 and "Sélectionnez un choix valide" in response.content.decode()


def test_a_newcomer_accepts_an_invitation_chooses_a_password_and_lands_in_the_territory(mortagne, dgs_epci, client):
    invitation = services.invitation_create(
        territoire=mortagne,
        collectivite=collectivite(mortagne, "Treize-Vents"),
        email="dgs@treize-vents.test",
        role="dgs",
        seat_kind="titulaire",
        by=dgs_epci,
    )
    url = reverse("invitation_accept", args=[services.invitation_token(invitation)])
    page = client.get(url).content.decode()
    assert "Claire Bernard vous invite à représenter Treize-Vents" in page
    response = client.post(
        url, {"first_name": "Agathe", "last_name": "Brochard", "password1": "court", "password2": "court"}
    )
    assert response.status_code == 400 and "trop court" in response.content.decode()
    data = {"first_name": "Agathe", "last_name": "Brochard", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("communes:territoire", args=[mortagne.slug])
    assert "Bienvenue dans le CoDir" in response.content.decode()
    assert response.context["user"].email == "dgs@treize-vents.test"
    # The link works once.
    assert client.get(url).status_code == 410


def test_an_expired_revoked_used_or_forged_link_explains_itself(mortagne, dgs_epci, client):
    from datetime import timedelta

    from django.utils import timezone

    def make(email):
        return services.invitation_create(
            territoire=mortagne, collectivite=collectivite(mortagne, "Tiffauges"), email=email, role="sg", by=dgs_epci
        )

    expired, revoked, used = make("a@tiffauges.test"), make("b@tiffauges.test"), make("c@tiffauges.test")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    services.invitation_revoke(invitation=revoked, by=dgs_epci)
    services.invitation_accept(invitation=used, first_name="C", last_name="D", password=PASSWORD)
    expected = {expired: "a expiré", revoked: "annulé", used: "déjà été acceptée"}
    for invitation, text in expected.items():
        response = client.get(reverse("invitation_accept", args=[services.invitation_token(invitation)]))
        assert response.status_code == 410 and text in response.content.decode(), text
    response = client.get(reverse("invitation_accept", args=["faux-jeton"]))
    assert response.status_code == 410 and "annulé" in response.content.decode()


def test_an_invitation_opened_under_another_account_offers_to_switch_accounts(
    mortagne, dgs_epci, dgs_commune, outsider, client_for
):
    invitation = services.invitation_create(
        territoire=mortagne,
        collectivite=collectivite(mortagne, "Tiffauges"),
        email=outsider.email,
        role="sg",
        by=dgs_epci,
    )
    page = client_for(dgs_commune).get(reverse("invitation_accept", args=[services.invitation_token(invitation)]))
    text = page.content.decode()
    assert f"Me déconnecter ({dgs_commune.email})" in text and 'action="/comptes/deconnexion/"' in text


def test_login_is_by_email_whatever_its_case_and_password_reset_mails_a_link(dgs_commune, client):
    response = client.post(reverse("login"), {"username": dgs_commune.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mes_territoires")
    client.post(reverse("logout"))
    response = client.post(reverse("login"), {"username": dgs_commune.email, "password": "mauvais"})
    assert response.status_code == 200 and "incorrect" in response.content.decode()
    client.post(reverse("password_reset"), {"email": dgs_commune.email})
    assert len(mail.outbox) == 1 and "/comptes/mot-de-passe/nouveau/" in mail.outbox[0].body


def test_a_deactivated_agent_account_cannot_log_in(dgs_commune, client):
    dgs_commune.is_active = False
    dgs_commune.save()
    response = client.post(reverse("login"), {"username": dgs_commune.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_interface_is_french_by_default_and_english_on_request(mortagne, dgs_commune, client_for):
    client = client_for(dgs_commune)
    url = reverse("communes:territoire", args=[mortagne.slug])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="fr">' in page and "Aller au contenu" in page
    client.post(reverse("set_language"), {"language": "en", "next": url})
    page = client.get(url).content.decode()
    assert '<html lang="en">' in page and "Skip to content" in page


def test_every_page_has_a_skip_link_landmarks_and_one_h1(mortagne, dgs_epci, client_for):
    client = client_for(dgs_epci)
    pages = [
        reverse("mes_territoires"),
        reverse("communes:territoire", args=[mortagne.slug]),
        reverse("communes:membres", args=[mortagne.slug]),
        reverse("communes:inviter", args=[mortagne.slug]),
        reverse("communes:journal", args=[mortagne.slug]),
        reverse("communes:collectivite", args=[mortagne.slug, collectivite(mortagne, "Mallièvre").pk]),
        reverse("accessibilite"),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert 'href="#contenu"' in page and '<main id="contenu"' in page, url
        assert 'role="banner"' in page and 'role="contentinfo"' in page, url
        assert page.count("<h1") == 1, url


def test_the_journal_lists_actions_newest_first_for_admins(mortagne, dgs_epci, dgs_commune, client_for):
    page = client_for(dgs_epci).get(reverse("communes:journal", args=[mortagne.slug])).content.decode()
    assert page.index("communes.seat.assigned") < page.index("communes.territoire.imported")
    assert JournalEntry.objects.filter(territoire=mortagne).count() >= 5


def test_the_members_page_pages_through_a_large_codir_and_keeps_the_former_members_filter(
    mortagne, dgs_epci, client_for
):
    from communes.views import MEMBERS_PAGE

    for index in range(MEMBERS_PAGE + 5):
        make_member(mortagne, "Tiffauges", f"agent{index:02d}@tiffauges.test", Membership.Role.SG)
    total = Membership.objects.active().filter(territoire=mortagne).count()
    client = client_for(dgs_epci)
    url = reverse("communes:membres", args=[mortagne.slug])
    first = client.get(url).content.decode()
    second = client.get(url, {"page": "2"}).content.decode()
    rows = first.count("<tr>") - 1, second.count("<tr>") - 1  # minus the header row
    assert rows == (MEMBERS_PAGE, total - MEMBERS_PAGE)
    assert 'href="?page=2"' in first and "Page précédente" in second
    assert 'href="?anciens=1&amp;page=2"' in client.get(url, {"anciens": "1"}).content.decode()
    home = client.get(reverse("communes:territoire", args=[mortagne.slug])).content.decode()
    assert f"{total} membres actifs" in home and "agent00@tiffauges.test" not in home
