"""Forms of the annual review pages. They shape and label the input; every rule (stages, scale, who may
act, what a questionnaire may hold) lives in `codir.revue.services` and `codir.revue.questionnaire`."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from codir.revue import indicators
from codir.revue.questionnaire import LIKERT, LIKERT_SCALE, MAX_TEXT_ANSWER, TEXTE, items_of
from communes.limits import TEXT_MAX_LENGTH
from communes.models import Collectivite, Territoire
from reseaux.forms import date_field, markdown_field

QUESTIONNAIRE_FAMILY = "questionnaire"
ITEM_TYPES = [(LIKERT, _("Échelle d'accord")), (TEXTE, _("Réponse libre"))]


class RevueOpenForm(forms.Form):
    year = forms.IntegerField(label=_("Année de la revue"), min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)


class SeminarStartForm(forms.Form):
    """The optional date and place given when the questionnaire closes and the séminaire starts."""

    seminar_on = date_field(_("Date du séminaire"), required=False)
    place = forms.CharField(label=_("Lieu du séminaire"), max_length=200, required=False)


class PartageForm(forms.Form):
    families = forms.MultipleChoiceField(
        label=_("Ce que le territoire montre à côté des autres territoires accompagnés"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["families"].choices = [
            *((key, indicators.family_label(key)) for key in indicators.FAMILIES),
            (QUESTIONNAIRE_FAMILY, _("Participation au questionnaire")),
        ]


class QuestionnaireForm(forms.Form):
    """The adaptation of a review's questionnaire: each item reworded or removed, one new item per dimension.

    Field names derive from the stable keys of items and dimensions, so a posted form maps back onto the
    questionnaire it was drawn from."""

    def __init__(self, *args, questionnaire: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for _dimension, item in items_of(questionnaire):
            self.fields[f"text_{item['key']}"] = forms.CharField(
                label=item["text"],
                initial=item["text"],
                max_length=500,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"remove_{item['key']}"] = forms.BooleanField(label=_("Retirer cette question"), required=False)
        for dimension in questionnaire.get("dimensions", []):
            self.fields[f"add_{dimension['key']}"] = forms.CharField(
                label=_("Ajouter une question"),
                max_length=500,
                required=False,
                help_text=_("Laissez vide pour ne rien ajouter."),
            )
            self.fields[f"addtype_{dimension['key']}"] = forms.ChoiceField(
                label=_("Type de la question ajoutée"), choices=ITEM_TYPES, initial=LIKERT, required=False
            )

    def dimensions(self) -> list[dict]:
        """What the template lays out: per dimension its items with their bound fields."""
        return [
            {
                "dimension": dimension,
                "items": [
                    {
                        "item": item,
                        "number": number,
                        "text": self[f"text_{item['key']}"],
                        "remove": self[f"remove_{item['key']}"],
                    }
                    for number, item in enumerate(dimension["items"], start=1)
                ],
                "add": self[f"add_{dimension['key']}"],
                "addtype": self[f"addtype_{dimension['key']}"],
            }
            for dimension in self.questionnaire.get("dimensions", [])
        ]

    def changes(self) -> dict:
        """The keyword arguments of `questionnaire.adapted`, from the cleaned data."""
        data = self.cleaned_data
        texts, removed, added = {}, set(), {}
        for _dimension, item in items_of(self.questionnaire):
            texts[item["key"]] = data.get(f"text_{item['key']}", "")
            if data.get(f"remove_{item['key']}"):
                removed.add(item["key"])
        for dimension in self.questionnaire.get("dimensions", []):
            text = data.get(f"add_{dimension['key']}", "")
            if text.strip():
                added[dimension["key"]] = [(text, data.get(f"addtype_{dimension['key']}") or LIKERT)]
        return {"texts": texts, "removed": removed, "added": added}


class ReponseForm(forms.Form):
    """The questionnaire as a member fills it in. It only lays the answers out: the service checks the scale
    and the length, so that the page and any other client meet the same rule."""

    DONT_KNOW = ("", _("Je ne sais pas / sans avis"))

    def __init__(self, *args, questionnaire: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        scale = [(str(level), label) for level, label in LIKERT_SCALE.items()]
        for _dimension, item in items_of(questionnaire):
            if item["type"] == LIKERT:
                # A CharField, not a ChoiceField: an answer off the scale reaches the service, which refuses it.
                self.fields[item["key"]] = forms.CharField(
                    label=item["text"], required=False, widget=forms.RadioSelect(choices=[*scale, self.DONT_KNOW])
                )
            else:
                self.fields[item["key"]] = forms.CharField(
                    label=item["text"],
                    required=False,
                    strip=False,
                    widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT_ANSWER}),
                )

    def sections(self) -> list[dict]:
        return [
            {"dimension": dimension, "fields": [self[item["key"]] for item in dimension["items"]]}
            for dimension in self.questionnaire.get("dimensions", [])
        ]

    def answers(self) -> dict[str, str]:
        return {key: value for key, value in self.cleaned_data.items() if key in self.fields}


class SeminaireForm(forms.Form):
    seminar_on = date_field(_("Date du séminaire"), required=False)
    place = forms.CharField(label=_("Lieu du séminaire"), max_length=200, required=False)
    bilan = markdown_field(
        _("Bilan (Markdown)"),
        rows=12,
        help_text=_("Ce que le collectif retient de l'année : il est obligatoire pour clôturer la revue."),
    )
    perspectives = markdown_field(_("Perspectives (Markdown)"), rows=8)


class EngagementForm(forms.Form):
    # A prefix keeps this form's ids apart from the séminaire form on the same page.
    prefix = "engagement"

    title = forms.CharField(label=_("Engagement"), max_length=200)
    owner_collectivite = forms.ModelChoiceField(
        label=_("Collectivité qui le porte"), queryset=Collectivite.objects.none()
    )
    due_date = date_field(_("Échéance"), required=False)
    description = markdown_field(_("Précisions"), rows=3, max_length=TEXT_MAX_LENGTH)

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_collectivite"].queryset = (
            Collectivite.objects.for_territoire(territoire).active().order_by("-kind", "name")
        )
