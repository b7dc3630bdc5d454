"""Who gets which status on every URL of the project: the access matrix (#10).

Every URL pattern — pages and API, under a territory or not — has a row in MATRIX giving, for each persona and
each method, the status it must answer. The guard test fails when a pattern has no row (or a row no pattern), so
a new page or endpoint comes with its access rules written down.

Rows for territory URLs give the statuses of the six personas who have access to the Pays de Mortagne; the
facilitator of another territory and the agent of another territory get 404 and anonymous visitors the login
page (pages) or 401 (API), added by `territory()` so that no row can forget them.

Each request runs in a savepoint rolled back afterwards: every persona meets the same fresh objects, and a POST
that succeeds (an empty or minimal body) cannot change what the next request sees. A refusal must also leave
the journal untouched, as must any request of an observer or of someone without access to the territory.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from codir import avis, feeds
from codir.revue import services as revue_services
from communes import services
from communes.models import JournalEntry
from tests.isolation_objects import TERRITORY_URL_KWARGS, build_objects, url_patterns

# Framework routes whose access rules are not ours: Django's admin (staff only, its own login and
# permissions) and set_language (no data). Static files are served by whitenoise's middleware and uploaded
# files by views that check the territory: neither has a URL pattern.
EXCLUDED_ROUTE_PREFIXES = ("admin/", "i18n/")

# Personas, in the order of the status columns below.
IN_TERRITORY = ("dgs_epci", "dgs_commune", "sg_petite_commune", "referent", "observateur", "facilitateur")
ELSEWHERE = ("facilitateur_ailleurs", "outsider")  # facilitator of the Achards only; the Achards' EPCI DGS
PERSONAS = (*IN_TERRITORY, *ELSEWHERE, "anonyme")

# Whoever reads but never writes in the territory: none of their requests may leave a trace in the journal.
NEVER_WRITE_IN_TERRITORY = {"observateur", *ELSEWHERE, "anonyme"}
# "login" is a redirection to the login page (after logging out, or a refusal for anonymous visitors); "302"
# any other redirection.
REFUSALS = {"400", "401", "403", "404", "405", "410"}
EXTRA_METHODS = ("put", "patch", "delete")


@dataclass(frozen=True)
class Row:
    """Expected statuses by method; `territory` rows list only the IN_TERRITORY personas."""

    territory: bool
    statuses: dict[str, tuple[str, ...]]

    def expected(self, method: str, persona: str, api: bool) -> str:
        statuses = self.statuses[method]
        if self.territory:
            statuses = (*statuses, "404", "404", "401" if api else "login")
        return statuses[PERSONAS.index(persona)]


def territory(**statuses: str) -> Row:
    """A territory URL: per method, the statuses of IN_TERRITORY, space-separated."""
    row = Row(True, {method: tuple(codes.split()) for method, codes in statuses.items()})
    assert all(len(codes) == len(IN_TERRITORY) for codes in row.statuses.values()), statuses
    return row


def anywhere(**statuses: str) -> Row:
    """A URL outside any territory: per method, the statuses of all PERSONAS, space-separated."""
    row = Row(False, {method: tuple(codes.split()) for method, codes in statuses.items()})
    assert all(len(codes) == len(PERSONAS) for codes in row.statuses.values()), statuses
    return row


# Access profiles of territory pages. Columns: EPCI DGS, commune DGS, SG, référent, observer, facilitator.
# In the fixture the EPCI's DGS is also the author of the propositions, the référent of the network and a
# référent of the project; the project is piloted by Mortagne-sur-Sèvre (its DGS) and linked to one the EPCI pilots.
READ = territory(get="200 200 200 200 200 200", post="405 405 405 405 405 405")
# Any member who writes (observers and facilitators read only); an empty form answers 400.
CONTRIBUTE = territory(get="200 200 200 200 403 403", post="400 400 400 400 403 403")
READ_THEN_CONTRIBUTE = territory(get="200 200 200 200 200 200", post="400 400 400 400 403 403")
# The EPCI's DGS alone: administrator, author (steering a proposition) or référent of the network.
EPCI_DGS_FORM = territory(get="200 403 403 403 403 403", post="400 403 403 403 403 403")
EPCI_DGS_ACTION = territory(get="405 405 405 405 405 405", post="302 403 403 403 403 403")
EPCI_DGS_POST_FORM = territory(get="405 405 405 405 405 405", post="400 403 403 403 403 403")
READ_THEN_EPCI_DGS_FORM = territory(get="200 200 200 200 200 200", post="400 403 403 403 403 403")
# Those who act for the project's pilot collectivité (Mortagne-sur-Sèvre).
PILOT_FORM = territory(get="403 200 403 403 403 403", post="403 400 403 403 403 403")
PILOT_ACTION = territory(get="405 405 405 405 405 405", post="403 302 403 403 403 403")
# The pilots and the project's référents follow it up.
FOLLOW_FORM = territory(get="200 200 403 403 403 403", post="400 400 403 403 403 403")
FOLLOW_ACTION = territory(get="405 405 405 405 405 405", post="302 302 403 403 403 403")
# Speaking for a collectivité takes its seat: the service refuses anyone without one (400), observers included.
SEAT_FORM = territory(get="200 200 200 200 200 200", post="400 400 400 400 400 400")
# The territory's facilitator runs its annual review.
FACILITATOR_ACTION = territory(get="405 405 405 405 405 405", post="403 403 403 403 403 302")

# Access profiles of the territory API (same columns).
API_READ = territory(get="200 200 200 200 200 200", post="405 405 405 405 405 405")
API_CONTRIBUTE_LIST = territory(get="200 200 200 200 200 200", post="400 400 400 400 403 403")
API_CONTRIBUTE_ACTION = territory(get="405 405 405 405 405 405", post="400 400 400 400 403 403")
API_EPCI_DGS_LIST = territory(get="200 200 200 200 200 200", post="400 403 403 403 403 403")
API_EPCI_DGS_ACTION = territory(get="405 405 405 405 405 405", post="200 403 403 403 403 403")
API_EPCI_DGS_FORM_ACTION = territory(get="405 405 405 405 405 405", post="400 403 403 403 403 403")
API_ADMIN_READ = territory(get="200 403 403 403 403 403", post="405 403 403 403 403 403")
API_PILOT_ACTION = territory(get="405 405 405 405 405 405", post="403 400 403 403 403 403")
API_FACILITATOR_ACTION = territory(get="405 405 405 405 405 405", post="403 403 403 403 403 400")
# PUT is routed but not allowed (http_method_names): partial updates only.
API_STEER_DETAIL = territory(
    get="200 200 200 200 200 200",
    post="405 405 405 405 405 405",
    put="405 405 405 405 405 405",
    patch="400 403 403 403 403 403",
)
API_PILOT_DETAIL = territory(
    get="200 200 200 200 200 200",
    post="405 405 405 405 405 405",
    put="405 405 405 405 405 405",
    patch="403 200 403 403 403 403",
)

MATRIX: dict[str, Row] = {
    # communes: the territory, its members, seats, invitations, facilitators, journal.
    "communes:territoire": READ,
    "communes:membres": READ,
    "communes:inviter": EPCI_DGS_FORM,
    "communes:membership_deactivate": EPCI_DGS_ACTION,
    "communes:invitation_revoke": EPCI_DGS_ACTION,
    # The administrator's check comes first, so others get 403 whatever the method.
    "communes:facilitateur_inviter": territory(get="405 403 403 403 403 403", post="400 403 403 403 403 403"),
    "communes:facilitateur_retirer": EPCI_DGS_ACTION,
    "communes:collectivite": READ_THEN_EPCI_DGS_FORM,
    "communes:seat_vacate": EPCI_DGS_ACTION,
    "communes:journal": territory(get="200 403 403 403 403 403", post="405 403 403 403 403 403"),
    "api:collectivite-list": API_READ,
    "api:collectivite-detail": API_READ,
    "api:membre-list": API_READ,
    "api:membre-detail": API_READ,
    "api:membre-desactiver": API_EPCI_DGS_ACTION,
    "api:siege-list": API_EPCI_DGS_LIST,
    "api:siege-detail": API_READ,
    "api:siege-liberer": API_EPCI_DGS_ACTION,
    "api:invitation-list": territory(get="200 403 403 403 403 403", post="400 403 403 403 403 403"),
    "api:invitation-detail": API_ADMIN_READ,
    "api:invitation-annuler": territory(get="405 403 403 403 403 403", post="200 403 403 403 403 403"),
    # The facilitators' addresses are for the members, not for the facilitators themselves.
    "api:facilitateur-list": territory(get="200 200 200 200 200 403", post="405 405 405 405 405 405"),
    "api:facilitateur-inviter": API_EPCI_DGS_FORM_ACTION,
    "api:facilitateur-retirer": territory(get="405 405 405 405 405 405", post="204 403 403 403 403 403"),
    "api:journal-list": API_ADMIN_READ,
    "api:journal-detail": API_ADMIN_READ,
    # decisions: propositions, positions, register, follow-up actions.
    "decisions:list": READ,
    "decisions:create": CONTRIBUTE,
    "decisions:proposition": READ,
    "decisions:edit": EPCI_DGS_FORM,
    "decisions:open": READ_THEN_EPCI_DGS_FORM,
    "decisions:express": SEAT_FORM,
    "decisions:tally": READ,
    "decisions:amend": EPCI_DGS_FORM,
    # Closing needs no form: the author's POST closes the proposition.
    "decisions:close": territory(get="200 200 200 200 200 200", post="302 403 403 403 403 403"),
    "decisions:withdraw": READ_THEN_EPCI_DGS_FORM,
    "decisions:action_create": CONTRIBUTE,
    "decisions:register": READ,
    "decisions:register_csv": READ,
    "decisions:actions": READ,
    "decisions:actions_csv": READ,
    "decisions:action_status": EPCI_DGS_ACTION,
    "api:proposition-list": API_CONTRIBUTE_LIST,
    "api:proposition-detail": API_STEER_DETAIL,
    "api:proposition-ouvrir": API_EPCI_DGS_FORM_ACTION,
    "api:proposition-amender": API_EPCI_DGS_FORM_ACTION,
    "api:proposition-cloturer": API_EPCI_DGS_ACTION,
    "api:proposition-retirer": API_EPCI_DGS_FORM_ACTION,
    "api:proposition-positions": territory(get="200 200 200 200 200 200", post="400 400 400 400 400 400"),
    "api:action-list": API_CONTRIBUTE_LIST,
    "api:action-detail": API_STEER_DETAIL,
    # charte: the charter, its drafts, versions, signatures, ratifications, amendments.
    "charte:charte": READ,
    "charte:start": EPCI_DGS_ACTION,
    "charte:draft": READ,
    "charte:draft_start": EPCI_DGS_ACTION,
    "charte:regles": READ_THEN_CONTRIBUTE,
    "charte:submit": READ_THEN_EPCI_DGS_FORM,
    "charte:section_add": CONTRIBUTE,
    "charte:section": CONTRIBUTE,
    "charte:versions": READ,
    "charte:version": READ,
    "charte:version_markdown": READ,
    "charte:diff": READ,
    # Titulaires sign; anyone else is sent back to the version with the service's refusal (nothing written).
    "charte:sign": territory(get="405 405 405 405 405 405", post="302 302 302 302 302 302"),
    "charte:ratify": SEAT_FORM,
    "charte:amendements": READ,
    "charte:ratification_pdf": READ,
    "charte:amendement_create": CONTRIBUTE,
    "charte:amendement": READ,
    "charte:amendement_rebase": EPCI_DGS_FORM,
    "api:charte-version-list": API_READ,
    "api:charte-version-detail": API_READ,
    "api:charte-version-signer": territory(get="405 405 405 405 405 405", post="201 201 201 400 400 400"),
    "api:charte-version-ratifier": territory(get="405 405 405 405 405 405", post="400 400 400 400 400 400"),
    "api:charte-section-detail": territory(
        get="405 405 405 405 405 405",
        post="405 405 405 405 405 405",
        put="405 405 405 405 405 405",
        patch="400 400 400 400 403 403",
    ),
    "api:charte-amendement-list": API_CONTRIBUTE_LIST,
    "api:charte-amendement-detail": API_READ,
    "api:charte-amendement-reprendre": API_EPCI_DGS_FORM_ACTION,
    "api:charte-regles": API_READ,
    # codir: meetings, agendas, avis, instances, documents.
    "codir:calendar": READ,
    "codir:reunion_create": EPCI_DGS_FORM,
    "codir:reunion": READ,
    "codir:envois": READ,
    "codir:point_add": territory(get="405 405 405 405 405 405", post="400 400 400 400 403 403"),
    # Acknowledging marks one's own receipts of the agenda: harmless for anyone who reads the meeting.
    "codir:acknowledge": territory(get="405 405 405 405 405 405", post="302 302 302 302 302 302"),
    "codir:instance_create": EPCI_DGS_FORM,
    "codir:instances_import": EPCI_DGS_FORM,
    "codir:cancel": EPCI_DGS_ACTION,
    "codir:reschedule": EPCI_DGS_POST_FORM,
    "codir:presences": EPCI_DGS_POST_FORM,
    "codir:minutes": EPCI_DGS_POST_FORM,
    "codir:portfolio_review": READ_THEN_CONTRIBUTE,
    "codir:point_move": EPCI_DGS_ACTION,
    "codir:late_consent": EPCI_DGS_ACTION,
    "codir:avis": READ,
    "codir:avis_open": EPCI_DGS_ACTION,
    "codir:avis_send": EPCI_DGS_ACTION,
    "codir:deliberation": EPCI_DGS_ACTION,
    "codir:instance": READ,
    "codir:document": READ,
    "api:instance-list": API_EPCI_DGS_LIST,
    "api:instance-detail": API_READ,
    "api:reunion-list": API_EPCI_DGS_LIST,
    "api:reunion-detail": API_READ,
    "api:reunion-envois": API_READ,
    "api:reunion-points": API_CONTRIBUTE_ACTION,
    "api:reunion-pris-connaissance": territory(get="405 405 405 405 405 405", post="200 200 200 200 200 200"),
    "api:reunion-presences": API_EPCI_DGS_LIST,
    "api:reunion-compte-rendu": API_EPCI_DGS_FORM_ACTION,
    # reseaux: the project portfolio and its follow-up.
    "reseaux:portfolio": READ,
    "reseaux:portfolio_csv": READ,
    "reseaux:parity": READ,
    "reseaux:systemic": READ,
    "reseaux:axes": READ_THEN_EPCI_DGS_FORM,
    "reseaux:priorisation": CONTRIBUTE,
    "reseaux:projet_create": CONTRIBUTE,
    "reseaux:projet": READ,
    "reseaux:fiche": READ,
    "reseaux:projet_edit": PILOT_FORM,
    "reseaux:pilotage": PILOT_FORM,
    "reseaux:health": PILOT_FORM,
    "reseaux:contribution": PILOT_FORM,
    "reseaux:contribution_remove": PILOT_ACTION,
    "reseaux:referent_add": PILOT_FORM,
    "reseaux:referent_end": PILOT_ACTION,
    "reseaux:phase": PILOT_FORM,
    "reseaux:jalon_add": PILOT_FORM,
    "reseaux:jalon_edit": PILOT_FORM,
    "reseaux:jalon_reach": territory(get="200 200 403 403 403 403", post="302 302 403 403 403 403"),
    "reseaux:indicateur_add": FOLLOW_FORM,
    "reseaux:indicateur_edit": FOLLOW_FORM,
    "reseaux:indicateur_remove": FOLLOW_ACTION,
    "reseaux:document_add": FOLLOW_FORM,
    "reseaux:document": READ,
    "reseaux:document_withdraw": FOLLOW_ACTION,
    "reseaux:revue_add": FOLLOW_FORM,
    "reseaux:lien_add": PILOT_FORM,
    # A link is removed by the pilots of either project: the référent persona acts for the EPCI, pilot of the other.
    "reseaux:lien_delete": territory(get="405 405 405 405 405 405", post="302 302 403 302 403 403"),
    "api:projet-list": API_CONTRIBUTE_LIST,
    "api:projet-systemique": API_READ,
    "api:projet-detail": API_PILOT_DETAIL,
    "api:projet-sante": API_PILOT_ACTION,
    "api:projet-pilotage": API_PILOT_ACTION,
    "api:pilote-list": API_READ,
    "api:pilote-detail": API_READ,
    "api:contribution-list": API_CONTRIBUTE_LIST,
    "api:contribution-detail": territory(
        get="200 200 200 200 200 200", post="405 405 405 405 405 405", delete="403 204 403 403 403 403"
    ),
    "api:phase-list": API_CONTRIBUTE_LIST,
    "api:phase-detail": API_READ,
    "api:jalon-list": API_CONTRIBUTE_LIST,
    "api:jalon-detail": API_PILOT_DETAIL,
    "api:jalon-atteint": territory(get="405 405 405 405 405 405", post="400 400 403 403 403 403"),
    "api:indicateur-list": API_CONTRIBUTE_LIST,
    "api:indicateur-detail": territory(
        get="200 200 200 200 200 200",
        post="405 405 405 405 405 405",
        put="405 405 405 405 405 405",
        patch="200 200 403 403 403 403",
        delete="204 204 403 403 403 403",
    ),
    "api:referent-list": API_CONTRIBUTE_LIST,
    "api:referent-detail": API_READ,
    "api:referent-terminer": territory(get="405 405 405 405 405 405", post="403 200 403 403 403 403"),
    "api:revue-list": API_CONTRIBUTE_LIST,
    "api:revue-detail": API_READ,
    "api:lien-list": API_CONTRIBUTE_LIST,
    "api:lien-detail": territory(
        get="200 200 200 200 200 200", post="405 405 405 405 405 405", delete="204 204 403 204 403 403"
    ),
    "api:axe-list": API_EPCI_DGS_LIST,
    "api:axe-detail": API_READ,
    # reseaux_net: networks of agents, exchanges, the map.
    "reseaux_net:reseaux": READ,
    "reseaux_net:reseau_create": CONTRIBUTE,
    "reseaux_net:mes_donnees": READ,
    "reseaux_net:echanges": READ,
    "reseaux_net:echange_add": CONTRIBUTE,
    "reseaux_net:carte": READ,
    "reseaux_net:qui": READ,
    "reseaux_net:carte_export": READ,
    "reseaux_net:reseau": READ,
    "reseaux_net:membre_add": EPCI_DGS_FORM,
    "reseaux_net:evenement_add": EPCI_DGS_FORM,
    "reseaux_net:ressource_add": EPCI_DGS_FORM,
    "reseaux_net:reseau_close": EPCI_DGS_FORM,
    "reseaux_net:membre_end": EPCI_DGS_FORM,
    "reseaux_net:membre_role": EPCI_DGS_FORM,
    "reseaux_net:ressource_withdraw": EPCI_DGS_ACTION,
    "api:reseau-list": API_CONTRIBUTE_LIST,
    "api:reseau-detail": API_READ,
    "api:reseau-clore": API_EPCI_DGS_ACTION,
    "api:reseau-membre-list": API_CONTRIBUTE_LIST,
    "api:reseau-membre-detail": API_READ,
    "api:reseau-membre-terminer": API_EPCI_DGS_ACTION,
    "api:reseau-membre-role": API_EPCI_DGS_FORM_ACTION,
    "api:reseau-evenement-list": API_CONTRIBUTE_LIST,
    "api:reseau-evenement-detail": API_READ,
    "api:reseau-ressource-list": API_CONTRIBUTE_LIST,
    "api:reseau-ressource-detail": API_READ,
    "api:reseau-ressource-retirer": API_EPCI_DGS_ACTION,
    "api:echange-list": API_CONTRIBUTE_LIST,
    "api:echange-detail": API_READ,
    "api:reseau-analyses": API_READ,
    "api:reseau-evolution": API_READ,
    # revue: the annual review, run by the territory's facilitator, answered by the members.
    "revue:revues": READ,
    "revue:ouvrir": FACILITATOR_ACTION,
    "revue:partage": territory(get="200 403 403 403 403 403", post="302 403 403 403 403 403"),
    "revue:historique_csv": READ,
    "revue:revue": READ,
    "revue:etape": FACILITATOR_ACTION,
    # Past its préparation the questionnaire is fixed: its facilitator is sent back to the review.
    "revue:questionnaire": territory(get="403 403 403 403 403 302", post="403 403 403 403 403 302"),
    "revue:repondre": CONTRIBUTE,
    "revue:seminaire": territory(get="200 200 200 200 200 200", post="403 403 403 403 403 302"),
    "revue:resultats": READ,
    "revue:indicateurs": READ,
    "revue:indicateurs_csv": READ,
    "revue:rapport": READ,
    "revue:engagement_retirer": FACILITATOR_ACTION,
    "api:revue-annuelle-list": territory(get="200 200 200 200 200 200", post="403 403 403 403 403 400"),
    "api:partage-revue": territory(
        get="200 200 200 200 200 200", post="405 405 405 405 405 405", put="400 403 403 403 403 403"
    ),
    "api:revue-annuelle-detail": API_READ,
    "api:revue-annuelle-ouvrir-questionnaire": API_FACILITATOR_ACTION,
    "api:revue-annuelle-seminaire": API_FACILITATOR_ACTION,
    "api:revue-annuelle-bilan": API_FACILITATOR_ACTION,
    "api:revue-annuelle-cloturer": API_FACILITATOR_ACTION,
    "api:revue-annuelle-engagements": API_FACILITATOR_ACTION,
    "api:revue-annuelle-questionnaire": territory(
        get="200 200 200 200 200 200", post="405 405 405 405 405 405", put="403 403 403 403 403 400"
    ),
    "api:revue-annuelle-reponses": API_CONTRIBUTE_ACTION,
    "api:revue-annuelle-resultats": API_READ,
    "api:revue-annuelle-indicateurs": API_READ,
    "api:revue-annuelle-engagement-retirer": territory(get="405 405 405 405 405 405", post="403 403 403 403 403 200"),
    # Outside any territory. Columns: the six above, then facilitator elsewhere, outsider, anonymous.
    # Public pages.
    "home": anywhere(
        get="302 302 302 302 302 302 302 302 login",
        post="302 302 302 302 302 302 302 302 login",
    ),
    "accessibilite": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    "confidentialite": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    "api_schema": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    "api_docs": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    # Logging in and out: those already logged in are sent on to their territories.
    "login": anywhere(
        get="302 302 302 302 302 302 302 302 200",
        post="302 302 302 302 302 302 302 302 200",
    ),
    "logout": anywhere(
        get="405 405 405 405 405 405 405 405 405",
        post="login login login login login login login login login",
    ),
    "logout_everywhere": anywhere(
        get="405 405 405 405 405 405 405 405 login",
        post="login login login login login login login login login",
    ),
    # ProConnect is not configured in the tests: its routes answer 404.
    "proconnect_login": anywhere(
        get="404 404 404 404 404 404 404 404 404",
        post="405 405 405 405 405 405 405 405 405",
    ),
    "proconnect_callback": anywhere(
        get="404 404 404 404 404 404 404 404 404",
        post="405 405 405 405 405 405 405 405 405",
    ),
    "proconnect_logout_callback": anywhere(
        get="404 404 404 404 404 404 404 404 404",
        post="405 405 405 405 405 405 405 405 405",
    ),
    # Password reset works the same whoever asks (an unknown address or a forged link included).
    "password_reset": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="200 200 200 200 200 200 200 200 200",
    ),
    "password_reset_done": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    "password_reset_confirm": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="200 200 200 200 200 200 200 200 200",
    ),
    "password_reset_complete": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    # The invitation link is its own credential: it works logged in or not; an empty form is refused.
    "invitation_accept": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="400 400 400 400 400 400 400 400 400",
    ),
    # The second factor: the session of every persona has passed it already.
    "second_factor_verify": anywhere(
        get="302 302 302 302 302 302 302 302 login",
        post="302 302 302 302 302 302 302 302 login",
    ),
    "account_security": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    "second_factor_enroll": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="400 400 400 400 400 400 400 400 login",
    ),
    "second_factor_recovery_codes": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="400 400 400 400 400 400 400 400 login",
    ),
    "second_factor_replace": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="400 400 400 400 400 400 400 400 login",
    ),
    "second_factor_disable": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="400 400 400 400 400 400 400 400 login",
    ),
    # One's own territories and calendar link: any agent.
    "mes_territoires": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    "calendar_link": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="302 302 302 302 302 302 302 302 login",
    ),
    # One's own personal data (GDPR rights of access, portability and erasure): any agent, for themself.
    "mes_donnees": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    "mes_donnees_telecharger": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    # Erasing takes the password: an empty form is refused.
    "mes_donnees_effacer": anywhere(
        get="200 200 200 200 200 200 200 200 login",
        post="400 400 400 400 400 400 400 400 login",
    ),
    # The feed's token is its only credential (calendar apps cannot log in): whoever holds it reads it.
    "calendar_feed": anywhere(
        get="200 200 200 200 200 200 200 200 200",
        post="405 405 405 405 405 405 405 405 405",
    ),
    # The facilitators' space: nothing there (404) for someone who accompanies no territory; a campaign is
    # its facilitator's alone.
    "facilitation:accueil": anywhere(
        get="404 404 404 404 404 200 200 404 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    "facilitation:campagne_creer": anywhere(
        get="404 404 404 404 404 200 200 404 login",
        post="404 404 404 404 404 400 400 404 login",
    ),
    "facilitation:campagne": anywhere(
        get="404 404 404 404 404 200 404 404 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    # The form's fields are optional checkboxes: an empty POST is a valid questionnaire.
    "facilitation:campagne_questionnaire": anywhere(
        get="404 404 404 404 404 200 404 404 login",
        post="404 404 404 404 404 302 404 404 login",
    ),
    "facilitation:comparaison": anywhere(
        get="404 404 404 404 404 200 200 404 login",
        post="405 405 405 405 405 405 405 405 login",
    ),
    "facilitation:comparaison_csv": anywhere(
        get="404 404 404 404 404 200 200 404 login",
        post="405 405 405 405 405 405 405 405 405",
    ),
    # API outside a territory.
    "api:token": anywhere(
        get="405 405 405 405 405 405 405 405 405",
        post="400 400 400 400 400 400 400 400 400",
    ),
    "api:territoire-list": anywhere(
        get="200 200 200 200 200 200 200 200 401",
        post="405 405 405 405 405 405 405 405 401",
    ),
    # A territory by its slug: 404 for those who neither belong to it nor accompany it.
    "api:territoire-detail": anywhere(
        get="200 200 200 200 200 200 404 404 401",
        post="405 405 405 405 405 405 405 405 401",
    ),
    "api:calendar-link": anywhere(
        get="200 200 200 200 200 200 200 200 401",
        post="201 201 201 201 201 201 201 201 401",
        delete="204 204 204 204 204 204 204 204 401",
    ),
    "api:mes-donnees": anywhere(
        get="200 200 200 200 200 200 200 200 401",
        post="405 405 405 405 405 405 405 405 401",
    ),
    # The API's facilitation space answers 403 (the pages: 404) to those who accompany no territory.
    "api:comparaison": anywhere(
        get="403 403 403 403 403 200 200 403 401",
        post="405 405 405 405 405 405 405 405 401",
    ),
    "api:campagne-list": anywhere(
        get="200 200 200 200 200 200 200 200 401",
        post="403 403 403 403 403 400 400 403 401",
    ),
    "api:campagne-detail": anywhere(
        get="404 404 404 404 404 200 404 404 401",
        post="405 405 405 405 405 405 405 405 401",
    ),
    "api:campagne-questionnaire": anywhere(
        get="405 405 405 405 405 405 405 405 401",
        post="405 405 405 405 405 405 405 405 401",
        put="404 404 404 404 404 400 404 404 401",
    ),
}


class World:
    """The personas, and what some URLs need, built on demand: most URLs need none of it."""

    def __init__(self, mortagne, personas):
        self.mortagne = mortagne
        self.personas = personas

    @cached_property
    def objects(self):
        return build_objects(self.mortagne, self.personas["dgs_epci"], self.personas["dgs_commune"])

    @cached_property
    def campagne(self):
        # Next year's: this year's review of the Pays de Mortagne exists already (see build_objects).
        return revue_services.campagne_create(
            facilitator=self.personas["facilitateur"],
            year=timezone.localdate().year + 1,
            title="",
            territoires=[self.mortagne],
        )

    @cached_property
    def calendar_token(self):
        return feeds.calendar_token_renew(agent=self.personas["dgs_commune"]).token


# Kwargs of the URLs outside a territory, and overrides of TERRITORY_URL_KWARGS where the matrix wants a
# target that exists (the isolation tests ask to remove a member as facilitator: 404 wherever it is asked).
URL_KWARGS = {
    "password_reset_confirm": lambda w: {"uidb64": "MQ", "token": "lien-invalide"},
    "invitation_accept": lambda w: {"token": services.invitation_token(w.objects.invitation)},
    "calendar_feed": lambda w: {"token": w.calendar_token},
    "facilitation:campagne": lambda w: {"campagne_id": w.campagne.pk},
    "facilitation:campagne_questionnaire": lambda w: {"campagne_id": w.campagne.pk},
    "api:territoire-detail": lambda w: {"slug": w.mortagne.slug},
    "api:campagne-detail": lambda w: {"pk": w.campagne.pk},
    "api:campagne-questionnaire": lambda w: {"pk": w.campagne.pk},
    "communes:facilitateur_retirer": lambda w: {
        "territoire_slug": w.mortagne.slug,
        "agent_id": w.personas["facilitateur"].pk,
    },
    "api:facilitateur-retirer": lambda w: {"territoire_slug": w.mortagne.slug, "pk": w.personas["facilitateur"].pk},
}


def open_avis(world: World) -> None:
    """The avis page shows the proposition put to the CoDir on an item: open one."""
    point = world.objects.document.point
    avis.avis_open(point=point, by=world.personas["dgs_epci"], closes_at=timezone.now() + timedelta(days=3))


# What a few URLs need besides their kwargs.
PREPARE = {"codir:avis": open_avis}


def url_of(name: str, world: World) -> str:
    if name in URL_KWARGS:
        kwargs = URL_KWARGS[name](world)
    elif name in TERRITORY_URL_KWARGS:
        kwargs = {"territoire_slug": world.mortagne.slug, **TERRITORY_URL_KWARGS[name](world.objects)}
    else:
        kwargs = {}
    return reverse(name, kwargs=kwargs)


@cache
def routes() -> dict[str, tuple[str, object]]:
    """URL name -> (route, pattern) of every pattern the matrix must describe."""
    return {
        name: (route, pattern)
        for name, route, pattern in url_patterns()
        if not route.startswith(EXCLUDED_ROUTE_PREFIXES)
    }


def methods_of(pattern) -> list[str]:
    """GET and POST always; for the API, PUT, PATCH and DELETE too where the view has them (a viewset's route or
    an APIView). Pages are forms: Django's generic views answer PUT like POST, which no browser sends."""
    view = pattern.callback
    actions = getattr(view, "actions", None)
    if actions is not None:
        declared = set(actions)
    elif getattr(view, "cls", None) is not None:  # a DRF APIView
        declared = {method for method in EXTRA_METHODS if hasattr(view.cls, method)}
    else:
        declared = set()
    return ["get", "post", *(method for method in EXTRA_METHODS if method in declared)]


