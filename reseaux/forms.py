from django import forms
from django.utils.translation import gettext_lazy as _

from communes.limits import MARKDOWN_MAX_LENGTH, TEXT_MAX_LENGTH
from communes.models import Agent, Collectivite, Territoire
from communes.uploads import PROJECT_DOCUMENTS, UploadValidator, upload_help_text_lazy
from decisions.models import Proposition
from reseaux.models import Axe, Lien, Phase, Projet


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, input_formats=["%Y-%m-%d", "%d/%m/%Y"], widget=DateInput(), **kwargs)


def markdown_field(label, rows=4, **kwargs) -> forms.CharField:
    kwargs.setdefault("max_length", MARKDOWN_MAX_LENGTH)  # as the API (`communes.limits`)
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def collectivites_of(territoire: Territoire):
    return Collectivite.objects.for_territoire(territoire).active()


class ProjetFieldsForm(forms.Form):
    """What the pilots describe of their project: the fiche action."""

    title = forms.CharField(label=_("Intitulé"), max_length=200)
    axe = forms.ModelChoiceField(label=_("Axe stratégique"), queryset=Axe.objects.none(), required=False)
    status = forms.ChoiceField(label=_("État"), choices=Projet.Status.choices, initial=Projet.Status.EN_PREPARATION)
    description = markdown_field(_("Description (Markdown)"), rows=5)
    objectives = markdown_field(_("Objectifs (Markdown)"))
    expected_effects = markdown_field(_("Effets attendus (Markdown)"))
    resources = markdown_field(_("Moyens mobilisés (Markdown)"), rows=3)
    starts_on = date_field(_("Début"), required=False)
    ends_on = date_field(_("Fin prévue"), required=False)
    review_every_months = forms.IntegerField(
        label=_("Revue de projet tous les (mois)"), min_value=1, max_value=24, initial=3
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["axe"].queryset = Axe.objects.filter(territoire=territoire)

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("La fin prévue suit le début."))
        return cleaned


class PilotageForm(forms.Form):
    pilotage = forms.ChoiceField(
        label=_("Mode de pilotage"),
        choices=Projet.Pilotage.choices,
        help_text=_(
            "EPCI ou commune : une seule collectivité pilote. Co-pilotage : plusieurs collectivités ensemble. "
            "Pilotage alterné : une ligne par période, dans l'ordre, chacune avec sa date de début."
        ),
    )


class PiloteRowForm(forms.Form):
    collectivite = forms.ModelChoiceField(label=_("Collectivité pilote"), queryset=Collectivite.objects.none())
    starts_on = date_field(_("à partir du"), required=False)

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].queryset = collectivites_of(territoire)


class BasePiloteFormSet(forms.BaseFormSet):
    def rotation(self, default_start) -> list[tuple[Collectivite, object]]:
        """The filled rows as (collectivité, start day), an empty day meaning `default_start`."""
        return [
            (form.cleaned_data["collectivite"], form.cleaned_data.get("starts_on") or default_start)
            for form in self.forms
            if form.cleaned_data.get("collectivite")
        ]


PiloteFormSet = forms.formset_factory(PiloteRowForm, formset=BasePiloteFormSet, extra=6, max_num=12)


class PilotageChangeForm(PilotageForm):
    from_day = date_field(_("Nouveau pilotage à partir du"))


class HealthForm(forms.Form):
    health = forms.ChoiceField(label=_("Santé du projet"), choices=Projet.Health.choices)
    reason = forms.CharField(label=_("Raison"), max_length=300)


class ContributionForm(forms.Form):
    collectivite = forms.ModelChoiceField(label=_("Collectivité participante"), queryset=Collectivite.objects.none())
    amount = forms.DecimalField(label=_("Co-financement (€)"), min_value=0, max_digits=12, decimal_places=2, initial=0)
    staff_days = forms.DecimalField(
        label=_("Temps agent (jours)"), min_value=0, max_digits=7, decimal_places=1, initial=0
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].queryset = collectivites_of(territoire)


class ReferentForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("Référent·e"), queryset=Agent.objects.none())

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (
            Agent.objects.filter(memberships__territoire=territoire, memberships__ended_at__isnull=True, is_active=True)
            .select_related("collectivite")
            .order_by("last_name", "first_name")
        )
        self.fields["agent"].label_from_instance = lambda agent: (
            f"{agent.get_full_name() or agent.email} ({agent.collectivite})" if agent.collectivite else str(agent)
        )


class PhaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Phase"), choices=Phase.Kind.choices)
    starts_on = date_field(_("Début"))
    ends_on = date_field(_("Fin"))
    status = forms.ChoiceField(label=_("État"), choices=Phase.Status.choices)


class JalonForm(forms.Form):
    title = forms.CharField(label=_("Jalon"), max_length=200)
    due_on = date_field(_("Échéance"))


class JalonReachForm(forms.Form):
    done_on = date_field(_("Atteint le"), required=False, help_text=_("Laissez vide pour rouvrir le jalon."))


class IndicateurForm(forms.Form):
    name = forms.CharField(label=_("Indicateur"), max_length=200)
    unit = forms.CharField(label=_("Unité"), max_length=40, required=False)
    target = forms.DecimalField(label=_("Cible"), max_digits=14, decimal_places=2, required=False)
    measured = forms.DecimalField(label=_("Valeur mesurée"), max_digits=14, decimal_places=2, required=False)
    measured_on = date_field(_("Mesurée le"), required=False)


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Document"),
        help_text=upload_help_text_lazy(PROJECT_DOCUMENTS),
        validators=[UploadValidator(PROJECT_DOCUMENTS)],
    )


class RevueForm(forms.Form):
    held_on = date_field(_("Tenue le"))
    collectivites = forms.ModelMultipleChoiceField(
        label=_("Collectivités représentées"),
        queryset=Collectivite.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.CharField(
        label=_("Participants"), required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    progress = forms.CharField(
        label=_("Avancement"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    health = forms.ChoiceField(label=_("Santé du projet"), choices=Projet.Health.choices)
    health_reason = forms.CharField(
        label=_("Raison du changement de santé"),
        max_length=300,
        required=False,
        help_text=_("Obligatoire si la santé change."),
    )
    next_steps = forms.CharField(
        label=_("Prochaines étapes"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    proposition = forms.ModelChoiceField(
        label=_("Décision prise (registre des décisions)"), queryset=Proposition.objects.none(), required=False
    )
    handover = forms.BooleanField(label=_("Revue de passation du pilotage"), required=False)

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivites"].queryset = collectivites_of(territoire)
        self.fields["proposition"].queryset = Proposition.objects.for_territoire(territoire).exclude(
            status=Proposition.Status.RETIREE
        )


class LienForm(forms.Form):
    kind = forms.ChoiceField(label=_("Ce projet…"), choices=Lien.Kind.choices)
    target = forms.ModelChoiceField(label=_("…le projet"), queryset=Projet.objects.none())
    justification = forms.CharField(label=_("Justification"), max_length=300)

    def __init__(self, *args, projet: Projet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Projet.objects.for_territoire(projet.territoire).exclude(pk=projet.pk)


class PriorisationForm(forms.Form):
    title = forms.CharField(label=_("Intitulé de la décision"), max_length=200)
    intro = forms.CharField(
        label=_("Présentation (Markdown)"),
        required=False,
        max_length=MARKDOWN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    projets = forms.ModelMultipleChoiceField(
        label=_("Projets à lancer"), queryset=Projet.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidates, scores: dict[int, float], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projets"].queryset = candidates
        self.fields["projets"].label_from_instance = lambda projet: (
            _("%(titre)s — score systémique %(score)s")
            % {
                "titre": projet.title,
                "score": f"{scores.get(projet.pk, 0):g}",
            }
        )


class AxeForm(forms.Form):
    name = forms.CharField(label=_("Axe stratégique"), max_length=120)
    position = forms.IntegerField(label=_("Ordre"), min_value=0, max_value=99, initial=0)


class PortfolioFilterForm(forms.Form):
    axe = forms.ModelChoiceField(label=_("Axe"), queryset=Axe.objects.none(), required=False)
    status = forms.ChoiceField(label=_("État"), choices=[("", _("Tous")), *Projet.Status.choices], required=False)
    health = forms.ChoiceField(label=_("Santé"), choices=[("", _("Toutes")), *Projet.Health.choices], required=False)
    pilotage = forms.ChoiceField(
        label=_("Mode de pilotage"), choices=[("", _("Tous")), *Projet.Pilotage.choices], required=False
    )
    pilote = forms.ModelChoiceField(
        label=_("Collectivité pilote"), queryset=Collectivite.objects.none(), required=False
    )
    participant = forms.ModelChoiceField(
        label=_("Collectivité participante"), queryset=Collectivite.objects.none(), required=False
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["axe"].queryset = Axe.objects.filter(territoire=territoire)
        self.fields["pilote"].queryset = collectivites_of(territoire)
        self.fields["participant"].queryset = collectivites_of(territoire)
