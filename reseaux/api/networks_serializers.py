"""Serializers of the professional networks' API: networks, members, events, resources, exchanges, and the
analyses of the graph of ties. Every id in a body or a query is looked up in the URL's territory only."""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communes.api import AgentBriefSerializer, CollectiviteBriefSerializer, ModelSerializer, text_field
from communes.models import Agent, Territoire
from reseaux import graph
from reseaux.access import can_lead
from reseaux.api.serializers import ProjetBriefSerializer, TerritoireField, markdown_field, members_of, projet_field
from reseaux.models import DAY_BOUNDS, FIRST_DAY, Echange, Evenement, MembreReseau, Participation, Reseau, Ressource


def reseaux_scope(territoire: Territoire):
    return Reseau.objects.for_territoire(territoire)


def active_agents_of(territoire: Territoire):
    """The agents who may join a network or an event: active accounts with an active membership."""
    return members_of(territoire).filter(is_active=True)


def reseau_field(**kwargs) -> TerritoireField:
    return TerritoireField(reseaux_scope, queryset=Reseau.objects.none(), **kwargs)


def agent_field(**kwargs) -> TerritoireField:
    kwargs.setdefault("help_text", "Un membre actif du territoire.")
    return TerritoireField(active_agents_of, queryset=Agent.objects.none(), **kwargs)


def is_current(membre: MembreReseau, day: date) -> bool:
    """Member on that day, as `MembreQuerySet.on` and the map count it (a member leaves at the end of `until`)."""
    return membre.since <= day and (membre.until is None or membre.until >= day)


# --- Read serializers -------------------------------------------------------------------------------


class MembreReseauSerializer(ModelSerializer):
    agent = AgentBriefSerializer(read_only=True)
    collectivite = CollectiviteBriefSerializer(read_only=True, help_text="La collectivité pour laquelle il agit.")
    current = serializers.SerializerMethodField(help_text="Membre aujourd'hui (jusqu'à la fin de `until` inclus).")

    class Meta:
        model = MembreReseau
        fields = ["id", "reseau", "agent", "collectivite", "role", "since", "until", "current"]

    def get_current(self, membre) -> bool:
        return is_current(membre, self.context.get("today") or timezone.localdate())


class ParticipationSerializer(ModelSerializer):
    agent = AgentBriefSerializer(read_only=True)
    collectivite = CollectiviteBriefSerializer(read_only=True)

    class Meta:
        model = Participation
        fields = ["agent", "collectivite"]


class EvenementSerializer(ModelSerializer):
    participants = ParticipationSerializer(source="participations", many=True, read_only=True)

    class Meta:
        model = Evenement
        fields = ["id", "reseau", "title", "held_on", "place", "participants", "created_by"]


class RessourceSerializer(ModelSerializer):
    added_by = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Ressource
        fields = ["id", "reseau", "title", "url", "added_by", "added_at", "withdrawn_at"]


class ReseauSerializer(ModelSerializer):
    """A network as the list shows it, with its counts today (annotated by `reseaux_of`)."""

    projet = ProjetBriefSerializer(read_only=True, allow_null=True)
    members_count = serializers.IntegerField(read_only=True, help_text="Membres aujourd'hui.")
    referents_count = serializers.IntegerField(read_only=True, help_text="Référent·es aujourd'hui.")
    collectivites_count = serializers.IntegerField(read_only=True, help_text="Collectivités représentées aujourd'hui.")

    class Meta:
        model = Reseau
        fields = [
            "id", "name", "kind", "description", "description_html", "projet", "created_on", "closed_on",
            "members_count", "referents_count", "collectivites_count",
        ]  # fmt: skip


class ReseauDroitsSerializer(serializers.Serializer):
    animer = serializers.BooleanField(help_text="Gérer les membres, événements, ressources ; clore le réseau.")


class ReseauDetailSerializer(ReseauSerializer):
    """A network with its members (current and past), events with who attended, and current resources."""

    created_by = AgentBriefSerializer(read_only=True)
    # The counts come from the prefetched members of `selectors_networks.reseau_of`: no query.
    members_count = serializers.SerializerMethodField(help_text="Membres aujourd'hui.")
    referents_count = serializers.SerializerMethodField(help_text="Référent·es aujourd'hui.")
    collectivites_count = serializers.SerializerMethodField(help_text="Collectivités représentées aujourd'hui.")
    membres = MembreReseauSerializer(many=True, read_only=True, help_text="Membres actuels et passés, datés.")
    evenements = EvenementSerializer(many=True, read_only=True)
    ressources = RessourceSerializer(many=True, read_only=True, help_text="Ressources partagées non retirées.")
    droits = serializers.SerializerMethodField()

    class Meta(ReseauSerializer.Meta):
        fields = [*ReseauSerializer.Meta.fields, "created_by", "membres", "evenements", "ressources", "droits"]

    def current_members(self, reseau) -> list[MembreReseau]:
        today = self.context.get("today") or timezone.localdate()
        return [membre for membre in reseau.membres.all() if is_current(membre, today)]

    def get_members_count(self, reseau) -> int:
        return len({membre.agent_id for membre in self.current_members(reseau)})

    def get_referents_count(self, reseau) -> int:
        return len({m.agent_id for m in self.current_members(reseau) if m.role == MembreReseau.Role.REFERENT})

    def get_collectivites_count(self, reseau) -> int:
        return len({membre.collectivite_id for membre in self.current_members(reseau)})

    @extend_schema_field(ReseauDroitsSerializer)
    def get_droits(self, reseau) -> dict:
        return {"animer": can_lead(self.context["access"], reseau)}


