from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from reseaux.models import Axe, Contribution, Lien, Pilote, Projet, Revue


class PiloteInline(admin.TabularInline):
    model = Pilote
    extra = 0
    raw_id_fields = ["collectivite"]


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0
    raw_id_fields = ["collectivite"]


@admin.register(Projet)
class ProjetAdmin(GuardedModelAdmin):
    list_display = ["title", "territoire", "pilotage", "status", "health"]
    list_filter = ["pilotage", "status", "health"]
    search_fields = ["title", "territoire__name"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire", "axe", "created_by"]
    inlines = [PiloteInline, ContributionInline]


@admin.register(Axe)
class AxeAdmin(admin.ModelAdmin):
    list_display = ["name", "territoire", "position"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire"]


@admin.register(Lien)
class LienAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "target"]
    list_select_related = ["source", "target"]
    raw_id_fields = ["source", "target", "created_by"]


@admin.register(Revue)
class RevueAdmin(admin.ModelAdmin):
    list_display = ["projet", "held_on", "health", "handover"]
    list_select_related = ["projet"]
    raw_id_fields = ["projet", "proposition", "recorded_by"]
