"""Forms of the account pages: the second factor's codes and the password confirmations."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communes.models import Agent


class TotpCodeForm(forms.Form):
    """The six digits of the authenticator app; phones offer their numeric keypad and the code from SMS-like
    autofill (`one-time-code`)."""

    code = forms.CharField(
        label=_("Code à 6 chiffres"),
        help_text=_("Le code affiché en ce moment par votre application d'authentification."),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "none"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Le code comporte 6 chiffres."))
        return code


class RecoveryCodeForm(forms.Form):
    """One of the ten recovery codes, for when the phone is not at hand."""

    recovery_code = forms.CharField(
        label=_("Code de secours"),
        help_text=_("Un des codes de secours obtenus à l'activation (ex. abcde-fghjk) ; chacun ne sert qu'une fois."),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )


class PasswordConfirmForm(forms.Form):
    """The agent types their password again before a sensitive change (turning the factor off, replacing it)."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, agent: Agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent = agent

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.agent.check_password(password):
            raise forms.ValidationError(_("Mot de passe incorrect."))
        return password
