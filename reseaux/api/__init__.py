"""REST API of the project portfolio: projects and their pilots, contributions, phases, milestones,
indicators, référents, reviews, the links between projects and the territory's strategic axes.

Thin like the other APIs: validate → access → service → respond. Who may write is decided in
`reseaux.access`; every id, in the URL or in a body, is looked up in the URL's territory only, so an
object of another territory does not exist here. One module per concern; the viewsets are re-exported
here for `codir.api_urls`. The professional networks (networks, members, events, resources, exchanges, and
the analyses of the graph of ties) are in `networks`.
"""

from reseaux.api.networks import (
    EchangeViewSet,
    EvenementViewSet,
    MembreReseauViewSet,
    ReseauAnalysesView,
    ReseauEvolutionView,
    ReseauViewSet,
    RessourceViewSet,
)
from reseaux.api.projets import AxeViewSet, ProjetViewSet
from reseaux.api.suivi import (
    ContributionViewSet,
    IndicateurViewSet,
    JalonViewSet,
    LienViewSet,
    PhaseViewSet,
    PiloteViewSet,
    ReferentViewSet,
    RevueViewSet,
)

__all__ = [
    "AxeViewSet",
    "ContributionViewSet",
    "EchangeViewSet",
    "EvenementViewSet",
    "IndicateurViewSet",
    "JalonViewSet",
    "LienViewSet",
    "MembreReseauViewSet",
    "PhaseViewSet",
    "PiloteViewSet",
    "ProjetViewSet",
    "ReferentViewSet",
    "ReseauAnalysesView",
    "ReseauEvolutionView",
    "ReseauViewSet",
    "RessourceViewSet",
    "RevueViewSet",
]
