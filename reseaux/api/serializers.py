"""Serializers of the portfolio's API: what it shows, and what it accepts, ids checked against the territory."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communes.api import AgentBriefSerializer, CollectiviteBriefSerializer, ModelSerializer, text_field
from communes.api import markdown_field as bounded_markdown_field
from communes.models import Agent, Collectivite, Territoire
from decisions.models import Proposition
from reseaux import selectors
from reseaux.access import can_follow, can_pilot
from reseaux.models import Axe, Contribution, Indicateur, Jalon, Lien, Phase, Pilote, Projet, Referent, Revue


class TerritoireField(serializers.PrimaryKeyRelatedField):
    """An id among `scope(territoire)`, the request's territory: any other id does not exist.

    `queryset` is given for the schema's sake (it names the model); lookups go through `scope`.
    """

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        territoire = self.context.get("territoire")
        return self.scope(territoire) if territoire is not None else self.queryset.none()


def projets_of(territoire: Territoire):
    return Projet.objects.for_territoire(territoire)


def axes_of(territoire: Territoire):
    return Axe.objects.filter(territoire=territoire)


def collectivites_of(territoire: Territoire):
    return Collectivite.objects.for_territoire(territoire)


def active_collectivites_of(territoire: Territoire):
    return Collectivite.objects.for_territoire(territoire).active()


def members_of(territoire: Territoire):
    return Agent.objects.filter(memberships__territoire=territoire, memberships__ended_at__isnull=True)


def propositions_of(territoire: Territoire):
    return Proposition.objects.for_territoire(territoire)


def projet_field(**kwargs) -> TerritoireField:
    return TerritoireField(projets_of, queryset=Projet.objects.none(), **kwargs)


# --- Read serializers -------------------------------------------------------------------------------


class AxeSerializer(ModelSerializer):
    class Meta:
        model = Axe
        fields = ["id", "name", "position"]


class ProjetBriefSerializer(ModelSerializer):
    class Meta:
        model = Projet
        fields = ["id", "title", "status", "health", "axe"]


class PiloteSerializer(ModelSerializer):
    collectivite = CollectiviteBriefSerializer(read_only=True)
    active = serializers.SerializerMethodField(help_text="Pilote aujourd'hui.")

    class Meta:
        model = Pilote
        fields = ["id", "projet", "collectivite", "starts_on", "ends_on", "active"]

    def get_active(self, pilote) -> bool:
        return pilote.is_active_on(self.context.get("today") or timezone.localdate())


class ContributionSerializer(ModelSerializer):
    collectivite = CollectiviteBriefSerializer(read_only=True)

    class Meta:
        model = Contribution
        fields = ["id", "projet", "collectivite", "amount", "staff_days"]


class ContributionShareSerializer(ContributionSerializer):
    share = serializers.DecimalField(
        max_digits=4, decimal_places=1, read_only=True, help_text="Part du co-financement total, en %."
    )

    class Meta(ContributionSerializer.Meta):
        fields = [*ContributionSerializer.Meta.fields, "share"]


class ReferentSerializer(ModelSerializer):
    agent = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Referent
        fields = ["id", "projet", "agent", "since", "until"]


class PhaseSerializer(ModelSerializer):
    class Meta:
        model = Phase
        fields = ["id", "projet", "kind", "starts_on", "ends_on", "status"]


class JalonSerializer(ModelSerializer):
    late = serializers.SerializerMethodField(help_text="Échéance passée sans que le jalon soit atteint.")
    reached_late = serializers.BooleanField(read_only=True, help_text="Atteint après son échéance.")

    class Meta:
        model = Jalon
        fields = ["id", "projet", "title", "due_on", "done_on", "late", "reached_late"]

    def get_late(self, jalon) -> bool:
        return jalon.is_late(self.context.get("today") or timezone.localdate())


class IndicateurSerializer(ModelSerializer):
    class Meta:
        model = Indicateur
        fields = ["id", "projet", "name", "unit", "target", "measured", "measured_on"]


class LienSerializer(ModelSerializer):
    source = ProjetBriefSerializer(read_only=True)
    target = ProjetBriefSerializer(read_only=True)

    class Meta:
        model = Lien
        fields = ["id", "source", "target", "kind", "justification", "created_by", "created_at"]


class RevueSerializer(ModelSerializer):
    recorded_by = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Revue
        fields = [
            "id", "projet", "held_on", "held", "handover", "participants", "collectivites", "progress", "health",
            "health_reason", "next_steps", "proposition", "recorded_by", "recorded_at",
        ]  # fmt: skip
        read_only_fields = fields


class DroitsSerializer(serializers.Serializer):
    piloter = serializers.BooleanField(help_text="Modifier le projet, son pilotage, ses phases, contributions, liens.")
    suivre = serializers.BooleanField(help_text="Enregistrer revues, jalons atteints et mesures d'indicateurs.")


class ProjetSerializer(ModelSerializer):
    """A project as the portfolio lists it."""

    axe = AxeSerializer(read_only=True, allow_null=True)
    pilotes = PiloteSerializer(many=True, read_only=True)
    participants = serializers.SerializerMethodField(help_text="Collectivités qui contribuent (identifiants).")
    late_jalons = serializers.SerializerMethodField(help_text="Jalons en retard.")
    last_review_on = serializers.DateField(source="last_held", read_only=True, allow_null=True)
    review_due_on = serializers.SerializerMethodField(help_text="Prochaine revue périodique due.")

    class Meta:
        model = Projet
        fields = [
            "id", "title", "axe", "status", "pilotage", "health", "health_reason", "starts_on", "ends_on",
            "review_every_months", "pilotes", "participants", "late_jalons", "last_review_on", "review_due_on",
        ]  # fmt: skip

    # The methods read the prefetched rows of `selectors.portfolio` and `selectors.projet_of`: no query.
    def get_participants(self, projet) -> list[int]:
        return [c.collectivite_id for c in projet.contributions.all()]

    def get_late_jalons(self, projet) -> int:
        today = self.context.get("today") or timezone.localdate()
        return sum(jalon.is_late(today) for jalon in projet.jalons.all())

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_review_due_on(self, projet) -> date | None:
        return selectors.review_due_on(projet)


class ProjetDetailSerializer(ProjetSerializer):
    """A project with its fiche action and everything that follows it up."""

    created_by = AgentBriefSerializer(read_only=True)
    contributions = serializers.SerializerMethodField()
    referents = ReferentSerializer(many=True, read_only=True)
    phases = PhaseSerializer(many=True, read_only=True)
    jalons = JalonSerializer(many=True, read_only=True)
    indicateurs = IndicateurSerializer(many=True, read_only=True)
    liens = serializers.SerializerMethodField()
    droits = serializers.SerializerMethodField()

    class Meta(ProjetSerializer.Meta):
        fields = [
            *ProjetSerializer.Meta.fields, "description", "description_html", "objectives", "objectives_html",
            "expected_effects", "expected_effects_html", "resources", "resources_html", "created_by", "created_at",
            "contributions", "referents", "phases", "jalons", "indicateurs", "liens", "droits",
        ]  # fmt: skip

    @extend_schema_field(ContributionShareSerializer(many=True))
    def get_contributions(self, projet) -> list[dict]:
        rows = []
        for contribution, share in selectors.financing(projet):
            contribution.share = share
            rows.append(contribution)
        return ContributionShareSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(LienSerializer(many=True))
    def get_liens(self, projet) -> list[dict]:
        liens = [*projet.outgoing_links, *projet.incoming_links]
        return LienSerializer(liens, many=True, context=self.context).data

    @extend_schema_field(DroitsSerializer)
    def get_droits(self, projet) -> dict:
        access = self.context["access"]
        pilot = can_pilot(access, projet)
        return {"piloter": pilot, "suivre": pilot or can_follow(access, projet)}


class RankSerializer(serializers.Serializer):
    projet = ProjetBriefSerializer()
    score = serializers.FloatField(help_text="Degré pondéré : renforce 2, mutualise avec 1,5, dépend de 1.")


class SystemiqueSerializer(serializers.Serializer):
    ranking = RankSerializer(many=True)
    loops = serializers.ListField(child=ProjetBriefSerializer(many=True), help_text="Boucles de renforcement.")
    isolated = ProjetBriefSerializer(many=True, help_text="Projets liés à aucun autre.")
    links = LienSerializer(many=True)


# --- Write and query serializers ---------------------------------------------------------------------


class ProjetQuerySerializer(serializers.Serializer):
    projet = projet_field(required=False, allow_null=True, help_text="Seulement ce projet.")


class ProjetFiltersSerializer(serializers.Serializer):
    """The portfolio's filters (`selectors.PortfolioFilters`), as query parameters."""

    axe = TerritoireField(axes_of, queryset=Axe.objects.none(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Projet.Status.choices, required=False, allow_blank=True)
    health = serializers.ChoiceField(choices=Projet.Health.choices, required=False, allow_blank=True)
    pilotage = serializers.ChoiceField(choices=Projet.Pilotage.choices, required=False, allow_blank=True)
    pilote = TerritoireField(
        collectivites_of, queryset=Collectivite.objects.none(), required=False, allow_null=True,
        help_text="Collectivité pilote aujourd'hui.",
    )  # fmt: skip
    participant = TerritoireField(
        collectivites_of, queryset=Collectivite.objects.none(), required=False, allow_null=True,
        help_text="Collectivité qui contribue.",
    )  # fmt: skip


class PiloteInputSerializer(serializers.Serializer):
    collectivite = TerritoireField(active_collectivites_of, queryset=Collectivite.objects.none())
    starts_on = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="Début de la période ; obligatoire en pilotage alterné, sinon le début du pilotage.",
    )  # fmt: skip


