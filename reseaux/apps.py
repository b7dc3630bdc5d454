from django.apps import AppConfig


class ReseauxConfig(AppConfig):
    name = "reseaux"
    verbose_name = "Réseaux et projets"