def test_every_url_has_a_row_in_the_matrix():
    found = routes()
    unnamed = sorted(route for name, (route, _) in found.items() if name.endswith("None"))
    assert not unnamed, f"URL patterns without a name cannot have a row: {unnamed}"
    missing = sorted(set(found) - set(MATRIX))
    assert not missing, f"URL patterns without a row in the access matrix: {missing}"
    stale = sorted(set(MATRIX) - set(found))
    assert not stale, f"Access matrix rows for URLs that no longer exist: {stale}"
    wrong = []
    for name, (route, pattern) in sorted(found.items()):
        row = MATRIX[name]
        # A territory row adds the 404s for the others: it is the only kind allowed under a territory.
        if row.territory != ("territoire_slug" in route):
            wrong.append(f"{name}: describe it with {'territory' if 'territoire_slug' in route else 'anywhere'}()")
        if sorted(row.statuses) != sorted(methods_of(pattern)):
            wrong.append(f"{name}: give the statuses of {methods_of(pattern)}, not {list(row.statuses)}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture
def world(
    mortagne,
    achards,
    dgs_epci,
    dgs_commune,
    sg_petite_commune,
    referent,
    observateur,
    facilitateur,
    outsider,
    settings,
    tmp_path,
) -> World:
    settings.MEDIA_ROOT = tmp_path
    facilitateur_ailleurs = services.agent_create(
        email="paul.morin@cnfpt.test", first_name="Paul", last_name="Morin", password="Un-mot-de-passe-2026"
    )
    services.facilitator_grant(territoire=achards, agent=facilitateur_ailleurs, by=None)
    personas = {
        "dgs_epci": dgs_epci,
        "dgs_commune": dgs_commune,
        "sg_petite_commune": sg_petite_commune,
        "referent": referent,
        "observateur": observateur,
        "facilitateur": facilitateur,
        "facilitateur_ailleurs": facilitateur_ailleurs,
        "outsider": outsider,
        "anonyme": None,
    }
    assert tuple(personas) == PERSONAS
    return World(mortagne, personas)


def client_as(agent, api: bool):
    client = APIClient() if api else Client()
    client.raise_request_exception = False  # a 500 is reported as a status, with the others
    if agent is not None:
        if api:
            client.force_authenticate(agent)
        else:
            client.force_login(agent)  # a complete login, second factor included (see conftest)
    return client


def refused(status: str, persona: str) -> bool:
    return status in REFUSALS or (status == "login" and persona == "anonyme")


def send(client, method: str, url: str, api: bool):
    """One request in a savepoint rolled back afterwards; returns its status token and whether it wrote to the
    journal."""
    with transaction.atomic():
        journal_before = JournalEntry.objects.count()
        if method == "get":
            response = client.get(url)
        elif api:
            response = getattr(client, method)(url, {}, format="json")
        else:
            response = getattr(client, method)(url, {})
        wrote = JournalEntry.objects.count() != journal_before
        transaction.set_rollback(True)
    # Closing releases a served file; it also signals request_finished, whose receiver would close the database
    # connection (PostgreSQL) under the test's transaction: unhooked as Django's test client does.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    status = str(response.status_code)
    if response.status_code in (301, 302) and response["Location"].startswith(reverse("login")):
        status = "login"
    return status, wrote


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_persona_gets_the_expected_status(name, world):
    route, pattern = routes()[name]
    row, api = MATRIX[name], route.startswith("api/")
    if name in PREPARE:
        PREPARE[name](world)
    url = url_of(name, world)
    failures = []
    for persona in PERSONAS:
        client = client_as(world.personas[persona], api)
        for method in row.statuses:
            expected = row.expected(method, persona, api)
            got, wrote = send(client, method, url, api)
            if got != expected:
                failures.append(f"{method.upper()} {url} as {persona}: expected {expected}, got {got}")
            elif wrote and (refused(got, persona) or (row.territory and persona in NEVER_WRITE_IN_TERRITORY)):
                failures.append(f"{method.upper()} {url} as {persona}: answered {got} but wrote to the journal")
    assert not failures, f"{name}:\n" + "\n".join(failures)
