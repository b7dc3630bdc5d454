from django.urls import path

from comptes import proconnect, second_factor, views

urlpatterns = [
    *proconnect.urlpatterns,
    *second_factor.urlpatterns,
    path("mes-donnees/", views.MyDataView.as_view(), name="mes_donnees"),
    path("mes-donnees/telecharger/", views.MyDataDownloadView.as_view(), name="mes_donnees_telecharger"),
    path("mes-donnees/effacer/", views.EraseView.as_view(), name="mes_donnees_effacer"),
]
