"""Pages of the decision engine, under /t/<territoire_slug>/decisions/."""

from django.urls import path

from decisions import views

app_name = "decisions"

urlpatterns = [
    path("", views.PropositionListView.as_view(), name="list"),
    path("nouvelle/", views.PropositionCreateView.as_view(), name="create"),
    path("<int:proposition_id>/", views.PropositionDetailView.as_view(), name="proposition"),
    path("<int:proposition_id>/modifier/", views.PropositionEditView.as_view(), name="edit"),
    path("<int:proposition_id>/ouvrir/", views.OpenView.as_view(), name="open"),
    path("<int:proposition_id>/position/", views.ExpressView.as_view(), name="express"),
    path("<int:proposition_id>/decompte/", views.TallyFragmentView.as_view(), name="tally"),
    path("<int:proposition_id>/amender/", views.AmendView.as_view(), name="amend"),
    path("<int:proposition_id>/cloturer/", views.CloseView.as_view(), name="close"),
    path("<int:proposition_id>/retirer/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:proposition_id>/actions/nouvelle/", views.ActionCreateView.as_view(), name="action_create"),
    path("registre/", views.RegisterView.as_view(), name="register"),
    path("registre.csv", views.RegisterCsvView.as_view(), name="register_csv"),
    path("actions/", views.ActionsView.as_view(), name="actions"),
    path("actions.csv", views.ActionsCsvView.as_view(), name="actions_csv"),
    path("actions/<int:action_id>/etat/", views.ActionStatusView.as_view(), name="action_status"),
]
