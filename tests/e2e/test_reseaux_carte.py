"""The professional networks in the browser: a network created, filled with agents of three communes, and the
map that shows what it holds together and which communes are left out.

The EPCI's finance officer opens « Réseaux » and glances at the map: no network yet, every collectivité is
without a link. They create the « Réseau finances » (a réseau métier) and becomes
its référent. From the network's page they add the DGS of Mortagne-sur-Sèvre, the SG of Mallièvre and the
DGS of Chanverrie; the SG of Tiffauges, also in the application, is left out. Then the « Carte des réseaux »:
the drawing, the communes with no link to any network (Tiffauges among them: an agent in the application is
not a link), the network as the single point holding four collectivités together and each member as the only
link of their own, the bridges, and the same facts in the tables that stand in for the drawing. Last, the
GraphML export downloads a graph for Gephi. axe-core checks each page.
"""

import re

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from communes.models import Membership, Seat
from reseaux.models import MembreReseau, Reseau
from tests.conftest import make_member

NAME = "Réseau finances"
EPCI = "CC du Pays de Mortagne"
LINKED = [EPCI, "Chanverrie", "Mallièvre", "Mortagne-sur-Sèvre"]  # the référent's EPCI and the three communes
ISOLATED = [
    "La Gaubretière",
    "Les Landes-Genusson",
    "Saint-Aubin-des-Ormeaux",
    "Saint-Laurent-sur-Sèvre",
    "Saint-Malô-du-Bois",
    "Saint-Martin-des-Tilleuls",
    "Tiffauges",
    "Treize-Vents",
]
# How the pages name the agents: name, then the collectivité they act for.
THOMAS = f"Thomas Charrier ({EPCI})"
SOPHIE = "Sophie Guérin (Mortagne-sur-Sèvre)"
ELODIE = "Élodie Martineau (Mallièvre)"
MARC = "Marc Billaud (Chanverrie)"
NADINE = "Nadine Rousseau (Tiffauges)"
HOMES = {THOMAS: EPCI, SOPHIE: "Mortagne-sur-Sèvre", ELODIE: "Mallièvre", MARC: "Chanverrie"}


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def status_message(page: Page, text: str):
    return page.get_by_role("status").locator(".messages").filter(has_text=text)


def summary(page: Page, term: str):
    """The value a summary list shows for a term (its <dd>)."""
    return main(page).locator(f'dl.summary-list dt:text-is("{term}") + dd')


def menu_link(page: Page, name: str):
    return page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name)


def items_after(page: Page, heading: str):
    """The items of the list that follows a heading of the map's explanations."""
    return (
        main(page)
        .get_by_role("heading", name=heading, exact=True)
        .locator("xpath=following-sibling::*[self::ul or self::ol][1]/li")
    )


def names(text: str) -> list[str]:
    """A list of names as the map joins them: « A, B, C »."""
    return sorted(text.split(", "))


def others(*excluded: str) -> list[str]:
    return sorted(name for name in LINKED if name not in excluded)


def french(day, fmt: str) -> str:
    with translation.override("fr"):
        return date_filter(day, fmt)


