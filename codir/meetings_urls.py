"""Pages of instances and CoDir meetings, under /t/<territoire_slug>/reunions/ (the project urls are codir/urls.py)."""

from django.urls import path

from codir import views

app_name = "codir"

urlpatterns = [
    path("", views.CalendarView.as_view(), name="calendar"),
    path("nouvelle/", views.ReunionCreateView.as_view(), name="reunion_create"),
    path("<int:reunion_id>/", views.ReunionView.as_view(), name="reunion"),
    path("<int:reunion_id>/points/", views.PointAddView.as_view(), name="point_add"),
    path("<int:reunion_id>/envois/", views.EnvoisView.as_view(), name="envois"),
    path("<int:reunion_id>/pris-connaissance/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("<int:reunion_id>/annuler/", views.CancelView.as_view(), name="cancel"),
    path("<int:reunion_id>/deplacer/", views.RescheduleView.as_view(), name="reschedule"),
    path("<int:reunion_id>/presences/", views.PresencesView.as_view(), name="presences"),
    path("<int:reunion_id>/compte-rendu/", views.MinutesView.as_view(), name="minutes"),
    path("<int:reunion_id>/revue-de-portefeuille/", views.PortfolioReviewView.as_view(), name="portfolio_review"),
    path("<int:reunion_id>/points/<int:point_id>/deplacer/", views.PointMoveView.as_view(), name="point_move"),
    path("<int:reunion_id>/points/<int:point_id>/hors-delai/", views.LateConsentView.as_view(), name="late_consent"),
    path("<int:reunion_id>/points/<int:point_id>/avis/", views.AvisDocumentView.as_view(), name="avis"),
    path("<int:reunion_id>/points/<int:point_id>/avis/soumettre/", views.AvisOpenView.as_view(), name="avis_open"),
    path("<int:reunion_id>/points/<int:point_id>/avis/transmettre/", views.AvisSendView.as_view(), name="avis_send"),
    path("<int:reunion_id>/points/<int:point_id>/deliberation/", views.DeliberationView.as_view(), name="deliberation"),
    path("instances/importer/", views.IcsImportView.as_view(), name="instances_import"),
    path("instances/nouvelle/", views.InstanceCreateView.as_view(), name="instance_create"),
    path("instances/<int:instance_id>/", views.InstanceView.as_view(), name="instance"),
    path("documents/<int:document_id>/", views.DocumentView.as_view(), name="document"),
]
