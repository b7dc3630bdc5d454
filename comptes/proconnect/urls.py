"""The ProConnect pages, under /comptes/proconnect/ (comptes/urls.py). The two return addresses are the ones
to declare at ProConnect, with their trailing slash (README « Brancher ProConnect »)."""

from django.urls import path

from comptes.proconnect.views import ProConnectCallbackView, ProConnectLoginView, ProConnectLogoutCallbackView

urlpatterns = [
    path("proconnect/connexion/", ProConnectLoginView.as_view(), name="proconnect_login"),
    path("proconnect/retour/", ProConnectCallbackView.as_view(), name="proconnect_callback"),
    path(
        "proconnect/deconnexion/retour/",
        ProConnectLogoutCallbackView.as_view(),
        name="proconnect_logout_callback",
    ),
]
