from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Membership, Seat, Territoire


def form_add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class InvitationForm(forms.Form):
    # 254 as `Invitation.email` (Django's form field allows 320), so that the browser stops there too.
    email = forms.EmailField(label=_("Adresse électronique"), max_length=254)
    collectivite = forms.ModelChoiceField(label=_("Collectivité représentée"), queryset=Collectivite.objects.none())
    role = forms.ChoiceField(label=_("Rôle"), choices=Membership.Role.choices)
    seat_kind = forms.ChoiceField(
        label=_("Siège"),
        choices=[("", _("Aucun (ne porte pas la voix de la collectivité)")), *Seat.Kind.choices],
        required=False,
        help_text=_("Le titulaire porte la voix de sa collectivité ; le ou la suppléant·e le remplace."),
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].queryset = Collectivite.objects.for_territoire(territoire).active()


class FacilitatorInvitationForm(forms.Form):
    # A prefix keeps this form's ids apart from other forms of the members page.
    prefix = "facilitateur"

    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        help_text=_("La personne recevra un lien personnel, valable 7 jours, pour accompagner le territoire."),
    )


class SeatAssignForm(forms.Form):
    kind = forms.ChoiceField(label=_("Siège"), choices=Seat.Kind.choices)
    membership = forms.ModelChoiceField(label=_("Membre"), queryset=Membership.objects.none())

    def __init__(self, *args, collectivite: Collectivite, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = (
            Membership.objects.active().filter(collectivite=collectivite).select_related("agent")
        )
        self.fields["membership"].label_from_instance = lambda m: f"{m.agent} — {m.get_role_display()}"


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        return cleaned
