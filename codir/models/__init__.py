"""The CoDir's models: its meetings (`meetings`) and the facilitator's annual review (`revue`)."""

from codir.models.meetings import (
    ALLOWED_DOCUMENT_EXTENSIONS,
    AgendaVersion,
    CalendarToken,
    Deliberation,
    Document,
    Envoi,
    Instance,
    PointOdj,
    Presence,
    Reunion,
    _new_token,  # noqa: F401  (migration 0002 refers to codir.models._new_token)
    new_uid,
)
from codir.models.revue import Campagne, Engagement, Partage, Participation, Reponse, RevueAnnuelle

__all__ = [
    "ALLOWED_DOCUMENT_EXTENSIONS",
    "AgendaVersion",
    "CalendarToken",
    "Campagne",
    "Deliberation",
    "Document",
    "Engagement",
    "Envoi",
    "Instance",
    "Partage",
    "Participation",
    "PointOdj",
    "Presence",
    "Reponse",
    "Reunion",
    "RevueAnnuelle",
    "new_uid",
]
