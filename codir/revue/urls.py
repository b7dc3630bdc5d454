"""Pages of a territory's annual reviews, under /t/<territoire_slug>/revue-annuelle/."""

from django.urls import path

from codir.revue import report_views, views

app_name = "revue"

urlpatterns = [
    path("", views.RevuesView.as_view(), name="revues"),
    path("ouvrir/", views.RevueOpenView.as_view(), name="ouvrir"),
    path("partage/", views.PartageView.as_view(), name="partage"),
    path("<int:year>/", views.RevueView.as_view(), name="revue"),
    path("<int:year>/etape/", views.RevueStageView.as_view(), name="etape"),
    path("<int:year>/questionnaire/", views.QuestionnaireView.as_view(), name="questionnaire"),
    path("<int:year>/repondre/", views.RepondreView.as_view(), name="repondre"),
    path("<int:year>/seminaire/", views.SeminaireView.as_view(), name="seminaire"),
    path(
        "<int:year>/engagements/<int:engagement_id>/retirer/",
        views.EngagementWithdrawView.as_view(),
        name="engagement_retirer",
    ),
    path("<int:year>/resultats/", report_views.ResultatsView.as_view(), name="resultats"),
    path("<int:year>/indicateurs/", report_views.IndicateursView.as_view(), name="indicateurs"),
    path("<int:year>/indicateurs.csv", report_views.indicateurs_csv, name="indicateurs_csv"),
    path("<int:year>/rapport/", report_views.RapportView.as_view(), name="rapport"),
    path("historique.csv", report_views.historique_csv, name="historique_csv"),
]
