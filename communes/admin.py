from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from communes.models import Agent, Collectivite, Invitation, JournalEntry, Membership, Seat, Territoire
from communes.services import agent_deactivate


@admin.register(Territoire)
class TerritoireAdmin(GuardedModelAdmin):
    """Object permissions (facilitators, administrators) are managed from each territory's page."""

    list_display = ["name", "nature", "siren", "slug"]
    list_filter = ["nature"]
    search_fields = ["name", "siren", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Collectivite)
class CollectiviteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code_insee", "siren", "population", "territoire", "left_at"]
    list_filter = ["kind", "left_at"]
    search_fields = ["name", "code_insee", "siren", "territoire__name"]
    list_select_related = ["territoire"]
    raw_id_fields = ["territoire"]


class AgentCreationForm(UserCreationForm):
    class Meta:
        model = Agent
        fields = ["email"]

    def clean_email(self):
        return Agent.objects.normalize_email(self.cleaned_data["email"]).lower()


class AgentChangeForm(UserChangeForm):
    class Meta:
        model = Agent
        fields = "__all__"

    def clean_email(self):
        return Agent.objects.normalize_email(self.cleaned_data["email"]).lower()


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    add_form = AgentCreationForm
    form = AgentChangeForm
    ordering = ["last_name", "first_name"]
    list_display = ["email", "first_name", "last_name", "collectivite", "job_title", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["collectivite"]
    raw_id_fields = ["collectivite"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "phone", "collectivite", "job_title"]}),
        (_("Droits"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined", "erased_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    # Deactivation goes through the service, which also ends memberships and seats.
    # Erasure goes through `manage.py erase_agent` or the agent's own page (communes.personal_data).
    readonly_fields = ["is_active", "last_login", "date_joined", "erased_at"]
    actions = ["deactivate"]

    @admin.action(description=_("Désactiver les comptes (fin des adhésions et des sièges, historique conservé)"))
    def deactivate(self, request, queryset):
        for agent in queryset.filter(is_active=True):
            agent_deactivate(agent=agent, by=request.user)
        self.message_user(request, _("Comptes désactivés."))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["agent", "territoire", "collectivite", "role", "started_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["agent__email", "agent__last_name", "territoire__name", "collectivite__name"]
    list_select_related = ["agent", "territoire", "collectivite"]
    raw_id_fields = ["agent", "territoire", "collectivite"]


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["collectivite", "kind", "membership", "started_at", "ended_at"]
    list_filter = ["kind"]
    list_select_related = ["collectivite", "membership__agent", "membership__collectivite"]
    raw_id_fields = ["collectivite", "membership"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "territoire",
        "kind",
        "collectivite",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["kind"]
    search_fields = ["email", "territoire__name"]
    list_select_related = ["territoire", "collectivite"]
    raw_id_fields = ["territoire", "collectivite", "invited_by", "accepted_by"]


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """Read-only: the journal is evidence, not data to edit."""

    list_display = ["created_at", "territoire", "actor", "action", "target_label"]
    list_filter = ["action"]
    search_fields = ["action", "target_label", "actor__email"]
    list_select_related = ["territoire", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
