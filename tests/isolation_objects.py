"""What the isolation tests share: one object of each kind in a territory, and the URL kwargs that name them.

`tests/test_isolation.py` (outsiders see nothing) and `tests/test_isolation_matrix.py` (who gets which status
on every URL) build their URLs from the same objects, so a new territory URL is described once.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from charte import services as charte_services
from charte.models import Amendement, Ratification, Section, Version
from codir import services as codir_services
from codir.models import Document, Engagement, Instance, Reunion, RevueAnnuelle
from codir.revue import services as revue_services
from communes import services
from communes.models import Agent, Collectivite, Invitation, JournalEntry, Membership, Seat, Territoire
from decisions import services as decision_services
from decisions.models import Action, Proposition
from reseaux import services as reseaux_services
from reseaux.models import (
    Axe,
    Contribution,
    DocumentProjet,
    Echange,
    Evenement,
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
from tests.conftest import collectivite


@dataclass
class Objects:
    """One object of each kind in the target territory, for URLs that take an id."""

    collectivite: Collectivite
    membership: Membership
    seat: Seat
    invitation: Invitation
    journal_entry: JournalEntry
    proposition: Proposition
    action: Action
    version: Version
    section: Section
    amendement: Amendement
    ratification: Ratification
    instance: Instance
    reunion: Reunion
    document: Document
    axe: Axe
    projet: Projet
    pilote: Pilote
    contribution: Contribution
    phase: Phase
    jalon: Jalon
    indicateur: Indicateur
    referent: Referent
    revue: Revue
    lien: Lien
    document_projet: DocumentProjet
    reseau: Reseau
    membre_reseau: MembreReseau
    evenement: Evenement
    ressource: Ressource
    echange: Echange
    revue_annuelle: RevueAnnuelle
    engagement: Engagement


# Territory URL name -> function building its kwargs (besides territoire_slug) from Objects.
TERRITORY_URL_KWARGS = {
    "communes:territoire": lambda o: {},
    "communes:membres": lambda o: {},
    "communes:inviter": lambda o: {},
    "communes:membership_deactivate": lambda o: {"membership_id": o.membership.pk},
    "communes:invitation_revoke": lambda o: {"invitation_id": o.invitation.pk},
    "communes:facilitateur_inviter": lambda o: {},
    # A member's id: no facilitator of any territory, so 404 wherever it is asked for.
    "communes:facilitateur_retirer": lambda o: {"agent_id": o.membership.agent_id},
    "communes:collectivite": lambda o: {"collectivite_id": o.collectivite.pk},
    "communes:seat_vacate": lambda o: {"seat_id": o.seat.pk},
    "communes:journal": lambda o: {},
    "api:collectivite-list": lambda o: {},
    "api:collectivite-detail": lambda o: {"pk": o.collectivite.pk},
    "api:membre-list": lambda o: {},
    "api:membre-detail": lambda o: {"pk": o.membership.pk},
    "api:membre-desactiver": lambda o: {"pk": o.membership.pk},
    "api:siege-list": lambda o: {},
    "api:siege-detail": lambda o: {"pk": o.seat.pk},
    "api:siege-liberer": lambda o: {"pk": o.seat.pk},
    "api:invitation-list": lambda o: {},
    "api:invitation-detail": lambda o: {"pk": o.invitation.pk},
    "api:invitation-annuler": lambda o: {"pk": o.invitation.pk},
    "api:facilitateur-list": lambda o: {},
    "api:facilitateur-inviter": lambda o: {},
    "api:facilitateur-retirer": lambda o: {"pk": o.membership.agent_id},
    "api:journal-list": lambda o: {},
    "api:journal-detail": lambda o: {"pk": o.journal_entry.pk},
    "decisions:list": lambda o: {},
    "decisions:create": lambda o: {},
    "decisions:proposition": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:edit": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:open": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:express": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:tally": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:amend": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:close": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:withdraw": lambda o: {"proposition_id": o.proposition.pk},
    "decisions:action_create": lambda o: {"proposition_id": o.action.proposition_id},
    "decisions:register": lambda o: {},
    "decisions:register_csv": lambda o: {},
    "decisions:actions": lambda o: {},
    "decisions:actions_csv": lambda o: {},
    "decisions:action_status": lambda o: {"action_id": o.action.pk},
    "api:proposition-list": lambda o: {},
    "api:proposition-detail": lambda o: {"pk": o.proposition.pk},
    "api:proposition-ouvrir": lambda o: {"pk": o.proposition.pk},
    "api:proposition-amender": lambda o: {"pk": o.proposition.pk},
    "api:proposition-cloturer": lambda o: {"pk": o.proposition.pk},
    "api:proposition-retirer": lambda o: {"pk": o.proposition.pk},
    "api:proposition-positions": lambda o: {"pk": o.proposition.pk},
    "api:action-list": lambda o: {},
    "api:action-detail": lambda o: {"pk": o.action.pk},
    "api:charte-version-list": lambda o: {},
    "api:charte-version-detail": lambda o: {"number": o.version.number},
    "api:charte-version-signer": lambda o: {"number": o.version.number},
    "api:charte-version-ratifier": lambda o: {"number": o.version.number},
    "api:charte-section-detail": lambda o: {"pk": o.section.pk},
    "api:charte-amendement-list": lambda o: {},
    "api:charte-amendement-detail": lambda o: {"pk": o.amendement.pk},
    "api:charte-amendement-reprendre": lambda o: {"pk": o.amendement.pk},
    "api:charte-regles": lambda o: {},
    "api:instance-list": lambda o: {},
    "api:instance-detail": lambda o: {"pk": o.instance.pk},
    "api:reunion-list": lambda o: {},
    "api:reunion-detail": lambda o: {"pk": o.reunion.pk},
    "api:reunion-envois": lambda o: {"pk": o.reunion.pk},
    "api:reunion-points": lambda o: {"pk": o.reunion.pk},
    "api:reunion-pris-connaissance": lambda o: {"pk": o.reunion.pk},
    "api:reunion-presences": lambda o: {"pk": o.reunion.pk},
    "api:reunion-compte-rendu": lambda o: {"pk": o.reunion.pk},
    "api:projet-list": lambda o: {},
    "api:projet-systemique": lambda o: {},
    "api:projet-detail": lambda o: {"pk": o.projet.pk},
    "api:projet-sante": lambda o: {"pk": o.projet.pk},
    "api:projet-pilotage": lambda o: {"pk": o.projet.pk},
    "api:pilote-list": lambda o: {},
    "api:pilote-detail": lambda o: {"pk": o.pilote.pk},
    "api:contribution-list": lambda o: {},
    "api:contribution-detail": lambda o: {"pk": o.contribution.pk},
    "api:phase-list": lambda o: {},
    "api:phase-detail": lambda o: {"pk": o.phase.pk},
    "api:jalon-list": lambda o: {},
    "api:jalon-detail": lambda o: {"pk": o.jalon.pk},
    "api:jalon-atteint": lambda o: {"pk": o.jalon.pk},
    "api:indicateur-list": lambda o: {},
    "api:indicateur-detail": lambda o: {"pk": o.indicateur.pk},
    "api:referent-list": lambda o: {},
    "api:referent-detail": lambda o: {"pk": o.referent.pk},
    "api:referent-terminer": lambda o: {"pk": o.referent.pk},
    "api:revue-list": lambda o: {},
    "api:revue-detail": lambda o: {"pk": o.revue.pk},
    "api:lien-list": lambda o: {},
    "api:lien-detail": lambda o: {"pk": o.lien.pk},
    "api:axe-list": lambda o: {},
    "api:axe-detail": lambda o: {"pk": o.axe.pk},
    "reseaux_net:reseaux": lambda o: {},
    "reseaux_net:reseau_create": lambda o: {},
    "reseaux_net:mes_donnees": lambda o: {},
    "reseaux_net:echanges": lambda o: {},
    "reseaux_net:echange_add": lambda o: {},
    "reseaux_net:carte": lambda o: {},
    "reseaux_net:qui": lambda o: {},
    "reseaux_net:carte_export": lambda o: {"fmt": "graphml"},
    "reseaux_net:reseau": lambda o: {"reseau_id": o.reseau.pk},
    "reseaux_net:membre_add": lambda o: {"reseau_id": o.reseau.pk},
    "reseaux_net:evenement_add": lambda o: {"reseau_id": o.reseau.pk},
    "reseaux_net:ressource_add": lambda o: {"reseau_id": o.reseau.pk},
    "reseaux_net:reseau_close": lambda o: {"reseau_id": o.reseau.pk},
    "reseaux_net:membre_end": lambda o: {"reseau_id": o.reseau.pk, "item_id": o.membre_reseau.pk},
    "reseaux_net:membre_role": lambda o: {"reseau_id": o.reseau.pk, "item_id": o.membre_reseau.pk},
    "reseaux_net:ressource_withdraw": lambda o: {"reseau_id": o.reseau.pk, "item_id": o.ressource.pk},
    "api:reseau-list": lambda o: {},
    "api:reseau-detail": lambda o: {"pk": o.reseau.pk},
    "api:reseau-clore": lambda o: {"pk": o.reseau.pk},
    "api:reseau-membre-list": lambda o: {},
    "api:reseau-membre-detail": lambda o: {"pk": o.membre_reseau.pk},
    "api:reseau-membre-terminer": lambda o: {"pk": o.membre_reseau.pk},
    "api:reseau-membre-role": lambda o: {"pk": o.membre_reseau.pk},
    "api:reseau-evenement-list": lambda o: {},
    "api:reseau-evenement-detail": lambda o: {"pk": o.evenement.pk},
    "api:reseau-ressource-list": lambda o: {},
    "api:reseau-ressource-detail": lambda o: {"pk": o.ressource.pk},
    "api:reseau-ressource-retirer": lambda o: {"pk": o.ressource.pk},
    "api:echange-list": lambda o: {},
    "api:echange-detail": lambda o: {"pk": o.echange.pk},
    "api:reseau-analyses": lambda o: {},
    "api:reseau-evolution": lambda o: {},
    "reseaux:portfolio": lambda o: {},
    "reseaux:portfolio_csv": lambda o: {},
    "reseaux:parity": lambda o: {},
    "reseaux:systemic": lambda o: {},
    "reseaux:axes": lambda o: {},
    "reseaux:priorisation": lambda o: {},
    "reseaux:projet_create": lambda o: {},
    "reseaux:projet": lambda o: {"projet_id": o.projet.pk},
    "reseaux:fiche": lambda o: {"projet_id": o.projet.pk},
    "reseaux:projet_edit": lambda o: {"projet_id": o.projet.pk},
    "reseaux:pilotage": lambda o: {"projet_id": o.projet.pk},
    "reseaux:health": lambda o: {"projet_id": o.projet.pk},
    "reseaux:contribution": lambda o: {"projet_id": o.projet.pk},
    "reseaux:contribution_remove": lambda o: {"projet_id": o.projet.pk, "item_id": o.contribution.pk},
    "reseaux:referent_add": lambda o: {"projet_id": o.projet.pk},
    "reseaux:referent_end": lambda o: {"projet_id": o.projet.pk, "item_id": o.referent.pk},
    "reseaux:phase": lambda o: {"projet_id": o.projet.pk},
    "reseaux:jalon_add": lambda o: {"projet_id": o.projet.pk},
    "reseaux:jalon_edit": lambda o: {"projet_id": o.projet.pk, "item_id": o.jalon.pk},
    "reseaux:jalon_reach": lambda o: {"projet_id": o.projet.pk, "item_id": o.jalon.pk},
    "reseaux:indicateur_add": lambda o: {"projet_id": o.projet.pk},
    "reseaux:indicateur_edit": lambda o: {"projet_id": o.projet.pk, "item_id": o.indicateur.pk},
    "reseaux:indicateur_remove": lambda o: {"projet_id": o.projet.pk, "item_id": o.indicateur.pk},
    "reseaux:document_add": lambda o: {"projet_id": o.projet.pk},
    "reseaux:document": lambda o: {"projet_id": o.projet.pk, "item_id": o.document_projet.pk},
    "reseaux:document_withdraw": lambda o: {"projet_id": o.projet.pk, "item_id": o.document_projet.pk},
    "reseaux:revue_add": lambda o: {"projet_id": o.projet.pk},
    "reseaux:lien_add": lambda o: {"projet_id": o.projet.pk},
    "reseaux:lien_delete": lambda o: {"projet_id": o.projet.pk, "item_id": o.lien.pk},
    "codir:portfolio_review": lambda o: {"reunion_id": o.reunion.pk},
    "codir:calendar": lambda o: {},
    "codir:reunion_create": lambda o: {},
    "codir:reunion": lambda o: {"reunion_id": o.reunion.pk},
    "codir:envois": lambda o: {"reunion_id": o.reunion.pk},
    "codir:point_add": lambda o: {"reunion_id": o.reunion.pk},
    "codir:acknowledge": lambda o: {"reunion_id": o.reunion.pk},
    "codir:instance_create": lambda o: {},
    "codir:instances_import": lambda o: {},
    "codir:cancel": lambda o: {"reunion_id": o.reunion.pk},
    "codir:reschedule": lambda o: {"reunion_id": o.reunion.pk},
    "codir:presences": lambda o: {"reunion_id": o.reunion.pk},
    "codir:minutes": lambda o: {"reunion_id": o.reunion.pk},
    "codir:point_move": lambda o: {"reunion_id": o.reunion.pk, "point_id": o.document.point_id},
    "codir:late_consent": lambda o: {"reunion_id": o.reunion.pk, "point_id": o.document.point_id},
    "codir:avis": lambda o: {"reunion_id": o.reunion.pk, "point_id": o.document.point_id},
    "codir:avis_open": lambda o: {"reunion_id": o.reunion.pk, "point_id": o.document.point_id},
    "codir:avis_send": lambda o: {"reunion_id": o.reunion.pk, "point_id": o.document.point_id},
    "codir:deliberation": lambda o: {"reunion_id": o.reunion.pk, "point_id": o.document.point_id},
    "codir:instance": lambda o: {"instance_id": o.instance.pk},
    "codir:document": lambda o: {"document_id": o.document.pk},
    "charte:charte": lambda o: {},
    "charte:start": lambda o: {},
    "charte:draft": lambda o: {},
    "charte:draft_start": lambda o: {},
    "charte:regles": lambda o: {},
    "charte:submit": lambda o: {},
    "charte:section_add": lambda o: {},
    "charte:section": lambda o: {"section_id": o.section.pk},
    "charte:versions": lambda o: {},
    "charte:version": lambda o: {"number": o.version.number},
    "charte:version_markdown": lambda o: {"number": o.version.number},
    "charte:diff": lambda o: {"number": o.version.number, "other": o.version.number},
    "charte:sign": lambda o: {"number": o.version.number},
    "charte:ratify": lambda o: {"number": o.version.number},
    "charte:amendements": lambda o: {},
    "charte:ratification_pdf": lambda o: {"ratification_id": o.ratification.pk},
    "charte:amendement_create": lambda o: {},
    "charte:amendement": lambda o: {"amendement_id": o.amendement.pk},
    "charte:amendement_rebase": lambda o: {"amendement_id": o.amendement.pk},
    "revue:revues": lambda o: {},
    "revue:ouvrir": lambda o: {},
    "revue:partage": lambda o: {},
    "revue:historique_csv": lambda o: {},
    "revue:revue": lambda o: {"year": o.revue_annuelle.year},
    "revue:etape": lambda o: {"year": o.revue_annuelle.year},
    "revue:questionnaire": lambda o: {"year": o.revue_annuelle.year},
    "revue:repondre": lambda o: {"year": o.revue_annuelle.year},
    "revue:seminaire": lambda o: {"year": o.revue_annuelle.year},
    "revue:resultats": lambda o: {"year": o.revue_annuelle.year},
    "revue:indicateurs": lambda o: {"year": o.revue_annuelle.year},
    "revue:indicateurs_csv": lambda o: {"year": o.revue_annuelle.year},
    "revue:rapport": lambda o: {"year": o.revue_annuelle.year},
    "revue:engagement_retirer": lambda o: {"year": o.revue_annuelle.year, "engagement_id": o.engagement.pk},
    "api:revue-annuelle-list": lambda o: {},
    "api:partage-revue": lambda o: {},
    "api:revue-annuelle-detail": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-ouvrir-questionnaire": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-seminaire": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-bilan": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-cloturer": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-engagements": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-questionnaire": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-reponses": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-resultats": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-indicateurs": lambda o: {"year": o.revue_annuelle.year},
    "api:revue-annuelle-engagement-retirer": lambda o: {
        "year": o.revue_annuelle.year,
        "engagement_id": o.engagement.pk,
    },
}


def url_patterns(resolver=None, namespace="", prefix=""):
    """Every URL pattern of the project, as (namespaced name, full route, pattern), includes walked recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, inner, route)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", route, pattern


