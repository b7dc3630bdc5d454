"""Pages of a territory, under /t/<territoire_slug>/."""

from django.urls import path

from communes import views

app_name = "communes"

urlpatterns = [
    path("", views.TerritoireHomeView.as_view(), name="territoire"),
    path("membres/", views.MembresView.as_view(), name="membres"),
    path("membres/inviter/", views.InviterView.as_view(), name="inviter"),
    path(
        "membres/<int:membership_id>/desactiver/",
        views.MembershipDeactivateView.as_view(),
        name="membership_deactivate",
    ),
    path("membres/facilitateurs/inviter/", views.FacilitateurInviterView.as_view(), name="facilitateur_inviter"),
    path(
        "membres/facilitateurs/<int:agent_id>/retirer/",
        views.FacilitateurRetirerView.as_view(),
        name="facilitateur_retirer",
    ),
    path(
        "invitations/<int:invitation_id>/annuler/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path("collectivites/<int:collectivite_id>/", views.CollectiviteView.as_view(), name="collectivite"),
    path("sieges/<int:seat_id>/liberer/", views.SeatVacateView.as_view(), name="seat_vacate"),
    path("journal/", views.JournalView.as_view(), name="journal"),
]
