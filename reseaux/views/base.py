"""What the portfolio pages share: the territory's page renderer, the form about one project, the one-button action."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views import View

from communes.access import TerritoireMixin
from communes.forms import form_add_service_error
from reseaux.access import (
    access_projet,
    require_pilot,
)


class PortfolioBase(TerritoireMixin, View):
    def page(self, template: str, status: int = 200, **context):
        context.update(territoire=self.territoire, access=self.access)
        return render(self.request, f"reseaux/{template}", context, status=status)


class ProjetFormView(PortfolioBase):
    """A form about one project: GET shows it on its own page, POST calls the service.

    Subclasses set `form_class`, `title`, `requirement` (require_pilot or require_follower) and
    `perform(form, projet)`; `item` resolves a sub-object from the URL when there is one.
    """

    form_class = None
    title = ""
    requirement = staticmethod(require_pilot)
    success_message = gettext_lazy("Enregistré.")
    submit_label = gettext_lazy("Enregistrer")

    def setup_objects(self, projet_id, **kwargs):
        self.projet = access_projet(self.access, projet_id)
        self.item = self.get_item(**kwargs)
        self.requirement(self.access, self.projet)

    def get_item(self, **kwargs):
        return None

    def form_kwargs(self) -> dict:
        return {}

    def initial(self) -> dict:
        return {}

    def get(self, request, territoire_slug, projet_id, **kwargs):
        self.setup_objects(projet_id, **kwargs)
        return self.render_form(self.form_class(initial=self.initial(), **self.form_kwargs()))

    def post(self, request, territoire_slug, projet_id, **kwargs):
        self.setup_objects(projet_id, **kwargs)
        form = self.form_class(request.POST, request.FILES, **self.form_kwargs())
        if form.is_valid():
            try:
                self.perform(form, self.projet)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(self.success_url())
        return self.render_form(form, status=400)

    def success_url(self) -> str:
        return reverse("reseaux:projet", args=[self.territoire.slug, self.projet.pk])

    def render_form(self, form, status=200):
        return self.page(
            "projet_subform.html",
            status=status,
            form=form,
            projet=self.projet,
            title=self.title,
            submit_label=self.submit_label,
            multipart=any(getattr(field.field.widget, "needs_multipart_form", False) for field in form),
            cancel_url=reverse("reseaux:projet", args=[self.territoire.slug, self.projet.pk]),
        )

    def perform(self, form, projet):
        raise NotImplementedError


class ItemActionView(PortfolioBase):
    """A one-button POST on a sub-object of a project (end, withdraw, remove)."""

    requirement = staticmethod(require_pilot)
    related = ""
    message = ""

    def post(self, request, territoire_slug, projet_id, item_id):
        projet = access_projet(self.access, projet_id)
        self.requirement(self.access, projet)
        item = get_object_or_404(getattr(projet, self.related).all(), pk=item_id)
        try:
            self.perform(item)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, self.message)
        return redirect("reseaux:projet", self.territoire.slug, projet.pk)
