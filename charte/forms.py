from django import forms
from django.utils.translation import gettext_lazy as _

from charte.models import Amendement, Ratification, Regles
from communes.limits import MARKDOWN_MAX_LENGTH, TEXT_MAX_LENGTH
from communes.uploads import DELIBERATIONS, UploadValidator, upload_help_text_lazy
from decisions.forms import closes_at_field


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(
        label=_("Texte"),
        required=False,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Mise en forme Markdown : **gras**, listes avec « - », liens [texte](https://…)."),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)


class SectionAddForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(
        label=_("Texte"), required=False, max_length=MARKDOWN_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 10})
    )


class ReglesForm(forms.ModelForm):
    class Meta:
        model = Regles
        fields = Regles.NAMES


class SubmitForm(forms.Form):
    closes_at = closes_at_field()


class AmendementForm(forms.Form):
    """One form for the three kinds; the page shows the fields of the kind chosen."""

    kind = forms.ChoiceField(label=_("Nature"), choices=Amendement.Kind.choices, widget=forms.HiddenInput)
    section_key = forms.ChoiceField(label=_("Section"), required=False)
    title = forms.CharField(label=_("Titre de la nouvelle section"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Texte proposé"),
        required=False,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    rule_name = forms.ChoiceField(label=_("Règle"), required=False)
    rule_value = forms.CharField(label=_("Nouvelle valeur"), required=False)
    motive = forms.CharField(label=_("Motif"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}))
    closes_at = closes_at_field()

    FIELDS_BY_KIND = {
        Amendement.Kind.SECTION: ["kind", "section_key", "text", "motive", "closes_at"],
        Amendement.Kind.NOUVELLE_SECTION: ["kind", "title", "text", "motive", "closes_at"],
        Amendement.Kind.REGLE: ["kind", "rule_name", "rule_value", "motive", "closes_at"],
    }

    def __init__(self, *args, version, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section_key"].choices = [(s.key, s.title) for s in version.sections.all()]
        self.fields["rule_name"].choices = [(n, Regles._meta.get_field(n).verbose_name) for n in Regles.NAMES]
        self.fields["rule_value"].help_text = _(
            "Un nombre pour les délais et le quorum ; « oui » ou « non » pour les options ; pour le mode : "
            "consentement, majorite, unanimite ou double_majorite."
        )
        for name in list(self.fields):
            if name not in self.FIELDS_BY_KIND.get(kind, self.FIELDS_BY_KIND[Amendement.Kind.SECTION]):
                del self.fields[name]

    def clean_rule_value(self):
        value = self.cleaned_data["rule_value"].strip()
        return {"oui": True, "non": False}.get(value.lower(), value)


class RebaseForm(forms.Form):
    text = forms.CharField(
        label=_("Texte proposé, repris sur le texte en vigueur"),
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    closes_at = closes_at_field()


class RatificationForm(forms.ModelForm):
    class Meta:
        model = Ratification
        fields = ["deliberation_date", "deliberation_number", "document"]
        widgets = {"deliberation_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        document = self.fields["document"]
        document.validators.append(UploadValidator(DELIBERATIONS))
        document.help_text = upload_help_text_lazy(DELIBERATIONS)
