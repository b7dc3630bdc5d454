"""A deterministic national data set: every real territory with years of CoDir life, for load and scale work.

The per-object services would take hours for ~70,000 agents, so rows are built in memory per batch of
territories and written with `bulk_create`, parents before children (Django fills a child's foreign key
from its parent's primary key once the parent is inserted). Every model invariant still holds: one active
titulaire per collectivité, unique e-mails, one voice per collectivité and round, one adopted charter
version, and the guardian permissions the access code reads (project pilots, network référents).

Each territory draws from its own `random.Random(f"{seed}-{siren}")`, so a territory's data does not
depend on which other territories are generated alongside it.
"""

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils.text import slugify
from guardian.models import UserObjectPermission

from charte.models import Charte, Regles, Section, Version
from charte.starter import STARTER_SECTIONS
from codir.models import AgendaVersion, Envoi, PointOdj, Presence, Reunion
from communes.importer import EpciRecord, territoires_import
from communes.models import Agent, Collectivite, Membership, Seat, Territoire
from communes.text import render_markdown
from decisions.models import Position, Proposition, Round
from reseaux.models import MembreReseau, Pilote, Projet, Reseau

PARIS = ZoneInfo("Europe/Paris")
BATCH_TERRITOIRES = 25
INSERT_BATCH = 2000
FULL_YEARS = 10
MEETING_MONTHS = (1, 2, 3, 4, 5, 6, 9, 10, 11, 12)  # no CoDir in July and August: ten a year
MOIS = ("", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre")  # fmt: skip

FIRST_NAMES = (
    "Claire", "Julien", "Sophie", "Antoine", "Nathalie", "Marc", "Isabelle", "Laurent", "Élodie", "Thomas",
    "Hélène", "Nicolas", "Camille", "Pierre", "Aurélie", "François", "Émilie", "Sébastien", "Céline", "Olivier",
    "Sandrine", "Mathieu", "Valérie", "Guillaume", "Anne", "Stéphane", "Delphine", "Jérôme", "Caroline", "David",
)  # fmt: skip
LAST_NAMES = (
    "Bernard", "Moreau", "Guérin", "Rousseau", "Chauvet", "Girard", "Roy", "Barbeau", "Martineau", "Charrier",
    "Fradet", "Martin", "Petit", "Durand", "Leroy", "Lefèvre", "Fournier", "Morel", "Gauthier", "Perrin",
    "Robin", "Masson", "Boyer", "Garnier", "Chevalier", "Lambert", "Bonnet", "Dupont", "Mercier", "Blanc",
)  # fmt: skip
REFERENT_JOBS = (
    "Responsable des finances", "Responsable des ressources humaines", "Directeur·rice des services techniques",
    "Responsable de la commande publique", "Chargé·e de mission urbanisme", "Responsable du numérique",
    "Responsable de l'enfance et de la jeunesse", "Chargé·e de communication",
)  # fmt: skip
MEETING_THEMES = (
    "préparation du conseil communautaire", "préparation du bureau communautaire", "orientations budgétaires",
    "mutualisation des services", "projet de territoire", "ressources humaines partagées",
    "commande publique groupée", "transition écologique", "revue du portefeuille de projets", "séminaire de rentrée",
)  # fmt: skip
ITEM_TITLES = (
    "Débat d'orientation budgétaire", "Pacte financier et fiscal", "Schéma de mutualisation",
    "Groupement de commandes voirie", "Plan local d'urbanisme intercommunal", "Politique enfance-jeunesse",
    "Service commun d'instruction ADS", "Plan climat-air-énergie territorial", "Gestion des déchets : tarification",
    "Convention territoriale globale avec la CAF", "Astreintes hivernales", "Formation des agents : plan commun",
    "Protection sociale complémentaire", "Cybersécurité des mairies", "Transfert de la compétence eau",
    "Fonds de concours aux communes", "Lecture publique : réseau des médiathèques", "Mobilités rurales",
)  # fmt: skip
ITEM_TEXTS = (
    "Présentation de la note de cadrage et échange sur le calendrier.",
    "Point d'étape : ce qui est fait, ce qui reste à arbitrer, **les points de vigilance** des communes.",
    "Retour des groupes de travail ; proposition d'avis technique pour l'instance.",
    "Échange libre, sans décision attendue.",
)
PROPOSITION_TITLES = (
    "Avis technique sur le pacte financier et fiscal", "Avis technique sur le schéma de mutualisation",
    "Adhésion au groupement de commandes", "Calendrier budgétaire commun", "Règlement du service commun",
    "Priorités du plan de formation mutualisé", "Avis technique sur le PLUi", "Charte d'usage des outils numériques",
)  # fmt: skip
PROJECT_TITLES = (
    "Service commun des ressources humaines", "Groupement de commandes fournitures", "Réseau des médiathèques",
    "Schéma directeur cyclable", "Plateforme de rénovation énergétique", "Guichet unique urbanisme",
    "Cuisine centrale mutualisée", "Plan de sobriété énergétique",
)  # fmt: skip
NETWORKS = (("Réseau des secrétaires de mairie", Reseau.Kind.FONCTION), ("Réseau finances", Reseau.Kind.METIER))
MINUTES = "Compte rendu validé en début de séance suivante.\n\n- Relevé de décisions joint.\n- Actions suivies."


@dataclass
class Context:
    """What every territory shares: the unusable password, rendered texts, permission ids, the calendar."""

    seed: int
    years: int
    first_year: int
    password: str
    html: dict[str, str] = field(default_factory=dict)
    permissions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def render(self, text: str) -> str:
        """Markdown rendered once per distinct text: rendering costs ~1 ms, texts repeat by the thousand."""
        if text not in self.html:
            self.html[text] = render_markdown(text)
        return self.html[text]


def years_for(scale: float) -> int:
    """Ten years of meetings at scale 1, fewer when scaled down (at least two, to span a year change)."""
    return max(2, min(FULL_YEARS, round(FULL_YEARS * scale)))


def select_records(records: list[EpciRecord], *, scale: float, count: int | None, seed: int) -> list[EpciRecord]:
    """A deterministic subset of the EPCI, always with the smallest and the largest by number of communes.

    `count` wins over `scale`; at scale 1 without a count, all EPCI. The result keeps file order.
    """
    total = len(records)
    wanted = count if count is not None else (total if scale >= 1 else max(2, round(total * scale)))
    wanted = max(1, min(total, wanted))
    if wanted >= total:
        return list(records)
    by_size = sorted(records, key=lambda r: (len(r.communes), r.siren))
    ends = [by_size[0], by_size[-1]][:wanted]
    rest = [r for r in records if r not in ends]
    chosen = {r.siren for r in ends} | {r.siren for r in random.Random(seed).sample(rest, wanted - len(ends))}
    return [r for r in records if r.siren in chosen]


def _ascii(text: str) -> str:
    return slugify(unicodedata.normalize("NFKD", text)).replace("-", "")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=PARIS)


