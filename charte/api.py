"""REST API of the charter: versions, sections, rules in force, amendments, signatures, ratifications."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from charte import selectors, services
from charte.access import access_amendement, access_charte, access_draft_section, access_version, require_writer
from charte.models import Amendement, Ratification, Regles, Section, Signature, Version
from communes.api import (
    AgentBriefSerializer,
    CollectiviteBriefSerializer,
    DateTimeField,
    JSONField,
    ModelSerializer,
    TerritoireAPIMixin,
    markdown_field,
    text_field,
)
from communes.uploads import DELIBERATIONS, UploadValidator


class ReglesSerializer(ModelSerializer):
    class Meta:
        model = Regles
        fields = Regles.NAMES


class SectionSerializer(ModelSerializer):
    updated_by = AgentBriefSerializer(read_only=True, allow_null=True)  # None for the starter charter's text

    class Meta:
        model = Section
        fields = ["id", "key", "position", "title", "body", "body_html", "revision", "updated_by", "updated_at"]
        read_only_fields = ["key", "position", "body_html", "updated_at"]


class SectionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = markdown_field(allow_blank=True)
    revision = serializers.IntegerField(help_text="La révision sur laquelle le texte a été écrit (verrou optimiste).")


class StaleSectionSerializer(serializers.Serializer):
    """The 409 answer to a save written on an older revision: why, and the text as it now stands."""

    detail = serializers.ListField(child=serializers.CharField())
    current = SectionSerializer()


class SignatureSerializer(ModelSerializer):
    collectivite = CollectiviteBriefSerializer(read_only=True)
    signed_by = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Signature
        fields = ["collectivite", "signed_by", "signed_at"]


class RatificationSerializer(ModelSerializer):
    collectivite = CollectiviteBriefSerializer(read_only=True)

    class Meta:
        model = Ratification
        fields = ["collectivite", "deliberation_date", "deliberation_number", "document", "recorded_at"]
        read_only_fields = ["recorded_at"]


class VersionSerializer(ModelSerializer):
    class Meta:
        model = Version
        fields = ["number", "status", "origin", "adopted_at", "created_at", "proposition"]


class VersionDetailSerializer(VersionSerializer):
    sections = SectionSerializer(many=True, read_only=True)
    regles = ReglesSerializer(read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)
    ratifications = RatificationSerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "sections", "regles", "signatures", "ratifications"]


class AmendementSerializer(ModelSerializer):
    author = AgentBriefSerializer(read_only=True)
    base_version = serializers.IntegerField(source="base_version.number", read_only=True)
    result_version = serializers.IntegerField(source="result_version.number", read_only=True, allow_null=True)

    class Meta:
        model = Amendement
        fields = [
            "id", "kind", "status", "base_version", "section_key", "base_text", "title", "text", "rule_name",
            "rule_value", "motive", "author", "proposition", "result_version", "created_at",
        ]  # fmt: skip
        read_only_fields = ["status", "base_text", "proposition", "created_at"]


class AmendementCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Amendement.Kind.choices)
    # Bounded as the columns they fill (`Amendement`): a longer value would be a database error, not a 400.
    section_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    text = markdown_field(required=False, allow_blank=True, default="")
    rule_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    rule_value = JSONField(required=False, allow_null=True, default=None)
    motive = text_field()
    closes_at = DateTimeField()


class RebaseSerializer(serializers.Serializer):
    text = markdown_field(required=False, allow_blank=True, default="")
    closes_at = DateTimeField()


class RatifySerializer(serializers.Serializer):
    deliberation_date = serializers.DateField()
    deliberation_number = serializers.CharField(max_length=50)
    document = serializers.FileField(required=False, validators=[UploadValidator(DELIBERATIONS)])


class VersionViewSet(TerritoireAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Every version of the charter, newest first; a version is designated by its number."""

    lookup_field = "number"
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return VersionDetailSerializer if self.action == "retrieve" else VersionSerializer

    def get_territoire_queryset(self):
        versions = Version.objects.for_territoire(self.territoire).order_by("-number")
        if self.action == "retrieve":
            versions = versions.select_related("regles").prefetch_related(
                "sections__updated_by",
                "signatures__collectivite",
                "signatures__signed_by",
                "ratifications__collectivite",
            )
        return versions

    @extend_schema(request=None, responses={201: SignatureSerializer})
    @action(detail=True, methods=["post"])
    def signer(self, request, territoire_slug, number):
        signature = services.version_sign(version=access_version(self.access, number), by=request.user)
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": RatifySerializer}, responses={201: RatificationSerializer})
    @action(detail=True, methods=["post"])
    def ratifier(self, request, territoire_slug, number):
        version = access_version(self.access, number)
        serializer = RatifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if self.access.membership is None:
            raise serializers.ValidationError(
                {"detail": ["Seul·e un membre du territoire enregistre une ratification."]}
            )
        ratification = services.ratification_record(
            version=version,
            collectivite=self.access.membership.collectivite,
            by=request.user,
            **serializer.validated_data,
        )
        return Response(RatificationSerializer(ratification).data, status=status.HTTP_201_CREATED)


