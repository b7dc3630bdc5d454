from django.core.management.base import BaseCommand

from codir.dispatch import codir_sweep
from decisions.services import decisions_sweep
from reseaux.services import portfolio_sweep


class Command(BaseCommand):
    help = (
        "Traite les échéances : envoie les ordres du jour à l'échéance de la charte, clôt les propositions arrivées à terme, relance les collectivités qui ne se sont "
        "pas exprimées 24 h avant la clôture, relance les actions de suivi échues, ouvre les revues de passation des projets en pilotage alterné et rappelle les revues de projet à venir. À lancer chaque minute (cron) ; "
        "rattrape le retard après un arrêt."
    )

    def handle(self, *args, **options):
        agenda = codir_sweep()
        self.stdout.write(
            f"Ordres du jour : {agenda.dispatched} envoyé(s) à l'échéance, {agenda.sent} courriel(s) parti(s) "
            f"dont {agenda.late} en retard, {agenda.failed} échec(s), {agenda.reminded} rappel(s) d'ordre du jour vide."
        )
        portfolio = portfolio_sweep()
        self.stdout.write(
            f"Projets : {portfolio.handovers} passation(s) de pilotage, {portfolio.reminders} rappel(s) de revue."
        )
        report = decisions_sweep()
        self.stdout.write(
            f"Décisions : {report.closed} close(s), {report.reminders} relance(s) ; "
            f"actions de suivi : {report.action_reminders} relance(s)."
        )
