"""What every endpoint of the portfolio's API shares."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework import status
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