def markdown_field() -> serializers.CharField:
    # Leading spaces mean something in Markdown: the service cleans the text, not DRF.
    return bounded_markdown_field(required=False, allow_blank=True, trim_whitespace=False)


class ProjetUpdateSerializer(serializers.Serializer):
    """What the pilots describe of their project; only the fields sent change."""

    title = serializers.CharField(max_length=200, required=False)
    description = markdown_field()
    axe = TerritoireField(axes_of, queryset=Axe.objects.none(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Projet.Status.choices, required=False)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    review_every_months = serializers.IntegerField(min_value=1, max_value=24, required=False)
    objectives = markdown_field()
    expected_effects = markdown_field()
    resources = markdown_field()


class ProjetCreateSerializer(ProjetUpdateSerializer):
    title = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(choices=Projet.Status.choices, default=Projet.Status.EN_PREPARATION)
    pilotage = serializers.ChoiceField(choices=Projet.Pilotage.choices)
    pilotes = PiloteInputSerializer(many=True)


class SanteSerializer(serializers.Serializer):
    health = serializers.ChoiceField(choices=Projet.Health.choices)
    reason = serializers.CharField(max_length=300)


class PilotageSerializer(serializers.Serializer):
    pilotage = serializers.ChoiceField(choices=Projet.Pilotage.choices)
    pilotes = PiloteInputSerializer(many=True)
    from_day = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="À partir de ce jour (aujourd'hui par défaut)."
    )


