from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Activate the language chosen with the switcher, French otherwise.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the
    application is French first, and an agent whose browser happens to be set to English
    still gets French until they choose otherwise.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # Restored after the response: a thread that served an English page must not write French texts
        # (journal lines, mails, service messages) in English afterwards.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