@dataclass
class Plan:
    """The rows of one batch, by model, in insertion order (parents first)."""

    rows: dict[type, list] = field(default_factory=dict)
    # (permission codename, agent, object) granted once the objects have their ids.
    grants: list[tuple[str, Agent, object]] = field(default_factory=list)

    # Leaf rows of the largest tables (agenda dispatch, attendance, positions), as plain dicts written past the
    # ORM once their parents have ids: building millions of model instances would cost most of a national run.
    leaves: dict[type, list[dict]] = field(default_factory=dict)

    def add(self, obj):
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    def leaf(self, model: type, **fields) -> None:
        """A row without children; a field named `x_id` holds the parent object, read for its id at write time."""
        self.leaves.setdefault(model, []).append(fields)


# Parents before children; Version comes in one pass per number, each pointing to the one it is based on.
INSERT_ORDER = (
    Agent, Membership, Seat, Proposition, Round, Position, Charte, "Version:1", "Version:2", "Version:3", Section, Regles,
    Projet, Pilote, Reseau, MembreReseau, Reunion, PointOdj, AgendaVersion, Envoi, Presence,
)  # fmt: skip


def _people(territoire: Territoire, collectivites: list[Collectivite], rng: random.Random, ctx: Context, plan: Plan):
    """Agents, memberships and seats: a director per collectivité (titulaire), a DGA at the EPCI (suppléant),
    and as many référents as the territory has communes (three at the EPCI, the others in the largest communes).
    """
    counter = 0
    members: list[Membership] = []

    def agent_for(collectivite: Collectivite, role: str, job: str) -> Membership:
        nonlocal counter
        counter += 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        agent = plan.add(
            Agent(
                # The territory's slug is unique and the counter is unique within it: so is the address.
                email=f"{_ascii(first)}.{_ascii(last)}.{counter}@{territoire.slug}.test",
                first_name=first,
                last_name=last,
                collectivite=collectivite,
                job_title=job,
                password=ctx.password,
                date_joined=_at(date(ctx.first_year, 1, 2), 9),
            )
        )
        membership = plan.add(
            Membership(
                agent=agent,
                territoire=territoire,
                collectivite=collectivite,
                role=role,
                started_at=_at(date(ctx.first_year, 1, 2), 9),
            )
        )
        members.append(membership)
        return membership

    directors: dict[int, Membership] = {}
    epci = collectivites[0]
    for collectivite in collectivites:
        if collectivite.is_epci or collectivite.population >= 2000:
            role, job = Membership.Role.DGS, "Directeur·rice général·e des services"
        else:
            role, job = Membership.Role.SG, "Secrétaire général·e de mairie"
        directors[collectivite.pk] = agent_for(collectivite, role, job)
        plan.add(
            Seat(
                collectivite=collectivite,
                kind=Seat.Kind.TITULAIRE,
                membership=directors[collectivite.pk],
                started_at=_at(date(ctx.first_year, 1, 2), 9),
            )
        )
    dga = agent_for(epci, Membership.Role.DGA, "Directeur·rice général·e adjoint·e")
    plan.add(Seat(collectivite=epci, kind=Seat.Kind.SUPPLEANT, membership=dga, started_at=dga.started_at))
    communes = collectivites[1:]
    referent_homes = [epci] * 3 + communes[: max(0, len(communes) - 3)]
    referents = [agent_for(home, Membership.Role.REFERENT, rng.choice(REFERENT_JOBS)) for home in referent_homes]
    return directors, dga, referents, members


