"""Erase an agent's personal data on request (RGPD article 17), for the operator or the DPO's ticket."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from communes.models import Agent
from communes.personal_data import agent_erase


class Command(BaseCommand):
    help = (
        "Efface l'identité d'un agent partout (nom, adresse, téléphone, fonction, secrets, traces de connexion) "
        "en gardant ce qu'il a fait au nom de sa collectivité. Définitif."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="adresse électronique du compte à effacer")
        parser.add_argument("--no-input", action="store_true", help="ne pas demander de confirmation")

    def handle(self, *args, email: str, no_input: bool, **options):
        agent = Agent.objects.with_email(email.strip()).first()
        if agent is None:
            raise CommandError(f"Aucun compte avec l'adresse {email}.")
        label = f"{agent.full_name or agent.email} <{agent.email}>"
        if not no_input:
            answer = input(f"Effacer définitivement {label} ? Tapez « effacer » pour confirmer : ")
            if answer.strip().lower() != "effacer":
                raise CommandError("Effacement annulé : rien n'a changé.")
        try:
            report = agent_erase(agent=agent, by=None, progress=lambda kind: self.stdout.write(f"  recherche : {kind}"))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        for kind, count in sorted(report.deleted.items()):
            self.stdout.write(f"  supprimé : {kind} — {count} ligne(s)")
        for kind, count in sorted(report.rewritten.items()):
            self.stdout.write(f"  réécrit : {kind} — {count} ligne(s)")
        self.stdout.write(self.style.SUCCESS(f"{label} est effacé·e (compte n° {report.agent_id})."))
