from django.core.management.base import BaseCommand

from decisions.services import decisions_sweep


class Command(BaseCommand):
    help = (
        "Traite les échéances : clôt les propositions arrivées à terme, relance les collectivités qui ne se sont "
        "pas exprimées 24 h avant la clôture, relance les actions de suivi échues. À lancer chaque minute (cron) ; "
        "rattrape le retard après un arrêt."
    )

    def handle(self, *args, **options):
        report = decisions_sweep()
        self.stdout.write(
            f"Décisions : {report.closed} close(s), {report.reminders} relance(s) ; "
            f"actions de suivi : {report.action_reminders} relance(s)."
        )
