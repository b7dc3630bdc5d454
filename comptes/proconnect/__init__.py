"""ProConnect login (OpenID Connect, with mozilla-django-oidc), for public agents.

- `discovery`: the provider's endpoints, from its discovery document, cached;
- `backend`: `ProConnectBackend`, the library's backend with the checks it leaves out;
- `agents`: whom a verified identity opens a session for (`proconnect_login_accept`) — an active agent, or
  the person pending invitations were sent to — and the SIRET check; refusals go to the journal;
- `session`: what a ProConnect login keeps in the session (id_token for the logout, identity shown);
- `views`, `urls`: login, callback, logout (`LogoutView`, named "logout") and logout callback.

Off unless `PROCONNECT_CLIENT_ID` is set (codir/settings.py): the pages answer 404, the login page shows no button.
"""

from comptes.proconnect.backend import ProConnectBackend
from comptes.proconnect.urls import urlpatterns

__all__ = ["ProConnectBackend", "urlpatterns"]
