"""The professional networks: networks and their members, events, shared resources, the exchanges between
agents ("vis ma vie"), and the analyses of the graph of ties as JSON.

Everyone with access to the territory reads; contributing members create networks (and lead them);
référents and administrators run a network; an exchange is recorded by its host, its guest or an
administrator (`reseaux.access`).
"""

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from communes.api import TerritoireAPIMixin
from reseaux import cartography, services
from reseaux.access import access_reseau, can_record_echange, require_lead
from reseaux.api.base import PartViewSet, PortfolioAPIMixin
from reseaux.api.networks_serializers import (
    AnalysisQuerySerializer,
    AnalysisSerializer,
    EchangeSerializer,
    EchangeWriteSerializer,
    EvenementSerializer,
    EvenementWriteSerializer,
    EvolutionQuerySerializer,
    EvolutionSerializer,
    MembreEndSerializer,
    MembreReseauSerializer,
    MembreRoleSerializer,
    MembreWriteSerializer,
    ReseauCloseSerializer,
    ReseauCreateSerializer,
    ReseauDetailSerializer,
    ReseauQuerySerializer,
    ReseauSerializer,
    RessourceSerializer,
    RessourceWriteSerializer,
)
from reseaux.models import Evenement, MembreReseau, Participation, Reseau, Ressource
from reseaux.selectors_networks import echanges_of, reseau_of, reseaux_of


