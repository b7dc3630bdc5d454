"""REST API of the annual reviews (under /api/v1/t/<territoire_slug>/) and of the facilitator's own space
(under /api/v1/facilitation/).

Thin like the other APIs: validate → access → service → respond. Everyone with access to the territory
reads its reviews; its facilitators run them (`access.can_run`, checked before the body is read, and again
by every service); members other than observers answer the questionnaire. Answers are never listed: there
is deliberately no endpoint over `Reponse` rows, only the aggregates of `selectors.results_of`, which shows
nothing but counts below three answers.
"""

import functools
from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from codir.models import Campagne, Engagement, Partage, RevueAnnuelle
from codir.revue import indicators, selectors, services
from codir.revue.access import access_campagne, access_revue, can_answer, can_run, results_visible
from codir.revue.serializers import (
    BilanSerializer,
    CampagneCreateSerializer,
    CampagneSerializer,
    ComparaisonQuerySerializer,
    ComparaisonSerializer,
    ConfirmationSerializer,
    EngagementCreateSerializer,
    EngagementSerializer,
    IndicateursSerializer,
    PartageSerializer,
    PartageWriteSerializer,
    QuestionnaireWriteSerializer,
    ReponseSerializer,
    ResultsSerializer,
    RevueAnnuelleSerializer,
    RevueCreateSerializer,
    SeminarStartSerializer,
)
from communes.access import require_admin
from communes.api import TerritoireAPIMixin