def _charter(territoire: Territoire, epci_dgs: Agent, rng: random.Random, ctx: Context, plan: Plan, propositions):
    """A charter with two adopted versions (the first replaced) and, in one territory out of two, a draft."""
    charte = plan.add(Charte(territoire=territoire, created_at=_at(date(ctx.first_year, 1, 5), 10)))
    numbers = 3 if rng.random() < 0.5 else 2
    previous = None
    for number in range(1, numbers + 1):
        adopted = number < numbers or numbers == 2
        status = (
            Version.Status.REMPLACEE
            if adopted and number < 2
            else Version.Status.ADOPTEE
            if adopted
            else Version.Status.BROUILLON
        )
        day = date(ctx.first_year + (number - 1) * max(1, ctx.years // 3), 3, 15)
        version = plan.add(
            Version(
                charte=charte,
                number=number,
                status=status,
                based_on=previous,
                origin="Charte type" if number == 1 else f"Révision {number - 1}",
                adopted_at=_at(day, 18) if adopted else None,
                proposition=propositions.get(number) if adopted else None,
                created_by=epci_dgs,
                created_at=_at(day - timedelta(days=60), 10),
            )
        )
        version._generated_pass = number
        for position, (key, title, body) in enumerate(STARTER_SECTIONS, start=1):
            # Each revision rewrites one section: a handful of distinct texts nationally, rendered once each.
            if number > 1 and position == number:
                body = f"{body}\n\n*Rédaction issue de la révision {number - 1}.*"
            plan.add(
                Section(
                    version=version,
                    key=key,
                    position=position,
                    title=title,
                    body=body,
                    body_html=ctx.render(body),
                    updated_by=epci_dgs,
                    updated_at=version.created_at,
                )
            )
        plan.add(Regles(version=version, delai_prevenance_heures=48 if number == 1 else rng.choice((48, 72, 96))))
        previous = version


def _decision(
    territoire: Territoire,
    title: str,
    kind: str,
    opens: datetime,
    author: Agent,
    voters: list[tuple[Collectivite, Agent]],
    rng: random.Random,
    ctx: Context,
    plan: Plan,
) -> Proposition:
    """A closed proposition by consent, with one round and one position per collectivité that spoke."""
    body = f"Le CoDir est invité à se prononcer : {title.lower()}."
    closes = opens + timedelta(days=10)
    positions = []
    for collectivite, agent in voters:
        if rng.random() < 0.15:  # some collectivités do not speak: the quorum is counted on who did
            continue
        choice = "pour" if rng.random() < 0.85 else "abstention"
        positions.append((collectivite, agent, choice))
    counts = Counter(choice for _, _, choice in positions)
    proposition = plan.add(
        Proposition(
            territoire=territoire,
            title=title,
            body=body,
            body_html=ctx.render(body),
            kind=kind,
            author=author,
            status=Proposition.Status.CLOSE,
            mode="consentement",
            quorum_percent=50,
            opens_at=opens,
            closes_at=closes,
            closed_at=closes,
            result="adoptee" if len(positions) * 2 >= len(voters) else "sans_quorum",
            avis="favorable" if kind == Proposition.Kind.AVIS_TECHNIQUE else "",
            created_at=opens - timedelta(days=2),
        )
    )
    round_ = plan.add(
        Round(
            proposition=proposition,
            number=1,
            body=body,
            body_html=ctx.render(body),
            opened_at=opens,
            closed_at=closes,
            closing=Round.Closing.CLOTURE,
            result=proposition.result,
            tally=dict(sorted(counts.items())),
        )
    )
    for collectivite, agent, choice in positions:
        plan.leaf(
            Position,
            round_id=round_,
            collectivite_id=collectivite.pk,
            choice=choice,
            spoken_by_id=agent,
            seat_kind=Seat.Kind.TITULAIRE,
            created_at=opens + timedelta(days=rng.randrange(1, 10)),
        )
    return proposition


def plan_territoire(territoire: Territoire, ctx: Context, plan: Plan) -> None:
    """Everything one territory gets, added to the batch's plan (nothing is written here)."""
    rng = random.Random(f"{ctx.seed}-{territoire.siren}")
    # The EPCI first, then communes from the largest (the model's ordering).
    collectivites = list(
        Collectivite.objects.for_territoire(territoire).active().order_by("-kind", "-population", "siren")
    )
    directors, dga, referents, members = _people(territoire, collectivites, rng, ctx, plan)
    epci = collectivites[0]
    epci_dgs = directors[epci.pk].agent
    voters = [(c, directors[c.pk].agent) for c in collectivites]

    charter_props = {
        number: _decision(
            territoire,
            "Adoption de la charte de fonctionnement" if number == 1 else f"Révision n° {number - 1} de la charte",
            Proposition.Kind.CHARTE,
            _at(date(ctx.first_year + (number - 1) * max(1, ctx.years // 3), 3, 1), 9),
            epci_dgs,
            voters,
            rng,
            ctx,
            plan,
        )
        for number in (1, 2)
    }
    _charter(territoire, epci_dgs, rng, ctx, plan, charter_props)

    projets = []
    for title in rng.sample(PROJECT_TITLES, 3):
        pilotage = rng.choice((Projet.Pilotage.EPCI, Projet.Pilotage.COMMUNE, Projet.Pilotage.COPILOTAGE))
        start = date(ctx.first_year + rng.randrange(ctx.years), rng.randrange(1, 13), 1)
        description = f"Projet partagé du territoire : {title.lower()}."
        projet = plan.add(
            Projet(
                territoire=territoire,
                title=title,
                description=description,
                description_html=ctx.render(description),
                status=rng.choice((Projet.Status.EN_COURS, Projet.Status.EN_PREPARATION, Projet.Status.TERMINE)),
                pilotage=pilotage,
                health=rng.choice(Projet.Health.values),
                starts_on=start,
                ends_on=start + timedelta(days=730),
                created_by=epci_dgs,
            )
        )
        pilots = {
            Projet.Pilotage.EPCI: [epci],
            Projet.Pilotage.COMMUNE: [rng.choice(collectivites[1:])],
            Projet.Pilotage.COPILOTAGE: [epci, rng.choice(collectivites[1:])],
        }[pilotage]
        pilot_ids = {c.pk for c in pilots}
        for collectivite in pilots:
            plan.add(Pilote(projet=projet, collectivite=collectivite, starts_on=start))
        # `can_pilot` reads a guardian permission held by those who act for a pilot today (observers excepted).
        plan.grants.extend(("pilot_projet", m.agent, projet) for m in members if m.collectivite_id in pilot_ids)
        projets.append(projet)

    for name, kind in NETWORKS:
        created = date(ctx.first_year, 2, 1)
        reseau = plan.add(Reseau(territoire=territoire, name=name, kind=kind, created_on=created, created_by=epci_dgs))
        joined = referents if kind == Reseau.Kind.METIER else [m for m in members if m.role == Membership.Role.SG]
        for index, membership in enumerate(joined or referents):
            lead = index == 0
            since = created + timedelta(days=rng.randrange(0, 365 * ctx.years))
            left = not lead and rng.random() < 0.2
            plan.add(
                MembreReseau(
                    reseau=reseau,
                    agent=membership.agent,
                    collectivite=membership.collectivite,
                    role=MembreReseau.Role.REFERENT if lead else MembreReseau.Role.MEMBRE,
                    since=since,
                    until=since + timedelta(days=rng.randrange(30, 365)) if left else None,
                )
            )
            if lead:  # `can_lead` reads the network's permission: only its active référents hold it
                plan.grants.append(("lead_reseau", membership.agent, reseau))

    recipients = [m.agent for m in members]
    for year in range(ctx.first_year, ctx.first_year + ctx.years):
        decided_months = set(rng.sample(MEETING_MONTHS, 3))
        for month in MEETING_MONTHS:
            day = date(year, month, 1) + timedelta(days=rng.randrange(7, 21))
            if day.weekday() >= 5:
                day -= timedelta(days=day.weekday() - 3)  # a weekend meeting moves to the Thursday before
            starts = _at(day, 9, 30)
            host = rng.choice(collectivites)
            theme = rng.choice(MEETING_THEMES)
            reunion = plan.add(
                Reunion(
                    territoire=territoire,
                    title=f"CoDir de {MOIS[month]} {year} — {theme}",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2, minutes=30),
                    place=f"Mairie de {host.name}" if not host.is_epci else f"Siège de {host.name}",
                    host=host,
                    animateur=directors[host.pk].agent,
                    uid=f"gen-{territoire.siren}-{year}-{month:02d}@codir-de-territoire",
                    dispatched_at=starts - timedelta(hours=72),
                    minutes=MINUTES,
                    minutes_html=ctx.render(MINUTES),
                    minutes_published_at=starts + timedelta(days=7),
                    created_by=epci_dgs,
                    created_at=starts - timedelta(days=30),
                )
            )
            proposition = None
            if month in decided_months:
                proposition = _decision(
                    territoire,
                    rng.choice(PROPOSITION_TITLES),
                    Proposition.Kind.AVIS_TECHNIQUE,
                    starts - timedelta(days=12),
                    epci_dgs,
                    voters,
                    rng,
                    ctx,
                    plan,
                )
            for position, title in enumerate(rng.sample(ITEM_TITLES, rng.randint(3, 6)), start=1):
                text = rng.choice(ITEM_TEXTS)
                plan.add(
                    PointOdj(
                        reunion=reunion,
                        position=position,
                        title=title,
                        description=text,
                        description_html=ctx.render(text),
                        presenter=rng.choice(collectivites),
                        duration_minutes=rng.choice((15, 20, 30, 45)),
                        proposition=proposition if position == 1 else None,
                        projet=rng.choice(projets) if position == 2 and rng.random() < 0.3 else None,
                        added_by=epci_dgs,
                        added_at=starts - timedelta(days=rng.randrange(5, 25)),
                    )
                )
            versions = [
                plan.add(
                    AgendaVersion(
                        reunion=reunion,
                        number=1,
                        kind=AgendaVersion.Kind.INITIAL,
                        sequence=0,
                        due_at=starts - timedelta(hours=72),
                        created_at=starts - timedelta(hours=72),
                    )
                )
            ]
            if rng.random() < 0.2:  # one agenda in five is updated after it went out
                reunion.sequence = 1
                versions.append(
                    plan.add(
                        AgendaVersion(
                            reunion=reunion,
                            number=2,
                            kind=AgendaVersion.Kind.MISE_A_JOUR,
                            sequence=1,
                            changes="Un point ajouté.",
                            due_at=starts - timedelta(hours=30),
                            created_at=starts - timedelta(hours=30),
                        )
                    )
                )
            for version in versions:
                for agent in recipients:
                    plan.leaf(
                        Envoi,
                        version_id=version,
                        recipient_id=agent,
                        email=agent.email,
                        sent_at=version.due_at,
                        attempts=1,
                    )
            for collectivite in collectivites:
                draw = rng.random()
                status = (
                    Presence.Status.PRESENT
                    if draw < 0.75
                    else Presence.Status.EXCUSE
                    if draw < 0.9
                    else Presence.Status.ABSENT
                    if draw < 0.95
                    else Presence.Status.REPRESENTE
                )
                plan.leaf(
                    Presence,
                    reunion_id=reunion,
                    collectivite_id=collectivite.pk,
                    status=status,
                    represented_by="Le maire" if status == Presence.Status.REPRESENTE else "",
                    recorded_by_id=epci_dgs,
                    recorded_at=starts + timedelta(hours=3),
                )


def _write_leaves(model: type[models.Model], rows: list[dict]) -> int:
    """Insert leaf rows with `executemany`, past the ORM: model instances cost more than the insert itself.

    Columns not given take the field's default; aware datetimes go through the backend's own adaptation,
    as the ORM would do them.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapt = connection.ops.adapt_datetimefield_value
    getters = []
    for f in fields:
        name = f.attname
        if isinstance(f, models.DateTimeField):
            getters.append(lambda row, name=name: adapt(row[name]) if row.get(name) is not None else None)
        elif f.is_relation:
            getters.append(lambda row, name=name: getattr(row[name], "pk", row[name]) if name in row else None)
        else:
            default = f.get_default()
            getters.append(lambda row, name=name, default=default: row.get(name, default))
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, [[get(row) for get in getters] for row in rows[start : start + INSERT_BATCH]])
    return len(rows)


def write_plan(plan: Plan, ctx: Context) -> Counter:
    """Insert the batch's rows parents first, then the guardian permissions; returns rows written per model."""
    written: Counter = Counter()
    for entry in INSERT_ORDER:
        if entry in plan.leaves:
            written[entry._meta.label] += _write_leaves(entry, plan.leaves[entry])
            continue
        if isinstance(entry, str):
            wanted = int(entry[-1])
            rows = [v for v in plan.rows.get(Version, []) if v._generated_pass == wanted]
            model = Version
        else:
            model, rows = entry, plan.rows.get(entry, [])
        if not rows:
            continue
        model.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        if rows[0].pk is None:  # a backend that does not return ids would break every child's foreign key
            raise RuntimeError("Cette base ne renvoie pas les identifiants des insertions groupées.")
        written[model._meta.label] += len(rows)
    grants = [
        UserObjectPermission(
            permission_id=ctx.permissions[codename][0],
            content_type_id=ctx.permissions[codename][1],
            object_pk=str(obj.pk),
            user=agent,
        )
        for codename, agent, obj in plan.grants
    ]
    UserObjectPermission.objects.bulk_create(grants, batch_size=INSERT_BATCH)
    written["guardian.UserObjectPermission"] += len(grants)
    return written


def _permissions() -> dict[str, tuple[int, int]]:
    found = {}
    for codename, model in (("pilot_projet", Projet), ("lead_reseau", Reseau)):
        content_type = ContentType.objects.get_for_model(model)
        found[codename] = (Permission.objects.get(content_type=content_type, codename=codename).pk, content_type.pk)
    return found


def generate_national(
    records: Iterable[EpciRecord],
    *,
    seed: int = 2026,
    scale: float = 1.0,
    progress: Callable[[int, int, Counter, float], None] | None = None,
) -> Counter:
    """Import these EPCI and generate their CoDir life; territories already generated are left as they are.

    One transaction per batch of BATCH_TERRITOIRES territories, so an interrupted run keeps what it finished
    and a rerun completes it. `progress(done, total, written_so_far, elapsed_seconds)` follows each batch.
    """
    started = time.monotonic()
    records = list(records)
    ctx = Context(
        seed=seed,
        years=years_for(scale),
        first_year=date.today().year - years_for(scale),
        password=make_password(None),  # unusable, hashed once: nobody logs in to generated accounts
        permissions=_permissions(),
    )
    total: Counter = Counter()
    for start in range(0, len(records), BATCH_TERRITOIRES):
        batch = records[start : start + BATCH_TERRITOIRES]
        with transaction.atomic():
            territoires = territoires_import(batch).territoires
            done = set(Charte.objects.filter(territoire__in=territoires).values_list("territoire_id", flat=True))
            plan = Plan()
            for territoire in territoires:
                if territoire.pk not in done:
                    plan_territoire(territoire, ctx, plan)
                    total["territoires"] += 1
            total.update(write_plan(plan, ctx))
        if progress:
            progress(min(start + BATCH_TERRITOIRES, len(records)), len(records), total, time.monotonic() - started)
    return total
