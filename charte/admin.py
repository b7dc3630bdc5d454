from django.contrib import admin

from charte.models import Amendement, Charte, Ratification, Signature, Version


@admin.register(Charte)
class CharteAdmin(admin.ModelAdmin):
    list_display = ["title", "territoire"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire"]


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    """Versions change only through the charter's pages (an adopted version is immutable)."""

    list_display = ["charte", "number", "status", "adopted_at"]
    list_filter = ["status"]
    list_select_related = ["charte__territoire"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Amendement)
class AmendementAdmin(admin.ModelAdmin):
    list_display = ["pk", "charte", "kind", "status", "author", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["charte__territoire", "author"]
    raw_id_fields = ["charte", "base_version", "result_version", "author", "proposition"]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["version", "collectivite", "signed_by", "signed_at"]
    list_select_related = ["version__charte", "collectivite", "signed_by"]
    raw_id_fields = ["version", "collectivite", "signed_by"]


@admin.register(Ratification)
class RatificationAdmin(admin.ModelAdmin):
    list_display = ["version", "collectivite", "deliberation_number", "deliberation_date"]
    list_select_related = ["version__charte", "collectivite"]
    raw_id_fields = ["version", "collectivite", "recorded_by"]
