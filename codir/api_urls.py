"""The REST API, version 1: /api/v1/territoires/ and everything under /api/v1/t/<territoire_slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from charte import api as charte_api
from codir import api as codir_api
from codir.revue import api as revue_api
from communes import api as communes_api
from comptes.api import MyDataApiView
from comptes.second_factor.api import ObtainTokenView
from decisions import api as decisions_api
from reseaux import api as reseaux_api

TERRITOIRE = r"t/(?P<territoire_slug>[-a-zA-Z0-9_]+)"

router = SimpleRouter()
router.register("territoires", communes_api.MesTerritoiresViewSet, basename="territoire")
router.register(f"{TERRITOIRE}/collectivites", communes_api.CollectiviteViewSet, basename="collectivite")
router.register(f"{TERRITOIRE}/membres", communes_api.MembershipViewSet, basename="membre")
router.register(f"{TERRITOIRE}/sieges", communes_api.SeatViewSet, basename="siege")
router.register(f"{TERRITOIRE}/invitations", communes_api.InvitationViewSet, basename="invitation")
router.register(f"{TERRITOIRE}/facilitateurs", communes_api.FacilitateurViewSet, basename="facilitateur")
router.register(f"{TERRITOIRE}/journal", communes_api.JournalViewSet, basename="journal")
router.register(f"{TERRITOIRE}/propositions", decisions_api.PropositionViewSet, basename="proposition")
router.register(f"{TERRITOIRE}/actions", decisions_api.ActionViewSet, basename="action")
router.register(f"{TERRITOIRE}/instances", codir_api.InstanceViewSet, basename="instance")
router.register(f"{TERRITOIRE}/reunions", codir_api.ReunionViewSet, basename="reunion")
router.register(f"{TERRITOIRE}/charte/versions", charte_api.VersionViewSet, basename="charte-version")
router.register(f"{TERRITOIRE}/charte/sections", charte_api.SectionViewSet, basename="charte-section")
router.register(f"{TERRITOIRE}/charte/amendements", charte_api.AmendementViewSet, basename="charte-amendement")
router.register(f"{TERRITOIRE}/projets", reseaux_api.ProjetViewSet, basename="projet")
router.register(f"{TERRITOIRE}/pilotes", reseaux_api.PiloteViewSet, basename="pilote")
router.register(f"{TERRITOIRE}/contributions", reseaux_api.ContributionViewSet, basename="contribution")
router.register(f"{TERRITOIRE}/phases", reseaux_api.PhaseViewSet, basename="phase")
router.register(f"{TERRITOIRE}/jalons", reseaux_api.JalonViewSet, basename="jalon")
router.register(f"{TERRITOIRE}/indicateurs", reseaux_api.IndicateurViewSet, basename="indicateur")
router.register(f"{TERRITOIRE}/referents", reseaux_api.ReferentViewSet, basename="referent")
router.register(f"{TERRITOIRE}/revues", reseaux_api.RevueViewSet, basename="revue")
router.register(f"{TERRITOIRE}/liens", reseaux_api.LienViewSet, basename="lien")
router.register(f"{TERRITOIRE}/axes", reseaux_api.AxeViewSet, basename="axe")
router.register(f"{TERRITOIRE}/reseaux", reseaux_api.ReseauViewSet, basename="reseau")
router.register(f"{TERRITOIRE}/reseaux-membres", reseaux_api.MembreReseauViewSet, basename="reseau-membre")
router.register(f"{TERRITOIRE}/reseaux-evenements", reseaux_api.EvenementViewSet, basename="reseau-evenement")
router.register(f"{TERRITOIRE}/reseaux-ressources", reseaux_api.RessourceViewSet, basename="reseau-ressource")
router.register(f"{TERRITOIRE}/echanges", reseaux_api.EchangeViewSet, basename="echange")
router.register(f"{TERRITOIRE}/revues-annuelles", revue_api.RevueAnnuelleViewSet, basename="revue-annuelle")
router.register("facilitation/campagnes", revue_api.CampagneViewSet, basename="campagne")

app_name = "api"
urlpatterns = [
    path("jeton/", ObtainTokenView.as_view(), name="token"),  # asks the second factor's code too
    path("calendrier/", codir_api.CalendarLinkView.as_view(), name="calendar-link"),
    path("moi/donnees/", MyDataApiView.as_view(), name="mes-donnees"),
    path("t/<slug:territoire_slug>/charte/regles/", charte_api.ReglesEnVigueurView.as_view(), name="charte-regles"),
    path(
        "t/<slug:territoire_slug>/reseaux/analyses/", reseaux_api.ReseauAnalysesView.as_view(), name="reseau-analyses"
    ),
    path(
        "t/<slug:territoire_slug>/reseaux/evolution/",
        reseaux_api.ReseauEvolutionView.as_view(),
        name="reseau-evolution",
    ),
    path("t/<slug:territoire_slug>/partage-revue/", revue_api.PartageRevueView.as_view(), name="partage-revue"),
    path("facilitation/comparaison/", revue_api.ComparaisonView.as_view(), name="comparaison"),
    *router.urls,
]
