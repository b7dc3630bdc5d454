"""What a ProConnect login leaves in the session: the id_token (for the logout) and the identity shown to the agent."""

from dataclasses import dataclass

from django.http import HttpRequest

from comptes.auth_method import is_proconnect

# The library's own name for it: whoever reads mozilla-django-oidc's documentation finds it where expected.
ID_TOKEN_KEY = "oidc_id_token"
IDENTITY_KEY = "comptes_proconnect_identity"
LOGOUT_STATE_KEY = "comptes_proconnect_logout_state"
LOGOUT_NEXT_KEY = "comptes_proconnect_logout_next"


@dataclass(frozen=True)
class SessionIdentity:
    """The establishment ProConnect vouched for at this login, and the identity provider that did."""

    siret: str
    idp_id: str
    uid: str
    structure: str  # the collectivité whose SIREN the SIRET matched, "" when none was expected

    @property
    def siret_display(self) -> str:
        """« 123 456 789 00012 »: the SIREN, then the establishment number, as INSEE prints them."""
        if len(self.siret) == 14 and self.siret.isdigit():
            return f"{self.siret[:3]} {self.siret[3:6]} {self.siret[6:9]} {self.siret[9:]}"
        return self.siret


def identity_store(request: HttpRequest, *, id_token: str, identity: SessionIdentity) -> None:
    """Remember, after `login()` (which renews the session), what this ProConnect login was."""
    request.session[ID_TOKEN_KEY] = id_token
    request.session[IDENTITY_KEY] = {
        "siret": identity.siret,
        "idp_id": identity.idp_id,
        "uid": identity.uid,
        "structure": identity.structure,
    }


def session_identity(request: HttpRequest) -> SessionIdentity | None:
    """The ProConnect identity of this session, or None for a session opened with a password."""
    # The auth method is set at every login: a password login after a ProConnect one in the same browser
    # session keeps the old keys (same agent, the session is only renewed) but is not a ProConnect session.
    if not hasattr(request, "session") or not is_proconnect(request):
        return None
    data = request.session.get(IDENTITY_KEY)
    if not isinstance(data, dict):
        return None
    return SessionIdentity(
        siret=str(data.get("siret", "")),
        idp_id=str(data.get("idp_id", "")),
        uid=str(data.get("uid", "")),
        structure=str(data.get("structure", "")),
    )


def session_id_token(request: HttpRequest) -> str | None:
    """The id_token to hand back to ProConnect at logout, for a ProConnect session only."""
    if not is_proconnect(request):
        return None
    token = request.session.get(ID_TOKEN_KEY)
    return token if isinstance(token, str) and token else None
