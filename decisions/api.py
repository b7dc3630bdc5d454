"""REST API of the decision engine: propositions, positions, follow-up actions."""

from datetime import date

from django.db.models import Q
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from communes.api import (
    AgentBriefSerializer,
    CollectiviteBriefSerializer,
    DateTimeField,
    ModelSerializer,
    TerritoireAPIMixin,
    markdown_field,
    text_field,
)
from communes.models import Agent, Collectivite
from decisions import selectors, services
from decisions.access import access_action, access_proposition, require_contributor
from decisions.models import Action, ChoiceChoices, Position, Proposition, ResultChoices, Round


class PositionSerializer(ModelSerializer):
    collectivite = CollectiviteBriefSerializer(read_only=True)
    spoken_by = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Position
        fields = [
            "id",
            "collectivite",
            "choice",
            "motive",
            "spoken_by",
            "seat_kind",
            "created_at",
            "replaced_at",
            "response",
        ]


class RoundSerializer(ModelSerializer):
    positions = PositionSerializer(many=True, read_only=True)

    class Meta:
        model = Round
        fields = ["number", "body", "body_html", "opened_at", "closed_at", "closing", "result", "tally", "positions"]


class PropositionSerializer(ModelSerializer):
    author = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Proposition
        fields = [
            "id", "title", "body", "body_html", "kind", "status", "mode", "majority", "quorum_percent", "colleges",
            "author", "opens_at", "closes_at", "closed_at", "result", "avis", "withdrawal_reason",
        ]  # fmt: skip
        read_only_fields = [
            "body_html", "status", "opens_at", "closes_at", "closed_at", "result", "avis", "withdrawal_reason",
        ]  # fmt: skip
        extra_kwargs = {
            "mode": {"required": False},
            "majority": {"required": False},
            "quorum_percent": {"required": False},
        }


class PropositionDetailSerializer(PropositionSerializer):
    rounds = RoundSerializer(many=True, read_only=True)

    class Meta(PropositionSerializer.Meta):
        fields = [*PropositionSerializer.Meta.fields, "rounds"]


class OpenSerializer(serializers.Serializer):
    closes_at = DateTimeField()


class ObjectionResponseSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    response = text_field()


class AmendSerializer(serializers.Serializer):
    body = markdown_field()
    closes_at = DateTimeField()
    responses = ObjectionResponseSerializer(many=True)


class WithdrawSerializer(serializers.Serializer):
    reason = text_field()


class ExpressSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=ChoiceChoices.choices)
    motive = text_field(required=False, allow_blank=True, default="")


class ActionSerializer(ModelSerializer):
    proposition = serializers.PrimaryKeyRelatedField(queryset=Proposition.objects.none())
    owner_collectivite = serializers.PrimaryKeyRelatedField(
        queryset=Collectivite.objects.none(), required=False, allow_null=True
    )
    owner_agent = serializers.PrimaryKeyRelatedField(queryset=Agent.objects.none(), required=False, allow_null=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "proposition",
            "title",
            "description",
            "owner_collectivite",
            "owner_agent",
            "due_date",
            "status",
        ]
        read_only_fields = ["status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        territoire = self.context.get("territoire")
        if territoire is not None:
            self.fields["proposition"].queryset = Proposition.objects.for_territoire(territoire)
            self.fields["owner_collectivite"].queryset = Collectivite.objects.for_territoire(territoire).active()
            self.fields["owner_agent"].queryset = Agent.objects.filter(
                memberships__territoire=territoire, memberships__ended_at__isnull=True
            )


class ActionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Action.Status.choices)


FILTERS = [
    OpenApiParameter("etat", str, enum=Proposition.Status.values, description="brouillon, ouverte, close, retiree"),
    OpenApiParameter("nature", str, enum=Proposition.Kind.values),
    OpenApiParameter("resultat", str, enum=ResultChoices.values),
    OpenApiParameter("depuis", str, description="close depuis cette date (AAAA-MM-JJ)"),
    OpenApiParameter("jusqua", str, description="close jusqu'à cette date (AAAA-MM-JJ)"),
    OpenApiParameter("q", str, description="recherche dans l'intitulé et le texte"),
]


