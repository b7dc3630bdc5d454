"""The agenda goes out at the deadline, exactly once per member, and never silently late."""

import email
import email.policy
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from charte import services as charte_services
from codir import dispatch, services
from codir.models import AgendaVersion, Envoi, PointOdj
from communes.models import JournalEntry, Membership
from decisions import services as decisions
from decisions.models import Proposition
from tests.codir.conftest import PARIS, paris
from tests.mailtools import invitation_of

pytestmark = pytest.mark.django_db


def test_the_agenda_goes_out_at_the_deadline_and_not_before(reunion, dgs_epci, dgs_commune, sg_petite_commune):
    services.point_add(reunion=reunion, by=dgs_commune, title="Mutualisation du service ADS", now=paris(2026, 12, 1))
    deadline = dispatch.dispatch_deadline(reunion)
    assert deadline == paris(2026, 12, 13, 9)  # 48 h, the notice until a charter says otherwise
    assert dispatch.codir_sweep(now=deadline - timedelta(seconds=1)).dispatched == 0
    assert mail.outbox == [] and not AgendaVersion.objects.exists()
    report = dispatch.codir_sweep(now=deadline)
    assert (report.dispatched, report.sent, report.late) == (1, 3, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in (dgs_epci, dgs_commune, sg_petite_commune))
    message = mail.outbox[0]
    assert "Ordre du jour" in message.subject and "Mutualisation du service ADS" in message.body
    event = invitation_of(message).events[0]
    assert invitation_of(message)["method"] == "REQUEST"
    assert str(event["uid"]) == reunion.uid and int(event["sequence"]) == 0
    assert event.decoded("dtstart") == paris(2026, 12, 15, 9) and event.decoded("dtstart").tzinfo.key == "Europe/Paris"
    assert dispatch.codir_sweep(now=deadline + timedelta(hours=1)).sent == 0  # nothing twice
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    ("start", "expected_local_deadline"),
    [
        # Clocks go forward on Sunday 29 March 2026: 48 elapsed hours before Monday 9:00 is Saturday 8:00.
        (paris(2026, 3, 30, 9), (2026, 3, 28, 8)),
        # Clocks go back on Sunday 25 October 2026: 48 elapsed hours before Monday 9:00 is Saturday 10:00.
        (paris(2026, 10, 26, 9), (2026, 10, 24, 10)),
    ],
)
def test_the_notice_counts_elapsed_hours_across_daylight_saving_changes(
    mortagne, dgs_epci, start, expected_local_deadline, settings
):
    from codir.models import Reunion

    reunion = Reunion.objects.create(
        territoire=mortagne, title="CoDir", starts_at=start, ends_at=start + timedelta(hours=2), created_by=dgs_epci
    )
    deadline = dispatch.dispatch_deadline(reunion)
    local = deadline.astimezone(PARIS)
    assert (local.year, local.month, local.day, local.hour) == expected_local_deadline
    assert reunion.starts_at - deadline == timedelta(hours=48)
    assert dispatch.dispatch_due(now=deadline - timedelta(minutes=1)) == 0
    assert dispatch.dispatch_due(now=deadline) == 1


def test_a_worker_killed_in_the_middle_of_a_send_does_not_send_twice(reunion, monkeypatch):
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.dispatch_due(now=deadline)
    real_send = dispatch._agenda_mail

    class Killed(BaseException):
        """Stands for the process being killed: nothing after it runs."""

    calls = {"n": 0}

    def killed_on_second(envoi, rendered):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Killed
        return real_send(envoi, rendered)

    monkeypatch.setattr(dispatch, "_agenda_mail", killed_on_second)
    with pytest.raises(Killed):
        dispatch.send_pending(now=deadline)
    assert len(mail.outbox) == 1 and Envoi.objects.filter(sent_at__isnull=False).count() == 1
    monkeypatch.setattr(dispatch, "_agenda_mail", real_send)
    dispatch.send_pending(now=deadline + timedelta(minutes=1))
    dispatch.send_pending(now=deadline + timedelta(minutes=2))
    assert len(mail.outbox) == 3 and sorted(m.to[0] for m in mail.outbox) == sorted(
        Envoi.objects.values_list("email", flat=True)
    )


