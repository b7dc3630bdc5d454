"""Second factor for password logins — placeholder, being written."""

urlpatterns: list = []


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