class ContributionWriteSerializer(serializers.Serializer):
    projet = projet_field()
    collectivite = TerritoireField(active_collectivites_of, queryset=Collectivite.objects.none())
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=Decimal(0))
    staff_days = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0, default=Decimal(0))


class PhaseWriteSerializer(serializers.Serializer):
    projet = projet_field()
    kind = serializers.ChoiceField(choices=Phase.Kind.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.ChoiceField(choices=Phase.Status.choices, default=Phase.Status.A_VENIR)


class JalonWriteSerializer(serializers.Serializer):
    projet = projet_field()
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()


class JalonUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    due_on = serializers.DateField(required=False)


class JalonReachSerializer(serializers.Serializer):
    done_on = serializers.DateField(allow_null=True, help_text="Jour où le jalon a été atteint ; null le rouvre.")


class IndicateurUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    unit = serializers.CharField(max_length=40, required=False, allow_blank=True)
    target = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    measured = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    measured_on = serializers.DateField(
        required=False, allow_null=True, help_text="Aujourd'hui par défaut quand une mesure est donnée."
    )


class IndicateurWriteSerializer(IndicateurUpdateSerializer):
    projet = projet_field()
    name = serializers.CharField(max_length=200)


class ReferentWriteSerializer(serializers.Serializer):
    projet = projet_field()
    agent = TerritoireField(members_of, queryset=Agent.objects.none(), help_text="Un membre du territoire.")


class RevueWriteSerializer(serializers.Serializer):
    projet = projet_field()
    held_on = serializers.DateField()
    progress = text_field()
    health = serializers.ChoiceField(choices=Projet.Health.choices)
    health_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    next_steps = text_field(required=False, allow_blank=True, default="")
    participants = text_field(required=False, allow_blank=True, default="")
    collectivites = TerritoireField(
        collectivites_of, queryset=Collectivite.objects.none(), many=True, required=False, default=list
    )
    proposition = TerritoireField(
        propositions_of, queryset=Proposition.objects.none(), required=False, allow_null=True, default=None
    )
    handover = serializers.BooleanField(required=False, default=False)


class LienWriteSerializer(serializers.Serializer):
    source = projet_field()
    target = projet_field()
    kind = serializers.ChoiceField(choices=Lien.Kind.choices)
    justification = serializers.CharField(max_length=300)