@extend_schema_view(
    list=extend_schema(description="Les réseaux du territoire, avec leurs membres, référent·es et collectivités."),
    retrieve=extend_schema(responses=ReseauDetailSerializer),
    create=extend_schema(
        request=ReseauCreateSerializer,
        responses={201: ReseauDetailSerializer},
        description="Créer un réseau (tout membre contributeur) ; la personne qui le crée en est référent·e.",
    ),
)
class ReseauViewSet(PortfolioAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The territory's professional networks: métier, fonction, projet."""

    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return ReseauDetailSerializer if self.action == "retrieve" else ReseauSerializer

    def get_territoire_queryset(self):
        return reseaux_of(self.territoire)

    def reseau_response(self, reseau_id, *, code=status.HTTP_200_OK) -> Response:
        try:
            reseau = reseau_of(self.territoire, reseau_id)
        except Reseau.DoesNotExist:
            raise Http404 from None
        prefetch_related_objects(list(reseau.ressources.all()), "added_by")  # who shared each: one query
        return self.respond(reseau, code=code, serializer_class=ReseauDetailSerializer)

    def retrieve(self, request, territoire_slug, pk):
        return self.reseau_response(pk)

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(ReseauCreateSerializer)
        others = [agent for agent in data.pop("referents") if agent.pk != request.user.pk]
        reseau = services.reseau_create(
            territoire=self.territoire, by=request.user, referents=[request.user, *dict.fromkeys(others)], **data
        )
        return self.reseau_response(reseau.pk, code=status.HTTP_201_CREATED)

    @extend_schema(request=ReseauCloseSerializer, responses=ReseauDetailSerializer)
    @action(detail=True, methods=["post"])
    def clore(self, request, territoire_slug, pk):
        """Clore le réseau à une date : ses membres le quittent ce jour-là, son historique reste
        (référent·es et administrateur·rices)."""
        reseau = access_reseau(self.access, pk)
        require_lead(self.access, reseau)
        data = self.validated(ReseauCloseSerializer)
        services.reseau_close(reseau=reseau, by=request.user, on=data["closed_on"])
        return self.reseau_response(reseau.pk)


class ReseauPartViewSet(PartViewSet):
    """What belongs to one network, scoped through it; the list takes `?reseau=<id>`."""

    parent, query_serializer = "reseau", ReseauQuerySerializer

    def validated_for_lead(self, serializer_class) -> dict:
        """Observers and facilitators are refused before validating; then only the network's leads write."""
        self.require_contributor()
        data = self.validated(serializer_class)
        require_lead(self.access, data["reseau"])
        return data


RESEAU_FILTER = extend_schema(parameters=[ReseauQuerySerializer])


@extend_schema_view(
    list=RESEAU_FILTER,
    create=extend_schema(
        request=MembreWriteSerializer,
        responses={201: MembreReseauSerializer},
        description="Un membre du territoire rejoint le réseau, pour sa collectivité (référent·es du réseau).",
    ),
)
class MembreReseauViewSet(mixins.CreateModelMixin, ReseauPartViewSet):
    """The members of the networks, current and past, with their dates and role."""

    serializer_class = MembreReseauSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_part_queryset(self):
        return (
            MembreReseau.objects.filter(reseau__territoire=self.territoire)
            .select_related("agent", "collectivite")
            .order_by("reseau__name", "reseau_id", "-role", "since", "pk")
        )

    def create(self, request, territoire_slug):
        data = self.validated_for_lead(MembreWriteSerializer)
        membre = services.membre_add(by=request.user, **data)
        return self.respond(membre, code=status.HTTP_201_CREATED)

    @extend_schema(request=MembreEndSerializer, responses=MembreReseauSerializer)
    @action(detail=True, methods=["post"])
    def terminer(self, request, territoire_slug, pk):
        """La personne quitte le réseau à une date (aujourd'hui par défaut) ; sa période reste dans
        l'historique (référent·es du réseau)."""
        membre = self.get_object()
        require_lead(self.access, membre.reseau)
        data = self.validated(MembreEndSerializer)
        return self.respond(services.membre_end(membre=membre, by=request.user, until=data["until"]))

    @extend_schema(request=MembreRoleSerializer, responses=MembreReseauSerializer)
    @action(detail=True, methods=["post"])
    def role(self, request, territoire_slug, pk):
        """Nommer un membre référent·e, ou redevenir simple membre (référent·es du réseau)."""
        membre = self.get_object()
        require_lead(self.access, membre.reseau)
        data = self.validated(MembreRoleSerializer)
        return self.respond(services.membre_set_role(membre=membre, by=request.user, role=data["role"]))


@extend_schema_view(
    list=RESEAU_FILTER,
    create=extend_schema(
        request=EvenementWriteSerializer,
        responses={201: EvenementSerializer},
        description="Enregistrer un événement du réseau et qui y a participé (référent·es du réseau).",
    ),
)
class EvenementViewSet(mixins.CreateModelMixin, ReseauPartViewSet):
    """The networks' events (journées réseau, ateliers) and who attended them."""

    serializer_class = EvenementSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_part_queryset(self):
        participations = Participation.objects.select_related("agent", "collectivite").order_by(
            "collectivite__name", "agent__last_name", "pk"
        )
        return (
            Evenement.objects.filter(reseau__territoire=self.territoire)
            .prefetch_related(Prefetch("participations", queryset=participations))
            .order_by("-held_on", "reseau__name", "pk")
        )

    def create(self, request, territoire_slug):
        data = self.validated_for_lead(EvenementWriteSerializer)
        evenement = services.evenement_create(by=request.user, **data)
        return self.respond(self.get_part_queryset().get(pk=evenement.pk), code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=RESEAU_FILTER,
    create=extend_schema(
        request=RessourceWriteSerializer,
        responses={201: RessourceSerializer},
        description="Partager un lien avec le réseau (référent·es du réseau).",
    ),
)
class RessourceViewSet(mixins.CreateModelMixin, ReseauPartViewSet):
    """The resources the networks share, withdrawn ones included (`withdrawn_at`)."""

    serializer_class = RessourceSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_part_queryset(self):
        return (
            Ressource.objects.filter(reseau__territoire=self.territoire)
            .select_related("added_by")
            .order_by("-added_at", "-pk")
        )

    def create(self, request, territoire_slug):
        data = self.validated_for_lead(RessourceWriteSerializer)
        return self.respond(services.ressource_add(by=request.user, **data), code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RessourceSerializer)
    @action(detail=True, methods=["post"])
    def retirer(self, request, territoire_slug, pk):
        """Retirer la ressource de la page du réseau ; elle reste dans l'historique (référent·es du réseau)."""
        ressource = self.get_object()
        require_lead(self.access, ressource.reseau)
        return self.respond(services.ressource_withdraw(ressource=ressource, by=request.user))


@extend_schema_view(
    create=extend_schema(
        request=EchangeWriteSerializer,
        responses={201: EchangeSerializer},
        description="Enregistrer une immersion ou un échange entre agents de deux collectivités "
        "(l'une des deux personnes, ou un·e administrateur·rice).",
    ),
)
class EchangeViewSet(PortfolioAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Immersions ("vis ma vie") and professional exchanges between agents of two collectivités."""

    serializer_class = EchangeSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_territoire_queryset(self):
        return echanges_of(self.territoire).select_related("recorded_by").order_by("-starts_on", "-pk")

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(EchangeWriteSerializer)
        if not can_record_echange(self.access, data["host"], data["guest"]):
            raise PermissionDenied
        echange = services.echange_record(territoire=self.territoire, by=request.user, **data)
        return self.respond(self.get_territoire_queryset().get(pk=echange.pk), code=status.HTTP_201_CREATED)


class ReseauAnalysesView(TerritoireAPIMixin, APIView):
    """The analyses of the graph of ties on a day, as the map shows them (cached until the data change)."""

    @extend_schema(
        parameters=[AnalysisQuerySerializer],
        responses=AnalysisSerializer,
        description="Carte des liens professionnels à une date : pôles, passeurs, points de coupure, ponts, "
        "collectivités isolées, couverture collectivité × réseau, communautés, densité.",
    )
    def get(self, request, territoire_slug):
        query = AnalysisQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return Response(asdict(cartography.analysis_of(self.territoire, data["date"], data["couches"])))


class ReseauEvolutionView(TerritoireAPIMixin, APIView):
    """What changed in the graph of ties between two days."""

    @extend_schema(
        parameters=[EvolutionQuerySerializer],
        responses=EvolutionSerializer,
        description="Ce qui a changé entre deux dates : liens gagnés et perdus, agents partis et arrivés, "
        "réseaux affaiblis, collectivités devenues isolées ou qui ont retrouvé un lien.",
    )
    def get(self, request, territoire_slug):
        query = EvolutionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        evolution = cartography.evolution_of(self.territoire, data["du"], data["au"], data["couches"])
        return Response({"du": data["du"], "au": data["au"], "layers": list(data["couches"]), **asdict(evolution)})