def test_the_outbox_holds_one_row_per_version_and_member(reunion):
    dispatch.dispatch_due(now=dispatch.dispatch_deadline(reunion))
    assert dispatch.dispatch_due(now=dispatch.dispatch_deadline(reunion) + timedelta(minutes=1)) == 0
    envoi = Envoi.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Envoi.objects.create(version=envoi.version, recipient=envoi.recipient, email=envoi.email)


def test_a_refused_mail_is_retried_by_the_next_sweep(reunion, monkeypatch):
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.dispatch_due(now=deadline)
    real_send = dispatch._agenda_mail

    def refused(envoi, rendered):
        raise ConnectionRefusedError("serveur de messagerie injoignable")

    monkeypatch.setattr(dispatch, "_agenda_mail", refused)
    assert dispatch.send_pending(now=deadline).failed == 3
    assert set(Envoi.objects.values_list("attempts", "last_error")) == {(1, "serveur de messagerie injoignable")}
    monkeypatch.setattr(dispatch, "_agenda_mail", real_send)
    assert dispatch.send_pending(now=deadline + timedelta(minutes=3)).sent == 3


def test_after_a_downtime_the_sweep_sends_and_records_the_delay(reunion):
    deadline = dispatch.dispatch_deadline(reunion)
    back = deadline + timedelta(hours=30)  # the server was down for 30 hours
    report = dispatch.codir_sweep(now=back)
    assert (report.dispatched, report.sent, report.late) == (1, 3, 3)
    assert set(Envoi.objects.values_list("late_by", flat=True)) == {timedelta(hours=30)}
    assert AgendaVersion.objects.get().due_at == deadline
    entry = JournalEntry.objects.get(action="codir.agenda.dispatched")
    assert entry.data["late_by_seconds"] == 30 * 3600


def test_a_charter_change_of_the_notice_moves_future_meetings_only(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, reunion, django_capture_on_commit_callbacks
):
    from codir.models import Reunion

    past_dispatch = Reunion.objects.create(
        territoire=mortagne,
        title="CoDir déjà convoqué",
        starts_at=paris(2026, 12, 1, 9),
        ends_at=paris(2026, 12, 1, 11),
    )
    dispatch.dispatch_due(now=paris(2026, 11, 29, 9))
    past_dispatch.refresh_from_db()
    assert past_dispatch.dispatched_at is not None
    draft = charte_services.charte_start(territoire=mortagne, by=dgs_epci)
    charte_services.regles_save(version=draft, by=dgs_epci, delai_prevenance_heures=72)
    proposition = charte_services.draft_submit(version=draft, by=dgs_epci, closes_at=paris(2026, 12, 30, 12))
    Proposition.objects.filter(pk=proposition.pk).update(quorum_percent=0)
    decisions.proposition_close(proposition=proposition, by=dgs_epci)
    assert dispatch.dispatch_deadline(reunion) == paris(2026, 12, 12, 9)  # 72 h now
    assert dispatch.dispatch_deadline(Reunion.objects.get(pk=past_dispatch.pk)) == paris(2026, 11, 29, 9)


def test_an_item_added_after_the_deadline_is_hors_delai_and_goes_out_as_an_update(reunion, dgs_commune):
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.codir_sweep(now=deadline)
    mail.outbox.clear()
    point = services.point_add(
        reunion=reunion, by=dgs_commune, title="Recrutement commun d'un archiviste", now=deadline + timedelta(hours=5)
    )
    assert point.late and point.late_consent == PointOdj.LateConsent.EN_ATTENTE
    update = AgendaVersion.objects.get(number=2)
    assert (update.kind, update.sequence) == ("mise_a_jour", 1)
    dispatch.send_pending(now=deadline + timedelta(hours=5))
    message = mail.outbox[0]
    assert "mis à jour" in message.subject and "hors délai" in message.body
    assert "Point ajouté hors délai : Recrutement commun d'un archiviste" in message.body
    assert int(invitation_of(message).events[0]["sequence"]) == 1