@pytest.mark.e2e
def test_a_referent_creates_a_network_across_three_communes_and_the_map_shows_who_it_holds_and_who_is_left_out(
    page, mortagne, referent, dgs_commune, sg_petite_commune, log_in, assert_accessible
):
    slug = mortagne.slug
    today = timezone.localdate()
    chanverrie_dgs = make_member(
        mortagne,
        "Chanverrie",
        "marc.billaud@chanverrie.test",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        "Marc",
        "Billaud",
    )
    make_member(mortagne, "Tiffauges", "nadine.rousseau@tiffauges.test", Membership.Role.SG, "", "Nadine", "Rousseau")

    # 1. The EPCI's finance officer opens « Réseaux »: no network yet.
    log_in(page, referent.email)
    main(page).get_by_role("link", name=EPCI).click()
    menu_link(page, "Réseaux").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reseaux/$"))
    expect(h1(page)).to_have_text("Réseaux professionnels")
    expect(menu_link(page, "Réseaux")).to_have_attribute("aria-current", "page")
    expect(main(page)).to_contain_text("Aucun réseau actif.")
    assert_accessible(page, "liste des réseaux, vide")

    # Before any network, the map has every collectivité without a link (and is cached until the data change).
    main(page).get_by_role("link", name="Carte des réseaux").click()
    expect(h1(page)).to_have_text("Carte des réseaux")
    expect(items_after(page, "Collectivités sans lien avec un réseau")).to_have_count(len(LINKED) + len(ISOLATED))
    expect(main(page)).to_contain_text("Aucune collectivité ne dépend d'une seule personne ou d'un seul réseau.")
    expect(
        page.get_by_role("table", name="Liens de la carte (agents regroupés dans leur collectivité)")
    ).to_contain_text("Aucun lien à cette date.")
    assert_accessible(page, "carte des réseaux, sans réseau")
    page.go_back()

    # 2. They create the finance network, a réseau métier, and become its référent.
    main(page).get_by_role("link", name="Créer un réseau").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reseaux/nouveau/$"))
    expect(h1(page)).to_have_text("Créer un réseau")
    expect(page.get_by_label("Nature")).to_have_value("metier")
    assert_accessible(page, "formulaire de création d'un réseau")
    page.get_by_label("Nom du réseau").fill(NAME)
    page.get_by_label("Nature").select_option(label="Réseau métier")
    page.get_by_role("button", name="Créer le réseau").click()

    reseau = Reseau.objects.get(territoire=mortagne, name=NAME)
    reseau_path = f"/t/{slug}/reseaux/{reseau.pk}/"
    assert (reseau.kind, reseau.created_by) == (Reseau.Kind.METIER, referent)
    expect(page).to_have_url(re.compile(rf"{re.escape(reseau_path)}$"))
    expect(status_message(page, "Réseau créé")).to_have_text("Réseau créé ; vous en êtes référent·e.")
    expect(h1(page)).to_have_text(NAME)
    expect(summary(page, "Nature")).to_have_text("Réseau métier")
    expect(summary(page, "Créé le")).to_have_text(today.strftime("%d/%m/%Y"))
    expect(summary(page, "Membres")).to_have_text("1 membre, 1 collectivité représentée")
    referents = main(page).get_by_role("heading", name="Référent·es").locator("xpath=following-sibling::ul[1]/li")
    expect(referents).to_have_text([f"Thomas Charrier ({EPCI}), depuis le {today.strftime('%d/%m/%Y')}"])
    assert_accessible(page, "page du réseau créé")

    # 3. From the network's page, the three communes' agents join it; Tiffauges' SG is offered but left out.
    for index, agent in enumerate([SOPHIE, ELODIE, MARC]):
        main(page).get_by_role("link", name="Ajouter un membre").click()
        expect(page).to_have_url(re.compile(rf"{re.escape(reseau_path)}membres/$"))
        expect(h1(page)).to_have_text("Ajouter un membre")
        expect(page.get_by_label("Rôle")).to_have_value("membre")
        expect(page.get_by_label("Membre depuis le")).to_have_value(today.isoformat())
        if index == 0:
            # Agents of the territory, by last name; the référent, already in, is not offered.
            expect(page.get_by_label("Agent").locator("option")).to_have_text(
                ["---------", MARC, SOPHIE, ELODIE, NADINE]
            )
            assert_accessible(page, "formulaire d'ajout d'un membre")
        page.get_by_label("Agent").select_option(label=agent)
        page.get_by_role("button", name="Ajouter", exact=True).click()
        expect(page).to_have_url(re.compile(rf"{re.escape(reseau_path)}$"))
        expect(status_message(page, "Membre ajouté")).to_have_text("Membre ajouté au réseau.")

    members = {(m.agent, m.collectivite.name, m.role) for m in MembreReseau.objects.filter(reseau=reseau)}
    assert members == {
        (referent, EPCI, MembreReseau.Role.REFERENT),
        (dgs_commune, "Mortagne-sur-Sèvre", MembreReseau.Role.MEMBRE),
        (sg_petite_commune, "Mallièvre", MembreReseau.Role.MEMBRE),
        (chanverrie_dgs, "Chanverrie", MembreReseau.Role.MEMBRE),
    }
    expect(summary(page, "Membres")).to_have_text("4 membres, 4 collectivités représentées")
    current = main(page).get_by_role("heading", name="Membres actuels").locator("xpath=following-sibling::h3")
    expect(current).to_have_text([EPCI, "Chanverrie", "Mallièvre", "Mortagne-sur-Sèvre"])
    expect(main(page).get_by_role("button", name="Nommer référent·e : Sophie Guérin")).to_be_visible()
    assert_accessible(page, "page du réseau avec ses membres")

    # 4. The list of networks counts them.
    page.get_by_role("navigation", name="Fil d’Ariane").get_by_role("link", name="Réseaux").click()
    table = page.get_by_role("table", name="1 réseau actif")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=NAME))
    expect(row.get_by_role("cell")).to_have_text(["Réseau métier", "1", "4", "4", today.strftime("%d/%m/%Y")])
    assert_accessible(page, "liste des réseaux")

    # 5. The map: the drawing, then what it shows, explained.
    main(page).get_by_role("link", name="Carte des réseaux").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reseaux/carte/$"))
    expect(h1(page)).to_have_text("Carte des réseaux")
    drawing = main(page).get_by_role(
        "group",
        name=f"Carte des réseaux au {french(today, 'j F Y')} : collectivités (ronds), réseaux, projets et CoDir "
        "(carrés) ; la version en tableau suit.",
    )
    expect(drawing).to_be_visible()
    expect(drawing.locator("circle")).to_have_count(len(LINKED) + len(ISOLATED))
    expect(drawing.get_by_role("link", name=NAME, exact=True)).to_have_attribute("href", reseau_path)
    expect(drawing.get_by_role("link", name="Tiffauges (fragile)")).to_be_visible()
    expect(drawing.get_by_role("link", name="Mallièvre (fragile)")).to_be_visible()  # hangs on one person
    # Four collectivités of twelve linked pairwise: 6 pairs of 66.
    expect(summary(page, "Maillage")).to_have_text(
        "9,1 % des paires de collectivités partagent au moins un réseau, un projet ou un échange."
    )

    # The communes none of whose agents is in a network, Tiffauges included.
    isolated = items_after(page, "Collectivités sans lien avec un réseau")
    expect(isolated).to_have_count(len(ISOLATED))
    assert sorted(isolated.all_inner_texts()) == ISOLATED

    # The network holds the four collectivités together; each member is their collectivité's only link.
    weak_points = items_after(page, "Points de fragilité")
    expect(weak_points).to_have_count(5)
    first = re.fullmatch(
        rf"Si {NAME} part, (.+) perdent leur seul lien avec les autres\.", weak_points.first.inner_text()
    )
    assert first, weak_points.first.inner_text()
    cut_off = names(first.group(1))
    assert len(cut_off) == 3 and set(cut_off) < set(LINKED), cut_off
    assert sorted(weak_points.all_inner_texts()[1:]) == sorted(
        f"Si {agent} part, {home} perd son seul lien avec les autres." for agent, home in HOMES.items()
    )

    # The bridges: each member's tie to the network (their tie to their own collectivité is a weak point above).
    bridges = items_after(page, "Ponts")
    expect(bridges).to_have_count(4)
    found = {}
    for text in bridges.all_inner_texts():
        match = re.fullmatch(r"(.+) — (.+) relie (.+) à (.+)\.", text)
        assert match, text
        found[match.group(1, 2)] = (names(match.group(3)), names(match.group(4)))
    for agent, home in HOMES.items():
        assert found[(agent, NAME)] == ([home], others(home)), agent

    expect(items_after(page, "Les agents les plus reliés (pivots)")).to_have_count(4)
    assert sorted(items_after(page, "Les agents les plus reliés (pivots)").all_inner_texts()) == sorted(
        f"{agent} — 2 liens" for agent in HOMES
    )
    expect(items_after(page, "Les passeurs")).to_have_count(4)
    assert sorted(items_after(page, "Les passeurs").all_inner_texts()) == sorted(
        f"{agent} — 100,0 %" for agent in HOMES
    )
    communities = items_after(page, "Communautés")
    expect(communities).to_have_count(1 + len(ISOLATED))
    assert names(communities.first.inner_text()) == sorted(LINKED)
    assert sorted(communities.all_inner_texts()[1:]) == ISOLATED

    # 6. The same facts in tables: the isolated communes have 0 in every network, the linked ones 1.
    coverage = page.get_by_role("table", name="Couverture : nombre d'agents de chaque collectivité dans chaque réseau")
    expect(coverage.get_by_role("columnheader")).to_have_text(["Collectivité", NAME])
    everyone = sorted(LINKED + ISOLATED)
    expect(coverage.get_by_role("rowheader")).to_have_text(everyone)
    expect(coverage.locator("tbody td")).to_have_text(["1" if name in LINKED else "0" for name in everyone])
    ties = page.get_by_role("table", name="Liens de la carte (agents regroupés dans leur collectivité)")
    expect(ties.locator("tbody td:nth-child(1)")).to_have_text(sorted(LINKED))
    expect(ties.locator("tbody td:nth-child(2)")).to_have_text([NAME] * 4)
    expect(ties.locator("tbody td:nth-child(4)")).to_have_text(["2,0", "1,0", "1,0", "1,0"])  # the référent weighs 2
    assert_accessible(page, "carte des réseaux")

    # 7. The GraphML export, for Gephi.
    with page.expect_download() as download_info:
        main(page).get_by_role("link", name="GraphML", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"reseaux-{slug}-{today.isoformat()}.graphml"
    graphml = download.path().read_text(encoding="utf-8")
    assert "<graphml" in graphml and NAME in graphml and "Tiffauges" in graphml
