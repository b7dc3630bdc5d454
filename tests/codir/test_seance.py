"""The meeting's life after planning: moves and cancellations, late items, attendance, minutes,
technical opinions and what the instance decided, instances imported from .ics, private feeds."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from codir import avis, dispatch, feeds, services
from codir.models import CalendarToken, Instance, PointOdj, Presence
from communes.models import Collectivite
from decisions import services as decisions
from tests.codir.conftest import paris
from tests.mailtools import invitation_of

pytestmark = pytest.mark.django_db


def test_a_cancelled_meeting_is_announced_with_method_cancel(reunion, dgs_epci):
    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    mail.outbox.clear()
    with pytest.raises(ValidationError, match="pourquoi"):
        services.reunion_cancel(reunion=reunion, by=dgs_epci, reason=" ")
    services.reunion_cancel(reunion=reunion, by=dgs_epci, reason="Bureau communautaire reporté.")
    dispatch.send_pending()
    calendar = invitation_of(mail.outbox[0])
    assert calendar["method"] == "CANCEL" and str(calendar.events[0]["status"]) == "CANCELLED"
    assert int(calendar.events[0]["sequence"]) == 1 and "Annulée" in mail.outbox[0].subject


def test_moving_a_dispatched_meeting_sends_what_changed(reunion, dgs_epci):
    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    mail.outbox.clear()
    services.reunion_reschedule(
        reunion=reunion,
        by=dgs_epci,
        starts_at=paris(2026, 12, 15, 14),
        ends_at=paris(2026, 12, 15, 16),
        place="Mairie de Tiffauges",
    )
    dispatch.send_pending()
    message = mail.outbox[0]
    assert "Horaire : 15/12/2026 09:00 → 15/12/2026 14:00" in message.body and "Lieu :" in message.body
    assert invitation_of(message).events[0].decoded("dtstart") == paris(2026, 12, 15, 14)


def test_the_collective_answers_on_a_late_item_and_the_convener_orders_items(reunion, dgs_epci, dgs_commune):
    first = services.point_add(reunion=reunion, by=dgs_commune, title="Premier", now=paris(2026, 12, 1))
    second = services.point_add(reunion=reunion, by=dgs_commune, title="Second", now=paris(2026, 12, 1))
    services.point_move(point=second, by=dgs_epci, offset=-1)
    assert list(reunion.points.order_by("position").values_list("title", flat=True)) == ["Second", "Premier"]
    with pytest.raises(ValidationError, match="dans les délais"):
        services.point_late_consent(point=first, by=dgs_epci, accepted=True)
    dispatch.dispatch_due(now=dispatch.dispatch_deadline(reunion))
    late = services.point_add(reunion=reunion, by=dgs_commune, title="Tardif", now=paris(2026, 12, 14))
    assert services.point_late_consent(point=late, by=dgs_epci, accepted=False).late_consent == "refuse"


def test_attendance_is_recorded_per_collectivite(reunion, mortagne, dgs_epci, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: paris(2026, 12, 15, 9, 5))
    mallievre = Collectivite.objects.get(territoire=mortagne, name="Mallièvre")
    tiffauges = Collectivite.objects.get(territoire=mortagne, name="Tiffauges")
    with pytest.raises(ValidationError, match="Indiquez qui représente Tiffauges"):
        services.presence_record(reunion=reunion, by=dgs_epci, statuses={tiffauges.pk: ("represente", "")})
    services.presence_record(
        reunion=reunion,
        by=dgs_epci,
        statuses={mallievre.pk: ("present", ""), tiffauges.pk: ("represente", "Marc Girard (La Gaubretière)")},
    )
    assert dict(Presence.objects.values_list("collectivite__name", "status")) == {
        "Mallièvre": "present",
        "Tiffauges": "represente",
    }
    services.presence_record(reunion=reunion, by=dgs_epci, statuses={mallievre.pk: ("excuse", "")})
    assert Presence.objects.get(collectivite=mallievre).status == "excuse" and Presence.objects.count() == 2


def test_attendance_is_not_recorded_days_before(reunion, mortagne, dgs_epci):
    with pytest.raises(ValidationError, match="le jour de la réunion"):
        services.presence_record(reunion=reunion, by=dgs_epci, statuses={})


def test_minutes_have_a_deadline_from_the_charter(reunion, dgs_commune, monkeypatch):
    assert services.minutes_deadline(reunion) == paris(2026, 12, 30, 11)  # 15 days after the end
    monkeypatch.setattr(timezone, "now", lambda: paris(2026, 12, 16, 10))
    with pytest.raises(ValidationError, match="vide"):
        services.minutes_save(reunion=reunion, by=dgs_commune, text="", publish=True)
    services.minutes_save(
        reunion=reunion, by=dgs_commune, text="## Décisions\r\n\r\n- ADS : avis favorable", publish=True
    )
    reunion.refresh_from_db()
    assert (
        reunion.minutes_published_at == paris(2026, 12, 16, 10)
        and "<li>ADS : avis favorable</li>" in reunion.minutes_html
    )


def test_a_technical_opinion_goes_to_the_convener_and_is_compared_with_the_deliberation(
    mortagne, dgs_epci, dgs_commune, voices, django_capture_on_commit_callbacks
):
    bureau = services.instance_create(
        territoire=mortagne, by=dgs_epci, kind="conseil", starts_at=timezone.now() + timedelta(days=12),
        convener_email="assemblees@paysdemortagne.test",
    )  # fmt: skip
    reunion = services.reunion_create(
        territoire=mortagne, by=dgs_epci, title="CoDir", starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, hours=2), instance=bureau,
    )  # fmt: skip
    point = services.point_add(
        reunion=reunion, by=dgs_commune, title="Convention ADS", instance_item="Point 4 : service commun ADS"
    )
    proposition = avis.avis_open(point=point, by=dgs_epci, closes_at=timezone.now() + timedelta(days=2))
    assert proposition.kind == "avis_technique" and "Point 4 : service commun ADS" in proposition.body
    with pytest.raises(ValidationError, match="pas encore rendu"):
        avis.avis_send(point=point, by=dgs_epci)
    for agent in voices:
        decisions.position_express(proposition=proposition, agent=agent, choice="pour")
    decisions.proposition_close(proposition=proposition, by=dgs_epci)
    mail.outbox.clear()
    avis.avis_send(point=point, by=dgs_epci)
    message = mail.outbox[0]
    assert message.to == ["assemblees@paysdemortagne.test"] and "Avis du CoDir de territoire" in message.subject
    assert "Favorable" in message.body and "Favorable" in message.alternatives[0][0]
    with pytest.raises(ValidationError, match="précéder"):
        avis.deliberation_record(point=point, by=dgs_epci, date=date(2020, 1, 1), number="1", outcome="rejetee")
    avis.deliberation_record(
        point=point, by=dgs_epci, date=timezone.localdate() + timedelta(days=12), number="2026-117", outcome="rejetee"
    )
    assert avis.avis_differs(PointOdj.objects.select_related("deliberation", "proposition").get(pk=point.pk))
    avis.deliberation_record(
        point=point, by=dgs_epci, date=timezone.localdate() + timedelta(days=12), number="2026-117", outcome="adoptee"
    )
    assert not avis.avis_differs(PointOdj.objects.select_related("deliberation", "proposition").get(pk=point.pk))


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Mairie//Assemblees//FR
BEGIN:VEVENT
UID:conseil-2027-01@paysdemortagne.test
DTSTART;TZID=Europe/Paris:20270126T190000
SUMMARY:Conseil communautaire
LOCATION:Salle du conseil
END:VEVENT
BEGIN:VEVENT
UID:bureau-2027-01@paysdemortagne.test
DTSTART:20270119T170000Z
SUMMARY:Bureau communautaire
END:VEVENT
END:VCALENDAR
"""


