from django.apps import AppConfig


class CommunesConfig(AppConfig):
    name = "communes"
    verbose_name = "Territoires et collectivités"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from communes.sessions import session_opened

        user_logged_in.connect(session_opened, dispatch_uid="communes_session_opened")