def test_rotation_proposes_whoever_served_least_recently(mortagne, dgs_epci, dgs_commune, sg_petite_commune):
    from codir.models import Instance, Reunion

    bureau = services.instance_create(
        territoire=mortagne, by=dgs_epci, kind=Instance.Kind.BUREAU, starts_at=paris(2027, 1, 19, 18), place="Siège"
    )
    first = services.reunion_proposal(mortagne, bureau)
    assert first.starts_at == paris(2027, 1, 12, 9)  # 7 days before, at 9:00
    assert first.host.name == "Mallièvre"  # nobody hosted yet: the smallest commune first
    assert first.animateur == sg_petite_commune
    Reunion.objects.create(
        territoire=mortagne, title="CoDir", starts_at=paris(2027, 1, 5), ends_at=paris(2027, 1, 5, 11),
        host=first.host, animateur=first.animateur,
    )  # fmt: skip
    second = services.reunion_proposal(mortagne, bureau)
    assert second.host.name == "Saint-Martin-des-Tilleuls" and second.animateur != sg_petite_commune


def test_a_meeting_too_late_for_the_conseil_convocation_is_flagged(mortagne, dgs_epci):
    from codir.models import Instance

    conseil = services.instance_create(
        territoire=mortagne, by=dgs_epci, kind=Instance.Kind.CONSEIL, starts_at=paris(2026, 12, 15, 19)
    )
    in_time = services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir",
        starts_at=paris(2026, 12, 8, 9),
        ends_at=paris(2026, 12, 8, 11),
        instance=conseil,
    )
    too_late = services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir",
        starts_at=paris(2026, 12, 10, 9),
        ends_at=paris(2026, 12, 10, 11),
        instance=conseil,
    )
    assert services.reunion_warnings(in_time) == []
    assert "après le 09/12/2026" in services.reunion_warnings(too_late)[0]


def test_the_convener_is_reminded_once_of_an_empty_agenda(reunion, dgs_epci, django_capture_on_commit_callbacks):
    deadline = dispatch.dispatch_deadline(reunion)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.remind_empty_agendas(now=deadline - timedelta(hours=25)) == 0
        assert dispatch.remind_empty_agendas(now=deadline - timedelta(hours=23)) == 1
        assert dispatch.remind_empty_agendas(now=deadline - timedelta(hours=22)) == 0
    assert [m.to for m in mail.outbox] == [[dgs_epci.email]] and "encore vide" in mail.outbox[0].subject