class EchangeSerializer(ModelSerializer):
    host = AgentBriefSerializer(read_only=True)
    host_collectivite = CollectiviteBriefSerializer(read_only=True)
    guest = AgentBriefSerializer(read_only=True)
    guest_collectivite = CollectiviteBriefSerializer(read_only=True)
    recorded_by = AgentBriefSerializer(read_only=True)

    class Meta:
        model = Echange
        fields = [
            "id", "kind", "host", "host_collectivite", "guest", "guest_collectivite", "starts_on", "ends_on",
            "theme", "learnt", "recorded_by", "recorded_at",
        ]  # fmt: skip


# --- Write and query serializers ---------------------------------------------------------------------


class ReseauQuerySerializer(serializers.Serializer):
    reseau = reseau_field(required=False, allow_null=True, help_text="Seulement ce réseau.")


class ReseauCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    kind = serializers.ChoiceField(choices=Reseau.Kind.choices)
    description = markdown_field()
    projet = projet_field(
        required=False, allow_null=True, default=None, help_text="Le projet suivi (réseau projet seulement)."
    )
    referents = agent_field(
        many=True, required=False, default=list,
        help_text="D'autres référent·es que la personne qui crée le réseau, qui en est toujours.",
    )  # fmt: skip
    created_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Aujourd'hui par défaut."
    )


class ReseauCloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Jour de clôture, aujourd'hui par défaut."
    )


class MembreWriteSerializer(serializers.Serializer):
    reseau = reseau_field()
    agent = agent_field()
    role = serializers.ChoiceField(choices=MembreReseau.Role.choices, default=MembreReseau.Role.MEMBRE)
    since = serializers.DateField(required=False, allow_null=True, default=None, help_text="Aujourd'hui par défaut.")


class MembreEndSerializer(serializers.Serializer):
    until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Dernier jour dans le réseau, aujourd'hui par défaut."
    )


class MembreRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MembreReseau.Role.choices)


class EvenementWriteSerializer(serializers.Serializer):
    reseau = reseau_field()
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    participants = agent_field(many=True, required=False, default=list, help_text="Les membres présents.")


class RessourceWriteSerializer(serializers.Serializer):
    reseau = reseau_field()
    title = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=500)


class EchangeWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Echange.Kind.choices)
    host = agent_field(help_text="La personne qui accueille, membre actif du territoire.")
    guest = agent_field(help_text="La personne accueillie, membre actif du territoire.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    theme = serializers.CharField(max_length=200)
    learnt = text_field(required=False, allow_blank=True, default="", trim_whitespace=False)

    def validate(self, data):
        if data["ends_on"] < data["starts_on"]:
            raise serializers.ValidationError({"ends_on": ["Un échange finit après avoir commencé."]})
        return data


# --- Analyses ----------------------------------------------------------------------------------------


def parse_layers(raw: str) -> tuple[str, ...]:
    """Comma-separated layer names among `graph.known_layers()`; empty means the default layers."""
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        return graph.DEFAULT_LAYERS
    known = graph.known_layers()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise serializers.ValidationError(
            f"Couche inconnue : {', '.join(unknown)}. Couches possibles : {', '.join(known)}."
        )
    return tuple(dict.fromkeys(names))


def layers_field() -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Couches de liens séparées par des virgules, parmi reseaux, echanges, projets, codir "
        f"(par défaut {','.join(graph.DEFAULT_LAYERS)}).",
    )


def day_field(help_text: str) -> serializers.DateField:
    return serializers.DateField(required=False, validators=DAY_BOUNDS, help_text=help_text)


class AnalysisQuerySerializer(serializers.Serializer):
    date = day_field("Jour de la carte (AAAA-MM-JJ), aujourd'hui par défaut.")
    couches = layers_field()

    def validate_couches(self, value: str) -> tuple[str, ...]:
        return parse_layers(value)

    def validate(self, data):
        data.setdefault("date", timezone.localdate())
        data.setdefault("couches", graph.DEFAULT_LAYERS)
        return data


