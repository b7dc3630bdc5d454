"""What every endpoint of the portfolio's API shares."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework import status, viewsets
from rest_framework.response import Response

from communes.api import TerritoireAPIMixin


class PortfolioAPIMixin(TerritoireAPIMixin):
    """Base of the portfolio's endpoints: serializers know the day and who asks; writes are validated
    against the territory before any service runs."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.update(today=timezone.localdate(), access=getattr(self, "access", None))
        return context

    def require_contributor(self) -> None:
        # Observers and facilitators read; checked before validating, so they learn nothing more.
        if not self.access.can_contribute:
            raise PermissionDenied

    def validated(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance, *, code=status.HTTP_200_OK, serializer_class=None) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=code)


class PartViewSet(PortfolioAPIMixin, viewsets.ReadOnlyModelViewSet):
    """What belongs to one project or one network, scoped through it; the list takes `?<parent>=<id>`
    (validated by `query_serializer`, within the territory)."""

    parent = ""  # "projet" or "reseau"
    query_serializer = None

    def get_part_queryset(self):
        raise NotImplementedError

    @property
    def object_related(self) -> tuple[str, ...]:
        """What a write on one object reads (the services journal under its territory)."""
        return (f"{self.parent}__territoire",)

    def get_territoire_queryset(self):
        queryset = self.get_part_queryset()
        if self.action != "list":
            return queryset.select_related(*self.object_related)
        query = self.query_serializer(data=self.request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        parent = query.validated_data.get(self.parent)
        return self.filter_parent(queryset, parent) if parent is not None else queryset

    def filter_parent(self, queryset, parent):
        return queryset.filter(**{self.parent: parent})
