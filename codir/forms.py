from django import forms
from django.utils.translation import gettext_lazy as _

from codir.models import Deliberation, Instance
from communes.limits import MARKDOWN_MAX_LENGTH, TEXT_MAX_LENGTH
from communes.models import Agent, Collectivite, Territoire
from communes.uploads import AGENDA_DOCUMENTS, CALENDARS, MEGABYTE, UploadValidator, upload_help_text_lazy
from decisions.forms import DATETIME_INPUT_FORMAT, DateTimeLocalInput


def datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=[DATETIME_INPUT_FORMAT, "%d/%m/%Y %H:%M"], widget=DateTimeLocalInput(), **kwargs
    )


class InstanceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Instance"), choices=Instance.Kind.choices)
    title = forms.CharField(label=_("Intitulé"), max_length=200, required=False)
    starts_at = datetime_field(_("Date et heure"))
    place = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("Projet d'ordre du jour (Markdown)"),
        required=False,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ReunionForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    instance = forms.ModelChoiceField(label=_("Instance préparée"), queryset=Instance.objects.none(), required=False)
    starts_at = datetime_field(_("Début"))
    ends_at = datetime_field(_("Fin"))
    place = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    host = forms.ModelChoiceField(
        label=_("Collectivité d'accueil"), queryset=Collectivite.objects.none(), required=False
    )
    animateur = forms.ModelChoiceField(label=_("Animateur·rice"), queryset=Agent.objects.none(), required=False)

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instance"].queryset = Instance.objects.for_territoire(territoire).filter(cancelled=False)
        self.fields["host"].queryset = Collectivite.objects.for_territoire(territoire).active()
        self.fields["animateur"].queryset = Agent.objects.filter(
            memberships__territoire=territoire, memberships__ended_at__isnull=True
        ).order_by("last_name")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, each checked as a FileField would (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class PointForm(forms.Form):
    title = forms.CharField(label=_("Intitulé du point"), max_length=200)
    instance_item = forms.CharField(
        label=_("Point de l'instance concerné"),
        max_length=300,
        required=False,
        help_text=_("Si le CoDir doit rendre un avis technique sur un point du conseil ou du bureau."),
    )
    description = forms.CharField(
        label=_("Présentation (Markdown)"),
        required=False,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    presenter = forms.ModelChoiceField(label=_("Présenté par"), queryset=Collectivite.objects.none(), required=False)
    duration_minutes = forms.IntegerField(label=_("Durée prévue (minutes)"), min_value=5, max_value=240, initial=15)
    documents = MultipleFileField(
        label=_("Documents"),
        required=False,
        help_text=upload_help_text_lazy(AGENDA_DOCUMENTS),
        validators=[UploadValidator(AGENDA_DOCUMENTS)],
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presenter"].queryset = Collectivite.objects.for_territoire(territoire).active()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class RescheduleForm(forms.Form):
    starts_at = datetime_field(_("Début"))
    ends_at = datetime_field(_("Fin"))
    place = forms.CharField(label=_("Lieu"), max_length=200, required=False)


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Compte rendu (Markdown)"),
        required=False,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Relevé de décisions, positions exprimées, suites à donner."),
    )


class AvisOpenForm(forms.Form):
    closes_at = datetime_field(_("Clôture de l'avis"))


class DeliberationForm(forms.Form):
    date = forms.DateField(label=_("Date de la délibération"), widget=forms.DateInput(attrs={"type": "date"}))
    number = forms.CharField(label=_("Numéro"), max_length=50)
    outcome = forms.ChoiceField(label=_("Décision de l'instance"), choices=Deliberation.Outcome.choices)


class IcsImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier .ics"),
        help_text=_("Le calendrier des assemblées, exporté de votre messagerie ou de votre logiciel."),
        # A calendar of assemblies is a few kilobytes: 2 Mo is plenty, and the whole file is parsed in memory.
        validators=[UploadValidator(CALENDARS, max_size=2 * MEGABYTE)],
    )