def test_documents_are_limited_in_size_and_type(reunion, dgs_commune, media_root):
    big = SimpleUploadedFile("budget.pdf", b"%PDF" + b"0" * (20 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="dépasse 20 Mo"):
        services.point_add(reunion=reunion, by=dgs_commune, title="Budget", documents=[big], now=paris(2026, 12, 1))
    script = SimpleUploadedFile("macro.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        services.point_add(reunion=reunion, by=dgs_commune, title="Budget", documents=[script], now=paris(2026, 12, 1))
    assert not PointOdj.objects.exists()
    note = SimpleUploadedFile("note.pdf", b"%PDF-1.4 note", content_type="application/pdf")
    point = services.point_add(
        reunion=reunion, by=dgs_commune, title="Budget", documents=[note], now=paris(2026, 12, 1)
    )
    assert point.documents.get().size == len(b"%PDF-1.4 note")


def test_only_active_members_receive_the_agenda(reunion, dgs_epci, dgs_commune, sg_petite_commune):
    from communes import services as communes_services

    communes_services.membership_deactivate(membership=Membership.objects.get(agent=dgs_commune), by=dgs_epci)
    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([dgs_epci.email, sg_petite_commune.email])


def test_a_cancellation_goes_to_those_who_had_the_event_even_if_they_left(reunion, mortagne, dgs_epci, dgs_commune):
    from communes import services as communes_services
    from tests.conftest import make_member

    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    communes_services.membership_deactivate(membership=Membership.objects.get(agent=dgs_commune), by=dgs_epci)
    newcomer = make_member(mortagne, "Tiffauges", "sg@tiffauges.test", Membership.Role.SG)
    mail.outbox.clear()
    services.reunion_cancel(reunion=reunion, by=dgs_epci, reason="Report du bureau.")
    dispatch.send_pending()
    recipients = {m.to[0] for m in mail.outbox}
    assert dgs_commune.email in recipients and newcomer.email not in recipients


def test_a_meeting_cancelled_while_the_sweep_runs_is_not_dispatched(reunion, dgs_epci, monkeypatch):
    deadline = dispatch.dispatch_deadline(reunion)
    real = dispatch.dispatch_deadline

    def cancel_meanwhile(meeting, *, now=None):
        from codir.models import Reunion

        Reunion.objects.filter(pk=meeting.pk).update(cancelled_at=deadline)
        return real(meeting, now=now)

    monkeypatch.setattr(dispatch, "dispatch_deadline", cancel_meanwhile)
    assert dispatch.dispatch_due(now=deadline) == 0 and not AgendaVersion.objects.exists()


def test_an_item_added_after_the_deadline_is_late_even_before_the_sweep(reunion, dgs_commune):
    deadline = dispatch.dispatch_deadline(reunion)
    point = services.point_add(reunion=reunion, by=dgs_commune, title="Tardif", now=deadline + timedelta(minutes=10))
    assert point.late and not AgendaVersion.objects.exists()  # the agenda, when it goes out, shows it hors délai


def test_the_invitation_is_a_proper_imip_part(reunion):
    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    part = next(p for p in mail.outbox[0].message().walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST" and str(part["Content-Type"]).count("charset") == 1


def test_the_agenda_mail_reads_on_the_wire_as_it_was_written(reunion, dgs_commune):
    """The subject is encoded once per version and the MIME boundaries drawn at random (`AgendaMail`):
    what a mail server receives must still decode to the same subject and the same parts."""
    reunion.title = "Réunion préparatoire au conseil communautaire — Mortagne-sur-Sèvre, salle des fêtes (été)"
    reunion.save(update_fields=["title"])
    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    sent = next(m for m in mail.outbox if m.to == [dgs_commune.email])
    assert "Réunion préparatoire" in sent.subject  # the readable subject, for the outbox and the logs
    wire = sent.message().as_bytes(linesep="\r\n")
    assert max(len(line) for line in wire.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert parsed["Subject"].strip() == sent.subject
    boundaries = [part.get_boundary() for part in parsed.walk() if part.is_multipart()]
    assert len(boundaries) == len(set(boundaries)) == 2  # mixed, and the text/HTML alternative
    parts = {part.get_content_type(): part.get_content() for part in parsed.walk() if not part.is_multipart()}
    assert parts["text/plain"].replace("\r\n", "\n") == sent.body
    assert "Réunion préparatoire" in parts["text/html"]
    calendar = parts["text/calendar"].replace("\r\n ", "")  # unfolded
    assert f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{dgs_commune.email}" in calendar


def test_a_refused_address_is_not_retried_forever(reunion, monkeypatch):
    deadline = dispatch.dispatch_deadline(reunion)
    dispatch.dispatch_due(now=deadline)

    def refused(envoi, rendered):
        raise ConnectionRefusedError("refusé")

    monkeypatch.setattr(dispatch, "_agenda_mail", refused)
    for minute in range(dispatch.MAX_ATTEMPTS + 3):
        dispatch.send_pending(now=deadline + timedelta(minutes=minute))
    assert set(Envoi.objects.values_list("attempts", flat=True)) == {dispatch.MAX_ATTEMPTS}
