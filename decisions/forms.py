from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.limits import MARKDOWN_MAX_LENGTH, TEXT_MAX_LENGTH, bounded_formfield
from communes.models import Collectivite, Membership, Territoire
from decisions.models import Action, ChoiceChoices, Proposition, ResultChoices

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_INPUT_FORMAT, **kwargs)


def closes_at_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Clôture"),
        input_formats=[DATETIME_INPUT_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=DateTimeLocalInput(),
        help_text=_("Date et heure (heure de Paris) jusqu'auxquelles les collectivités s'expriment."),
        **kwargs,
    )


class PropositionForm(forms.ModelForm):
    class Meta:
        model = Proposition
        fields = ["title", "kind", "body", "mode", "majority", "quorum_percent", "colleges"]
        formfield_callback = bounded_formfield
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": _("Mise en forme Markdown : **gras**, listes avec « - », liens [texte](https://…)."),
            "mode": _("Par défaut, le mode prévu par la charte du territoire."),
            "majority": _("Pour la majorité et la double majorité : part des suffrages exprimés requise."),
            "quorum_percent": _("Part des collectivités du territoire qui doivent s'exprimer (abstentions comprises)."),
        }


class OpenForm(forms.Form):
    closes_at = closes_at_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("closes_at", timezone.localtime() + timedelta(days=7))


class PositionForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Position de ma collectivité"), choices=ChoiceChoices.choices, widget=forms.RadioSelect
    )
    motive = forms.CharField(
        label=_("Motif"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour une objection : ce qui empêche votre collectivité d'y consentir."),
    )


class AmendForm(forms.Form):
    body = forms.CharField(
        label=_("Texte amendé"), max_length=MARKDOWN_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 10})
    )
    closes_at = closes_at_field()

    def __init__(self, *args, objections, **kwargs):
        super().__init__(*args, **kwargs)
        self.objections = objections
        for objection in objections:
            self.fields[f"response_{objection.pk}"] = forms.CharField(
                label=_("Réponse à l'objection de %(collectivite)s") % {"collectivite": objection.collectivite},
                help_text=objection.motive,
                max_length=TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def responses(self) -> dict[int, str]:
        return {o.pk: self.cleaned_data.get(f"response_{o.pk}", "") for o in self.objections}


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du retrait"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["title", "description", "owner_collectivite", "owner_agent", "due_date"]
        formfield_callback = bounded_formfield
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_collectivite"].queryset = Collectivite.objects.for_territoire(territoire).active()
        members = Membership.objects.active().filter(territoire=territoire).values("agent_id")
        self.fields["owner_agent"].queryset = self.fields["owner_agent"].queryset.filter(pk__in=members)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), choices=Action.Status.choices)


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False)
    kind = forms.ChoiceField(label=_("Nature"), required=False, choices=[("", _("Toutes")), *Proposition.Kind.choices])
    result = forms.ChoiceField(label=_("Résultat"), required=False, choices=[("", _("Tous")), *ResultChoices.choices])
    since = forms.DateField(label=_("Close depuis le"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Close jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