class EvolutionQuerySerializer(serializers.Serializer):
    du = day_field("Premier jour comparé (AAAA-MM-JJ), un an avant `au` par défaut.")
    au = day_field("Second jour comparé (AAAA-MM-JJ), aujourd'hui par défaut.")
    couches = layers_field()

    def validate_couches(self, value: str) -> tuple[str, ...]:
        return parse_layers(value)

    def validate(self, data):
        data.setdefault("au", timezone.localdate())
        data.setdefault("du", max(data["au"] - timedelta(days=365), FIRST_DAY))
        data.setdefault("couches", graph.DEFAULT_LAYERS)
        if data["du"] > data["au"]:
            raise serializers.ValidationError({"du": ["La date « du » précède la date « au »."]})
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"oneOf": [{"type": "string"}, {"type": "number"}]},
        "minItems": 2,
        "maxItems": 3,
    }
)
class TupleField(serializers.ListField):
    """A short tuple: a node key and its score, or a pair of node keys, or a network and two counts."""


class CutPointSerializer(serializers.Serializer):
    node = serializers.CharField(help_text="Agent (a<id>) ou réseau (r<id>) dont le départ coupe des liens.")
    cut_off = serializers.ListField(child=serializers.CharField(), help_text="Collectivités qui perdraient leur lien.")
    remaining_with = serializers.ListField(
        child=serializers.CharField(), help_text="Collectivités qui resteraient liées."
    )


class BridgeSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    side_a = serializers.ListField(child=serializers.CharField())
    side_b = serializers.ListField(child=serializers.CharField())


class OverviewSerializer(serializers.Serializer):
    nodes = serializers.DictField(
        child=serializers.DictField(), help_text="Nœud → kind, label, degree, x, y (positions dans un carré unité)."
    )
    edges = serializers.ListField(child=serializers.DictField(), help_text="Liens : a, b, weight, layers.")


class AnalysisSerializer(serializers.Serializer):
    """The analysis of the graph of ties (`reseaux.cartography.Analysis`); nodes are named by keys: `a<id>`
    agents, `c<id>` collectivités, `r<id>` réseaux, `p<id>` projets, `codir`."""

    at = serializers.DateField(help_text="Jour de la carte.")
    layers = serializers.ListField(child=serializers.CharField(), help_text="Couches de liens prises en compte.")
    nodes = serializers.DictField(
        child=serializers.DictField(), help_text="Clé du nœud → ses attributs (kind, label…)."
    )
    edges = serializers.ListField(child=serializers.DictField(), help_text="Liens : a, b, weight, layers.")
    hubs = serializers.ListField(child=TupleField(), help_text="[agent, nombre de liens], les plus liés d'abord.")
    brokers = serializers.ListField(child=TupleField(), help_text="[agent, intermédiarité], d'abord les passeurs.")
    cut_points = CutPointSerializer(many=True, help_text="Points de coupure : agents ou réseaux indispensables.")
    bridges = BridgeSerializer(many=True, help_text="Liens seuls à relier deux groupes de collectivités.")
    isolated = serializers.ListField(child=serializers.CharField(), help_text="Collectivités sans aucun lien.")
    coverage = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Collectivité → réseau → nombre de ses agents membres.",
    )
    communities = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Groupes plus liés entre eux."
    )
    density = serializers.FloatField(help_text="Part des paires de collectivités liées.")
    overview = OverviewSerializer(
        help_text="La carte dessinée : chaque agent replié dans sa collectivité, avec les positions des nœuds."
    )
    seconds = serializers.FloatField(help_text="Durée du calcul.")


class EvolutionSerializer(serializers.Serializer):
    """What changed between two days (`reseaux.analyses.Evolution`), nodes named by their keys."""

    du = serializers.DateField()
    au = serializers.DateField()
    layers = serializers.ListField(child=serializers.CharField())
    ties_gained = serializers.ListField(child=TupleField(), help_text="Liens apparus : [nœud, nœud].")
    ties_lost = serializers.ListField(child=TupleField(), help_text="Liens disparus : [nœud, nœud].")
    agents_left = serializers.ListField(child=serializers.CharField(), help_text="Agents partis.")
    agents_joined = serializers.ListField(child=serializers.CharField(), help_text="Agents arrivés.")
    networks_weakened = serializers.ListField(
        child=TupleField(), help_text="[réseau, membres avant, membres après] des réseaux qui ont perdu des membres."
    )
    newly_isolated = serializers.ListField(child=serializers.CharField(), help_text="Collectivités devenues isolées.")
    no_longer_isolated = serializers.ListField(
        child=serializers.CharField(), help_text="Collectivités qui ont retrouvé un lien."
    )
