"""The facilitator's own space, across the territories they accompany: /facilitation/."""

from django.urls import path

from codir.revue import facilitation_views as views

app_name = "facilitation"

urlpatterns = [
    path("", views.AccueilView.as_view(), name="accueil"),
    path("campagnes/nouvelle/", views.CampagneCreateView.as_view(), name="campagne_creer"),
    path("campagnes/<int:campagne_id>/", views.CampagneView.as_view(), name="campagne"),
    path(
        "campagnes/<int:campagne_id>/questionnaire/",
        views.CampagneQuestionnaireView.as_view(),
        name="campagne_questionnaire",
    ),
    path("comparaison/", views.ComparaisonView.as_view(), name="comparaison"),
    path("comparaison.csv", views.comparaison_csv, name="comparaison_csv"),
]
