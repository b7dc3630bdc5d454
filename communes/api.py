"""REST API of the communes app, and the base every territory-scoped API view builds on."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from communes import selectors, services
from communes.access import (
    access_facilitator,
    access_invitation,
    access_membership,
    access_seat,
    require_admin,
    require_member,
    territoire_access,
)
from communes.models import Agent, Collectivite, Invitation, JournalEntry, Membership, Seat, Territoire


def exception_handler(exc, context):
    """Turn a service's French ValidationError into a 400 answer with the same messages."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


TERRITOIRE_SLUG_PARAMETER = OpenApiParameter(
    "territoire_slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Identifiant d'adresse du territoire (ex. cc-du-pays-de-mortagne).",
)


class TerritoireAutoSchema(AutoSchema):
    """Document the territory slug of every scoped path once, for all views."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if "{territoire_slug}" in self.path:
            parameters = [TERRITOIRE_SLUG_PARAMETER, *parameters]
        return parameters


class TerritoireAPIMixin:
    """Base of every view under /api/v1/t/<territoire_slug>/: outsiders get 404.

    Sets `self.access` and `self.territoire` once, after authentication, through the same
    `territoire_access` as the pages.
    """

    admin_required = False
    lookup_value_regex = r"\d+"  # ids are numbers: anything else is a 404 from the router

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.access = territoire_access(request.user, kwargs["territoire_slug"])
        self.territoire = self.access.territoire
        if self.admin_required:
            require_admin(self.access)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # Schema generation: no request, no territory.
            return self.get_serializer_class().Meta.model.objects.none()
        return self.get_territoire_queryset()

    def get_territoire_queryset(self):
        raise NotImplementedError

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["territoire"] = getattr(self, "territoire", None)
        return context


class AgentBriefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "full_name", "email", "job_title", "phone"]


class CollectiviteBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Collectivite
        fields = ["id", "kind", "name", "code_insee"]


class TerritoireSerializer(serializers.ModelSerializer):
    communes_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Territoire
        fields = ["slug", "name", "siren", "nature", "communes_count"]


class SeatHolderSerializer(serializers.ModelSerializer):
    membership_id = serializers.IntegerField()
    agent = AgentBriefSerializer(source="membership.agent")

    class Meta:
        model = Seat
        fields = ["id", "kind", "membership_id", "agent", "started_at"]


class CollectiviteSerializer(serializers.ModelSerializer):
    active_seats = SeatHolderSerializer(many=True, read_only=True)

    class Meta:
        model = Collectivite
        fields = ["id", "kind", "name", "code_insee", "siren", "departement", "population", "left_at", "active_seats"]


class MembershipSerializer(serializers.ModelSerializer):
    agent = AgentBriefSerializer()
    collectivite = CollectiviteBriefSerializer()
    seats = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "agent", "collectivite", "role", "started_at", "ended_at", "seats"]

    def get_seats(self, membership) -> list[str]:
        return [seat.kind for seat in membership.active_seats]


class SeatSerializer(serializers.ModelSerializer):
    collectivite = CollectiviteBriefSerializer(read_only=True)
    agent = AgentBriefSerializer(source="membership.agent", read_only=True)

    class Meta:
        model = Seat
        fields = ["id", "collectivite", "kind", "membership", "agent", "started_at", "ended_at"]


class TerritoireScopedFieldsMixin:
    """Limit `collectivite` and `membership` choices to the request's territory: others do not exist."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        territoire = self.context.get("territoire")
        if territoire is None:
            return
        if "collectivite" in self.fields:
            self.fields["collectivite"].queryset = Collectivite.objects.for_territoire(territoire).active()
        if "membership" in self.fields:
            self.fields["membership"].queryset = Membership.objects.for_territoire(territoire).active()


class SeatAssignSerializer(TerritoireScopedFieldsMixin, serializers.Serializer):
    collectivite = serializers.PrimaryKeyRelatedField(queryset=Collectivite.objects.none())
    kind = serializers.ChoiceField(choices=Seat.Kind.choices)
    membership = serializers.PrimaryKeyRelatedField(queryset=Membership.objects.none())


class InvitationSerializer(TerritoireScopedFieldsMixin, serializers.ModelSerializer):
    # Null for a facilitator invitation; a member invitation requires it (`validate_collectivite`).
    collectivite = serializers.PrimaryKeyRelatedField(queryset=Collectivite.objects.none(), allow_null=True)
    status = serializers.CharField(read_only=True)
    invited_by = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "kind",
            "email",
            "collectivite",
            "role",
            "seat_kind",
            "status",
            "created_at",
            "expires_at",
            "invited_by",
        ]
        # Facilitators are invited through facilitateurs/inviter/: this endpoint creates member invitations.
        read_only_fields = ["kind", "created_at", "expires_at"]

    def validate_collectivite(self, value):
        if value is None:
            raise ValidationError(_("Choisissez la collectivité que la personne représentera."))
        return value


class FacilitateurSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "full_name", "email"]


class FacilitateurInviteSerializer(serializers.Serializer):
    email = serializers.EmailField()


class JournalEntrySerializer(serializers.ModelSerializer):
    actor = AgentBriefSerializer(read_only=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "created_at", "actor", "action", "target_label", "data"]


class MesTerritoiresViewSet(viewsets.ReadOnlyModelViewSet):
    """The territories the agent belongs to or facilitates."""

    serializer_class = TerritoireSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.territoires_for_agent(self.request.user)


class CollectiviteViewSet(TerritoireAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The EPCI and the communes of the territory, with who holds their voice."""

    serializer_class = CollectiviteSerializer

    def get_territoire_queryset(self):
        return selectors.collectivites_with_seats(self.territoire, include_left=True)


class MembershipViewSet(TerritoireAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Members of the territory; `?anciens=1` includes former members."""

    serializer_class = MembershipSerializer

    def get_territoire_queryset(self):
        include_ended = self.request.query_params.get("anciens") == "1" or self.action != "list"
        return selectors.members_of_territoire(self.territoire, include_ended=include_ended)

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def desactiver(self, request, territoire_slug, pk):
        membership = access_membership(self.access, pk, write=True)
        services.membership_deactivate(membership=membership, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=membership.pk)).data)


@extend_schema_view(create=extend_schema(request=SeatAssignSerializer, responses={201: SeatSerializer}))
class SeatViewSet(TerritoireAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Seats (titulaire, suppléant) of the collectivités, with their history; `?actifs=1` for current ones."""

    serializer_class = SeatSerializer

    def get_territoire_queryset(self):
        seats = Seat.objects.for_territoire(self.territoire).select_related("collectivite", "membership__agent")
        if self.request.query_params.get("actifs") == "1":
            seats = seats.active()
        return seats.order_by("collectivite__name", "kind", "-started_at")

    def create(self, request, territoire_slug):
        require_admin(self.access)
        serializer = SeatAssignSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        seat = services.seat_assign(by=request.user, **serializer.validated_data)
        return Response(SeatSerializer(seat).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SeatSerializer)
    @action(detail=True, methods=["post"])
    def liberer(self, request, territoire_slug, pk):
        seat = services.seat_vacate(seat=access_seat(self.access, pk, write=True), by=request.user)
        return Response(SeatSerializer(seat).data)


class InvitationViewSet(TerritoireAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Invitations of the territory (its administrators only)."""

    serializer_class = InvitationSerializer
    admin_required = True

    def get_territoire_queryset(self):
        return selectors.invitations_of_territoire(self.territoire)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.invitation_create(
            territoire=self.territoire,
            collectivite=data["collectivite"],
            email=data["email"],
            role=data["role"],
            seat_kind=data.get("seat_kind", ""),
            by=self.request.user,
        )

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def annuler(self, request, territoire_slug, pk):
        invitation = services.invitation_revoke(invitation=access_invitation(self.access, pk), by=request.user)
        return Response(self.get_serializer(invitation).data)


class FacilitateurViewSet(TerritoireAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Facilitators accompanying the territory (read by its members); its administrators invite and revoke them."""

    serializer_class = FacilitateurSerializer

    def get_territoire_queryset(self):
        return selectors.facilitators_of_territoire(self.territoire)

    def list(self, request, *args, **kwargs):
        require_member(self.access)
        return super().list(request, *args, **kwargs)

    @extend_schema(request=FacilitateurInviteSerializer, responses={201: InvitationSerializer})
    @action(detail=False, methods=["post"])
    def inviter(self, request, territoire_slug):
        require_admin(self.access)
        serializer = FacilitateurInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.facilitator_invite(
            territoire=self.territoire, email=serializer.validated_data["email"], by=request.user
        )
        data = InvitationSerializer(invitation, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def retirer(self, request, territoire_slug, pk):
        agent = access_facilitator(self.access, pk)
        services.facilitator_revoke(territoire=self.territoire, agent=agent, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JournalViewSet(TerritoireAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The territory's audit journal, newest first (its administrators only)."""

    serializer_class = JournalEntrySerializer
    admin_required = True

    def get_territoire_queryset(self):
        return selectors.journal_of_territoire(self.territoire)
