"""Pages of the charter: the version in force, the draft, history and diffs, amendments, signatures."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View

from charte import selectors, services
from charte.access import (
    access_amendement,
    access_charte,
    access_draft_section,
    access_ratification,
    access_version,
    require_convener,
    require_writer,
)
from charte.diff import version_diff, word_diff_html
from charte.forms import (
    AmendementForm,
    RatificationForm,
    RebaseForm,
    ReglesForm,
    SectionAddForm,
    SectionForm,
    SubmitForm,
)
from charte.models import Amendement, Regles
from communes.access import TerritoireMixin, holds_permission
from communes.forms import form_add_service_error
from communes.uploads import download_response


class CharteBase(TerritoireMixin, View):
    def page(self, template: str, status: int = 200, **context):
        context.update(territoire=self.territoire, access=self.access)
        return render(self.request, f"charte/{template}", context, status=status)

    def to(self, name: str, *args):
        return redirect(f"charte:{name}", self.territoire.slug, *args)


class CharteView(CharteBase):
    def get(self, request, territoire_slug):
        charte = selectors.charte_of(self.territoire)
        if charte is None:
            return self.page("start.html")
        in_force = selectors.version_in_force(charte)
        return self.page(
            "charte.html",
            charte=charte,
            version=in_force,
            draft=selectors.current_draft(charte, with_content=False),
            rows=selectors.ratification_table(self.territoire, in_force) if in_force else [],
            regles=_rules_display(in_force.regles) if in_force else [],
        )


class StartView(CharteBase):
    def post(self, request, territoire_slug):
        require_convener(self.access)
        try:
            services.charte_start(territoire=self.territoire, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.to("charte")
        messages.success(request, _("La charte type est prête : réécrivez-la ensemble avant de l'adopter."))
        return self.to("draft")


class DraftView(CharteBase):
    def get(self, request, territoire_slug):
        return self._render()

    def _render(self, status=200, **forms):
        charte = access_charte(self.access)
        draft = selectors.current_draft(charte)
        return self.page(
            "draft.html",
            status=status,
            charte=charte,
            draft=draft,
            regles_form=forms.get("regles_form") or (ReglesForm(instance=draft.regles) if draft else None),
            submit_form=forms.get("submit_form") or SubmitForm(),
        )


class DraftStartView(CharteBase):
    def post(self, request, territoire_slug):
        require_convener(self.access)
        try:
            services.draft_start(charte=access_charte(self.access), by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return self.to("draft")


class ReglesView(DraftView):
    def post(self, request, territoire_slug):
        require_writer(self.access)
        draft = selectors.current_draft(access_charte(self.access))
        if draft is None:
            return self.to("draft")
        form = ReglesForm(request.POST, instance=Regles.objects.get(pk=draft.regles.pk))
        if form.is_valid():
            try:
                services.regles_save(version=draft, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Règles du brouillon enregistrées."))
                return self.to("draft")
        return self._render(status=400, regles_form=form)


class SubmitView(DraftView):
    def post(self, request, territoire_slug):
        require_convener(self.access)
        draft = selectors.current_draft(access_charte(self.access))
        form = SubmitForm(request.POST)
        if draft is not None and form.is_valid():
            try:
                proposition = services.draft_submit(version=draft, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Le brouillon est soumis à l'adoption du CoDir."))
                return redirect("decisions:proposition", self.territoire.slug, proposition.pk)
        return self._render(status=400, submit_form=form)


class SectionEditView(CharteBase):
    def get(self, request, territoire_slug, section_id):
        section = access_draft_section(self.access, section_id)
        form = SectionForm(initial={"title": section.title, "body": section.body, "revision": section.revision})
        return self.page("section_form.html", section=section, form=form)

    def post(self, request, territoire_slug, section_id):
        section = access_draft_section(self.access, section_id)
        form = SectionForm(request.POST)
        current = None
        if form.is_valid():
            try:
                services.section_save(
                    section=section,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    based_on_revision=form.cleaned_data["revision"],
                )
            except services.StaleSectionError as error:
                # Keep what this writer typed; show the text that won, and base the next save on it.
                current = error.current
                form = SectionForm(
                    {
                        "title": form.cleaned_data["title"],
                        "body": form.cleaned_data["body"],
                        "revision": current.revision,
                    }
                )
                form.is_valid()
                form.add_error(None, error.messages)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Section « %(titre)s » enregistrée.") % {"titre": form.cleaned_data["title"]}
                )
                return self.to("draft")
        return self.page(
            "section_form.html", status=409 if current else 400, section=section, form=form, current=current
        )


class SectionAddView(CharteBase):
    def get(self, request, territoire_slug):
        require_writer(self.access)
        return self.page("section_add.html", form=SectionAddForm())

    def post(self, request, territoire_slug):
        require_writer(self.access)
        draft = selectors.current_draft(access_charte(self.access))
        form = SectionAddForm(request.POST)
        if draft is not None and form.is_valid():
            try:
                services.section_add(version=draft, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                return self.to("draft")
        return self.page("section_add.html", status=400, form=form)


class VersionsView(CharteBase):
    def get(self, request, territoire_slug):
        charte = access_charte(self.access)
        versions = list(selectors.versions_of(charte))
        numbers = {v.number for v in versions}
        try:
            old, new = int(request.GET.get("de", "")), int(request.GET.get("a", ""))
        except ValueError:
            old = new = None
        if old in numbers and new in numbers:
            return self.to("diff", old, new)
        return self.page("versions.html", charte=charte, versions=versions)


class VersionView(CharteBase):
    def get(self, request, territoire_slug, number):
        access_version(self.access, number)
        return self._render(number, RatificationForm())

    def _render(self, number, ratification_form, status=200):
        charte = access_charte(self.access)
        version = selectors.version_of(charte, number)
        rows = selectors.ratification_table(self.territoire, version) if version.is_adopted else []
        seat = selectors.seat_of(self.access)
        mine = next((row for row in rows if seat and row.collectivite.pk == seat.collectivite_id), None)
        return self.page(
            "version.html",
            status=status,
            charte=charte,
            version=version,
            regles=_rules_display(version.regles),
            rows=rows,
            can_sign=bool(mine and seat.kind == "titulaire" and not mine.signature),
            can_ratify=bool(mine and not mine.ratification),
            ratification_form=ratification_form,
        )


class VersionMarkdownView(CharteBase):
    def get(self, request, territoire_slug, number):
        charte = access_charte(self.access)
        access_version(self.access, number)
        version = selectors.version_of(charte, number)
        text = render_to_string(
            "charte/version.md", {"charte": charte, "version": version, "regles": _rules_display(version.regles)}
        )
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="charte-{self.territoire.slug}-v{number}.md"'
        return response


class DiffView(CharteBase):
    def get(self, request, territoire_slug, number, other):
        charte = access_charte(self.access)
        access_version(self.access, number)
        access_version(self.access, other)
        old, new = selectors.version_of(charte, number), selectors.version_of(charte, other)
        sections, rules = version_diff(old, new)
        return self.page("diff.html", charte=charte, old=old, new=new, sections=sections, rules=rules)


class SignView(CharteBase):
    def post(self, request, territoire_slug, number):
        version = access_version(self.access, number)
        try:
            signature = services.version_sign(version=version, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Version %(numero)s signée pour %(collectivite)s.")
                % {"numero": number, "collectivite": signature.collectivite},
            )
        return self.to("version", number)


class RatifyView(VersionView):
    def post(self, request, territoire_slug, number):
        version = access_version(self.access, number)
        form = RatificationForm(request.POST, request.FILES)
        membership = self.access.membership
        if membership is None:
            form.add_error(None, _("Seul·e un membre du territoire enregistre une ratification."))
        elif form.is_valid():
            try:
                services.ratification_record(
                    version=version, collectivite=membership.collectivite, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Ratification enregistrée."))
                return self.to("version", number)
        return self._render(number, form, status=400)


class RatificationPdfView(CharteBase):
    def get(self, request, territoire_slug, ratification_id):
        ratification = access_ratification(self.access, ratification_id)
        if not ratification.document:
            raise Http404
        # A download, not shown inline: the file's sandbox (communes/uploads.py) would stop the PDF viewer anyway.
        return download_response(ratification.document, f"deliberation-{ratification.deliberation_number}.pdf")


class AmendementsView(CharteBase):
    def get(self, request, territoire_slug):
        charte = access_charte(self.access)
        return self.page("amendements.html", charte=charte, amendements=selectors.amendements_of(charte))


class AmendementCreateView(CharteBase):
    def _kind(self):
        kind = self.request.GET.get("nature") or self.request.POST.get("kind") or Amendement.Kind.SECTION
        return kind if kind in Amendement.Kind.values else Amendement.Kind.SECTION

    def _without_version(self):
        # One amends the charter in force: before its first adoption, the draft is written directly.
        messages.error(self.request, _("Aucune version de la charte n'est encore en vigueur : écrivez le brouillon."))
        return self.to("charte")

    def get(self, request, territoire_slug):
        require_writer(self.access)
        charte = access_charte(self.access)
        version = selectors.version_in_force(charte)
        if version is None:
            return self._without_version()
        kind = self._kind()
        sections = list(version.sections.all()) if version else []
        chosen = next((s for s in sections if s.key == request.GET.get("section")), sections[0] if sections else None)
        initial = {"kind": kind, "section_key": chosen.key if chosen else "", "text": chosen.body if chosen else ""}
        if kind != Amendement.Kind.SECTION:
            initial["text"] = ""
        form = AmendementForm(version=version, kind=kind, initial=initial)
        return self.page("amendement_form.html", charte=charte, version=version, form=form, kind=kind)

    def post(self, request, territoire_slug):
        require_writer(self.access)
        charte = access_charte(self.access)
        version = selectors.version_in_force(charte)
        if version is None:
            return self._without_version()
        kind = self._kind()
        form = AmendementForm(request.POST, version=version, kind=kind)
        if form.is_valid():
            try:
                amendement = services.amendement_propose(charte=charte, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Amendement soumis au CoDir."))
                return self.to("amendement", amendement.pk)
        return self.page("amendement_form.html", status=400, charte=charte, version=version, form=form, kind=kind)


class AmendementView(CharteBase):
    def get(self, request, territoire_slug, amendement_id):
        amendement = access_amendement(self.access, amendement_id)
        in_force = selectors.version_in_force(amendement.charte)
        current_text = ""
        if amendement.kind == Amendement.Kind.SECTION and in_force:
            section = next((s for s in in_force.sections.all() if s.key == amendement.section_key), None)
            current_text = section.body if section else ""
        return self.page(
            "amendement.html",
            amendement=amendement,
            diff=word_diff_html(amendement.base_text, amendement.text) if amendement.kind != "regle" else None,
            current_text=current_text,
            can_rebase=amendement.status == Amendement.Status.A_REBASER
            and holds_permission(request.user, "charte.change_amendement", amendement),
            rule_change=_rule_change(amendement) if amendement.kind == Amendement.Kind.REGLE else None,
        )


class AmendementRebaseView(CharteBase):
    def get(self, request, territoire_slug, amendement_id):
        amendement = access_amendement(self.access, amendement_id, write=True)
        return self._render(amendement, RebaseForm(initial={"text": amendement.text}))

    def post(self, request, territoire_slug, amendement_id):
        amendement = access_amendement(self.access, amendement_id, write=True)
        form = RebaseForm(request.POST)
        if form.is_valid():
            try:
                services.amendement_rebase(amendement=amendement, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Amendement repris et soumis de nouveau au CoDir."))
                return self.to("amendement", amendement.pk)
        return self._render(amendement, form, status=400)

    def _render(self, amendement, form, status=200):
        in_force = selectors.version_in_force(amendement.charte)
        section = next((s for s in in_force.sections.all() if s.key == amendement.section_key), None)
        return self.page("rebase.html", status=status, amendement=amendement, section=section, form=form)


def _rule_value_display(name: str, value) -> str:
    field = Regles._meta.get_field(name)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return str(value)


def _rules_display(regles: Regles) -> list[tuple[str, str, str]]:
    """(label, help text, value shown) of each rule, in the charter's order."""
    fields = [Regles._meta.get_field(name) for name in Regles.NAMES]
    return [(f.verbose_name, f.help_text, _rule_value_display(f.name, getattr(regles, f.name))) for f in fields]


def _rule_change(amendement: Amendement) -> tuple[str, str, str]:
    """(label, value in force when proposed, value proposed) of a rule amendment, as people read them."""
    name = amendement.rule_name
    return (
        Regles._meta.get_field(name).verbose_name,
        _rule_value_display(name, json.loads(amendement.base_text)),
        _rule_value_display(name, amendement.rule_value),
    )
