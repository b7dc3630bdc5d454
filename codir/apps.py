from django.apps import AppConfig


class CodirConfig(AppConfig):
    name = "codir"
    verbose_name = "CoDir de territoire"