@extend_schema_view(
    list=extend_schema(parameters=FILTERS, description="Propositions du territoire (le registre : `?etat=close`)."),
    create=extend_schema(description="Créer un brouillon ; le mode et le quorum par défaut sont ceux de la charte."),
)
class PropositionViewSet(
    TerritoireAPIMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Propositions put to the collective. Drafts are visible to their author only."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return PropositionDetailSerializer if self.action == "retrieve" else PropositionSerializer

    def get_territoire_queryset(self):
        params = self.request.query_params
        if params.get("etat") == Proposition.Status.CLOSE:
            propositions = selectors.register(
                self.territoire,
                kind=params.get("nature", ""),
                result=params.get("resultat", ""),
                since=_date(params.get("depuis")),
                until=_date(params.get("jusqua")),
                query=params.get("q", ""),
            )
        else:
            propositions = Proposition.objects.for_territoire(self.territoire).select_related("author")
            if params.get("etat") in Proposition.Status.values:
                propositions = propositions.filter(status=params["etat"])
            if params.get("nature") in Proposition.Kind.values:
                propositions = propositions.filter(kind=params["nature"])
        if self.action == "retrieve":
            propositions = propositions.prefetch_related(
                "rounds__positions__collectivite", "rounds__positions__spoken_by"
            )
        return propositions.filter(~Q(status=Proposition.Status.BROUILLON) | Q(author=self.request.user)).order_by(
            "-created_at", "-pk"
        )

    def create(self, request, *args, **kwargs):
        # Read-only personas are refused (403) before validation, as on the page: a 400 would tell them what to fix.
        require_contributor(self.access)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.proposition_create(
            territoire=self.territoire, author=self.request.user, **serializer.validated_data
        )

    def update(self, request, *args, **kwargs):
        # Steering rights first (403), then validation (400): a 400 would tell a non-author what to fix.
        access_proposition(self.access, self.get_object().pk, steer=True)
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        proposition = access_proposition(self.access, serializer.instance.pk, steer=True)
        serializer.instance = services.proposition_update(
            proposition=proposition, by=self.request.user, **serializer.validated_data
        )

    def _respond(self, proposition, code=status.HTTP_200_OK):
        fresh = Proposition.objects.prefetch_related(
            "rounds__positions__collectivite", "rounds__positions__spoken_by"
        ).get(pk=proposition.pk)
        return Response(PropositionDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=OpenSerializer, responses=PropositionDetailSerializer)
    @action(detail=True, methods=["post"])
    def ouvrir(self, request, territoire_slug, pk):
        proposition = access_proposition(self.access, pk, steer=True)
        data = _valid(OpenSerializer, request)
        return self._respond(services.proposition_open(proposition=proposition, by=request.user, **data))

    @extend_schema(request=AmendSerializer, responses=PropositionDetailSerializer)
    @action(detail=True, methods=["post"])
    def amender(self, request, territoire_slug, pk):
        proposition = access_proposition(self.access, pk, steer=True)
        data = _valid(AmendSerializer, request)
        services.proposition_amend(
            proposition=proposition,
            by=request.user,
            body=data["body"],
            closes_at=data["closes_at"],
            responses={item["position"]: item["response"] for item in data["responses"]},
        )
        return self._respond(proposition)

    @extend_schema(request=None, responses=PropositionDetailSerializer)
    @action(detail=True, methods=["post"])
    def cloturer(self, request, territoire_slug, pk):
        proposition = access_proposition(self.access, pk, steer=True)
        return self._respond(services.proposition_close(proposition=proposition, by=request.user))

    @extend_schema(request=WithdrawSerializer, responses=PropositionDetailSerializer)
    @action(detail=True, methods=["post"])
    def retirer(self, request, territoire_slug, pk):
        proposition = access_proposition(self.access, pk, steer=True)
        data = _valid(WithdrawSerializer, request)
        return self._respond(services.proposition_withdraw(proposition=proposition, by=request.user, **data))

    @extend_schema(
        methods=["get"], request=None, responses=PositionSerializer(many=True),
        description="Positions actuelles du tour en cours (ou du dernier tour).",
    )  # fmt: skip
    @extend_schema(methods=["post"], request=ExpressSerializer, responses={201: PositionSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # all of them: the schema must not page
    def positions(self, request, territoire_slug, pk):
        proposition = access_proposition(self.access, pk)
        if request.method == "POST":
            data = _valid(ExpressSerializer, request)
            position = services.position_express(proposition=proposition, agent=request.user, **data)
            return Response(PositionSerializer(position).data, status=status.HTTP_201_CREATED)
        current = proposition.rounds.order_by("-number").first()
        positions = (
            Position.objects.current().filter(round=current).select_related("collectivite", "spoken_by")
            if current
            else Position.objects.none()
        )
        return Response(PositionSerializer(positions, many=True).data)


@extend_schema_view(
    partial_update=extend_schema(request=ActionStatusSerializer, responses=ActionSerializer),
    list=extend_schema(parameters=[OpenApiParameter("etat", str, enum=Action.Status.values)]),
)
class ActionViewSet(
    TerritoireAPIMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Follow-up actions of the territory's decisions."""

    serializer_class = ActionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_territoire_queryset(self):
        status_filter = self.request.query_params.get("etat", "")
        return selectors.actions_of_territoire(
            self.territoire, status=status_filter if status_filter in Action.Status.values else ""
        )

    def create(self, request, *args, **kwargs):
        require_contributor(self.access)  # before validation, as for propositions
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        proposition = access_proposition(self.access, data.pop("proposition").pk)
        serializer.instance = services.action_create(proposition=proposition, by=self.request.user, **data)

    def partial_update(self, request, territoire_slug, pk):
        action_ = access_action(self.access, pk, write=True)
        data = _valid(ActionStatusSerializer, request)
        action_ = services.action_set_status(action=action_, by=request.user, status=data["status"])
        return Response(ActionSerializer(action_, context=self.get_serializer_context()).data)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None