def test_instances_are_imported_from_ics_idempotently(mortagne, dgs_epci):
    assert services.instances_import_ics(territoire=mortagne, by=dgs_epci, content=ICS) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert services.instances_import_ics(territoire=mortagne, by=dgs_epci, content=ICS) == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    conseil = Instance.objects.get(uid="conseil-2027-01@paysdemortagne.test")
    assert (conseil.kind, conseil.starts_at, conseil.place) == ("conseil", paris(2027, 1, 26, 19), "Salle du conseil")
    cancelled = ICS.replace(b"SUMMARY:Conseil communautaire", b"SUMMARY:Conseil communautaire\nSTATUS:CANCELLED")
    assert services.instances_import_ics(territoire=mortagne, by=dgs_epci, content=cancelled)["updated"] == 1
    conseil.refresh_from_db()
    assert conseil.cancelled and conseil.sequence == 1
    with pytest.raises(ValidationError, match="lisible"):
        services.instances_import_ics(territoire=mortagne, by=dgs_epci, content=b"pas un calendrier")


def test_the_private_feed_lists_my_territories_only_and_can_be_revoked(
    reunion, mortagne, achards, dgs_commune, outsider, client
):
    token = feeds.calendar_token_renew(agent=dgs_commune)
    url = reverse("calendar_feed", args=[token.token])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert [str(e["uid"]) for e in calendar.events] == [reunion.uid]
    assert (
        str(calendar["x-wr-calname"]).startswith("CoDir de territoire")
        and calendar.timezones[0]["tzid"] == "Europe/Paris"
    )
    assert calendar.events[0].decoded("dtstart") == paris(2026, 12, 15, 9)
    other = Calendar.from_ical(
        client.get(reverse("calendar_feed", args=[feeds.calendar_token_renew(agent=outsider).token])).content
    )
    assert other.events == []
    renewed = feeds.calendar_token_renew(agent=dgs_commune)
    assert (
        client.get(url).status_code == 404
        and client.get(reverse("calendar_feed", args=[renewed.token])).status_code == 200
    )
    feeds.calendar_token_revoke(agent=dgs_commune)
    assert client.get(reverse("calendar_feed", args=[renewed.token])).status_code == 404
    assert CalendarToken.objects.filter(agent=dgs_commune, revoked_at__isnull=True).count() == 0


