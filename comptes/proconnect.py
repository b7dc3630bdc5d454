"""ProConnect (OpenID Connect) login — placeholder, being written."""

from django.contrib.auth.backends import BaseBackend

urlpatterns: list = []


class ProConnectBackend(BaseBackend):
    def authenticate(self, request, **kwargs):
        return None
