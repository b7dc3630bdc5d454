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


class ObjectFormView(PortfolioBase):
    """A form about one object of the territory (a project, a network): GET shows it on its own page, POST
    calls the service, a service's refusal comes back on the form with status 400.

    Subclasses of the concrete bases below set `form_class`, `title`, `requirement` and `perform(form, obj)`;
    `item` resolves a sub-object from the URL when there is one.
    """

    object_name = ""  # the attribute and template variable holding the object: "projet", "reseau"
    object_kwarg = ""  # its id in the URL
    object_url = ""  # the URL name of its page
    template = ""
    form_class = None
    title = ""
    requirement = None
    success_message = gettext_lazy("Enregistré.")
    submit_label = gettext_lazy("Enregistrer")

    def get_object(self, pk):
        raise NotImplementedError

    def setup_objects(self, kwargs):
        self.object = self.get_object(kwargs.pop(self.object_kwarg))
        setattr(self, self.object_name, self.object)
        self.item = self.get_item(**kwargs)
        self.requirement(self.access, self.object)

    def get_item(self, **kwargs):
        return None

    def form_kwargs(self) -> dict:
        return {}

    def initial(self) -> dict:
        return {}

    def get(self, request, territoire_slug, **kwargs):
        self.setup_objects(kwargs)
        return self.render_form(self.form_class(initial=self.initial(), **self.form_kwargs()))

    def post(self, request, territoire_slug, **kwargs):
        self.setup_objects(kwargs)
        form = self.form_class(request.POST, request.FILES, **self.form_kwargs())
        if form.is_valid():
            try:
                self.perform(form, self.object)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(self.success_url())
        return self.render_form(form, status=400)

    def object_page(self) -> str:
        return reverse(self.object_url, args=[self.territoire.slug, self.object.pk])

    def success_url(self) -> str:
        return self.object_page()

    def render_form(self, form, status=200):
        return self.page(
            self.template,
            status=status,
            form=form,
            item=self.item,
            title=self.title,
            submit_label=self.submit_label,
            multipart=any(getattr(field.field.widget, "needs_multipart_form", False) for field in form),
            cancel_url=self.object_page(),
            **{self.object_name: self.object},
        )

    def perform(self, form, obj):
        raise NotImplementedError


class ProjetFormView(ObjectFormView):
    """A form about one project (its pilots by default; `requirement = require_follower` for référents too)."""

    object_name, object_kwarg, object_url, template = "projet", "projet_id", "reseaux:projet", "projet_subform.html"
    requirement = staticmethod(require_pilot)

    def get_object(self, pk):
        return access_projet(self.access, pk)


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