class SectionViewSet(TerritoireAPIMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Sections of the draft; a save names the revision it was written on, or gets 409 with the current text."""

    serializer_class = SectionSerializer
    http_method_names = ["patch", "options"]

    def get_territoire_queryset(self):
        return Section.objects.filter(version__charte__territoire=self.territoire)

    @extend_schema(request=SectionWriteSerializer, responses={200: SectionSerializer, 409: StaleSectionSerializer})
    def partial_update(self, request, territoire_slug, pk):
        section = access_draft_section(self.access, pk)
        serializer = SectionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            section = services.section_save(
                section=section,
                by=request.user,
                title=data["title"],
                body=data["body"],
                based_on_revision=data["revision"],
            )
        except services.StaleSectionError as error:
            return Response(
                {"detail": error.messages, "current": SectionSerializer(error.current).data},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(SectionSerializer(section).data)


class AmendementViewSet(TerritoireAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Amendments to the charter in force; proposing one puts it to the collective at once."""

    serializer_class = AmendementSerializer

    def get_territoire_queryset(self):
        return Amendement.objects.for_territoire(self.territoire).select_related(
            "author", "base_version", "result_version"
        )

    @extend_schema(request=AmendementCreateSerializer, responses={201: AmendementSerializer})
    def create(self, request, territoire_slug):
        require_writer(self.access)
        serializer = AmendementCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amendement = services.amendement_propose(
            charte=access_charte(self.access), by=request.user, **serializer.validated_data
        )
        return Response(AmendementSerializer(amendement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RebaseSerializer, responses=AmendementSerializer)
    @action(detail=True, methods=["post"])
    def reprendre(self, request, territoire_slug, pk):
        amendement = access_amendement(self.access, pk, write=True)
        serializer = RebaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amendement = services.amendement_rebase(amendement=amendement, by=request.user, **serializer.validated_data)
        return Response(AmendementSerializer(amendement).data)


class ReglesEnVigueurView(TerritoireAPIMixin, APIView):
    """The rules of the charter in force at a moment (now by default): what the application applies."""

    @extend_schema(
        parameters=[OpenApiParameter("a", str, description="instant ISO 8601, par défaut maintenant")],
        responses=ReglesSerializer,
    )
    def get(self, request, territoire_slug):
        raw = request.query_params.get("a")
        try:
            at = parse_datetime(raw) if raw else None
        except ValueError:
            at = None
        if raw and at is None:
            raise serializers.ValidationError({"a": ["Instant invalide : utilisez le format ISO 8601."]})
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)
        return Response(ReglesSerializer(selectors.rules_in_force(self.territoire, at)).data)
