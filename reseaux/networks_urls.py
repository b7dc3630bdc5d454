"""Pages of the professional networks, under /t/<territoire_slug>/reseaux/."""

from django.urls import path, re_path

from reseaux import views

app_name = "reseaux_net"

urlpatterns = [
    path("", views.ReseauxView.as_view(), name="reseaux"),
    path("carte/", views.CarteView.as_view(), name="carte"),
    path("qui-peut-m-aider/", views.QuiPeutAiderView.as_view(), name="qui"),
    re_path(
        r"^carte/export\.(?P<fmt>graphml|gexf|svg|noeuds\.csv|liens\.csv)$",
        views.CarteExportView.as_view(),
        name="carte_export",
    ),
    path("nouveau/", views.ReseauCreateView.as_view(), name="reseau_create"),
    path("moi/", views.MesDonneesView.as_view(), name="mes_donnees"),
    path("echanges/", views.EchangesView.as_view(), name="echanges"),
    path("echanges/nouveau/", views.EchangeAddView.as_view(), name="echange_add"),
    path("<int:reseau_id>/", views.ReseauView.as_view(), name="reseau"),
    path("<int:reseau_id>/membres/", views.MembreAddView.as_view(), name="membre_add"),
    path("<int:reseau_id>/membres/<int:item_id>/fin/", views.MembreEndView.as_view(), name="membre_end"),
    path("<int:reseau_id>/membres/<int:item_id>/role/", views.MembreRoleView.as_view(), name="membre_role"),
    path("<int:reseau_id>/evenements/", views.EvenementAddView.as_view(), name="evenement_add"),
    path("<int:reseau_id>/ressources/", views.RessourceAddView.as_view(), name="ressource_add"),
    path(
        "<int:reseau_id>/ressources/<int:item_id>/retirer/",
        views.RessourceWithdrawView.as_view(),
        name="ressource_withdraw",
    ),
    path("<int:reseau_id>/clore/", views.ReseauCloseView.as_view(), name="reseau_close"),
]
