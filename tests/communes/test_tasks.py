import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from communes import services
from tests.conftest import collectivite

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_invitation_mail_waits_in_the_database_queue_until_the_worker_sends_it(settings, mortagne, dgs_epci):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    invitation = services.invitation_create(
        territoire=mortagne,
        collectivite=collectivite(mortagne, "Tiffauges"),
        email="sg@tiffauges.test",
        role="sg",
        by=dgs_epci,
    )
    task = DBTaskResult.objects.get()
    assert task.task_path == "communes.tasks.send_invitation"
    assert task.args_kwargs == {"args": [invitation.pk], "kwargs": {}}
    assert services.invitation_token(invitation) not in str(task.args_kwargs)  # no secret in the queue
    assert mail.outbox == []

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert [m.to for m in mail.outbox] == [["sg@tiffauges.test"]]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_revoked_invitation_is_not_mailed_even_if_its_task_was_queued(settings, mortagne, dgs_epci):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    invitation = services.invitation_create(
        territoire=mortagne,
        collectivite=collectivite(mortagne, "Tiffauges"),
        email="sg@tiffauges.test",
        role="sg",
        by=dgs_epci,
    )
    services.invitation_revoke(invitation=invitation, by=dgs_epci)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert mail.outbox == []
