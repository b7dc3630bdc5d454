"""The map of the professional networks: the drawing (SVG from the server, no script), the analyses explained
in French, the table alternative, and the exports (GraphML, GEXF, CSV, SVG)."""

import io

import networkx as nx
from django import forms
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from communes.exports import csv_response
from reseaux import cartography, graph
from reseaux.forms import date_field
from reseaux.models import DAY_BOUNDS, Reseau
from reseaux.views.base import PortfolioBase

LAYER_LABELS = {
    "reseaux": _("Réseaux (membres et journées réseau)"),
    "echanges": _("Échanges entre agents"),
    "projets": _("Projets co-pilotés"),
    "codir": _("Réunions du CoDir"),
}


class CarteForm(forms.Form):
    date = date_field(_("Date de la carte"), required=False, validators=DAY_BOUNDS)
    couches = forms.MultipleChoiceField(
        label=_("Liens montrés"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    reseau = forms.ModelChoiceField(
        label=_("Mettre en avant un réseau"), queryset=Reseau.objects.none(), required=False
    )
    depuis = date_field(
        _("Comparer avec le"),
        required=False,
        validators=DAY_BOUNDS,
        help_text=_("Ce qui a changé entre cette date et celle de la carte."),
    )
    couleur = forms.ChoiceField(
        label=_("Couleurs"),
        choices=[("nature", _("Par nature")), ("communaute", _("Par communauté"))],
        required=False,
    )

    def __init__(self, *args, territoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["couches"].choices = [(name, LAYER_LABELS.get(name, name)) for name in graph.known_layers()]
        self.fields["reseau"].queryset = Reseau.objects.for_territoire(territoire)

    def settings(self) -> tuple[date, tuple[str, ...], str, str]:
        """The date, layers, network in focus and colouring asked for, or the defaults."""
        data = self.cleaned_data if self.is_valid() else {}
        reseau = data.get("reseau")
        return (
            data.get("date") or timezone.localdate(),
            tuple(data.get("couches") or graph.DEFAULT_LAYERS),
            f"r{reseau.pk}" if reseau else "",
            data.get("couleur") or "nature",
        )


def _url_of(slug: str, key: str) -> str:
    kind, pk = key[0], key[1:]
    names = {"c": ("communes:collectivite", "collectivite_id"), "r": ("reseaux_net:reseau", "reseau_id")}
    names["p"] = ("reseaux:projet", "projet_id")
    if kind not in names or not pk.isdigit():
        return ""
    name, argument = names[kind]
    try:
        return reverse(name, kwargs={"territoire_slug": slug, argument: int(pk)})
    except NoReverseMatch:
        return ""


class CarteView(PortfolioBase):
    def get(self, request, territoire_slug):
        form = CarteForm(request.GET or None, territoire=self.territoire)
        at, layers, focus, colouring = form.settings()
        version = cartography.graph_version(self.territoire.pk)
        analysis = cartography.analysis_of(self.territoire, at, layers, version=version)
        nodes = analysis.nodes

        def name(key: str) -> str:
            data = nodes.get(key, {})
            if data.get("kind") == "agent":
                home = nodes.get(f"c{data.get('collectivite')}", {}).get("label", "")
                return f"{data.get('label') or key} ({home})" if home else data.get("label") or key
            return data.get("label", key)

        def names(keys) -> list[str]:
            """Names in alphabetical order (keys sort as text: c10 before c2)."""
            return sorted((name(key) for key in keys), key=str.casefold)

        drawing = cartography.draw(analysis, by=colouring, focus=focus)
        for node in drawing["nodes"]:
            node.url = _url_of(self.territoire.slug, node.key)
        reseaux = [key for key in sorted(nodes) if nodes[key].get("kind") == "reseau"]
        collectivites = sorted(
            (key for key in nodes if nodes[key].get("kind") == "collectivite"), key=lambda k: nodes[k]["label"]
        )
        since = form.cleaned_data.get("depuis") if form.is_bound and form.is_valid() else None
        change = None
        if since is not None and since < at:
            evolution, labels = cartography.evolution_named(self.territoire, since, at, layers)

            def named(keys) -> list[str]:
                return sorted((labels.get(key, key) for key in keys), key=str.casefold)

            change = {
                "since": since,
                "gained": len(evolution.ties_gained),
                "lost": len(evolution.ties_lost),
                "lost_ties": sorted(f"{labels.get(a, a)} — {labels.get(b, b)}" for a, b in evolution.ties_lost)[:50],
                "agents_left": named(evolution.agents_left),
                "agents_joined": named(evolution.agents_joined),
                "weakened": [(labels.get(r, r), before, now) for r, before, now in evolution.networks_weakened],
                "newly_isolated": named(evolution.newly_isolated),
                "no_longer_isolated": named(evolution.no_longer_isolated),
            }
        return self.page(
            "carte.html",
            change=change,
            form=form,
            at=at,
            layers=layers,
            analysis=analysis,
            drawing=drawing,
            hubs=[(name(key), degree) for key, degree in analysis.hubs],
            brokers=[(name(key), round(score * 100, 1)) for key, score in analysis.brokers],
            cut_points=[
                (name(p["node"]), names(p["cut_off"]), names(p["remaining_with"])) for p in analysis.cut_points
            ],
            bridges=[(name(b["a"]), name(b["b"]), names(b["side_a"]), names(b["side_b"])) for b in analysis.bridges],
            isolated=names(analysis.isolated),
            communities=[
                names(k for k in group if nodes[k]["kind"] == "collectivite") for group in analysis.communities
            ],
            density_percent=round(analysis.density * 100, 1),
            matrix_columns=[(key, name(key)) for key in reseaux],
            matrix=[
                (name(c), _url_of(self.territoire.slug, c), [analysis.coverage.get(c, {}).get(r, 0) for r in reseaux])
                for c in collectivites
            ],
            ties=sorted(
                (
                    name(e["a"]),
                    name(e["b"]),
                    ", ".join(str(LAYER_LABELS.get(layer, layer)) for layer in e["layers"]),
                    e["weight"],
                )
                for e in analysis.overview["edges"]
            ),  # fmt: skip
            query=request.GET.urlencode(),
            # The drawing and the tables are rendered once per state of the data and settings, then served
            # from the cache: thousands of cells are what a cached map page would otherwise spend its time on.
            fragment_key=":".join(
                [
                    str(self.territoire.pk),
                    str(version),  # the version the analysis was read under, not a newer one
                    at.isoformat(),
                    ",".join(layers),
                    focus,
                    colouring,
                    since.isoformat() if since else "",
                    get_language() or "",
                ]
            ),  # fmt: skip
        )


def _exportable(snapshot: nx.Graph) -> nx.Graph:
    """GraphML and GEXF take scalar attributes only: lists become comma-separated text, None empty."""
    copy = nx.Graph()
    for node, data in snapshot.nodes(data=True):
        copy.add_node(node, **{k: ("" if v is None else v) for k, v in data.items()})
    for a, b, data in snapshot.edges(data=True):
        copy.add_edge(a, b, weight=data["weight"], layers=",".join(data["layers"]))
    return copy


class CarteExportView(PortfolioBase):
    """The graph at the map's date and layers, for Gephi (GraphML, GEXF), spreadsheets (CSV) or a report (SVG)."""

    def get(self, request, territoire_slug, fmt):
        form = CarteForm(request.GET or None, territoire=self.territoire)
        at, layers, focus, colouring = form.settings()
        stem = f"reseaux-{self.territoire.slug}-{at.isoformat()}"
        if fmt == "svg":
            analysis = cartography.analysis_of(self.territoire, at, layers)
            drawing = cartography.draw(analysis, by=colouring, focus=focus)
            svg = render_to_string("reseaux/_carte_svg.html", {"drawing": drawing, "standalone": True, "at": at})
            response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{stem}.svg"'
            return response
        snapshot = graph.build_graph(self.territoire, at, layers)
        if fmt == "noeuds.csv":
            header = [_("Identifiant"), _("Nature"), _("Nom"), _("Fonction"), _("Collectivité (identifiant)")]
            rows = [
                [node, data.get("kind", ""), data.get("label", ""), data.get("job", ""), data.get("collectivite", "")]
                for node, data in sorted(snapshot.nodes(data=True))
            ]
            return csv_response(f"{stem}-noeuds.csv", header, rows)
        if fmt == "liens.csv":
            header = [_("De"), _("Vers"), _("Nature des liens"), _("Poids")]
            rows = [[a, b, ",".join(d["layers"]), d["weight"]] for a, b, d in sorted(snapshot.edges(data=True))]
            return csv_response(f"{stem}-liens.csv", header, rows)
        buffer = io.BytesIO()
        if fmt == "graphml":
            nx.write_graphml(_exportable(snapshot), buffer)
            content_type = "application/graphml+xml"
        else:  # gexf, the only other format the URL accepts
            nx.write_gexf(_exportable(snapshot), buffer)
            content_type = "application/gexf+xml"
        response = HttpResponse(buffer.getvalue(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
        return response
