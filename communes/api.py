"""REST API of the communes app, and the base every territory-scoped API view builds on."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
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
from communes.limits import MARKDOWN_MAX_LENGTH, TEXT_MAX_LENGTH, text_max_length
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


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Pourquoi la requête est refusée, en français.")


# DRF's validation errors: messages by field (nested as the body is), `detail` for a refusal of the service, or
# one entry per item when the body is a list.
VALIDATION_ERROR = OpenApiResponse(
    response={"oneOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {}}]},
    description="Requête invalide : les messages d'erreur par champ, ou dans `detail`.",
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorDetailSerializer, description="Jeton absent, expiré ou révoqué.")
FORBIDDEN = OpenApiResponse(ErrorDetailSerializer, description="Votre rôle ne permet pas cette action.")
NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer,
    description="Territoire ou objet introuvable : un territoire dont vous n'êtes pas répond 404.",
)


class TerritoireAutoSchema(AutoSchema):
    """Document the territory slug of every scoped path once, for all views, and the errors every endpoint
    may answer: clients (and the API fuzzing tests, which check each status code against the schema) learn
    them from the schema rather than by surprise."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if "{territoire_slug}" in self.path:
            parameters = [TERRITOIRE_SLUG_PARAMETER, *parameters]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if permissions.AllowAny in [permission.__class__ for permission in self.view.get_permissions()]:
            return responses  # an anonymous endpoint documents its own errors
        errors = {"401": NOT_AUTHENTICATED, "403": FORBIDDEN}
        if self.method != "GET" or self._has_query_parameters():
            errors["400"] = VALIDATION_ERROR
        # Any path with a parameter names a territory or an object; a page past the end is a 404 too.
        if "{" in self.path or (self._is_list_view() and self._get_paginator()):
            errors["404"] = NOT_FOUND
        for code, response in sorted(errors.items()):
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _has_query_parameters(self) -> bool:
        """Whether the operation reads query parameters that are validated (besides the page number)."""
        return any(
            not isinstance(parameter, OpenApiParameter) or parameter.location == OpenApiParameter.QUERY
            for parameter in self.get_override_parameters()
        )


# Moments typed in the API stay in a range that Europe/Paris writes as a valid ISO 8601 offset: before 1911
# Paris time was 9 min 21 s ahead of Greenwich, an offset with seconds that no client parses.
FIRST_MOMENT_YEAR, LAST_MOMENT_YEAR = 2000, 2199


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, refusing a moment outside `FIRST_MOMENT_YEAR`..`LAST_MOMENT_YEAR`."""

    default_error_messages = {"out_of_range": _("Choisissez une date entre {first} et {last}.")}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not FIRST_MOMENT_YEAR <= moment.year <= LAST_MOMENT_YEAR:
            self.fail("out_of_range", first=FIRST_MOMENT_YEAR, last=LAST_MOMENT_YEAR)
        return moment


def markdown_field(**kwargs) -> serializers.CharField:
    """A text in Markdown, of a few pages at most."""
    kwargs.setdefault("max_length", MARKDOWN_MAX_LENGTH)
    return serializers.CharField(**kwargs)


def text_field(**kwargs) -> serializers.CharField:
    """A plain text of a few paragraphs (a motive, a note)."""
    kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
    return serializers.CharField(**kwargs)


NUL_MESSAGE = ProhibitNullCharactersValidator.message  # Django's, as DRF's CharField and the forms say it


def contains_nul(value) -> bool:
    """Whether a NUL character hides in a JSON value (its keys included): PostgreSQL refuses it in jsonb (a 500,
    not a 400), and unlike DRF's CharField a JSONField does not check for it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class JSONField(serializers.JSONField):
    """DRF's JSONField, refusing NUL characters as its CharField does: PostgreSQL refuses them in jsonb, which
    would be a 500 rather than a 400."""

    default_error_messages = {"nul": NUL_MESSAGE}

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if contains_nul(data):
            self.fail("nul")
        return data


class ModelSerializer(serializers.ModelSerializer):
    """The base of the API's model serializers. A TextField has no length in the database: it gets the bound the
    forms give the same text (`communes.limits`), so that an over-long text is a 400, not a stored megabyte.
    (DRF's CharField already refuses NUL characters, which PostgreSQL would refuse with a 500.) Moments are
    bounded as `DateTimeField` says."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.JSONField: JSONField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        # Only what can be written is bounded: the schema would otherwise promise readers a length that the
        # rendered HTML (`*_html`, read-only) does not keep.
        writable = not field_kwargs.get("read_only")
        if isinstance(model_field, models.TextField) and model_field.max_length is None and writable:
            field_kwargs.setdefault("max_length", text_max_length(model_field))
        return field_class, field_kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        # DRF drops `allow_blank` from a field made read-only in Meta; for a choice it is what tells the schema
        # that "" (no result yet, no avis) is a value too.
        blank_choice = "choices" in kwargs and kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True
        return kwargs


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
        # Query parameters reach searches and filters as they are; PostgreSQL refuses NUL in a query (a 500).
        if any("\x00" in key or "\x00" in value for key, values in request.query_params.lists() for value in values):
            raise ValidationError({"detail": [NUL_MESSAGE]})

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


class AgentBriefSerializer(ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "full_name", "email", "job_title", "phone"]


class CollectiviteBriefSerializer(ModelSerializer):
    class Meta:
        model = Collectivite
        fields = ["id", "kind", "name", "code_insee"]


class TerritoireSerializer(ModelSerializer):
    communes_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Territoire
        fields = ["slug", "name", "siren", "nature", "communes_count"]


class SeatHolderSerializer(ModelSerializer):
    membership_id = serializers.IntegerField()
    agent = AgentBriefSerializer(source="membership.agent")

    class Meta:
        model = Seat
        fields = ["id", "kind", "membership_id", "agent", "started_at"]


class CollectiviteSerializer(ModelSerializer):
    active_seats = SeatHolderSerializer(many=True, read_only=True)

    class Meta:
        model = Collectivite
        fields = ["id", "kind", "name", "code_insee", "siren", "departement", "population", "left_at", "active_seats"]


class MembershipSerializer(ModelSerializer):
    agent = AgentBriefSerializer()
    collectivite = CollectiviteBriefSerializer()
    seats = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "agent", "collectivite", "role", "started_at", "ended_at", "seats"]

    def get_seats(self, membership) -> list[str]:
        return [seat.kind for seat in membership.active_seats]


class SeatSerializer(ModelSerializer):
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


class InvitationSerializer(TerritoireScopedFieldsMixin, ModelSerializer):
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


class FacilitateurSerializer(ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "full_name", "email"]


class FacilitateurInviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)  # as `Invitation.email`, and documented so in the schema


class JournalEntrySerializer(ModelSerializer):
    actor = AgentBriefSerializer(read_only=True, allow_null=True)  # None for what the system did

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
