from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from codir import views as codir_views
from communes import views as communes_views
from comptes import views as comptes_views
from comptes.proconnect import views as proconnect_views

accounts = [
    path("connexion/", comptes_views.LoginView.as_view(), name="login"),  # password, then the second factor
    path("deconnexion/", proconnect_views.LogoutView.as_view(), name="logout"),  # ends a ProConnect session too
    path("deconnexion-partout/", communes_views.LogoutEverywhereView.as_view(), name="logout_everywhere"),
    path("mot-de-passe/oubli/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oubli/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:token>/", communes_views.InvitationAcceptView.as_view(), name="invitation_accept"),
]

urlpatterns = [
    path("", communes_views.home, name="home"),
    path("comptes/", include(accounts)),
    path("comptes/", include("comptes.urls")),
    path("territoires/", codir_views.HomeView.as_view(), name="mes_territoires"),
    path("calendrier/", codir_views.CalendarLinkView.as_view(), name="calendar_link"),
    path("calendrier/<str:token>.ics", codir_views.calendar_feed, name="calendar_feed"),
    path("t/<slug:territoire_slug>/", include("communes.urls")),
    path("t/<slug:territoire_slug>/decisions/", include("decisions.urls")),
    path("t/<slug:territoire_slug>/charte/", include("charte.urls")),
    path("t/<slug:territoire_slug>/reunions/", include("codir.meetings_urls")),
    path("t/<slug:territoire_slug>/projets/", include("reseaux.urls")),
    path("t/<slug:territoire_slug>/reseaux/", include("reseaux.networks_urls")),
    path("t/<slug:territoire_slug>/revue-annuelle/", include("codir.revue.urls")),
    path("facilitation/", include("codir.revue.facilitation_urls")),
    path("api/v1/", include("codir.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("accessibilite/", TemplateView.as_view(template_name="accessibilite.html"), name="accessibilite"),
    path("donnees-personnelles/", comptes_views.PrivacyView.as_view(), name="confidentialite"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Uploaded files (agenda documents, deliberations) are never served from a public folder:
# each goes through a view that checks the territory.
