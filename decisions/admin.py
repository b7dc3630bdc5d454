from django.contrib import admin

from decisions.models import Action, Position, Proposition, Round


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    fields = ["number", "opened_at", "closed_at", "closing", "result"]
    readonly_fields = fields
    can_delete = False


@admin.register(Proposition)
class PropositionAdmin(admin.ModelAdmin):
    list_display = ["title", "territoire", "kind", "status", "result", "closes_at"]
    list_filter = ["kind", "status", "result", "mode"]
    search_fields = ["title", "territoire__name"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire", "author"]
    inlines = [RoundInline]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    """Positions are the collective's record: read here, changed only through the decision page."""

    list_display = ["round", "collectivite", "choice", "spoken_by", "created_at", "replaced_at"]
    list_select_related = ["round__proposition", "collectivite", "spoken_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "proposition", "owner_collectivite", "owner_agent", "due_date", "status"]
    list_filter = ["status"]
    list_select_related = ["proposition", "owner_collectivite", "owner_agent"]
    raw_id_fields = ["territoire", "proposition", "owner_collectivite", "owner_agent", "created_by"]
