"""Pages of the project portfolio, under /t/<territoire_slug>/projets/."""

from django.urls import path

from reseaux import views

app_name = "reseaux"

urlpatterns = [
    path("", views.PortfolioView.as_view(), name="portfolio"),
    path("export.csv", views.PortfolioCsvView.as_view(), name="portfolio_csv"),
    path("parite/", views.ParityView.as_view(), name="parity"),
    path("liens/", views.SystemicView.as_view(), name="systemic"),
    path("axes/", views.AxesView.as_view(), name="axes"),
    path("priorisation/", views.PriorisationView.as_view(), name="priorisation"),
    path("nouveau/", views.ProjetCreateView.as_view(), name="projet_create"),
    path("<int:projet_id>/", views.ProjetView.as_view(), name="projet"),
    path("<int:projet_id>/fiche-action/", views.ProjetView.as_view(), name="fiche"),
    path("<int:projet_id>/modifier/", views.ProjetEditView.as_view(), name="projet_edit"),
    path("<int:projet_id>/pilotage/", views.PilotageView.as_view(), name="pilotage"),
    path("<int:projet_id>/sante/", views.HealthView.as_view(), name="health"),
    path("<int:projet_id>/participations/", views.ContributionView.as_view(), name="contribution"),
    path(
        "<int:projet_id>/participations/<int:item_id>/retirer/",
        views.ContributionRemoveView.as_view(),
        name="contribution_remove",
    ),
    path("<int:projet_id>/referents/", views.ReferentAddView.as_view(), name="referent_add"),
    path("<int:projet_id>/referents/<int:item_id>/fin/", views.ReferentEndView.as_view(), name="referent_end"),
    path("<int:projet_id>/phases/", views.PhaseView.as_view(), name="phase"),
    path("<int:projet_id>/jalons/", views.JalonAddView.as_view(), name="jalon_add"),
    path("<int:projet_id>/jalons/<int:item_id>/", views.JalonEditView.as_view(), name="jalon_edit"),
    path("<int:projet_id>/jalons/<int:item_id>/atteint/", views.JalonReachView.as_view(), name="jalon_reach"),
    path("<int:projet_id>/indicateurs/", views.IndicateurAddView.as_view(), name="indicateur_add"),
    path("<int:projet_id>/indicateurs/<int:item_id>/", views.IndicateurEditView.as_view(), name="indicateur_edit"),
    path(
        "<int:projet_id>/indicateurs/<int:item_id>/retirer/",
        views.IndicateurRemoveView.as_view(),
        name="indicateur_remove",
    ),
    path("<int:projet_id>/documents/", views.DocumentAddView.as_view(), name="document_add"),
    path("<int:projet_id>/documents/<int:item_id>/", views.DocumentView.as_view(), name="document"),
    path(
        "<int:projet_id>/documents/<int:item_id>/retirer/",
        views.DocumentWithdrawView.as_view(),
        name="document_withdraw",
    ),
    path("<int:projet_id>/revues/nouvelle/", views.RevueAddView.as_view(), name="revue_add"),
    path("<int:projet_id>/liens/", views.LienAddView.as_view(), name="lien_add"),
    path("<int:projet_id>/liens/<int:item_id>/supprimer/", views.LienDeleteView.as_view(), name="lien_delete"),
]
