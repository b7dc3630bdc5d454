from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from reseaux.models import (
    Axe,
    Contribution,
    DocumentProjet,
    Echange,
    Evenement,
    HealthChange,
    Indicateur,
    Jalon,
    Lien,
    MembreReseau,
    Participation,
    Phase,
    Pilote,
    Priorisation,
    Projet,
    Referent,
    Reseau,
    Ressource,
    Revue,
)


class PiloteInline(admin.TabularInline):
    model = Pilote
    extra = 0
    raw_id_fields = ["collectivite"]


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0
    raw_id_fields = ["collectivite"]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class JalonInline(admin.TabularInline):
    model = Jalon
    extra = 0


class IndicateurInline(admin.TabularInline):
    model = Indicateur
    extra = 0


class ReferentInline(admin.TabularInline):
    model = Referent
    extra = 0
    raw_id_fields = ["agent"]


class HealthChangeInline(admin.TabularInline):
    """The health history is a record: read only."""

    model = HealthChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "previous", "health", "reason", "changed_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Projet)
class ProjetAdmin(GuardedModelAdmin):
    list_display = ["title", "territoire", "pilotage", "status", "health"]
    list_filter = ["pilotage", "status", "health"]
    search_fields = ["title", "territoire__name"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire", "axe", "created_by"]
    inlines = [
        PiloteInline,
        ContributionInline,
        ReferentInline,
        PhaseInline,
        JalonInline,
        IndicateurInline,
        HealthChangeInline,
    ]


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


@admin.register(DocumentProjet)
class DocumentProjetAdmin(admin.ModelAdmin):
    list_display = ["name", "projet", "uploaded_at", "withdrawn_at"]
    list_select_related = ["projet"]
    raw_id_fields = ["projet", "uploaded_by"]


@admin.register(Priorisation)
class PriorisationAdmin(admin.ModelAdmin):
    """What a priorisation put to the collective is part of its decision: read only."""

    list_display = ["proposition", "rank", "projet", "systemic_score", "launched_at"]
    list_select_related = ["proposition", "projet"]
    readonly_fields = ["proposition", "projet", "rank", "systemic_score", "launched_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembreReseauInline(admin.TabularInline):
    model = MembreReseau
    extra = 0
    raw_id_fields = ["agent", "collectivite"]


@admin.register(Reseau)
class ReseauAdmin(GuardedModelAdmin):
    list_display = ["name", "kind", "territoire", "created_on", "closed_on"]
    list_filter = ["kind"]
    search_fields = ["name", "territoire__name"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire", "projet", "created_by"]
    inlines = [MembreReseauInline]


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    raw_id_fields = ["agent", "collectivite"]


@admin.register(Evenement)
class EvenementAdmin(admin.ModelAdmin):
    list_display = ["title", "reseau", "held_on"]
    list_select_related = ["reseau"]
    raw_id_fields = ["reseau", "created_by"]
    inlines = [ParticipationInline]


@admin.register(Ressource)
class RessourceAdmin(admin.ModelAdmin):
    list_display = ["title", "reseau", "added_at", "withdrawn_at"]
    list_select_related = ["reseau"]
    raw_id_fields = ["reseau", "added_by"]


@admin.register(Echange)
class EchangeAdmin(admin.ModelAdmin):
    list_display = ["theme", "kind", "host", "guest", "starts_on"]
    list_select_related = ["host", "guest"]
    raw_id_fields = ["territoire", "host", "guest", "host_collectivite", "guest_collectivite", "recorded_by"]
