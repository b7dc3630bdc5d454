"""Set up the demo: the real CC du Pays de Mortagne, a demo agent for each role, a second territory.

Idempotent: running it again leaves existing demo accounts as they are.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from charte import services as charte
from charte.models import Charte
from codir import dispatch
from codir import services as meetings
from codir.models import Reunion
from codir.revue.demo import ensure_demo_revues
from communes import services
from communes.importer import find_epci, load_extract, territoires_import
from communes.models import Agent, Collectivite, Membership, Seat, Territoire
from communes.personal_data import agent_erase
from comptes.demo import DEMO_TOTP_SECRET, demo_devices, ensure_demo_second_factors
from decisions import services as decisions
from decisions.models import Proposition
from reseaux import services as portfolio
from reseaux.models import Axe, Jalon, Projet, Reseau

MORTAGNE_SIREN = "248500662"  # CC du Pays de Mortagne (Vendée), 11 communes
ACHARDS_SIREN = "248500530"  # CC du Pays des Achards (Vendée), the "other territory"
DEFAULT_PASSWORD = "Codir-demo-2026"  # printed on purpose: demo accounts only, refused when DEBUG is off


@dataclass(frozen=True)
class Persona:
    email: str
    first_name: str
    last_name: str
    job_title: str
    epci_siren: str
    collectivite: str  # name of the collectivité in that territory
    role: str
    seat: str = ""
    admin: bool = False
    label: str = ""


PERSONAS = [
    Persona(
        "dgs.epci@paysdemortagne.test",
        "Claire",
        "Bernard",
        "Directrice générale des services",
        MORTAGNE_SIREN,
        "CC du Pays de Mortagne",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        label="DGS de l'EPCI (administre le territoire)",
    ),
    Persona(
        "dga.epci@paysdemortagne.test",
        "Julien",
        "Moreau",
        "Directeur général adjoint, ressources",
        MORTAGNE_SIREN,
        "CC du Pays de Mortagne",
        Membership.Role.DGA,
        Seat.Kind.SUPPLEANT,
        label="DGA de l'EPCI (suppléant)",
    ),
    Persona(
        "dgs@mortagne-sur-sevre.test",
        "Sophie",
        "Guérin",
        "Directrice générale des services",
        MORTAGNE_SIREN,
        "Mortagne-sur-Sèvre",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        label="DGS d'une commune (Mortagne-sur-Sèvre, 6 065 hab.)",
    ),
    Persona(
        "dgs@chanverrie.test",
        "Antoine",
        "Rousseau",
        "Directeur général des services",
        MORTAGNE_SIREN,
        "Chanverrie",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        label="DGS d'une commune (Chanverrie)",
    ),
    Persona(
        "dgs@saint-laurent-sur-sevre.test",
        "Nathalie",
        "Chauvet",
        "Directrice générale des services",
        MORTAGNE_SIREN,
        "Saint-Laurent-sur-Sèvre",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
    ),
    Persona(
        "sg@la-gaubretiere.test",
        "Marc",
        "Girard",
        "Secrétaire général",
        MORTAGNE_SIREN,
        "La Gaubretière",
        Membership.Role.SG,
        Seat.Kind.TITULAIRE,
    ),
    Persona(
        "sg@les-landes-genusson.test",
        "Isabelle",
        "Roy",
        "Secrétaire générale",
        MORTAGNE_SIREN,
        "Les Landes-Genusson",
        Membership.Role.SG,
        Seat.Kind.TITULAIRE,
    ),
    Persona(
        "sg@tiffauges.test",
        "Laurent",
        "Barbeau",
        "Secrétaire général de mairie",
        MORTAGNE_SIREN,
        "Tiffauges",
        Membership.Role.SG,
        Seat.Kind.TITULAIRE,
    ),
    Persona(
        "sg@mallievre.test",
        "Élodie",
        "Martineau",
        "Secrétaire générale de mairie",
        MORTAGNE_SIREN,
        "Mallièvre",
        Membership.Role.SG,
        Seat.Kind.TITULAIRE,
        label="SG d'une petite commune (Mallièvre, 240 hab.)",
    ),
    Persona(
        "finances@paysdemortagne.test",
        "Thomas",
        "Charrier",
        "Responsable des finances, référent du réseau finances",
        MORTAGNE_SIREN,
        "CC du Pays de Mortagne",
        Membership.Role.REFERENT,
        label="Référent de réseau (finances)",
    ),
    Persona(
        "elu@paysdemortagne.test",
        "Bernard",
        "Pineau",
        "Vice-président chargé de la mutualisation",
        MORTAGNE_SIREN,
        "CC du Pays de Mortagne",
        Membership.Role.OBSERVATEUR,
        label="Élu observateur (lecture seule)",
    ),
    Persona(
        "dgs.epci@paysdesachards.test",
        "Hélène",
        "Fradet",
        "Directrice générale des services",
        ACHARDS_SIREN,
        "CC du Pays des Achards",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        label="Agent d'un autre territoire (Pays des Achards)",
    ),
]

FACILITATOR = {
    "email": "facilitatrice@cnfpt.test",
    "first_name": "Anne",
    "last_name": "Lebrun",
    "job_title": "Consultante en organisation, CNFPT Pays de la Loire",
}


class Command(BaseCommand):
    help = "Prépare le territoire de démonstration (CC du Pays de Mortagne) et ses comptes."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="mot de passe des comptes de démonstration")

    def handle(self, *args, password: str, **options):
        if not settings.DEBUG and password == DEFAULT_PASSWORD:
            raise CommandError("Refusé : DEBUG est désactivé ; choisissez un autre --password pour une démonstration.")
        records = load_extract()
        wanted = [find_epci(records, siren)[0] for siren in (MORTAGNE_SIREN, ACHARDS_SIREN)]
        self.stdout.write("Import des territoires réels (découpage administratif 6.0.0)…")
        territoires_import(wanted, progress=lambda done, total: self.stdout.write(f"  {done}/{total} EPCI"))
        with transaction.atomic():
            for index, persona in enumerate(PERSONAS, start=1):
                self.stdout.write(f"  compte {index}/{len(PERSONAS)} : {persona.email}")
                self._ensure_persona(persona, password)
            facilitator = self._ensure_facilitator(password)
            self._ensure_pending_invitation()
            self.stdout.write("  décisions du CoDir (registre, décision en cours, actions de suivi)")
            self._ensure_decisions()
            self.stdout.write("  charte (version adoptée, amendement adopté, amendement en cours, signatures)")
            self._ensure_charte()
            self.stdout.write("  réunions (conseil, bureau, CoDir préparatoires, ordres du jour, envois)")
            self._ensure_meetings()
            self.stdout.write("  un ancien DGA de Chanverrie parti et effacé à sa demande (RGPD)")
            self._ensure_erased_agent()
            self.stdout.write("  portefeuille de projets (pilotages, liens systémiques)")
            self._ensure_projets()
            self.stdout.write("  réseaux métiers et de fonction, journées réseau, échanges « vis ma vie »")
            self._ensure_reseaux()
            self.stdout.write("  revues annuelles (facilitatrice du CNFPT)")
            ensure_demo_revues(facilitator, self.stdout.write)
            admin = Agent.objects.filter(email="admin@codir.test").first()
            if admin is None:
                Agent.objects.create_superuser("admin@codir.test", password, first_name="Admin", last_name="Plateforme")
            demo_emails = [persona.email for persona in PERSONAS] + [facilitator.email, "admin@codir.test"]
            if settings.DEBUG:
                # The demo's secret is public: outside a development demo each account enrols its own.
                ensure_demo_second_factors(demo_emails, self.stdout.write)
        mortagne = Territoire.objects.get(siren=MORTAGNE_SIREN)
        self.stdout.write(self.style.SUCCESS(f"\nTerritoire de démonstration : {mortagne.name} — /t/{mortagne.slug}/"))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {password}) :")
        for persona in PERSONAS:
            if persona.label:
                self.stdout.write(f"  {persona.label:<55} {persona.email}")
        self.stdout.write(f"  {'Facilitatrice (CNFPT), accompagne les deux territoires':<55} {facilitator.email}")
        self.stdout.write(f"  {'Administration technique (/admin/)':<55} admin@codir.test")
        if demo_devices():
            self.stdout.write(
                "Double authentification obligatoire pour le DGS de l'EPCI, la facilitatrice et l'administration : "
                f"ajoutez la clé {DEMO_TOTP_SECRET} à une application d'authentification, "
                "ou lisez le code du moment avec « python manage.py code_demo »."
            )

    def _ensure_persona(self, persona: Persona, password: str) -> None:
        territoire = Territoire.objects.get(siren=persona.epci_siren)
        collectivite = Collectivite.objects.get(territoire=territoire, name=persona.collectivite)
        agent = Agent.objects.filter(email=persona.email).first()
        if agent is None:
            agent = services.agent_create(
                email=persona.email,
                first_name=persona.first_name,
                last_name=persona.last_name,
                password=password,
                collectivite=collectivite,
                job_title=persona.job_title,
            )
        membership = Membership.objects.active().filter(agent=agent, territoire=territoire).first()
        if membership is None:
            membership = services.membership_add(
                territoire=territoire, agent=agent, collectivite=collectivite, role=persona.role, by=None
            )
        if persona.seat and not Seat.objects.active().filter(membership=membership).exists():
            services.seat_assign(collectivite=collectivite, kind=persona.seat, membership=membership, by=None)

    def _ensure_facilitator(self, password: str) -> Agent:
        facilitator = Agent.objects.filter(email=FACILITATOR["email"]).first()
        if facilitator is None:
            facilitator = services.agent_create(password=password, **FACILITATOR)
        for territoire in Territoire.objects.filter(siren__in=[MORTAGNE_SIREN, ACHARDS_SIREN]):
            if not facilitator.has_perm("communes.facilitate_territoire", territoire):
                services.facilitator_grant(territoire=territoire, agent=facilitator, by=None)
        return facilitator

    def _ensure_pending_invitation(self) -> None:
        """Saint-Malô-du-Bois has nobody yet: its new DGS has been invited."""
        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if territoire.invitations.exists():
            return
        services.invitation_create(
            territoire=territoire,
            collectivite=Collectivite.objects.get(territoire=territoire, name="Saint-Malô-du-Bois"),
            email="dgs@saint-malo-du-bois.test",
            role=Membership.Role.DGS,
            seat_kind=Seat.Kind.TITULAIRE,
            by=Agent.objects.get(email="dgs.epci@paysdemortagne.test"),
        )

    def _ensure_decisions(self) -> None:
        """A register with decisions of every kind, an open one with an objection, follow-up actions."""
        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if Proposition.objects.for_territoire(territoire).exists():
            return
        agent = {p.collectivite: Agent.objects.get(email=p.email) for p in PERSONAS if p.seat == Seat.Kind.TITULAIRE}
        dgs_epci = agent["CC du Pays de Mortagne"]
        in_a_week = timezone.now() + timedelta(days=7)

        def put(title, body, kind, author=dgs_epci, **rule):
            proposition = decisions.proposition_create(
                territoire=territoire, author=author, title=title, body=body, kind=kind, **rule
            )
            return decisions.proposition_open(proposition=proposition, by=author, closes_at=in_a_week)

        def express(proposition, choices):
            for collectivite, (choice, motive) in choices.items():
                decisions.position_express(
                    proposition=proposition, agent=agent[collectivite], choice=choice, motive=motive
                )

        avis = put(
            "Avis technique : arrêt du projet de PLUi (bureau communautaire du 9 décembre)",
            "Le CoDir est invité à rendre un avis technique sur le projet de **plan local d'urbanisme "
            "intercommunal** avant son arrêt par le bureau communautaire.\n\n"
            "- zonage des hameaux : règles harmonisées ;\n- densité minimale de 17 logements/ha dans les bourgs ;\n"
            "- orientations d'aménagement pour les zones d'activités de Mortagne et de Chanverrie.",
            Proposition.Kind.AVIS_TECHNIQUE,
            mode="majorite",
        )
        express(
            avis,
            {
                "CC du Pays de Mortagne": ("pour", ""),
                "Mortagne-sur-Sèvre": ("pour", ""),
                "Chanverrie": ("pour", ""),
                "Saint-Laurent-sur-Sèvre": ("contre", "La densité de 17 logements/ha est irréaliste dans nos hameaux."),
                "La Gaubretière": ("pour", ""),
                "Tiffauges": ("abstention", ""),
                "Mallièvre": ("pour", ""),
            },
        )
        avis = decisions.proposition_close(proposition=avis, by=dgs_epci)
        decisions.action_create(
            proposition=avis,
            by=dgs_epci,
            title="Transmettre l'avis technique aux élus du bureau",
            owner_agent=dgs_epci,
            due_date=timezone.localdate() + timedelta(days=5),
        )
        decisions.action_create(
            proposition=avis,
            by=dgs_epci,
            title="Proposer une densité différenciée pour les hameaux",
            owner_collectivite=Collectivite.objects.get(territoire=territoire, name="Saint-Laurent-sur-Sèvre"),
            due_date=timezone.localdate() - timedelta(days=2),
        )

        calendrier = put(
            "Calendrier des CoDir 2027 : une réunion le mardi précédant chaque bureau",
            "Le CoDir se réunit **le mardi matin** précédant chaque bureau communautaire, "
            "par rotation dans les mairies du territoire.",
            Proposition.Kind.LIBRE,
        )
        objection = decisions.position_express(
            proposition=calendrier,
            agent=agent["La Gaubretière"],
            choice="objection",
            motive="Le mardi matin, le secrétariat de mairie de La Gaubretière tient la permanence des élus.",
        )
        decisions.proposition_amend(
            proposition=calendrier,
            by=dgs_epci,
            body="Le CoDir se réunit **le jeudi matin** précédant chaque bureau communautaire, "
            "par rotation dans les mairies du territoire.",
            responses={objection.pk: "Réunion déplacée au jeudi matin, libre pour toutes les communes."},
            closes_at=in_a_week,
        )
        express(calendrier, {name: ("pour", "") for name in list(agent)[:7]})
        decisions.proposition_close(proposition=calendrier, by=dgs_epci)

        ads = put(
            "Mutualiser l'instruction des autorisations d'urbanisme (service commun ADS)",
            "À partir du 1er avril, le service commun de l'EPCI instruit **toutes** les autorisations "
            "d'urbanisme des communes membres ; chaque commune garde l'accueil du public et la signature "
            "du maire.\n\nCoût réparti au nombre d'actes instruits (bilan annuel présenté au CoDir).",
            Proposition.Kind.PROJET,
            author=agent["Mortagne-sur-Sèvre"],
        )
        express(
            ads,
            {
                "CC du Pays de Mortagne": ("pour", ""),
                "Mortagne-sur-Sèvre": ("pour", ""),
                "Chanverrie": ("pour", ""),
                "Mallièvre": (
                    "objection",
                    "Mallièvre n'a pas d'agent formé à la saisie en ligne : qui numérise les dossiers papier ?",
                ),
            },
        )

    def _ensure_charte(self) -> None:
        """The starter charter rewritten and adopted, a rule amended (48 h → 72 h), another amendment open."""
        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if Charte.objects.filter(territoire=territoire).exists():
            return
        agent = {p.collectivite: Agent.objects.get(email=p.email) for p in PERSONAS if p.seat == Seat.Kind.TITULAIRE}
        dgs_epci = agent["CC du Pays de Mortagne"]
        in_a_week = timezone.now() + timedelta(days=7)

        def adopt(proposition):
            for voice in list(agent.values())[:7]:
                decisions.position_express(proposition=proposition, agent=voice, choice="pour")
            decisions.proposition_close(proposition=proposition, by=proposition.author)

        draft = charte.charte_start(territoire=territoire, by=dgs_epci)
        reunions = draft.sections.get(key="reunions")
        charte.section_save(
            section=reunions,
            by=agent["Mortagne-sur-Sèvre"],
            title=reunions.title,
            body=reunions.body.replace(
                "Le CoDir se réunit avant chaque bureau communautaire",
                "Le CoDir se réunit le jeudi matin précédant chaque bureau communautaire",
            ),
            based_on_revision=reunions.revision,
        )
        adopt(charte.draft_submit(version=draft, by=dgs_epci, closes_at=in_a_week))
        rule = charte.amendement_propose(
            charte=draft.charte,
            by=agent["Chanverrie"],
            kind="regle",
            rule_name="delai_prevenance_heures",
            rule_value=72,
            motive="48 heures ne suffisent pas aux secrétaires de mairie pour lire les dossiers du bureau.",
            closes_at=in_a_week,
        )
        adopt(rule.proposition)
        charte.amendement_propose(
            charte=draft.charte,
            by=agent["Mallièvre"],
            kind="section",
            section_key="pacte-de-confiance",
            text=draft.sections.get(key="pacte-de-confiance").body
            + "\n- accueillir chaque année un ou une collègue d'une autre commune pour une journée « vis ma vie ».",
            motive="Rendre concret l'engagement d'entraide entre petites et grandes communes.",
            closes_at=in_a_week,
        )
        in_force = draft.charte.versions.get(status="adoptee")
        for name in ("CC du Pays de Mortagne", "Mortagne-sur-Sèvre", "Chanverrie", "Mallièvre"):
            charte.version_sign(version=in_force, by=agent[name])

    def _ensure_meetings(self) -> None:
        """A conseil and a bureau ahead, the CoDir that prepares the bureau with items and documents,
        and last month's CoDir whose agenda went out (with one reader who acknowledged it)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if Reunion.objects.for_territoire(territoire).exists():
            return
        agent = {p.collectivite: Agent.objects.get(email=p.email) for p in PERSONAS if p.seat == Seat.Kind.TITULAIRE}
        dgs_epci = agent["CC du Pays de Mortagne"]
        today = timezone.localdate()

        def at(days: int, hour: int):
            return timezone.make_aware(
                timezone.datetime.combine(today + timedelta(days=days), timezone.datetime.min.time()).replace(hour=hour)
            )

        def pdf(name: str) -> SimpleUploadedFile:
            body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
            return SimpleUploadedFile(name, body, content_type="application/pdf")

        past = meetings.instance_create(
            territoire=territoire,
            by=dgs_epci,
            kind="bureau",
            starts_at=at(-20, 18),
            place="Siège de la communauté, Mortagne-sur-Sèvre",
        )
        last = Reunion.objects.create(
            territoire=territoire, instance=past, title="CoDir préparatoire au bureau communautaire",
            starts_at=at(-27, 9), ends_at=at(-27, 11), place="Mairie de Chanverrie", created_by=dgs_epci,
            host=Collectivite.objects.get(territoire=territoire, name="Chanverrie"), animateur=agent["Chanverrie"],
        )  # fmt: skip
        PointOdj = last.points.model
        PointOdj.objects.create(
            reunion=last, position=1, title="Bilan du plan de formation mutualisé", added_by=agent["Chanverrie"],
            presenter=last.host, description="Taux de participation par commune.", description_html="<p>Taux de participation par commune.</p>",
        )  # fmt: skip
        dispatch.dispatch_due(now=at(-29, 12))
        # Last month's mails are history: they are not printed on the demo's console again.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            dispatch.send_pending(now=at(-29, 12))
        dispatch.acknowledge(reunion=last, agent=agent["Mortagne-sur-Sèvre"], now=at(-28, 14))

        conseil = meetings.instance_create(
            territoire=territoire, by=dgs_epci, kind="conseil", starts_at=at(21, 19), place="Salle du conseil, Mortagne-sur-Sèvre",
            agenda="- Budget primitif 2027\n- Pacte financier et fiscal\n- Arrêt du PLUi",
        )  # fmt: skip
        bureau = meetings.instance_create(
            territoire=territoire, by=dgs_epci, kind="bureau", starts_at=at(14, 18), place="Siège de la communauté",
            agenda="- Service commun ADS : convention\n- Groupement de commandes fournitures",
        )  # fmt: skip
        proposal = meetings.reunion_proposal(territoire, bureau)
        reunion = meetings.reunion_create(
            territoire=territoire, by=dgs_epci, title="CoDir préparatoire au bureau communautaire",
            starts_at=proposal.starts_at, ends_at=proposal.starts_at + timedelta(hours=2),
            place=f"Mairie de {proposal.host.name}" if proposal.host else "", host=proposal.host,
            animateur=proposal.animateur, instance=bureau,
        )  # fmt: skip
        meetings.point_add(
            reunion=reunion, by=agent["Mortagne-sur-Sèvre"], title="Service commun ADS : projet de convention",
            description="Répartition du coût au nombre d'actes ; **permanence mensuelle** dans les communes de moins de 500 habitants.",
            presenter=Collectivite.objects.get(territoire=territoire, name="Mortagne-sur-Sèvre"), duration_minutes=30,
            documents=[pdf("convention-ads-projet.pdf")],
        )  # fmt: skip
        meetings.point_add(
            reunion=reunion, by=agent["Mallièvre"], title="Groupement de commandes : fournitures de bureau 2027",
            presenter=Collectivite.objects.get(territoire=territoire, name="Mallièvre"), duration_minutes=15,
            documents=[pdf("besoins-fournitures-2027.pdf")],
        )  # fmt: skip
        meetings.reunion_create(
            territoire=territoire, by=dgs_epci, title="CoDir préparatoire au conseil communautaire",
            starts_at=at(13, 9), ends_at=at(13, 11), instance=conseil,
        )  # fmt: skip

    def _ensure_erased_agent(self) -> None:
        """Chanverrie's former DGA put an item on the agenda, then left and asked for erasure: the item stays,
        proposed by « Personne effacée »."""
        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if Agent.objects.filter(erased_at__isnull=False, memberships__territoire=territoire).exists():
            return
        chanverrie = Collectivite.objects.get(territoire=territoire, name="Chanverrie")
        former = services.agent_create(
            email="thomas.renaud@chanverrie.test",
            password=None,
            first_name="Thomas",
            last_name="Renaud",
            collectivite=chanverrie,
            job_title="Directeur général adjoint",
        )
        services.membership_add(
            territoire=territoire, agent=former, collectivite=chanverrie, role=Membership.Role.DGA, by=None
        )
        reunion = (
            Reunion.objects.filter(territoire=territoire, instance__kind="bureau", starts_at__gt=timezone.now())
            .order_by("starts_at")
            .first()
        )
        meetings.point_add(
            reunion=reunion, by=former, title="Commande publique mutualisée : bilan 2026",
            description="Bilan préparé par Thomas Renaud avant son départ : 14 marchés groupés, 9 communes adhérentes.",
            presenter=chanverrie, duration_minutes=10,
        )  # fmt: skip
        agent_erase(agent=former, by=None)

    def _ensure_reseaux(self) -> None:
        """Three networks with référents and members from several communes (one who left), a journée réseau,
        a shared resource and two exchanges; Les Landes-Génusson and others stay without a network."""
        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if Reseau.objects.for_territoire(territoire).exists():
            return
        today = timezone.localdate()
        year_ago = today - timedelta(days=400)

        def who(email):
            return Agent.objects.get(email=email)

        finances = portfolio.reseau_create(
            territoire=territoire, by=who("finances@paysdemortagne.test"), name="Réseau finances", kind="metier",
            created_on=year_ago, description="Préparation budgétaire, exécution, **fiscalité locale** et "
            "dotations : les agents des finances des communes et de l'EPCI partagent leurs pratiques.",
        )  # fmt: skip
        secretaires = portfolio.reseau_create(
            territoire=territoire, by=who("sg@tiffauges.test"), name="Réseau des secrétaires de mairie",
            kind="fonction", created_on=year_ago,
            description="Entraide entre secrétaires de mairie : état civil, urbanisme, remplacements pendant les congés.",
        )  # fmt: skip
        ads = Projet.objects.get(territoire=territoire, title="Service commun d'instruction du droit des sols")
        reseau_ads = portfolio.reseau_create(
            territoire=territoire, by=who("dga.epci@paysdemortagne.test"), name="Réseau instructeurs ADS",
            kind="projet", projet=ads, created_on=year_ago,
        )  # fmt: skip
        for reseau, email, since in [
            (finances, "dgs@mortagne-sur-sevre.test", year_ago),
            (finances, "dgs@chanverrie.test", year_ago),
            (finances, "dgs@saint-laurent-sur-sevre.test", today - timedelta(days=90)),
            (secretaires, "sg@mallievre.test", year_ago),
            (secretaires, "sg@la-gaubretiere.test", year_ago),
            (reseau_ads, "dgs@mortagne-sur-sevre.test", year_ago),
            (reseau_ads, "sg@la-gaubretiere.test", year_ago),
        ]:
            portfolio.membre_add(reseau=reseau, by=reseau.created_by, agent=who(email), since=since)
        # Chanverrie's DGS left the finances network last spring: the map of last year still shows the tie.
        leaving = finances.membres.get(agent=who("dgs@chanverrie.test"))
        portfolio.membre_end(membre=leaving, by=finances.created_by, until=today - timedelta(days=200))
        portfolio.evenement_create(
            reseau=finances, by=finances.created_by, title="Journée réseau : préparer le budget 2027",
            held_on=today - timedelta(days=45), place="Mortagne-sur-Sèvre, salle des fêtes",
            participants=[who("dgs@mortagne-sur-sevre.test"), who("dgs@saint-laurent-sur-sevre.test"),
                          who("sg@tiffauges.test")],
        )  # fmt: skip
        portfolio.ressource_add(
            reseau=finances, by=finances.created_by, title="Guide de la préparation budgétaire (DGCL)",
            url="https://www.collectivites-locales.gouv.fr/finances-locales",
        )  # fmt: skip
        portfolio.echange_record(
            territoire=territoire, by=who("sg@mallievre.test"), kind="vis_ma_vie", host=who("dgs@chanverrie.test"),
            guest=who("sg@mallievre.test"), starts_on=today - timedelta(days=120), ends_on=today - timedelta(days=119),
            theme="Une journée au service urbanisme de Chanverrie",
            learnt="Comment organiser le pré-instruction des déclarations préalables avant l'envoi au service commun.",
        )  # fmt: skip
        portfolio.echange_record(
            territoire=territoire, by=who("dgs.epci@paysdemortagne.test"), kind="echange",
            host=who("dgs.epci@paysdemortagne.test"), guest=who("sg@tiffauges.test"),
            starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=30),
            theme="Transfert de la compétence eau : ce qui change pour les mairies",
        )  # fmt: skip

    def _ensure_projets(self) -> None:
        """Three axes and four projects piloted in every mode, linked to each other."""
        territoire = Territoire.objects.get(siren=MORTAGNE_SIREN)
        if Projet.objects.for_territoire(territoire).exists():
            return
        dgs_epci = Agent.objects.get(email="dgs.epci@paysdemortagne.test")
        axes = [
            Axe.objects.create(territoire=territoire, name=name, position=index)
            for index, name in enumerate(["Services aux habitants", "Ressources partagées", "Coopération des équipes"])
        ]

        def place(name):
            return Collectivite.objects.get(territoire=territoire, name=name)

        today = timezone.localdate()
        ads = portfolio.projet_create(
            territoire=territoire, by=dgs_epci, title="Service commun d'instruction du droit des sols", axe=axes[0],
            pilotage="epci", rotation=[(place("CC du Pays de Mortagne"), today - timedelta(days=200))], status="en_cours",
        )  # fmt: skip
        achats = portfolio.projet_create(
            territoire=territoire, by=dgs_epci, title="Groupement de commandes de fournitures", axe=axes[1],
            pilotage="copilotage", status="en_cours",
            rotation=[(place("Mortagne-sur-Sèvre"), today - timedelta(days=90)), (place("Chanverrie"), today - timedelta(days=90))],
        )  # fmt: skip
        formation = portfolio.projet_create(
            territoire=territoire, by=dgs_epci, title="Plan de formation mutualisé des secrétaires de mairie", axe=axes[2],
            pilotage="alterne", status="en_cours", starts_on=today - timedelta(days=200), review_every_months=4,
            rotation=[
                (place("La Gaubretière"), today - timedelta(days=200)), (place("Mallièvre"), today - timedelta(days=3)),
                (place("Chanverrie"), today + timedelta(days=180)),
            ],
            objectives="- Former chaque année les secrétaires de mairie aux **budgets** et à l'**état civil**\n"
            "- Organiser des remplacements entre communes pendant les formations",
            expected_effects="Moins de postes vacants, des absences remplacées, une culture commune.",
            resources="Intervenants du CNFPT ; salle du siège de la communauté de communes.",
        )  # fmt: skip
        schema = portfolio.projet_create(
            territoire=territoire, by=dgs_epci, title="Schéma de mutualisation 2027-2032", axe=axes[1],
            pilotage="commune", rotation=[(place("Saint-Laurent-sur-Sèvre"), today - timedelta(days=10))], status="idee",
        )  # fmt: skip
        links = [
            (schema, ads, "renforce", "Le schéma inscrit le service commun dans la durée."),
            (ads, schema, "renforce", "Le bilan du service nourrit le schéma."),
            (formation, ads, "depend_de", "Former les agents d'accueil des mairies à l'instruction."),
            (achats, schema, "mutualise_avec", "Mêmes marchés et même calendrier de consultation."),
        ]
        for source, target, kind, why in links:
            portfolio.lien_create(source=source, target=target, kind=kind, justification=why, by=dgs_epci)
        self._follow_up(territoire, dgs_epci, ads, achats, formation)
        portfolio.priorisation_create(
            territoire=territoire, by=dgs_epci, title="Projets à lancer en 2027", projets=[schema],
            intro="Au vu du classement systémique, l'EPCI propose de lancer le schéma de mutualisation dès janvier.",
        )  # fmt: skip

    def _follow_up(self, territoire, dgs_epci, ads, achats, formation) -> None:
        """Phases, milestones (one late), indicators, co-financing, référents, reviews and a health change."""
        today = timezone.localdate()
        dgs_mortagne = Agent.objects.get(email="dgs@mortagne-sur-sevre.test")
        finances = Agent.objects.get(email="finances@paysdemortagne.test")

        def place(name):
            return Collectivite.objects.get(territoire=territoire, name=name)

        for projet, kind, start, end, status in [
            (ads, "co_diagnostic", -400, -300, "terminee"),
            (ads, "co_elaboration", -300, -200, "terminee"),
            (ads, "co_financement", -220, -180, "terminee"),
            (ads, "co_production", -180, 180, "en_cours"),
            (achats, "co_diagnostic", -90, -30, "terminee"),
            (achats, "co_elaboration", -30, 60, "en_cours"),
            (formation, "co_diagnostic", -200, -120, "terminee"),
            (formation, "co_production", -120, 240, "en_cours"),
        ]:
            portfolio.phase_set(projet=projet, by=dgs_epci, kind=kind, starts_on=today + timedelta(days=start),
                                ends_on=today + timedelta(days=end), status=status)  # fmt: skip
        for projet, title, due, done in [
            (ads, "Convention de service commun signée par les 11 communes", -210, -215),
            (ads, "Logiciel d'instruction déployé dans toutes les mairies", -40, -35),
            (ads, "Premier bilan annuel présenté au conseil communautaire", 60, None),
            (achats, "Recensement des besoins de fournitures 2027", -12, None),
            (achats, "Consultation publiée", 45, None),
            (formation, "Calendrier de formation 2027 arrêté", 20, None),
        ]:
            jalon = portfolio.jalon_add(projet=projet, by=dgs_epci, title=title, due_on=today + timedelta(days=due))
            if done is not None:
                Jalon.objects.filter(pk=jalon.pk).update(done_on=today + timedelta(days=done))
        portfolio.indicateur_set(projet=ads, by=dgs_epci, name="Délai moyen d'instruction d'un permis de construire",
                                 unit="jours", target=Decimal(45), measured=Decimal(52))  # fmt: skip
        portfolio.indicateur_set(projet=ads, by=dgs_epci, name="Communes adhérentes au service commun",
                                 unit="communes", target=Decimal(11), measured=Decimal(11))  # fmt: skip
        portfolio.indicateur_set(projet=achats, by=dgs_mortagne, name="Économie sur les achats groupés",
                                 unit="%", target=Decimal(12))  # fmt: skip
        for projet, name, amount, days in [
            (ads, "CC du Pays de Mortagne", 60000, 220),
            (ads, "Mortagne-sur-Sèvre", 8000, 0),
            (achats, "Mortagne-sur-Sèvre", 2500, 6),
            (achats, "Chanverrie", 2500, 6),
            (achats, "Tiffauges", 800, 2),
            (formation, "CC du Pays de Mortagne", 4000, 10),
            (formation, "Mallièvre", 0, 4),
        ]:
            portfolio.contribution_set(projet=projet, by=dgs_epci, collectivite=place(name), amount=Decimal(amount),
                                       staff_days=Decimal(days))  # fmt: skip
        portfolio.referent_add(projet=ads, by=dgs_epci, agent=finances)
        portfolio.referent_add(projet=achats, by=dgs_mortagne, agent=finances)
        portfolio.revue_record(
            projet=ads, by=dgs_epci, held_on=today - timedelta(days=75), health="vert",
            progress="Les 11 communes ont rejoint le service ; le logiciel est en cours de déploiement.",
            next_steps="Former les agents d'accueil des mairies au dépôt en ligne.",
            collectivites=[place("CC du Pays de Mortagne"), place("Mortagne-sur-Sèvre"), place("Tiffauges")],
        )  # fmt: skip
        portfolio.revue_record(
            projet=achats, by=dgs_mortagne, held_on=today - timedelta(days=20), health="orange",
            health_reason="Le recensement des besoins prend du retard dans trois communes.",
            progress="Cahier des charges rédigé ; besoins reçus de 8 communes sur 11.",
            next_steps="Relancer les communes manquantes avant le prochain CoDir.",
            collectivites=[place("Mortagne-sur-Sèvre"), place("Chanverrie")],
        )  # fmt: skip
