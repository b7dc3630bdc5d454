"""The only writers of the project portfolio, one module per concern; everything is re-exported here
so callers write `from reseaux import services` and `services.projet_create(...)`."""

from reseaux.services.axes import axe_create
from reseaux.services.liens import lien_create, lien_delete, on_priorisation_closed, priorisation_create
from reseaux.services.projets import (
    PILOT_PERMISSION,
    active_pilots,
    contribution_remove,
    contribution_set,
    health_set,
    pilotage_change,
    projet_create,
    projet_update,
    referent_add,
    referent_end,
    sync_pilot_permissions,
    sync_pilot_permissions_for_collectivite,
)
from reseaux.services.revues import PortfolioSweep, next_review_on, pilotage_sweep, portfolio_sweep, revue_record
from reseaux.services.suivi import (
    document_add,
    document_withdraw,
    indicateur_remove,
    indicateur_set,
    jalon_add,
    jalon_reach,
    jalon_update,
    phase_set,
)

__all__ = [
    "PILOT_PERMISSION",
    "PortfolioSweep",
    "active_pilots",
    "axe_create",
    "contribution_remove",
    "contribution_set",
    "document_add",
    "document_withdraw",
    "health_set",
    "indicateur_remove",
    "indicateur_set",
    "jalon_add",
    "jalon_reach",
    "jalon_update",
    "lien_create",
    "lien_delete",
    "next_review_on",
    "on_priorisation_closed",
    "phase_set",
    "pilotage_change",
    "pilotage_sweep",
    "portfolio_sweep",
    "priorisation_create",
    "projet_create",
    "projet_update",
    "referent_add",
    "referent_end",
    "revue_record",
    "sync_pilot_permissions",
    "sync_pilot_permissions_for_collectivite",
]
