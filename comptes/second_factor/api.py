"""The API token (``POST /api/v1/jeton/``): the password, and the second factor's code when the agent has one.

A token opens the API without a session, so it is given under the same rule as a web login, and stops
working when that rule changes or after `API_TOKEN_DAYS` days (see `comptes.tokens`).
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from comptes.second_factor.policy import second_factor_status
from comptes.second_factor.services import code_verify
from comptes.throttling import client_ip
from comptes.tokens import api_token_issue


class TokenCredentialsSerializer(serializers.Serializer):
    # Bounded as on the login page (254, an e-mail address): django-axes writes the username it counts into a
    # 255-character column, and a longer one was a server error on PostgreSQL.
    username = serializers.CharField(label=gettext_lazy("Adresse électronique"), max_length=254)
    password = serializers.CharField(
        label=gettext_lazy("Mot de passe"),
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
        max_length=4096,
    )
    code = serializers.CharField(
        label=gettext_lazy("Code de double authentification"),
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=30,  # as on the code page: a recovery code copied with spaces and dashes fits
        help_text=gettext_lazy(
            "Obligatoire si la double authentification est activée sur le compte : le code à 6 chiffres de "
            "l'application d'authentification, ou un code de secours (utilisable une fois)."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text=gettext_lazy("À envoyer dans l'en-tête Authorization: Token …")
    )


class ObtainTokenView(APIView):
    """Exchange the e-mail address, the password and (if any) a second-factor code for an API token; the
    agent's previous token stops working."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Obtenir un jeton d'API",
        description=(
            "Échange l'adresse électronique et le mot de passe contre un jeton. Si la double authentification "
            "est activée sur le compte, le champ `code` est obligatoire (code de l'application ou code de "
            "secours). Un compte pour lequel elle est obligatoire mais pas encore activée est refusé (403) : "
            "activez-la d'abord sur le site. Chaque nouveau jeton remplace le précédent ; un jeton expire après "
            "le délai configuré (30 jours par défaut) et dès que le mot de passe change, que la double "
            "authentification est activée, remplacée ou désactivée, ou que vous vous déconnectez partout."
        ),
        request=TokenCredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Identifiants ou code incorrects, ou code manquant."),
            403: OpenApiResponse(description="Double authentification obligatoire mais pas encore activée."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The underlying HttpRequest, not DRF's wrapper: django-axes flags a lockout on the request it is
        # given, and its middleware only sees the HttpRequest.
        http_request = request._request
        agent = authenticate(request=http_request, username=data["username"], password=data["password"])
        if agent is None:
            raise ValidationError({"non_field_errors": [_("Adresse électronique ou mot de passe incorrect.")]})
        status = second_factor_status(agent)
        second_factor = None
        if status.enabled:
            code = data.get("code", "")
            if not code:
                raise ValidationError(
                    {"code": [_("La double authentification est activée sur ce compte : indiquez un code.")]}
                )
            verification = code_verify(agent=agent, code=code, ip=client_ip(http_request), via="api")
            if verification.locked_until is not None:
                raise ValidationError(
                    {"code": [_("Trop de codes erronés : patientez quelques secondes et réessayez.")]}
                )
            if not verification.ok:
                raise ValidationError({"code": [_("Code incorrect.")]})
            second_factor = verification.kind
        elif status.required:
            raise PermissionDenied(
                _(
                    "La double authentification est obligatoire pour votre compte : activez-la d'abord sur le site "
                    "(page « Sécurité de mon compte »), puis demandez un jeton avec votre code."
                )
            )
        token = api_token_issue(agent=agent, ip=client_ip(http_request), second_factor=second_factor)
        return Response({"token": token.key})
