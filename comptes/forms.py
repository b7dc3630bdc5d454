"""Forms of the account pages: the login, the second factor's codes and the password confirmations."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from communes.models import Agent
from comptes.second_factor.services import code_verify
from comptes.throttling import client_ip


class LoginForm(AuthenticationForm):
    """Django's login form, with the address's length checked on the server as well.

    Django only writes `maxlength` (254) into the page, so a longer address reached `authenticate`, and
    django-axes then wrote it into its 255-character column: a server error on PostgreSQL. Refused here,
    it is a form error and never reaches django-axes.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


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
    """The agent types their password again before a sensitive change (turning the factor off, replacing it,
    new recovery codes).

    Checked through Django's `authenticate`, as at login, not with `check_password`: django-axes counts the
    wrong passwords with the login's (same account, same address) and locks out — its middleware then
    answers with our 429 page — and each failure is journaled as `comptes.login.failed`. Without that, a
    stolen session could guess the password here without limit, then replace the authenticator app.
    """

    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, agent: Agent, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.request = request
        if not agent.has_usable_password():
            # An account created through ProConnect has no password to type: a code of its app (or a recovery
            # code) proves the same thing here.
            field = self.fields["password"]
            field.label = _("Un code de votre application d'authentification, ou un code de secours")
            field.max_length = 30
            field.widget = forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"})

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.agent.has_usable_password():
            verification = code_verify(agent=self.agent, code=password, ip=client_ip(self.request), via="confirm")
            if verification.device is None:
                raise forms.ValidationError(_("Code incorrect ou expiré : patientez un instant et réessayez."))
            return password
        authenticated = authenticate(request=self.request, username=self.agent.email, password=password)
        # The same agent, not just any account that would answer to this address and password.
        if authenticated is None or authenticated.pk != self.agent.pk:
            raise forms.ValidationError(_("Mot de passe incorrect."))
        return password