YEAR_PARAMETER = OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH, description="Année de la revue.")
ENGAGEMENT_ID_PARAMETER = OpenApiParameter("engagement_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _validated(serializer_class, request, **context) -> dict:
    serializer = serializer_class(data=request.data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(description="Les revues annuelles du territoire, la plus récente d'abord."),
    retrieve=extend_schema(
        parameters=[YEAR_PARAMETER],
        description="Une revue annuelle : étape, dates, questionnaire, bilan, engagements.",
    ),
    create=extend_schema(
        request=RevueCreateSerializer,
        responses={201: RevueAnnuelleSerializer},
        description="Ouvrir la revue d'une année, en préparation (un·e facilitateur·rice du territoire).",
    ),
)
class RevueAnnuelleViewSet(TerritoireAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The territory's annual reviews (bilan et perspectives), by year."""

    serializer_class = RevueAnnuelleSerializer
    lookup_field = "year"
    lookup_value_regex = r"\d{4}"
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_territoire_queryset(self):
        # Queries of a list page, whatever the number of reviews: count, reviews with their facilitator
        # and their answers count, engagements with their collectivité, and once the eligible members.
        return (
            RevueAnnuelle.objects.for_territoire(self.territoire)
            .select_related("facilitator")
            .defer("indicators", "network_svg")  # frozen at closure, large, served by their own endpoints
            .annotate(answers_count=Count("reponses"))
            .prefetch_related(Prefetch("engagements", queryset=Engagement.objects.select_related("owner_collectivite")))
            .order_by("-year")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        territoire = getattr(self, "territoire", None)
        if territoire is not None:
            context["eligible_count"] = functools.cache(lambda: selectors.eligible_count(territoire))
        return context

    def respond(self, revue: RevueAnnuelle, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=revue.pk)).data, status=code)

    def run(self, year: int) -> RevueAnnuelle:
        """The review of that year for its facilitator; 404 if it does not exist, 403 for anyone else."""
        return access_revue(self.access, year, run=True)

    def create(self, request, territoire_slug):
        if not can_run(self.access):
            raise PermissionDenied
        data = _validated(RevueCreateSerializer, request)
        revue = services.revue_create(territoire=self.territoire, year=data["year"], by=request.user)
        return self.respond(revue, code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        request=None,
        responses=RevueAnnuelleSerializer,
        description="Ouvrir le questionnaire aux membres, qui en sont avertis par courriel.",
    )
    @action(detail=True, methods=["post"], url_path="ouvrir-questionnaire", url_name="ouvrir-questionnaire")
    def ouvrir_questionnaire(self, request, territoire_slug, year):
        revue = services.revue_open_questionnaire(revue=self.run(year), by=request.user)
        return self.respond(revue)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        request=SeminarStartSerializer,
        responses=RevueAnnuelleSerializer,
        description="Clore le questionnaire et passer au séminaire (date et lieu facultatifs).",
    )
    @action(detail=True, methods=["post"])
    def seminaire(self, request, territoire_slug, year):
        revue = self.run(year)
        data = _validated(SeminarStartSerializer, request)
        revue = services.revue_start_seminar(
            revue=revue, by=request.user, seminar_on=data["seminar_on"], place=data["place"]
        )
        return self.respond(revue)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        request=BilanSerializer,
        responses=RevueAnnuelleSerializer,
        description="Écrire le bilan et les perspectives du séminaire (Markdown) ; un champ absent garde sa valeur.",
    )
    @action(detail=True, methods=["post"])
    def bilan(self, request, territoire_slug, year):
        revue = self.run(year)
        data = _validated(BilanSerializer, request)
        if not data:
            raise ValidationError({"detail": [_("Envoyez au moins le bilan, les perspectives, la date ou le lieu.")]})
        revue = services.seminaire_save(
            revue=revue,
            by=request.user,
            bilan=data.get("bilan", revue.bilan),
            perspectives=data.get("perspectives", revue.perspectives),
            seminar_on=data.get("seminar_on"),
            place=data.get("place", revue.seminar_place),
        )
        return self.respond(revue)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        request=None,
        responses=RevueAnnuelleSerializer,
        description="Clôturer la revue : indicateurs, résultats et carte des réseaux figés ; les engagements "
        "entrent au registre des décisions avec une action de suivi chacun.",
    )
    @action(detail=True, methods=["post"])
    def cloturer(self, request, territoire_slug, year):
        revue = services.revue_close(revue=self.run(year), by=request.user)
        return self.respond(revue)

    @extend_schema(
        methods=["GET"],
        parameters=[YEAR_PARAMETER],
        responses=QuestionnaireWriteSerializer,
        description="Le questionnaire de la revue (ses dimensions et ses questions).",
    )
    @extend_schema(
        methods=["PUT"],
        parameters=[YEAR_PARAMETER],
        request=QuestionnaireWriteSerializer,
        responses=RevueAnnuelleSerializer,
        description="Adapter le questionnaire de la revue, tant qu'elle est en préparation.",
    )
    @action(detail=True, methods=["get", "put"])
    def questionnaire(self, request, territoire_slug, year):
        if request.method == "GET":
            return Response({"questionnaire": access_revue(self.access, year).questionnaire})
        revue = self.run(year)
        data = _validated(QuestionnaireWriteSerializer, request)
        revue = services.revue_questionnaire_set(revue=revue, by=request.user, questionnaire_data=data["questionnaire"])
        return self.respond(revue)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        request=EngagementCreateSerializer,
        responses={201: EngagementSerializer},
        description="Noter un engagement pour l'année à venir, porté par une collectivité du territoire.",
    )
    @action(detail=True, methods=["post"])
    def engagements(self, request, territoire_slug, year):
        revue = self.run(year)
        data = _validated(EngagementCreateSerializer, request, territoire=self.territoire)
        engagement = services.engagement_add(revue=revue, by=request.user, **data)
        engagement = Engagement.objects.select_related("owner_collectivite").get(pk=engagement.pk)
        return Response(EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[YEAR_PARAMETER, ENGAGEMENT_ID_PARAMETER],
        request=None,
        responses=EngagementSerializer,
        description="Retirer un engagement avant la clôture (il reste, marqué retiré).",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"engagements/(?P<engagement_id>\d+)/retirer",
        url_name="engagement-retirer",
    )
    def engagement_retirer(self, request, territoire_slug, year, engagement_id):
        revue = self.run(year)
        engagement = get_object_or_404(revue.engagements.select_related("owner_collectivite"), pk=engagement_id)
        engagement = services.engagement_withdraw(engagement=engagement, by=request.user)
        engagement = Engagement.objects.select_related("owner_collectivite").get(pk=engagement.pk)
        return Response(EngagementSerializer(engagement).data)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        request=ReponseSerializer,
        responses={201: ConfirmationSerializer},
        description="Répondre au questionnaire, une fois, anonymement (les membres, hors observateurs). "
        "La réponse n'est jamais renvoyée, ni son identifiant : seulement une confirmation.",
    )
    @action(detail=True, methods=["post"])
    def reponses(self, request, territoire_slug, year):
        revue = access_revue(self.access, year)
        if not can_answer(self.access):
            raise PermissionDenied
        data = _validated(ReponseSerializer, request)
        services.reponse_submit(revue=revue, agent=request.user, answers=data["answers"])
        return Response({"detail": _("Merci : votre réponse anonyme est enregistrée.")}, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        responses=ResultsSerializer,
        description="Les résultats du questionnaire : sous trois réponses, seulement les nombres. Tous, "
        "facilitateur·rice compris, les lisent une fois le questionnaire clos (403 avant) : lus au fil des "
        "réponses, deux lectures successives trahiraient la dernière.",
    )
    @action(detail=True, methods=["get"])
    def resultats(self, request, territoire_slug, year):
        revue = access_revue(self.access, year)
        if not results_visible(revue):
            raise PermissionDenied(_("Les résultats se lisent une fois le questionnaire clos."))
        return Response(ResultsSerializer(selectors.results_of(revue)).data)

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        responses=IndicateursSerializer,
        description="Les indicateurs de l'année : figés à la clôture de la revue, calculés jusque-là.",
    )
    @action(detail=True, methods=["get"])
    def indicateurs(self, request, territoire_slug, year):
        revue = access_revue(self.access, year)
        data = {
            "year": revue.year,
            "frozen": revue.is_closed and bool(revue.indicators),
            "figures": selectors.figures_of(self.territoire, revue.year),
        }
        return Response(IndicateursSerializer(data).data)


def _families() -> list[dict]:
    families = [{"key": key, "label": indicators.family_label(key)} for key in indicators.FAMILIES]
    return [*families, {"key": "questionnaire", "label": _("Participation au questionnaire")}]


