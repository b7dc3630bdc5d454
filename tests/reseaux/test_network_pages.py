"""The professional networks' pages: list, one network and its running, exchanges, and one's own data."""

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from communes.models import Agent, Membership, Territoire
from reseaux import services
from reseaux.models import Echange, Evenement, MembreReseau, Participation, Reseau, Ressource
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import import_epci, make_member
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


def plain(response):
    """The page's text, one space wherever a tag was (table cells stay apart)."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", response.content.decode())).split())


def url(name, territoire, *args):
    return reverse(f"reseaux_net:{name}", args=[territoire.slug, *args])


def can_lead(agent, reseau) -> bool:
    """Read the agent afresh: guardian answers from the database, not from a cached object."""
    return Agent.objects.get(pk=agent.pk).has_perm(services.LEAD_PERMISSION, reseau)


@pytest.fixture
def chanverrie_dgs(mortagne):
    return make_member(
        mortagne, "Chanverrie", "dgs@chanverrie.test", Membership.Role.DGS, first_name="Paul", last_name="Chauvet"
    )


@pytest.fixture
def finances(mortagne, referent, dgs_commune):
    """The finances network led by the EPCI's finance officer, with the ville-centre's DGS as a member."""
    reseau = services.reseau_create(
        territoire=mortagne,
        by=referent,
        name="Réseau finances",
        kind="metier",
        description="Les **budgets** ensemble",
        created_on=DAY - timedelta(days=60),
    )
    services.membre_add(reseau=reseau, by=referent, agent=dgs_commune, since=DAY - timedelta(days=30))
    return reseau


def test_a_member_creates_a_network_and_becomes_its_referent(mortagne, dgs_commune, client_for):
    client = client_for(dgs_commune)
    assert "Créer un réseau" in plain(client.get(url("reseaux", mortagne)))
    assert client.get(url("reseau_create", mortagne)).status_code == 200
    response = client.post(
        url("reseau_create", mortagne),
        {"name": "Réseau des secrétaires de mairie", "kind": "fonction", "description": "Entraide *mensuelle*"},
        follow=True,
    )
    reseau = Reseau.objects.get(name="Réseau des secrétaires de mairie")
    assert response.redirect_chain == [(url("reseau", mortagne, reseau.pk), 302)]
    page = plain(response)
    assert "Réseau créé ; vous en êtes référent·e." in page
    assert "Ajouter un membre" in page  # the creator runs it
    assert reseau.description_html == "<p>Entraide <em>mensuelle</em></p>"
    [membre] = reseau.membres.all()
    assert (membre.agent, membre.role, membre.collectivite.name) == (dgs_commune, "referent", "Mortagne-sur-Sèvre")
    assert can_lead(dgs_commune, reseau)


def test_a_referent_adds_members_from_three_communes(
    mortagne, finances, referent, sg_petite_commune, chanverrie_dgs, client_for
):
    client = client_for(referent)
    form_page = plain(client.get(url("membre_add", mortagne, finances.pk)))
    assert "Paul Chauvet (Chanverrie)" in form_page
    assert "Sophie Guérin" not in form_page  # already a member
    since = (DAY - timedelta(days=10)).isoformat()
    for agent in (sg_petite_commune, chanverrie_dgs):
        response = client.post(
            url("membre_add", mortagne, finances.pk), {"agent": agent.pk, "role": "membre", "since": since}
        )
        assert response.status_code == 302
    assert sorted(m.collectivite.name for m in finances.membres.filter(until__isnull=True)) == [
        "CC du Pays de Mortagne",
        "Chanverrie",
        "Mallièvre",
        "Mortagne-sur-Sèvre",
    ]
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "4 membres, 4 collectivités représentées" in page
    assert "Mallièvre Élodie Martineau — depuis le 19/02/2026" in page  # grouped by collectivité
    listing = plain(client.get(url("reseaux", mortagne)))
    assert "Réseau finances Réseau métier 1 4 4 31/12/2025" in listing


def test_a_plain_member_is_refused_every_management_form_and_nothing_changes(
    mortagne, finances, referent, dgs_commune, sg_petite_commune, client_for
):
    ressource = services.ressource_add(reseau=finances, by=referent, title="Guide M57", url="https://example.org/m57")
    membre = finances.membres.get(agent=referent)
    client = client_for(dgs_commune)
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "Ajouter un membre" not in page and "Clore le réseau" not in page
    assert "Les référent·es du réseau le font vivre ; vous le consultez." in page
    forms = {
        "membre_add": ([finances.pk], {"agent": sg_petite_commune.pk, "role": "referent", "since": "2026-03-01"}),
        "membre_end": ([finances.pk, membre.pk], {"until": "2026-03-01"}),
        "membre_role": ([finances.pk, membre.pk], {"role": "membre"}),
        "evenement_add": ([finances.pk], {"title": "Journée", "held_on": "2026-03-01"}),
        "ressource_add": ([finances.pk], {"title": "Lien", "url": "https://example.org"}),
        "reseau_close": ([finances.pk], {"on": "2026-03-01"}),
    }
    for name, (args, data) in forms.items():
        assert client.get(url(name, mortagne, *args)).status_code == 403, name
        assert client.post(url(name, mortagne, *args), data).status_code == 403, name
    assert client.post(url("ressource_withdraw", mortagne, finances.pk, ressource.pk)).status_code == 403
    finances.refresh_from_db()
    assert finances.closed_on is None
    assert [(m.agent, m.role, m.until) for m in finances.membres.order_by("pk")] == [
        (referent, "referent", None),
        (dgs_commune, "membre", None),
    ]
    assert not Evenement.objects.exists()
    assert list(Ressource.objects.values_list("title", "withdrawn_at")) == [("Guide M57", None)]


def test_observers_and_the_facilitator_read_but_do_not_create(
    mortagne, finances, observateur, facilitateur, client_for
):
    for agent in (observateur, facilitateur):
        client = client_for(agent)
        listing = plain(client.get(url("reseaux", mortagne)))
        assert "Réseau finances" in listing and "Créer un réseau" not in listing
        assert client.get(url("reseau", mortagne, finances.pk)).status_code == 200
        assert client.get(url("echanges", mortagne)).status_code == 200
        assert "Enregistrer l'échange" not in plain(client.get(url("echanges", mortagne)))
        assert client.get(url("reseau_create", mortagne)).status_code == 403
        assert client.post(url("reseau_create", mortagne), {"name": "Autre", "kind": "metier"}).status_code == 403
        assert client.get(url("echange_add", mortagne)).status_code == 403
    assert Reseau.objects.count() == 1


def test_an_administrator_runs_a_network_they_do_not_belong_to(mortagne, finances, dgs_epci, client_for):
    client = client_for(dgs_epci)
    assert client.get(url("membre_add", mortagne, finances.pk)).status_code == 200
    response = client.post(url("reseau_close", mortagne, finances.pk), {"on": DAY.isoformat()})
    assert response.status_code == 302
    finances.refresh_from_db()
    assert finances.closed_on == DAY
    assert not finances.membres.filter(until__isnull=True).exists()
    listing = plain(client.get(url("reseaux", mortagne)))
    assert "Aucun réseau actif." in listing
    assert "Réseaux clos" in listing and "Réseau finances Réseau métier 31/12/2025 – 01/03/2026" in listing
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "clos" in page and "Ajouter un membre" not in page


def test_bad_input_answers_400_in_french_and_changes_nothing(mortagne, finances, referent, dgs_commune, client_for):
    client = client_for(referent)
    cases = [
        (url("reseau_create", mortagne), {"name": "Réseau ADS", "kind": "projet"}, "suit un projet du portefeuille"),
        (url("reseau_create", mortagne), {"name": "réseau FINANCES", "kind": "metier"}, "Un réseau porte déjà ce nom."),
        (url("reseau_create", mortagne), {"name": "", "kind": "autre"}, "Ce champ est obligatoire."),
        (
            url("membre_end", mortagne, finances.pk, finances.membres.get(agent=dgs_commune).pk),
            {"until": (DAY - timedelta(days=31)).isoformat()},
            "Un membre quitte le réseau après l'avoir rejoint.",
        ),
        (url("membre_add", mortagne, finances.pk), {"agent": dgs_commune.pk, "role": "membre", "since": "2026-03-01"},
         "Sélectionnez un choix valide."),
        (url("ressource_add", mortagne, finances.pk), {"title": "Guide", "url": "pas une adresse"},
         "Saisissez une URL valide."),
        (url("evenement_add", mortagne, finances.pk), {"title": "Journée", "held_on": "31/02/2026"},
         "Saisissez une date valide."),
        (url("reseau_close", mortagne, finances.pk), {"on": "2025-01-01"}, "Un réseau se clôt après sa création."),
        (url("membre_role", mortagne, finances.pk, finances.membres.get(agent=dgs_commune).pk), {"role": "chef"},
         "Sélectionnez un choix valide."),
    ]  # fmt: skip
    for target, data, message in cases:
        response = client.post(target, data)
        assert response.status_code == 400, target
        page = plain(response)
        assert "Le formulaire contient des erreurs ; rien n'a été enregistré." in page
        assert message in page, target
    finances.refresh_from_db()
    assert finances.closed_on is None
    assert Reseau.objects.count() == 1
    assert list(finances.membres.values_list("until", flat=True)) == [None, None]
    assert not Ressource.objects.exists() and not Evenement.objects.exists()


def test_past_members_stay_listed_with_their_periods(mortagne, finances, referent, dgs_commune, client_for):
    client = client_for(referent)
    membre = finances.membres.get(agent=dgs_commune)
    assert "Sophie Guérin" in plain(client.get(url("membre_end", mortagne, finances.pk, membre.pk)))
    response = client.post(url("membre_end", mortagne, finances.pk, membre.pk), {"until": DAY.isoformat()})
    assert response.status_code == 302
    membre.refresh_from_db()
    assert membre.until == DAY
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "Anciens membres" in page
    assert "Sophie Guérin Mortagne-sur-Sèvre Membre du 30/01/2026 au 01/03/2026" in page
    assert "1 membre, 1 collectivité représentée" in page
    # Back later: a new period, the old one kept.
    services.membre_add(reseau=finances, by=referent, agent=dgs_commune, since=DAY + timedelta(days=10))
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "du 30/01/2026 au 01/03/2026" in page and "2 membres, 2 collectivités représentées" in page


def test_a_referent_names_another_referent_who_then_leads(mortagne, finances, referent, dgs_commune, client_for):
    client = client_for(referent)
    membre = finances.membres.get(agent=dgs_commune)
    assert not can_lead(dgs_commune, finances)
    assert client.post(url("membre_role", mortagne, finances.pk, membre.pk), {"role": "referent"}).status_code == 302
    assert can_lead(dgs_commune, finances)
    client = client_for(dgs_commune)
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "Ajouter un membre" in page and "Rendre simple membre" in page


def test_an_event_records_who_attended_and_resources_are_shared_then_withdrawn(
    mortagne, finances, referent, dgs_commune, sg_petite_commune, client_for
):
    client = client_for(referent)
    form_page = client.get(url("evenement_add", mortagne, finances.pk)).content.decode()
    assert '<fieldset class="field"' in form_page and 'type="checkbox"' in form_page
    response = client.post(
        url("evenement_add", mortagne, finances.pk),
        {
            "title": "Journée préparation budgétaire",
            "held_on": "2026-02-12",
            "place": "Mallièvre, salle du conseil",
            "participants": [dgs_commune.pk, sg_petite_commune.pk],
        },
    )
    assert response.status_code == 302
    evenement = Evenement.objects.get()
    assert sorted(p.collectivite.name for p in evenement.participations.all()) == ["Mallièvre", "Mortagne-sur-Sèvre"]
    response = client.post(
        url("ressource_add", mortagne, finances.pk), {"title": "Guide de la M57", "url": "https://example.org/m57"}
    )
    assert response.status_code == 302
    page = plain(client.get(url("reseau", mortagne, finances.pk)))
    assert "Journée préparation budgétaire 12 février 2026 · Mallièvre, salle du conseil 2 participant·es" in page
    assert "Élodie Martineau (Mallièvre)" in page
    assert "Guide de la M57" in page
    ressource = Ressource.objects.get()
    assert client.post(url("ressource_withdraw", mortagne, finances.pk, ressource.pk)).status_code == 302
    ressource.refresh_from_db()
    assert ressource.withdrawn_at is not None
    assert "Guide de la M57" not in plain(client.get(url("reseau", mortagne, finances.pk)))


def test_exchanges_are_recorded_by_the_host_the_guest_or_an_administrator(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, chanverrie_dgs, client_for
):
    data = {
        "kind": "vis_ma_vie",
        "host": dgs_commune.pk,
        "guest": sg_petite_commune.pk,
        "starts_on": "2026-02-02",
        "ends_on": "2026-02-03",
        "theme": "Préparer un conseil municipal",
        "learnt": "Le tableau de bord des délibérations.",
    }
    assert client_for(chanverrie_dgs).post(url("echange_add", mortagne), data).status_code == 403
    assert not Echange.objects.exists()
    assert client_for(sg_petite_commune).post(url("echange_add", mortagne), data).status_code == 302
    admin_data = {**data, "host": chanverrie_dgs.pk, "kind": "echange", "theme": "Marchés publics"}
    assert client_for(dgs_epci).post(url("echange_add", mortagne), admin_data).status_code == 302
    same_place = {**data, "guest": make_member(mortagne, "Mortagne-sur-Sèvre", "dga@m.test", "dga").pk}
    response = client_for(dgs_commune).post(url("echange_add", mortagne), same_place)
    assert response.status_code == 400
    assert "Un échange relie deux collectivités différentes." in plain(response)
    backwards = {**data, "ends_on": "2026-02-01"}
    response = client_for(dgs_commune).post(url("echange_add", mortagne), backwards)
    assert response.status_code == 400 and "Un échange finit après avoir commencé." in plain(response)
    assert Echange.objects.count() == 2
    page = plain(client_for(dgs_commune).get(url("echanges", mortagne)))
    assert "2 échanges" in page
    assert (
        "Préparer un conseil municipal Vis ma vie (immersion) Sophie Guérin Mortagne-sur-Sèvre "
        "Élodie Martineau Mallièvre du 02/02/2026 au 03/02/2026 Le tableau de bord des délibérations." in page
    )
    assert "Enregistrer l'échange" in page


def test_my_data_shows_everything_the_map_holds_about_me_and_nothing_else(
    mortagne, finances, referent, dgs_commune, sg_petite_commune, chanverrie_dgs, client_for
):
    services.membre_end(membre=finances.membres.get(agent=dgs_commune), by=referent, until=DAY)
    entraide = services.reseau_create(territoire=mortagne, by=sg_petite_commune, name="Entraide SG", kind="fonction")
    services.membre_add(reseau=entraide, by=sg_petite_commune, agent=chanverrie_dgs)
    services.evenement_create(
        reseau=finances, by=referent, title="Atelier M57", held_on=DAY - timedelta(days=5), participants=[dgs_commune]
    )
    services.evenement_create(
        reseau=entraide, by=sg_petite_commune, title="Café SG", held_on=DAY, participants=[chanverrie_dgs]
    )
    services.echange_record(
        territoire=mortagne, by=dgs_commune, kind="vis_ma_vie", host=sg_petite_commune, guest=dgs_commune,
        starts_on=DAY, ends_on=DAY, theme="Une journée à Mallièvre",
    )  # fmt: skip
    services.echange_record(
        territoire=mortagne, by=chanverrie_dgs, kind="echange", host=chanverrie_dgs, guest=sg_petite_commune,
        starts_on=DAY, ends_on=DAY, theme="Les marchés de Chanverrie",
    )  # fmt: skip
    page = plain(client_for(dgs_commune).get(url("mes_donnees", mortagne)))
    assert "Nom Sophie Guérin" in page and "Collectivité Mortagne-sur-Sèvre" in page
    assert "Réseau finances Membre Mortagne-sur-Sèvre 30/01/2026 01/03/2026" in page
    assert "Atelier M57 Réseau finances 24/02/2026 Mortagne-sur-Sèvre" in page
    assert "Une journée à Mallièvre" in page
    for others in ("Entraide SG", "Café SG", "Les marchés de Chanverrie", "Paul Chauvet"):
        assert others not in page
    empty = plain(client_for(chanverrie_dgs).get(url("mes_donnees", mortagne)))
    assert "Entraide SG" in empty and "Réseau finances" not in empty and "Une journée à Mallièvre" not in empty


def test_the_list_explains_what_the_map_shows_and_the_nav_marks_the_networks(mortagne, dgs_commune, client_for):
    response = client_for(dgs_commune).get(url("reseaux", mortagne))
    page = plain(response)
    assert "Ce que montre la carte des réseaux" in page
    assert "Des données professionnelles seulement : nom, fonction, collectivité" in page
    assert "Chaque agent peut voir tout ce que la carte contient à son sujet" in page
    assert f'<a href="{url("mes_donnees", mortagne)}">' in response.content.decode()
    assert f'<a href="{url("reseaux", mortagne)}" aria-current="page">Réseaux</a>' in response.content.decode()


def test_networks_of_another_territory_answer_404(mortagne, achards, finances, referent, outsider, client_for):
    theirs = services.reseau_create(territoire=achards, by=outsider, name="Réseau RH", kind="metier")
    their_membre = theirs.membres.get()
    client = client_for(referent)
    assert client.get(url("reseau", mortagne, theirs.pk)).status_code == 404
    assert client.get(url("membre_add", mortagne, theirs.pk)).status_code == 404
    assert (
        client.post(url("membre_end", mortagne, finances.pk, their_membre.pk), {"until": "2026-03-01"}).status_code
        == 404
    )
    assert client_for(outsider).get(url("reseaux", mortagne)).status_code == 404
    assert client_for(outsider).get(url("mes_donnees", mortagne)).status_code == 404
    their_membre.refresh_from_db()
    assert their_membre.until is None


def networks_of(territoire: Territoire, admin: Agent, count: int):
    """`count` networks, each with members from several collectivités (one of them past), two events with
    attendance and two resources, plus exchanges; built in bulk (the services are tested above)."""
    members = list(Membership.objects.active().filter(territoire=territoire).select_related("agent", "collectivite"))
    reseaux = Reseau.objects.bulk_create(
        Reseau(territoire=territoire, name=f"Réseau {index:03}", kind="metier", created_by=admin,
               created_on=date(2025, 1, 1), closed_on=date(2026, 1, 1) if index % 5 == 4 else None)
        for index in range(count)
    )  # fmt: skip
    size = min(len(members), 4 + count // 3)
    MembreReseau.objects.bulk_create(
        MembreReseau(
            reseau=reseau, agent=m.agent, collectivite=m.collectivite, role="referent" if n == 0 else "membre",
            since=date(2025, 1, 1), until=date(2025, 6, 30) if n == 1 else None,
        )
        for index, reseau in enumerate(reseaux)
        for n, m in enumerate(members[index % len(members):] + members[:index % len(members)])
        if n < size
    )  # fmt: skip
    evenements = Evenement.objects.bulk_create(
        Evenement(reseau=reseau, title=f"Journée {n}", held_on=date(2025, 3 + n, 1), created_by=admin)
        for reseau in reseaux
        for n in range(2)
    )
    Participation.objects.bulk_create(
        Participation(evenement=evenement, agent=m.agent, collectivite=m.collectivite)
        for evenement in evenements
        for m in members[: min(len(members), 3 + count // 5)]
    )
    Ressource.objects.bulk_create(
        Ressource(reseau=reseau, title=f"Ressource {n}", url="https://example.org", added_by=admin)
        for reseau in reseaux
        for n in range(2)
    )
    admin_membership = next(m for m in members if m.agent == admin)
    Echange.objects.bulk_create(
        Echange(
            territoire=territoire, kind="echange", host=admin if n % 2 else m.agent,
            host_collectivite=admin_membership.collectivite if n % 2 else m.collectivite,
            guest=m.agent if n % 2 else admin, guest_collectivite=m.collectivite if n % 2 else admin_membership.collectivite,
            starts_on=date(2025, 5, 1), ends_on=date(2025, 5, 2), theme=f"Thème {n}", recorded_by=admin,
        )
        for n, m in enumerate(m for m in members if m.agent != admin)
        if n < count
    )  # fmt: skip
    return reseaux[0]


PAGES = {
    # Every page starts with three queries (session, agent, membership with its territory and permissions).
    "reseaux": (lambda t, r: url("reseaux", t), 6),  # one annotated query for all the networks
    "reseau": (lambda t, r: url("reseau", t, r.pk), 10),  # network, members, events, attendance, resources
    "echanges": (lambda t, r: url("echanges", t), 9),  # count, page, the form's two agent lists
    "mes_donnees": (lambda t, r: url("mes_donnees", t), 8),  # memberships, participations, exchanges
    "membre_add": (lambda t, r: url("membre_add", t, r.pk), 7),  # network, agents not yet members
    "evenement_add": (lambda t, r: url("evenement_add", t, r.pk), 7),  # network, the territory's agents
}


def test_network_pages_query_counts_do_not_grow_with_the_networks(client, django_assert_max_num_queries):
    small = import_epci("248500662")
    small_admin = populate(small, members_per_commune=1)
    small_reseau = networks_of(small, small_admin, 3)
    large = import_epci(PAYS_BASQUE)
    large_admin = populate(large, members_per_commune=1)
    large_reseau = networks_of(large, large_admin, 150)
    assert Reseau.objects.for_territoire(large).count() == 150
    assert large_reseau.membres.count() > 50 and Echange.objects.filter(territoire=large).count() == 150
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_reseau)),
        (large_admin, (large, large_reseau)),
    )
