"""Forms of the professional networks' pages: a network, its members, events, resources, and the exchanges
between agents. Agents are chosen among the territory's active members (`selectors_networks.agents_of`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communes.limits import TEXT_MAX_LENGTH
from communes.models import Agent, Territoire
from reseaux.forms import date_field, markdown_field
from reseaux.models import Echange, MembreReseau, Projet, Reseau
from reseaux.selectors_networks import agents_of


def agent_label(agent: Agent) -> str:
    """Name, job title and the collectivité the agent acts for in the territory: professional data only."""
    details = [detail for detail in (agent.job_title, getattr(agent, "acting_for", "")) if detail]
    name = agent.full_name or agent.email
    return f"{name} ({', '.join(details)})" if details else name


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return agent_label(obj)


class AgentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return agent_label(obj)


class ReseauForm(forms.Form):
    name = forms.CharField(label=_("Nom du réseau"), max_length=150)
    kind = forms.ChoiceField(label=_("Nature"), choices=Reseau.Kind.choices, initial=Reseau.Kind.METIER)
    description = markdown_field(_("Description (Markdown)"), rows=5)
    projet = forms.ModelChoiceField(
        label=_("Projet suivi"),
        queryset=Projet.objects.none(),
        required=False,
        help_text=_("Pour un réseau projet seulement : le projet du portefeuille qu'il suit."),
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projet"].queryset = Projet.objects.for_territoire(territoire).order_by("title")


class MembreForm(forms.Form):
    agent = AgentChoiceField(label=_("Agent"), queryset=Agent.objects.none())
    role = forms.ChoiceField(label=_("Rôle"), choices=MembreReseau.Role.choices, initial=MembreReseau.Role.MEMBRE)
    since = date_field(_("Membre depuis le"))

    def __init__(self, *args, reseau: Reseau, **kwargs):
        super().__init__(*args, **kwargs)
        current = reseau.membres.filter(until__isnull=True).values("agent_id")
        self.fields["agent"].queryset = agents_of(reseau.territoire).exclude(pk__in=current)


class MembreEndForm(forms.Form):
    until = date_field(_("Dernier jour dans le réseau"))


class MembreRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=MembreReseau.Role.choices)


class EvenementForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    held_on = date_field(_("Date"))
    place = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    participants = AgentMultipleChoiceField(
        label=_("Participants"),
        queryset=Agent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = agents_of(territoire)


class RessourceForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    url = forms.URLField(
        label=_("Adresse (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Un lien vers un document partagé, un espace collaboratif, une page de référence."),
    )


class ReseauCloseForm(forms.Form):
    on = date_field(
        _("Clos à partir du"), help_text=_("Ses membres le quittent ce jour-là ; son historique est conservé.")
    )


class EchangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Nature"), choices=Echange.Kind.choices)
    host = AgentChoiceField(label=_("Agent qui accueille"), queryset=Agent.objects.none())
    guest = AgentChoiceField(label=_("Agent accueilli·e"), queryset=Agent.objects.none())
    starts_on = date_field(_("Du"))
    ends_on = date_field(_("Au"))
    theme = forms.CharField(label=_("Thème"), max_length=200)
    learnt = forms.CharField(
        label=_("Ce qui a été appris"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, territoire: Territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = agents_of(territoire)
        self.fields["guest"].queryset = agents_of(territoire)


class QuiPeutAiderForm(forms.Form):
    q = forms.CharField(
        label=_("Fonction ou nom"),
        required=False,
        max_length=100,
        help_text=_("Par exemple : marchés publics, urbanisme, paie…"),
    )
    reseau = forms.ModelChoiceField(label=_("Membre du réseau"), queryset=Reseau.objects.none(), required=False)
    projet = forms.ModelChoiceField(label=_("Suit ou pilote le projet"), queryset=Projet.objects.none(), required=False)

    def __init__(self, *args, territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reseau"].queryset = Reseau.objects.for_territoire(territoire).open()
        self.fields["projet"].queryset = Projet.objects.for_territoire(territoire).exclude(status="abandonne")