class PartageRevueView(TerritoireAPIMixin, APIView):
    """What the territory shows beside other territories in its facilitators' comparison."""

    def respond(self, partage: Partage | None) -> Response:
        data = {
            "families": partage.families if partage else [],
            "available": _families(),
            "updated_at": partage.updated_at if partage else None,
        }
        return Response(PartageSerializer(data).data)

    @extend_schema(
        responses=PartageSerializer,
        description="Les familles d'indicateurs que le territoire partage ; les autres n'apparaissent chez le ou "
        "la facilitateur·rice qu'agrégées avec au moins deux autres territoires.",
    )
    def get(self, request, territoire_slug):
        return self.respond(Partage.objects.filter(territoire=self.territoire).first())

    @extend_schema(
        request=PartageWriteSerializer,
        responses=PartageSerializer,
        description="Choisir les familles partagées (les administrateur·rices du territoire).",
    )
    def put(self, request, territoire_slug):
        require_admin(self.access)
        data = _validated(PartageWriteSerializer, request)
        return self.respond(
            services.partage_set(territoire=self.territoire, by=request.user, families=data["families"])
        )


@extend_schema_view(
    list=extend_schema(description="Mes campagnes de revues annuelles."),
    retrieve=extend_schema(description="Une de mes campagnes, avec la revue de chaque territoire."),
    create=extend_schema(
        request=CampagneCreateSerializer,
        responses={201: CampagneSerializer},
        description="Ouvrir d'un coup les revues d'une année de plusieurs territoires que j'accompagne, avec un "
        "questionnaire commun ; tout ou rien.",
    ),
)
class CampagneViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A facilitator's campaigns: their own only; anyone else's answers 404."""

    serializer_class = CampagneSerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # Schema generation: no agent.
            return Campagne.objects.none()
        # A territory that no longer has this facilitator drops out of their campaigns.
        still = selectors.facilitated_territoires(self.request.user).values("pk")
        revues = (
            RevueAnnuelle.objects.filter(territoire__in=still).select_related("territoire").order_by("territoire__name")
        )
        return (
            Campagne.objects.filter(facilitator=self.request.user, facilitator__is_active=True)
            .prefetch_related(Prefetch("revues", queryset=revues))
            .order_by("-year", "title", "pk")
        )

    def respond(self, campagne: Campagne, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=campagne.pk)).data, status=code)

    def retrieve(self, request, pk):
        return self.respond(access_campagne(request.user, pk))

    def create(self, request):
        accompanied = selectors.facilitated_territoires(request.user)
        if not accompanied.exists():
            raise PermissionDenied
        data = _validated(CampagneCreateSerializer, request)
        slugs = list(dict.fromkeys(data["territoires"]))
        found = {territoire.slug: territoire for territoire in accompanied.filter(slug__in=slugs)}
        # Missing and not accompanied read the same: nobody learns which territories exist.
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise ValidationError(
                {"territoires": [_("Territoires inconnus ou que vous n'accompagnez pas : %(slugs)s.") % {"slugs": ", ".join(unknown[:10])}]}
            )  # fmt: skip
        campagne = services.campagne_create(
            facilitator=request.user,
            year=data["year"],
            title=data["title"],
            territoires=[found[slug] for slug in slugs],
        )
        return self.respond(campagne, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=QuestionnaireWriteSerializer,
        responses=CampagneSerializer,
        description="Adapter le questionnaire de la campagne ; ses revues encore en préparation le reprennent.",
    )
    @action(detail=True, methods=["put"])
    def questionnaire(self, request, pk):
        campagne = access_campagne(request.user, pk)
        data = _validated(QuestionnaireWriteSerializer, request)
        services.campagne_questionnaire_set(
            campagne=campagne, by=request.user, questionnaire_data=data["questionnaire"]
        )
        return self.respond(campagne)


class ComparaisonView(APIView):
    """The territories I accompany side by side, each figure only where its territory shares it."""

    @extend_schema(
        parameters=[ComparaisonQuerySerializer],
        responses=ComparaisonSerializer,
        description="Les mêmes indicateurs pour chaque territoire accompagné : la valeur d'un territoire n'y "
        "figure (sinon null) que s'il partage cette famille ; les autres ne comptent que dans une moyenne "
        "d'au moins trois territoires.",
    )
    def get(self, request):
        if not selectors.facilitated_territoires(request.user).exists():
            raise PermissionDenied
        query = ComparaisonQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("annee") or timezone.localdate().year
        comparison = selectors.comparison(request.user, year)
        data = {
            "year": comparison.year,
            "territoires": [
                {
                    "slug": territoire.slug,
                    "name": territoire.name,
                    "stage": revue.stage if (revue := comparison.revues.get(territoire.pk)) else None,
                }
                for territoire in comparison.territoires
            ],
            "rows": [asdict(row) for row in comparison.rows],
            "not_sharing": comparison.not_sharing,
        }
        return Response(ComparaisonSerializer(data).data)
