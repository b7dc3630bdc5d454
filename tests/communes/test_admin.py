import pytest
from django.contrib import admin
from django.urls import reverse

from communes.models import Agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(mortagne, dgs_commune):
    return Agent.objects.create_superuser("admin@codir.test", "Un-mot-de-passe-solide-2026")


def test_every_admin_page_of_our_apps_opens(client, superuser, mortagne):
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"communes", "decisions", "charte", "codir", "reseaux"}:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, info
        if model_admin.has_add_permission(_request(superuser)):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info
        instance = model.objects.first()
        if instance is not None:
            assert client.get(reverse("admin:{}_{}_change".format(*info), args=[instance.pk])).status_code == 200


def test_an_agent_is_created_in_the_admin_with_an_email_and_a_password(client, superuser):
    client.force_login(superuser)
    password = "Un-autre-mot-de-passe-2026"
    response = client.post(
        reverse("admin:communes_agent_add"),
        {"email": "nouvel.agent@tiffauges.test", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    assert Agent.objects.get(email="nouvel.agent@tiffauges.test").check_password(password)


def test_facilitators_are_granted_from_the_territory_object_permissions_page(client, superuser, mortagne):
    client.force_login(superuser)
    url = reverse("admin:communes_territoire_permissions", args=[mortagne.pk])
    assert client.get(url).status_code == 200


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
