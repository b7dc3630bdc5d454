"""Projects (the portfolio, a project's page, its health and pilotage, the systemic view) and the axes."""

from datetime import date

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from communes.access import require_admin
from communes.models import Collectivite
from reseaux import selectors, services
from reseaux.access import access_projet, require_pilot
from reseaux.api.base import PortfolioAPIMixin
from reseaux.api.serializers import (
    AxeSerializer,
    PilotageSerializer,
    ProjetCreateSerializer,
    ProjetDetailSerializer,
    ProjetFiltersSerializer,
    ProjetSerializer,
    ProjetUpdateSerializer,
    SanteSerializer,
    SystemiqueSerializer,
    axes_of,
    projets_of,
)
from reseaux.models import Projet


def _rotation(pilotes: list[dict], default_start: date | None) -> list[tuple[Collectivite, date | None]]:
    """The (collectivité, start) pairs a service takes; outside pilotage alterné a period without a
    start begins with the pilotage (`default_start`)."""
    rotation = [(item["collectivite"], item["starts_on"] or default_start) for item in pilotes]
    if len({(c.pk, start) for c, start in rotation}) != len(rotation):
        raise serializers.ValidationError({"pilotes": ["Une collectivité figure deux fois à la même date."]})
    return rotation


@extend_schema_view(
    list=extend_schema(
        parameters=[ProjetFiltersSerializer],
        description="Le portefeuille du territoire, filtré par axe, état, santé, mode de pilotage, "
        "collectivité pilote ou participante.",
    ),
    retrieve=extend_schema(responses=ProjetDetailSerializer),
    create=extend_schema(
        request=ProjetCreateSerializer,
        responses={201: ProjetDetailSerializer},
        description="Créer un projet avec ses collectivités pilotes (tout membre contributeur).",
    ),
    partial_update=extend_schema(
        request=ProjetUpdateSerializer,
        responses=ProjetDetailSerializer,
        description="Modifier la fiche du projet (ses pilotes seulement).",
    ),
)
class ProjetViewSet(PortfolioAPIMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The territory's shared projects."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return ProjetDetailSerializer if self.action == "retrieve" else ProjetSerializer

    def get_territoire_queryset(self):
        if self.action != "list":
            return projets_of(self.territoire)
        query = ProjetFiltersSerializer(data=self.request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = selectors.PortfolioFilters(
            axe=data["axe"].pk if data.get("axe") else None,
            status=data.get("status", ""),
            health=data.get("health", ""),
            pilotage=data.get("pilotage", ""),
            pilote=data["pilote"].pk if data.get("pilote") else None,
            participant=data["participant"].pk if data.get("participant") else None,
        )
        return selectors.portfolio(self.territoire, filters)

    def projet_response(self, projet_id, *, code=status.HTTP_200_OK) -> Response:
        try:
            projet = selectors.projet_of(self.territoire, projet_id, reader=self.request.user)
        except Projet.DoesNotExist:
            raise Http404 from None
        return self.respond(projet, code=code, serializer_class=ProjetDetailSerializer)

    def retrieve(self, request, territoire_slug, pk):
        return self.projet_response(pk)

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(ProjetCreateSerializer)
        pilotes, pilotage = data.pop("pilotes"), data["pilotage"]
        default_start = None if pilotage == Projet.Pilotage.ALTERNE else data.get("starts_on") or timezone.localdate()
        projet = services.projet_create(
            territoire=self.territoire, by=request.user, rotation=_rotation(pilotes, default_start), **data
        )
        return self.projet_response(projet.pk, code=status.HTTP_201_CREATED)

    def partial_update(self, request, territoire_slug, pk):
        projet = access_projet(self.access, pk)
        require_pilot(self.access, projet)
        projet = services.projet_update(projet=projet, by=request.user, **self.validated(ProjetUpdateSerializer))
        return self.projet_response(projet.pk)

    @extend_schema(request=SanteSerializer, responses=ProjetDetailSerializer)
    @action(detail=True, methods=["post"])
    def sante(self, request, territoire_slug, pk):
        """Changer la santé du projet, avec sa raison (ses pilotes)."""
        projet = access_projet(self.access, pk)
        require_pilot(self.access, projet)
        data = self.validated(SanteSerializer)
        services.health_set(projet=projet, by=request.user, health=data["health"], reason=data["reason"])
        return self.projet_response(projet.pk)

    @extend_schema(request=PilotageSerializer, responses=ProjetDetailSerializer)
    @action(detail=True, methods=["post"])
    def pilotage(self, request, territoire_slug, pk):
        """Changer de pilotage à partir d'un jour ; les périodes passées restent (ses pilotes)."""
        projet = access_projet(self.access, pk)
        require_pilot(self.access, projet)
        data = self.validated(PilotageSerializer)
        from_day = data["from_day"] or timezone.localdate()
        default_start = None if data["pilotage"] == Projet.Pilotage.ALTERNE else from_day
        services.pilotage_change(
            projet=projet,
            by=request.user,
            pilotage=data["pilotage"],
            rotation=_rotation(data["pilotes"], default_start),
            from_day=from_day,
        )
        return self.projet_response(projet.pk)

    @extend_schema(request=None, responses=SystemiqueSerializer)
    @action(detail=False, methods=["get"])
    def systemique(self, request, territoire_slug):
        """Les projets classés par leurs liens systémiques, les boucles de renforcement, les projets isolés."""
        view = selectors.systemic_view(self.territoire)
        data = {
            "ranking": [{"projet": projet, "score": score} for projet, score in view["ranking"]],
            "loops": view["loops"],
            "isolated": view["isolated"],
            "links": view["links"],
        }
        return Response(SystemiqueSerializer(data, context=self.get_serializer_context()).data)


@extend_schema_view(
    create=extend_schema(description="Ajouter un axe stratégique (les administrateur·rices du territoire).")
)
class AxeViewSet(PortfolioAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The territory's strategic axes, under which projects are filed."""

    serializer_class = AxeSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_territoire_queryset(self):
        return axes_of(self.territoire).order_by("position", "name")

    def create(self, request, *args, **kwargs):
        require_admin(self.access)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.axe_create(
            territoire=self.territoire, by=self.request.user, **serializer.validated_data
        )
