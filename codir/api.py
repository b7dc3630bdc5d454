"""REST API of instances and CoDir meetings: calendar, agenda items with documents, dispatch log."""

from datetime import UTC, timedelta

from django.db.models import Min
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from charte.selectors import rules_in_force
from codir import dispatch, feeds, selectors, services
from codir.access import access_reunion, require_animation, require_contributor, require_convener
from codir.models import AgendaVersion, CalendarToken, Document, Envoi, Instance, PointOdj, Presence, Reunion
from communes.api import (
    AgentBriefSerializer,
    CollectiviteBriefSerializer,
    ModelSerializer,
    TerritoireAPIMixin,
    markdown_field,
)
from communes.models import Agent, Collectivite
from communes.uploads import AGENDA_DOCUMENTS, UploadValidator


class InstanceSerializer(ModelSerializer):
    class Meta:
        model = Instance
        fields = [
            "id", "kind", "title", "starts_at", "place", "agenda", "agenda_html", "convener_email", "uid", "sequence", "cancelled",
        ]  # fmt: skip
        read_only_fields = ["agenda_html", "uid", "sequence", "cancelled"]


class DocumentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "name", "size", "uploaded_at", "url"]

    def get_url(self, document) -> str:
        # The download goes through the territory check, like the page.
        return reverse("codir:document", args=[self.context["territoire"].slug, document.pk])


class PointSerializer(ModelSerializer):
    presenter = CollectiviteBriefSerializer(read_only=True, allow_null=True)
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = PointOdj
        fields = [
            "id", "position", "title", "description", "description_html", "presenter", "duration_minutes",
            "late", "late_consent", "added_at", "documents",
        ]  # fmt: skip


class PointCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = markdown_field(required=False, allow_blank=True, default="")
    presenter = serializers.PrimaryKeyRelatedField(
        queryset=Collectivite.objects.none(), required=False, allow_null=True
    )
    duration_minutes = serializers.IntegerField(min_value=5, max_value=240, default=15)
    documents = serializers.ListField(
        child=serializers.FileField(validators=[UploadValidator(AGENDA_DOCUMENTS)]), required=False, default=list
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context.get("territoire") is not None:
            self.fields["presenter"].queryset = Collectivite.objects.for_territoire(self.context["territoire"]).active()


class EnvoiSerializer(ModelSerializer):
    recipient = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Envoi
        fields = ["recipient", "sent_at", "late_by", "attempts", "read_at"]


class AgendaVersionSerializer(ModelSerializer):
    """One agenda version and the counts of its sending (`selectors.dispatch_summary`); the recipient-by-recipient
    log is paged at `reunions/{id}/envois/?version=N`: a métropole sends each version to hundreds of members."""

    recipients = serializers.IntegerField(read_only=True, help_text="Destinataires de cette version.")
    sent = serializers.IntegerField(read_only=True, help_text="Courriels partis.")
    pending = serializers.IntegerField(read_only=True, help_text="Courriels encore à envoyer.")
    late = serializers.IntegerField(read_only=True, help_text="Courriels partis après l'échéance.")
    longest_delay = serializers.DurationField(read_only=True, allow_null=True, help_text="Plus long retard.")
    read = serializers.IntegerField(read_only=True, help_text="Destinataires qui en ont pris connaissance.")

    class Meta:
        model = AgendaVersion
        fields = ["number", "kind", "sequence", "changes", "due_at", "recipients", "sent", "pending", "late",
                  "longest_delay", "read"]  # fmt: skip


class EnvoisQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="Numéro de la version de l'ordre du jour ; la dernière par défaut."
    )


