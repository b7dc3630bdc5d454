"""What a ProConnect login leaves in the session: the id_token (for the logout), the identity shown to the agent,
and how the identity provider authenticated them (`amr`), which decides whether our second factor is still due."""

from dataclasses import dataclass

from django.http import HttpRequest

from comptes.auth_method import is_proconnect

# The library's own name for it: whoever reads mozilla-django-oidc's documentation finds it where expected.
ID_TOKEN_KEY = "oidc_id_token"
IDENTITY_KEY = "comptes_proconnect_identity"
LOGOUT_STATE_KEY = "comptes_proconnect_logout_state"
LOGOUT_NEXT_KEY = "comptes_proconnect_logout_next"

# ProConnect's `amr` values (its documentation, « Quelles sont les valeurs possibles pour le champ amr ? »):
# "totp" (an authenticator app), "pop" (a passkey or an agent's smart card) and "mfa" say that a second factor
# was passed. "pwd" (a password, the browser once confirmed by a code sent by mail) and "mail" (a magic link)
# are a single factor, and so is an identity provider that says nothing.
MULTI_FACTOR_AMR = frozenset({"mfa", "totp", "pop"})


def amr_values(value: object) -> tuple[str, ...]:
    """The `amr` claim as a tuple of strings: a list per the specification; a lone string is accepted, any other
    shape counts as nothing said."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True)
class SessionIdentity:
    """The establishment ProConnect vouched for at this login, the identity provider that did, and how."""

    siret: str
    idp_id: str
    uid: str
    structure: str  # the collectivité whose SIREN the SIRET matched, "" when none was expected
    amr: tuple[str, ...] = ()  # the id_token's authentication methods, as the identity provider declared them

    @property
    def siret_display(self) -> str:
        """« 123 456 789 00012 »: the SIREN, then the establishment number, as INSEE prints them."""
        if len(self.siret) == 14 and self.siret.isdigit():
            return f"{self.siret[:3]} {self.siret[3:6]} {self.siret[6:9]} {self.siret[9:]}"
        return self.siret

    @property
    def multi_factor(self) -> bool:
        """Whether the identity provider declared a second factor for this login."""
        return not MULTI_FACTOR_AMR.isdisjoint(self.amr)


def identity_store(request: HttpRequest, *, id_token: str, identity: SessionIdentity) -> None:
    """Remember, after `login()` (which renews the session), what this ProConnect login was."""
    request.session[ID_TOKEN_KEY] = id_token
    request.session[IDENTITY_KEY] = {
        "siret": identity.siret,
        "idp_id": identity.idp_id,
        "uid": identity.uid,
        "structure": identity.structure,
        "amr": list(identity.amr),
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
        # Sessions opened before the amr was kept have none: they count as a single factor.
        amr=amr_values(data.get("amr")),
    )


def second_factor_done_by_provider(request: HttpRequest) -> bool:
    """Whether this session passed a second factor at ProConnect's identity provider, so that ours is not asked.

    Only a ProConnect session whose id_token declared a multi-factor method (`MULTI_FACTOR_AMR`) qualifies; any
    other ProConnect session is gated like a password one (comptes.second_factor.middleware).
    """
    identity = session_identity(request)
    return identity is not None and identity.multi_factor


def session_id_token(request: HttpRequest) -> str | None:
    """The id_token to hand back to ProConnect at logout, for a ProConnect session only."""
    if not is_proconnect(request):
        return None
    token = request.session.get(ID_TOKEN_KEY)
    return token if isinstance(token, str) and token else None
