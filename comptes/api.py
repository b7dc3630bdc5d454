"""The agent's own personal data through the API (``GET /api/v1/moi/donnees/``): the same JSON as the download
of the « Mes données personnelles » page."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from communes.personal_data import personal_data_download


class MyDataApiView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="mes_donnees",
        summary="Toutes mes données personnelles",
        description=(
            "Le compte, puis chaque ligne liée à l'agent, modèle par modèle (droit d'accès et à la portabilité, "
            "RGPD articles 15 et 20). Les secrets (jetons, clé TOTP) n'y figurent jamais."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request: Request) -> Response:
        return Response(personal_data_download(request.user))