def test_the_calendar_link_page_creates_and_revokes_my_link(dgs_commune, client_for):
    client = client_for(dgs_commune)
    client.post(reverse("calendar_link"), {"action": "renouveler"})
    page = client.get(reverse("calendar_link")).content.decode()
    token = CalendarToken.objects.get(agent=dgs_commune, revoked_at__isnull=True).token
    assert f"/calendrier/{token}.ics" in page
    client.post(reverse("calendar_link"), {"action": "revoquer"})
    assert not CalendarToken.objects.filter(agent=dgs_commune, revoked_at__isnull=True).exists()


def assert_rfc5545(calendar: Calendar):
    """The properties RFC 5545 requires, and the time zone every local time refers to."""
    assert str(calendar["version"]) == "2.0" and str(calendar["prodid"])
    tzids = {str(tz["tzid"]) for tz in calendar.timezones}
    for event in calendar.events:
        for required in ("uid", "dtstamp", "dtstart"):
            assert required in event, required
        assert event["dtstart"].params.get("TZID") in tzids
        assert event.decoded("dtend") > event.decoded("dtstart")
    # The time zone is bounded: it covers the events, not the whole history of Europe/Paris.
    for timezone_component in calendar.timezones:
        assert len(timezone_component.subcomponents) < 40


def test_the_feed_and_the_invitation_are_valid_icalendar(reunion, dgs_commune, client):
    dispatch.codir_sweep(now=dispatch.dispatch_deadline(reunion))
    assert_rfc5545(invitation_of(mail.outbox[0]))
    token = feeds.calendar_token_renew(agent=dgs_commune)
    assert_rfc5545(Calendar.from_ical(client.get(reverse("calendar_feed", args=[token.token])).content))


def test_a_broken_or_repetitive_ics_file_does_not_break_the_import(mortagne, dgs_epci):
    content = (
        b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//x//FR
BEGIN:VEVENT
UID:serie@x
DTSTART:20270105T170000Z
SUMMARY:Bureau communautaire
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:serie@x
RECURRENCE-ID:20270112T170000Z
DTSTART:20270112T180000Z
SUMMARY:Bureau communautaire (avance)
END:VEVENT
BEGIN:VEVENT
UID:casse@x
DTSTART:n-importe-quoi
SUMMARY:Conseil
END:VEVENT
BEGIN:VEVENT
UID:"""
        + b"u" * 300
        + b"""
DTSTART:20270105T170000Z
SUMMARY:Trop long
END:VEVENT
END:VCALENDAR
"""
    )
    for _ in range(3):
        services.instances_import_ics(territoire=mortagne, by=dgs_epci, content=content)
    assert list(Instance.objects.values_list("uid", "sequence")) == [("serie@x", 0)]
