from django.contrib import admin

from codir.models import AgendaVersion, Campagne, Envoi, Instance, Partage, PointOdj, Reunion, RevueAnnuelle


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "territoire", "kind", "starts_at", "cancelled"]
    list_filter = ["kind", "cancelled"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire", "created_by"]


@admin.register(Reunion)
class ReunionAdmin(admin.ModelAdmin):
    list_display = ["title", "territoire", "starts_at", "dispatched_at", "cancelled_at"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire", "instance", "host", "animateur", "created_by"]


@admin.register(PointOdj)
class PointOdjAdmin(admin.ModelAdmin):
    list_display = ["title", "reunion", "position", "late"]
    list_select_related = ["reunion"]
    raw_id_fields = ["reunion", "presenter", "proposition", "added_by"]


@admin.register(Envoi)
class EnvoiAdmin(admin.ModelAdmin):
    """The outbox, read-only: the evidence of who received which agenda, and when."""

    list_display = ["version", "email", "sent_at", "late_by", "attempts", "read_at"]
    list_filter = ["sent_at"]
    list_select_related = ["version__reunion"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(AgendaVersion)


# The anonymous answers (Reponse) are deliberately not in the admin: one row is one person's answers,
# and nobody, not even the platform's administrators, reads them one by one.


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reviews change only through their services (stages, anonymity, journal)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RevueAnnuelle)
class RevueAnnuelleAdmin(ReadOnlyAdmin):
    list_display = ["territoire", "year", "stage", "facilitator", "closed_at"]
    list_filter = ["stage", "year"]
    list_select_related = ["territoire", "facilitator"]
    exclude = ["questionnaire", "indicators", "results", "network_svg"]


@admin.register(Campagne)
class CampagneAdmin(ReadOnlyAdmin):
    list_display = ["title", "year", "facilitator"]
    list_select_related = ["facilitator"]
    exclude = ["questionnaire"]


@admin.register(Partage)
class PartageAdmin(ReadOnlyAdmin):
    list_display = ["territoire", "families", "updated_at"]
    list_select_related = ["territoire"]