class PresenceSerializer(ModelSerializer):
    collectivite = serializers.PrimaryKeyRelatedField(queryset=Collectivite.objects.none())

    class Meta:
        model = Presence
        fields = ["collectivite", "status", "represented_by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context.get("territoire") is not None:
            self.fields["collectivite"].queryset = Collectivite.objects.for_territoire(self.context["territoire"])


class MinutesSerializer(serializers.Serializer):
    text = markdown_field(allow_blank=True)
    publish = serializers.BooleanField(default=False)


class ReunionSerializer(ModelSerializer):
    instance = serializers.PrimaryKeyRelatedField(queryset=Instance.objects.none(), required=False, allow_null=True)
    host = serializers.PrimaryKeyRelatedField(queryset=Collectivite.objects.none(), required=False, allow_null=True)
    animateur = serializers.PrimaryKeyRelatedField(queryset=Agent.objects.none(), required=False, allow_null=True)
    dispatch_deadline = serializers.SerializerMethodField()

    class Meta:
        model = Reunion
        fields = [
            "id", "title", "instance", "starts_at", "ends_at", "place", "host", "animateur", "uid", "sequence",
            "cancelled_at", "dispatched_at", "dispatch_deadline", "minutes", "minutes_html", "minutes_published_at",
        ]  # fmt: skip
        read_only_fields = [
            "uid",
            "sequence",
            "cancelled_at",
            "dispatched_at",
            "minutes",
            "minutes_html",
            "minutes_published_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        territoire = self.context.get("territoire")
        if territoire is not None:
            self.fields["instance"].queryset = Instance.objects.for_territoire(territoire)
            self.fields["host"].queryset = Collectivite.objects.for_territoire(territoire).active()
            self.fields["animateur"].queryset = Agent.objects.filter(
                memberships__territoire=territoire, memberships__ended_at__isnull=True
            )

    def get_dispatch_deadline(self, reunion) -> str:
        # Lists annotate the first sending and pass the notice in force, so this costs no query.
        first_due = getattr(reunion, "first_due", None)
        notice = self.context.get("notice_hours")
        if first_due is not None:
            deadline = first_due
        elif notice is not None and reunion.dispatched_at is None:
            deadline = reunion.starts_at.astimezone(UTC) - timedelta(hours=notice)
        else:
            deadline = dispatch.dispatch_deadline(reunion)
        return serializers.DateTimeField().to_representation(deadline)  # Paris time, like the other dates


class ReunionDetailSerializer(ReunionSerializer):
    points = serializers.SerializerMethodField()
    agenda_versions = serializers.SerializerMethodField()

    class Meta(ReunionSerializer.Meta):
        fields = [*ReunionSerializer.Meta.fields, "points", "agenda_versions"]

    @extend_schema_field(PointSerializer(many=True))
    def get_points(self, reunion) -> list[dict]:
        return PointSerializer(selectors.agenda_of(reunion), many=True, context=self.context).data

    @extend_schema_field(AgendaVersionSerializer(many=True))
    def get_agenda_versions(self, reunion) -> list[dict]:
        return AgendaVersionSerializer(
            selectors.dispatch_summary(reunion, self.context["request"].user), many=True
        ).data


class InstanceViewSet(TerritoireAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The instances (conseil, bureau, conférence des maires…) the CoDir prepares."""

    serializer_class = InstanceSerializer

    def get_territoire_queryset(self):
        return Instance.objects.for_territoire(self.territoire).order_by("starts_at")

    def create(self, request, *args, **kwargs):
        require_convener(self.access)  # before validating: a member without the right learns nothing more
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.instance_create(
            territoire=self.territoire, by=self.request.user, **serializer.validated_data
        )


class ReunionViewSet(TerritoireAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """CoDir meetings with their agenda and the log of each agenda sending."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return ReunionDetailSerializer if self.action == "retrieve" else ReunionSerializer

    def get_territoire_queryset(self):
        return (
            Reunion.objects.for_territoire(self.territoire)
            .select_related("territoire")
            .annotate(first_due=Min("agenda_versions__due_at"))
            .order_by("starts_at")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "territoire", None) is not None:
            context["notice_hours"] = rules_in_force(self.territoire).delai_prevenance_heures
        return context

    def create(self, request, *args, **kwargs):
        require_convener(self.access)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.reunion_create(
            territoire=self.territoire, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request={"multipart/form-data": PointCreateSerializer}, responses={201: PointSerializer})
    @action(detail=True, methods=["post"])
    def points(self, request, territoire_slug, pk):
        reunion = access_reunion(self.access, pk)
        require_contributor(self.access)
        serializer = PointCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        point = services.point_add(reunion=reunion, by=request.user, **serializer.validated_data)
        return Response(
            PointSerializer(point, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(parameters=[EnvoisQuerySerializer], responses=EnvoiSerializer(many=True))
    @action(detail=True, methods=["get"])
    def envois(self, request, territoire_slug, pk):
        """Who received one version of the agenda, when, and who read it, by address, paged."""
        reunion = access_reunion(self.access, pk)
        query = EnvoisQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data.get("version")
        version = selectors.version_numbered(selectors.agenda_versions(reunion), wanted)
        if version is None and wanted:
            raise serializers.ValidationError(
                {"version": [_("Cet ordre du jour n'a pas de version %(number)s.") % {"number": wanted}]}
            )
        rows = selectors.envois_of(version) if version else Envoi.objects.none()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EnvoiSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(methods=["get"], request=None, responses=PresenceSerializer(many=True))
    @extend_schema(methods=["post"], request=PresenceSerializer(many=True), responses=PresenceSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # all of them: the schema must not page
    def presences(self, request, territoire_slug, pk):
        reunion = access_reunion(self.access, pk)
        if request.method == "POST":
            require_animation(self.access, reunion)
            serializer = PresenceSerializer(data=request.data, many=True, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            services.presence_record(
                reunion=reunion,
                by=request.user,
                statuses={
                    item["collectivite"].pk: (item["status"], item.get("represented_by", ""))
                    for item in serializer.validated_data
                },
            )
        return Response(PresenceSerializer(reunion.presences.all(), many=True).data)

    @extend_schema(request=MinutesSerializer, responses=ReunionSerializer)
    @action(detail=True, methods=["post"], url_path="compte-rendu")
    def compte_rendu(self, request, territoire_slug, pk):
        reunion = access_reunion(self.access, pk)
        require_animation(self.access, reunion)
        serializer = MinutesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reunion = services.minutes_save(reunion=reunion, by=request.user, **serializer.validated_data)
        return Response(
            ReunionSerializer(reunion, context={**self.get_serializer_context(), "notice_hours": None}).data
        )

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="pris-connaissance")
    def pris_connaissance(self, request, territoire_slug, pk):
        count = dispatch.acknowledge(reunion=access_reunion(self.access, pk), agent=request.user)
        return Response({"versions_lues": count})


class CalendarLinkSerializer(serializers.Serializer):
    url = serializers.URLField(allow_null=True)


class CalendarLinkView(APIView):
    """My private iCalendar feed: its link (GET), a new one that replaces it (POST), none (DELETE)."""

    @extend_schema(responses=CalendarLinkSerializer)
    def get(self, request):
        token = CalendarToken.objects.filter(agent=request.user, revoked_at__isnull=True).first()
        return Response({"url": self._url(request, token)})

    @extend_schema(request=None, responses={201: CalendarLinkSerializer})
    def post(self, request):
        token = feeds.calendar_token_renew(agent=request.user)
        return Response({"url": self._url(request, token)}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        feeds.calendar_token_revoke(agent=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _url(request, token) -> str | None:
        return request.build_absolute_uri(reverse("calendar_feed", args=[token.token])) if token else None
