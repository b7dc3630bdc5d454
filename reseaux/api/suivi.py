"""What belongs to one project: pilots, contributions, phases, milestones, indicators, référents,
reviews, and the links between projects."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from reseaux import services
from reseaux.access import can_pilot, require_follower, require_pilot
from reseaux.api.base import PartViewSet
from reseaux.api.serializers import (
    ContributionSerializer,
    ContributionWriteSerializer,
    IndicateurSerializer,
    IndicateurUpdateSerializer,
    IndicateurWriteSerializer,
    JalonReachSerializer,
    JalonSerializer,
    JalonUpdateSerializer,
    JalonWriteSerializer,
    LienSerializer,
    LienWriteSerializer,
    PhaseSerializer,
    PhaseWriteSerializer,
    PiloteSerializer,
    ProjetQuerySerializer,
    ReferentSerializer,
    ReferentWriteSerializer,
    RevueSerializer,
    RevueWriteSerializer,
)
from reseaux.models import Contribution, Indicateur, Jalon, Lien, Phase, Pilote, Projet, Referent, Revue


class ProjetPartViewSet(PartViewSet):
    """What belongs to one project, scoped through it; the list takes `?projet=<id>`."""

    parent, query_serializer = "projet", ProjetQuerySerializer


PROJET_FILTER = extend_schema(parameters=[ProjetQuerySerializer])


@extend_schema_view(list=PROJET_FILTER)
class PiloteViewSet(ProjetPartViewSet):
    """The pilot collectivités of the projects, period by period (changed through `projets/{id}/pilotage/`)."""

    serializer_class = PiloteSerializer

    def get_part_queryset(self):
        return (
            Pilote.objects.filter(projet__territoire=self.territoire)
            .select_related("collectivite")
            .order_by("projet__title", "projet_id", "starts_on", "collectivite__name")
        )


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=ContributionWriteSerializer,
        responses={201: ContributionSerializer, 200: ContributionSerializer},
        description="Enregistrer ou modifier ce qu'apporte une collectivité (les pilotes du projet).",
    ),
)
class ContributionViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, ProjetPartViewSet):
    """What the participating collectivités bring: co-financing and staff time."""

    serializer_class = ContributionSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_part_queryset(self):
        return (
            Contribution.objects.filter(projet__territoire=self.territoire)
            .select_related("collectivite")
            .order_by("projet__title", "projet_id", "-amount", "collectivite__name")
        )

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(ContributionWriteSerializer)
        projet = data.pop("projet")
        require_pilot(self.access, projet)
        existed = projet.contributions.filter(collectivite=data["collectivite"]).exists()
        contribution = services.contribution_set(projet=projet, by=request.user, **data)
        return self.respond(contribution, code=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def destroy(self, request, territoire_slug, pk):
        contribution = self.get_object()
        require_pilot(self.access, contribution.projet)
        services.contribution_remove(contribution=contribution, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=PhaseWriteSerializer,
        responses={201: PhaseSerializer, 200: PhaseSerializer},
        description="Planifier (ou replanifier) une phase de coopération (les pilotes du projet).",
    ),
)
class PhaseViewSet(mixins.CreateModelMixin, ProjetPartViewSet):
    """The phases of cooperation of the projects, from co-diagnostic to co-évaluation."""

    serializer_class = PhaseSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_part_queryset(self):
        return Phase.objects.filter(projet__territoire=self.territoire).order_by(
            "projet__title", "projet_id", "starts_on", "pk"
        )

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(PhaseWriteSerializer)
        projet = data.pop("projet")
        require_pilot(self.access, projet)
        existed = projet.phases.filter(kind=data["kind"]).exists()
        phase = services.phase_set(projet=projet, by=request.user, **data)
        return self.respond(phase, code=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=JalonWriteSerializer,
        responses={201: JalonSerializer},
        description="Poser un jalon (les pilotes du projet).",
    ),
    partial_update=extend_schema(
        request=JalonUpdateSerializer,
        responses=JalonSerializer,
        description="Renommer ou déplacer un jalon (les pilotes du projet).",
    ),
)
class JalonViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ProjetPartViewSet):
    """The milestones of the projects; `late` when the due date has passed without being reached."""

    serializer_class = JalonSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_part_queryset(self):
        return Jalon.objects.filter(projet__territoire=self.territoire).order_by(
            "projet__title", "projet_id", "due_on", "pk"
        )

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(JalonWriteSerializer)
        projet = data.pop("projet")
        require_pilot(self.access, projet)
        jalon = services.jalon_add(projet=projet, by=request.user, **data)
        return self.respond(jalon, code=status.HTTP_201_CREATED)

    def partial_update(self, request, territoire_slug, pk):
        jalon = self.get_object()
        require_pilot(self.access, jalon.projet)
        data = self.validated(JalonUpdateSerializer)
        jalon = services.jalon_update(
            jalon=jalon, by=request.user, title=data.get("title", jalon.title), due_on=data.get("due_on", jalon.due_on)
        )
        return self.respond(jalon)

    @extend_schema(request=JalonReachSerializer, responses=JalonSerializer)
    @action(detail=True, methods=["post"])
    def atteint(self, request, territoire_slug, pk):
        """Marquer le jalon atteint un jour, ou le rouvrir avec `null` (pilotes et référent·es)."""
        jalon = self.get_object()
        require_follower(self.access, jalon.projet)
        data = self.validated(JalonReachSerializer)
        return self.respond(services.jalon_reach(jalon=jalon, by=request.user, done_on=data["done_on"]))


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=IndicateurWriteSerializer,
        responses={201: IndicateurSerializer},
        description="Définir un indicateur de la fiche action (pilotes et référent·es).",
    ),
    partial_update=extend_schema(
        request=IndicateurUpdateSerializer,
        responses=IndicateurSerializer,
        description="Modifier un indicateur ou donner une nouvelle mesure (pilotes et référent·es).",
    ),
)
class IndicateurViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ProjetPartViewSet):
    """The indicators of the fiche action: target and last measure."""

    serializer_class = IndicateurSerializer

    def get_part_queryset(self):
        return Indicateur.objects.filter(projet__territoire=self.territoire).order_by(
            "projet__title", "projet_id", "pk"
        )

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(IndicateurWriteSerializer)
        projet = data.pop("projet")
        require_follower(self.access, projet)
        indicateur = services.indicateur_set(projet=projet, by=request.user, **data)
        return self.respond(indicateur, code=status.HTTP_201_CREATED)

    def partial_update(self, request, territoire_slug, pk):
        indicateur = self.get_object()
        require_follower(self.access, indicateur.projet)
        data = self.validated(IndicateurUpdateSerializer)
        fields = {name: data.get(name, getattr(indicateur, name)) for name in ("name", "unit", "target", "measured")}
        # A new measure without its date is today's, not the date of the previous one.
        measured_on = data.get("measured_on", None if "measured" in data else indicateur.measured_on)
        indicateur = services.indicateur_set(
            projet=indicateur.projet, by=request.user, indicateur=indicateur, measured_on=measured_on, **fields
        )
        return self.respond(indicateur)

    def destroy(self, request, territoire_slug, pk):
        indicateur = self.get_object()
        require_follower(self.access, indicateur.projet)
        services.indicateur_remove(indicateur=indicateur, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=ReferentWriteSerializer,
        responses={201: ReferentSerializer},
        description="Un membre du territoire commence à suivre le projet (les pilotes du projet).",
    ),
)
class ReferentViewSet(mixins.CreateModelMixin, ProjetPartViewSet):
    """Who follows the projects, with the history of their periods."""

    serializer_class = ReferentSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_part_queryset(self):
        return (
            Referent.objects.filter(projet__territoire=self.territoire)
            .select_related("agent")
            .order_by("projet__title", "projet_id", "since", "pk")
        )

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(ReferentWriteSerializer)
        require_pilot(self.access, data["projet"])
        referent = services.referent_add(projet=data["projet"], by=request.user, agent=data["agent"])
        return self.respond(referent, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ReferentSerializer)
    @action(detail=True, methods=["post"])
    def terminer(self, request, territoire_slug, pk):
        """La personne cesse de suivre le projet ; sa période reste dans l'historique (les pilotes)."""
        referent = self.get_object()
        require_pilot(self.access, referent.projet)
        return self.respond(services.referent_end(referent=referent, by=request.user))


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=RevueWriteSerializer,
        responses={201: RevueSerializer},
        description="Enregistrer une revue tenue ; la santé du projet suit (pilotes et référent·es).",
    ),
)
class RevueViewSet(mixins.CreateModelMixin, ProjetPartViewSet):
    """The project reviews held by the CoDir, and the handover reviews waiting to be held."""

    serializer_class = RevueSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_part_queryset(self):
        return (
            Revue.objects.filter(projet__territoire=self.territoire)
            .select_related("recorded_by")
            .prefetch_related("collectivites")
            .order_by("-held_on", "-pk")
        )

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(RevueWriteSerializer)
        projet = data.pop("projet")
        require_follower(self.access, projet)
        revue = services.revue_record(projet=projet, by=request.user, **data)
        return self.respond(self.get_part_queryset().get(pk=revue.pk), code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=PROJET_FILTER,
    create=extend_schema(
        request=LienWriteSerializer,
        responses={201: LienSerializer},
        description="Lier deux projets en justifiant le lien (un pilote de l'un des deux projets).",
    ),
)
class LienViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, ProjetPartViewSet):
    """Typed links between projects; `?projet=` gives the links from and to a project."""

    serializer_class = LienSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_part_queryset(self):
        return (
            Lien.objects.filter(source__territoire=self.territoire)
            .select_related("source", "target")
            .order_by("source__title", "target__title", "kind", "pk")
        )

    object_related = ("source__territoire", "target")

    def filter_parent(self, queryset, projet):
        return queryset.filter(Q(source=projet) | Q(target=projet))

    def require_either_pilot(self, source: Projet, target: Projet) -> None:
        if not (can_pilot(self.access, source) or can_pilot(self.access, target)):
            raise PermissionDenied

    def create(self, request, territoire_slug):
        self.require_contributor()
        data = self.validated(LienWriteSerializer)
        self.require_either_pilot(data["source"], data["target"])
        lien = services.lien_create(by=request.user, **data)
        return self.respond(lien, code=status.HTTP_201_CREATED)

    def destroy(self, request, territoire_slug, pk):
        lien = self.get_object()
        self.require_either_pilot(lien.source, lien.target)
        services.lien_delete(lien=lien, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
