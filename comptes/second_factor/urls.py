"""The second factor's pages, under /comptes/."""

from django.urls import path

from comptes import views

urlpatterns = [
    path("second-facteur/", views.SecondFactorVerifyView.as_view(), name="second_factor_verify"),
    path("securite/", views.SecurityView.as_view(), name="account_security"),
    path("securite/activer/", views.EnrollView.as_view(), name="second_factor_enroll"),
    path("securite/codes-de-secours/", views.RecoveryCodesView.as_view(), name="second_factor_recovery_codes"),
    path("securite/remplacer/", views.ReplaceView.as_view(), name="second_factor_replace"),
    path("securite/desactiver/", views.DisableView.as_view(), name="second_factor_disable"),
]
