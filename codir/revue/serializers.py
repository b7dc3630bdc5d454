"""Serializers of the annual reviews' API: what is read (reviews, results, figures, the comparison) and the
bodies of the writes, which only check types — the services decide everything else, in French.

Nothing here names a respondent: answers are shown only as the aggregates `selectors.results_of` builds.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from codir.models import Campagne, Engagement, RevueAnnuelle
from communes.api import (
    NUL_MESSAGE,
    CollectiviteBriefSerializer,
    ModelSerializer,
    contains_nul,
    markdown_field,
    text_field,
)
from communes.models import Collectivite


class QuestionnaireItemSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Clé stable d'une année à l'autre.")
    text = serializers.CharField()
    type = serializers.CharField(help_text="`likert` (échelle d'accord de 1 à 5) ou `texte` (réponse libre).")


class QuestionnaireDimensionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text="`etape` (étape de la coopération) ou `vigilance` (point de vigilance).")
    items = QuestionnaireItemSerializer(many=True)


class QuestionnaireSerializer(serializers.Serializer):
    dimensions = QuestionnaireDimensionSerializer(many=True)


@extend_schema_field(QuestionnaireSerializer)
class QuestionnaireField(serializers.JSONField):
    """A questionnaire as plain JSON: its shape is checked by `questionnaire.validate_questionnaire`,
    which says in French what is wrong; only what it cannot walk through is refused here."""

    default_error_messages = {"items": _("Chaque dimension doit avoir une liste de questions."), "nul": NUL_MESSAGE}

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if contains_nul(data):
            self.fail("nul")
        dimensions = data.get("dimensions") if isinstance(data, dict) else None
        for dimension in dimensions if isinstance(dimensions, list) else []:
            # validate_questionnaire iterates `items`: a number there would not be a 400 but a crash.
            if isinstance(dimension, dict) and not isinstance(dimension.get("items") or [], list):
                self.fail("items")
        return data


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.ReadOnlyField):
    """An integer or a decimal number, given back as computed (a count stays an integer)."""


class EngagementSerializer(ModelSerializer):
    owner_collectivite = CollectiviteBriefSerializer(read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id", "position", "title", "description", "owner_collectivite", "due_date", "action", "withdrawn_at",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class RevueAnnuelleSerializer(ModelSerializer):
    """A review as everyone with access to the territory reads it. Lists annotate `answers_count` and pass
    the territory's eligible count in the context, so a review costs no query of its own."""

    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    facilitator_name = serializers.CharField(source="facilitator.full_name", read_only=True)
    questionnaire = QuestionnaireField(read_only=True)
    answers_count = serializers.IntegerField(read_only=True, help_text="Nombre de réponses anonymes reçues.")
    eligible_count = serializers.SerializerMethodField(help_text="Membres qui peuvent répondre (hors observateurs).")
    engagements = EngagementSerializer(many=True, read_only=True)

    class Meta:
        model = RevueAnnuelle
        fields = [
            "year", "stage", "stage_label", "created_at", "questionnaire_opened_at", "questionnaire_closed_at",
            "seminar_on", "seminar_place", "closed_at", "facilitator_name", "campagne", "questionnaire",
            "answers_count", "eligible_count", "bilan", "bilan_html", "perspectives", "perspectives_html",
            "engagements", "proposition",
        ]  # fmt: skip
        read_only_fields = fields

    def get_eligible_count(self, revue) -> int:
        if revue.is_closed and revue.results:
            return revue.results["eligible"]  # as it was when the review closed
        return self.context["eligible_count"]()


class RevueCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class SeminarStartSerializer(serializers.Serializer):
    seminar_on = serializers.DateField(required=False, allow_null=True, default=None)
    place = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class BilanSerializer(serializers.Serializer):
    """Every field is optional: what is left out keeps its current value."""

    bilan = markdown_field(required=False, allow_blank=True, trim_whitespace=False, help_text="Markdown.")
    perspectives = markdown_field(required=False, allow_blank=True, trim_whitespace=False, help_text="Markdown.")
    seminar_on = serializers.DateField(required=False)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)


class QuestionnaireWriteSerializer(serializers.Serializer):
    questionnaire = QuestionnaireField()


class EngagementCreateSerializer(serializers.Serializer):
    # Blank is the service's to refuse, with a message that says what to write.
    title = serializers.CharField(max_length=200, allow_blank=True)
    owner_collectivite = serializers.PrimaryKeyRelatedField(queryset=Collectivite.objects.none())
    description = text_field(required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        territoire = self.context.get("territoire")
        if territoire is not None:
            self.fields["owner_collectivite"].queryset = Collectivite.objects.for_territoire(territoire).active()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True},
        "example": {"se_connaitre_1": 4, "se_connaitre_libre": "Des rencontres plus régulières."},
    }
)
class AnswersField(serializers.DictField):
    """Answers by question key: a level from 1 to 5, a free text, or null / "" for "je ne sais pas"."""

    default_error_messages = {
        "scalar": _("Réponse invalide à « %(key)s » : un niveau de 1 à 5 ou un texte."),
        "nul": NUL_MESSAGE,
    }

    def to_internal_value(self, data):
        answers = super().to_internal_value(data)
        if contains_nul(answers):
            self.fail("nul")
        for key, value in answers.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
                raise serializers.ValidationError(self.error_messages["scalar"] % {"key": key[:100]})
        return answers