def territory_url_names() -> set[str]:
    """Names of all URL patterns whose route includes the territory slug."""
    return {name for name, route, _ in url_patterns() if "territoire_slug" in route}


def build_objects(mortagne: Territoire, dgs_epci: Agent, dgs_commune: Agent) -> Objects:
    """Create them through the services (uploads go to MEDIA_ROOT: point it at a temporary folder first)."""
    invitation = services.invitation_create(
        territoire=mortagne,
        collectivite=collectivite(mortagne, "Tiffauges"),
        email="sg@tiffauges.test",
        role=Membership.Role.SG,
        by=dgs_epci,
    )
    membership = dgs_commune.memberships.get()
    closes_at = timezone.now() + timedelta(days=3)
    decided = decision_services.proposition_create(territoire=mortagne, author=dgs_epci, title="Décidée", body="B")
    decision_services.proposition_open(proposition=decided, by=dgs_epci, closes_at=closes_at)
    decision_services.proposition_close(proposition=decided, by=dgs_epci)
    action = decision_services.action_create(proposition=decided, by=dgs_epci, title="Suivre", owner_agent=dgs_epci)
    proposition = decision_services.proposition_create(territoire=mortagne, author=dgs_epci, title="Ouverte", body="B")
    decision_services.proposition_open(proposition=proposition, by=dgs_epci, closes_at=closes_at)
    # The charter: version 1 in force (adopted under the fallback rule, quorum 0 for brevity), a draft, an amendment.
    draft = charte_services.charte_start(territoire=mortagne, by=dgs_epci)
    submitted = charte_services.draft_submit(version=draft, by=dgs_epci, closes_at=closes_at)
    Proposition.objects.filter(pk=submitted.pk).update(quorum_percent=0)
    decision_services.proposition_close(proposition=submitted, by=dgs_epci)
    version = Version.objects.get(pk=draft.pk)
    amendement = charte_services.amendement_propose(
        charte=version.charte,
        by=dgs_epci,
        kind="section",
        section_key="reunions",
        text="T",
        motive="M",
        closes_at=closes_at,
    )
    new_draft = charte_services.draft_start(charte=version.charte, by=dgs_epci)
    ratification = charte_services.ratification_record(
        version=version,
        collectivite=membership.collectivite,
        by=dgs_commune,
        deliberation_date=timezone.localdate(),
        deliberation_number="2026-1",
        document=SimpleUploadedFile("d.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )
    instance = codir_services.instance_create(
        territoire=mortagne, by=dgs_epci, kind="bureau", starts_at=timezone.now() + timedelta(days=20)
    )
    reunion = codir_services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir",
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=2),
        instance=instance,
    )
    point = codir_services.point_add(
        reunion=reunion,
        by=dgs_commune,
        title="Point",
        documents=[SimpleUploadedFile("note.pdf", b"%PDF-1.4", content_type="application/pdf")],
    )
    # The portfolio: a project piloted by Mortagne-sur-Sèvre, followed up, reviewed and linked to another.
    today = timezone.localdate()
    axe = reseaux_services.axe_create(territoire=mortagne, by=dgs_epci, name="Mutualisation")
    projet = reseaux_services.projet_create(
        territoire=mortagne, by=dgs_commune, title="Groupement de commandes", pilotage="commune", axe=axe,
        rotation=[(membership.collectivite, today - timedelta(days=30))],
    )  # fmt: skip
    autre = reseaux_services.projet_create(
        territoire=mortagne, by=dgs_epci, title="Plan de formation", pilotage="epci",
        rotation=[(mortagne.collectivites.get(kind="epci"), today)],
    )  # fmt: skip
    contribution = reseaux_services.contribution_set(
        projet=projet, by=dgs_commune, collectivite=membership.collectivite, amount=Decimal(1000), staff_days=Decimal(2)
    )
    phase = reseaux_services.phase_set(
        projet=projet, by=dgs_commune, kind="co_diagnostic", starts_on=today, ends_on=today, status="en_cours"
    )
    jalon = reseaux_services.jalon_add(projet=projet, by=dgs_commune, title="Cahier des charges", due_on=today)
    indicateur = reseaux_services.indicateur_set(projet=projet, by=dgs_commune, name="Économies", target=Decimal(10))
    referent = reseaux_services.referent_add(projet=projet, by=dgs_commune, agent=dgs_epci)
    revue = reseaux_services.revue_record(projet=projet, by=dgs_commune, held_on=today, progress="P", health="vert")
    lien = reseaux_services.lien_create(source=projet, target=autre, kind="renforce", justification="J", by=dgs_commune)
    document_projet = reseaux_services.document_add(
        projet=projet, by=dgs_commune, upload=SimpleUploadedFile("cadrage.pdf", b"%PDF-1.4", "application/pdf")
    )
    # The networks: one led by the EPCI's DGS, with Mortagne's DGS as member, an event, a resource, an exchange.
    reseau = reseaux_services.reseau_create(territoire=mortagne, by=dgs_epci, name="Réseau finances", kind="metier")
    membre_reseau = reseaux_services.membre_add(reseau=reseau, by=dgs_epci, agent=dgs_commune)
    evenement = reseaux_services.evenement_create(
        reseau=reseau, by=dgs_epci, title="Journée réseau", held_on=today, participants=[dgs_commune]
    )
    ressource = reseaux_services.ressource_add(reseau=reseau, by=dgs_epci, title="Guide", url="https://example.org/")
    echange = reseaux_services.echange_record(
        territoire=mortagne, by=dgs_epci, kind="echange", host=dgs_epci, guest=dgs_commune,
        starts_on=today, ends_on=today, theme="Budget",
    )  # fmt: skip
    # The annual review, at its séminaire, with one commitment; run by a facilitator of the territory.
    facilitator = services.agent_create(
        email="facilitatrice@cnfpt.test", first_name="Anne", last_name="Lebrun", password="Un-mot-de-passe-2026"
    )
    services.facilitator_grant(territoire=mortagne, agent=facilitator, by=None)
    revue_annuelle = revue_services.revue_create(territoire=mortagne, year=today.year, by=facilitator)
    revue_services.revue_open_questionnaire(revue=revue_annuelle, by=facilitator)
    revue_services.revue_start_seminar(revue=revue_annuelle, by=facilitator)
    engagement = revue_services.engagement_add(
        revue=revue_annuelle, by=facilitator, title="Tenir le délai", owner_collectivite=membership.collectivite
    )
    return Objects(
        collectivite=membership.collectivite,
        membership=membership,
        seat=Seat.objects.get(membership=membership),
        invitation=invitation,
        journal_entry=JournalEntry.objects.filter(territoire=mortagne).first(),
        proposition=proposition,
        action=action,
        version=version,
        section=new_draft.sections.get(key="reunions"),
        amendement=amendement,
        ratification=ratification,
        instance=instance,
        reunion=reunion,
        document=point.documents.get(),
        axe=axe,
        projet=projet,
        pilote=projet.pilotes.get(),
        contribution=contribution,
        phase=phase,
        jalon=jalon,
        indicateur=indicateur,
        referent=referent,
        revue=revue,
        lien=lien,
        document_projet=document_projet,
        reseau=reseau,
        membre_reseau=membre_reseau,
        evenement=evenement,
        ressource=ressource,
        echange=echange,
        revue_annuelle=revue_annuelle,
        engagement=engagement,
    )
