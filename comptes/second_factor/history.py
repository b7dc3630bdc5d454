"""The agent's own recent account events (logins, failures, lockouts, second factor), for the security page."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communes.models import Agent, JournalEntry

HISTORY_LENGTH = 20

# French labels of the `comptes.*` journal actions; an action missing here is shown by its code.
ACTION_LABELS = {
    "comptes.login.succeeded": _("Connexion"),
    "comptes.login.password_ok_code_pending": _("Mot de passe correct, code de vérification pas encore saisi"),
    "comptes.login.failed": _("Échec de connexion (mot de passe)"),
    "comptes.login.locked_out": _("Connexion bloquée après trop d'échecs"),
    "comptes.proconnect.refused": _("Connexion ProConnect refusée"),
    "communes.sessions.revoked": _("Déconnexion de toutes les sessions"),
    "comptes.second_factor.enabled": _("Double authentification activée"),
    "comptes.second_factor.disabled": _("Double authentification désactivée"),
    "comptes.second_factor.device_replaced": _("Application d'authentification remplacée"),
    "comptes.second_factor.recovery_codes_generated": _("Nouveaux codes de secours"),
    "comptes.second_factor.recovery_code_used": _("Code de secours utilisé"),
    "comptes.second_factor.failed": _("Code de vérification erroné"),
    "comptes.api_token.issued": _("Nouveau jeton d'API"),
}

METHOD_LABELS = {
    "password": _("mot de passe"),
    "proconnect": _("ProConnect"),
}
FACTOR_LABELS = {
    "totp": _("application d'authentification"),
    "recovery": _("code de secours"),
    "none": _("sans double authentification"),
}


@dataclass(frozen=True)
class HistoryLine:
    created_at: datetime
    action: str
    label: str
    details: str
    ip: str


def _details(entry: JournalEntry) -> str:
    data = entry.data or {}
    parts = []
    if method := METHOD_LABELS.get(data.get("method", "")):
        parts.append(str(method))
    if factor := FACTOR_LABELS.get(data.get("second_factor", "") or data.get("kind", "")):
        parts.append(str(factor))
    if "remaining" in data:
        parts.append(str(_("codes restants : %(count)s")) % {"count": data["remaining"]})
    return ", ".join(parts)


def account_history(agent: Agent) -> list[HistoryLine]:
    """The agent's last `HISTORY_LENGTH` journal lines whose action starts with ``comptes.``, newest first;
    one query."""
    entries = (
        JournalEntry.objects.filter(actor=agent)
        .filter(Q(action__startswith="comptes.") | Q(action="communes.sessions.revoked"))
        .order_by("-created_at", "-id")[:HISTORY_LENGTH]
    )
    return [
        HistoryLine(
            created_at=entry.created_at,
            action=entry.action,
            label=str(ACTION_LABELS.get(entry.action, entry.action)),
            details=_details(entry),
            ip=(entry.data or {}).get("ip", ""),
        )
        for entry in entries
    ]