class ReponseSerializer(serializers.Serializer):
    answers = AnswersField(child=serializers.JSONField(allow_null=True), allow_empty=True)


class ConfirmationSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ItemResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    type = serializers.CharField()
    n = serializers.IntegerField(help_text="Réponses données à cette question.")
    mean = serializers.FloatField(allow_null=True, help_text="Moyenne de 1 à 5, à partir de trois réponses.")
    distribution = serializers.ListField(
        child=serializers.IntegerField(), help_text="Réponses aux niveaux 1 à 5, à partir de trois réponses."
    )
    verbatims = serializers.ListField(
        child=serializers.CharField(), help_text="Réponses libres, par ordre alphabétique, à partir de trois."
    )


class DimensionResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    n = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    items = ItemResultSerializer(many=True)
    previous_mean = serializers.FloatField(allow_null=True, help_text="Moyenne de l'année précédente.")


class ProfileResultSerializer(serializers.Serializer):
    label = serializers.CharField()
    n = serializers.IntegerField()
    means = serializers.DictField(child=serializers.FloatField(allow_null=True))


class ResultsSerializer(serializers.Serializer):
    """The questionnaire's results: below three answers, only the counts."""

    answers = serializers.IntegerField()
    eligible = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="Taux de réponse, en %.")
    shown = serializers.BooleanField(help_text="Faux sous trois réponses : rien d'autre que les nombres.")
    dimensions = DimensionResultSerializer(many=True)
    profiles = ProfileResultSerializer(many=True)
    previous_year = serializers.IntegerField(allow_null=True)


class FigureSerializer(serializers.Serializer):
    family = serializers.CharField()
    key = serializers.CharField()
    label = serializers.CharField()
    value = NumberField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True, help_text="Pour une ventilation : collectivité, strate, mode…")
    previous = NumberField(allow_null=True)


class IndicateursSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    frozen = serializers.BooleanField(help_text="Vrai quand les chiffres sont ceux figés à la clôture de la revue.")
    figures = FigureSerializer(many=True)


class FamilySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class PartageSerializer(serializers.Serializer):
    families = serializers.ListField(child=serializers.CharField(), help_text="Familles partagées.")
    available = FamilySerializer(many=True, help_text="Les familles que le territoire peut choisir de partager.")
    updated_at = serializers.DateTimeField(allow_null=True)


class PartageWriteSerializer(serializers.Serializer):
    families = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True, max_length=20)


class TerritoireNameSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class CampagneRevueSerializer(ModelSerializer):
    territoire = TerritoireNameSerializer(read_only=True)

    class Meta:
        model = RevueAnnuelle
        fields = ["territoire", "year", "stage"]
        read_only_fields = fields


class CampagneSerializer(ModelSerializer):
    questionnaire = QuestionnaireField(read_only=True)
    revues = CampagneRevueSerializer(many=True, read_only=True)

    class Meta:
        model = Campagne
        fields = ["id", "year", "title", "created_at", "questionnaire", "revues"]
        read_only_fields = fields


class CampagneCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    territoires = serializers.ListField(
        child=serializers.SlugField(max_length=80), allow_empty=True, max_length=2000, help_text="Slugs."
    )


class ComparaisonQuerySerializer(serializers.Serializer):
    annee = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="Année comparée ; par défaut l'année en cours."
    )


class ComparedTerritoireSerializer(TerritoireNameSerializer):
    stage = serializers.CharField(allow_null=True, help_text="Étape de la revue de l'année, s'il y en a une.")


class ComparedRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    family = serializers.CharField()
    values = serializers.ListField(
        child=NumberField(allow_null=True), help_text="Une valeur par territoire ; null s'il ne la partage pas."
    )
    shared = serializers.ListField(child=serializers.BooleanField())
    aggregate = serializers.FloatField(
        allow_null=True, help_text="Moyenne des territoires qui ne partagent pas, s'ils sont trois ou plus."
    )


class ComparaisonSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    territoires = ComparedTerritoireSerializer(many=True)
    rows = ComparedRowSerializer(many=True)
    not_sharing = serializers.DictField(
        child=serializers.IntegerField(), help_text="Par famille : combien de territoires la gardent pour eux."
    )
