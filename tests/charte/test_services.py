import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from charte import selectors, services
from charte.models import Amendement, Regles, Section, Version
from charte.starter import STARTER_SECTIONS
from decisions import services as decisions
from tests.charte.conftest import adopt

pytestmark = pytest.mark.django_db


def test_a_territory_starts_from_the_starter_charter_as_a_draft(mortagne, dgs_epci):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    assert (draft.number, draft.status) == (1, "brouillon")
    assert [s.key for s in draft.sections.order_by("position")] == [key for key, _t, _b in STARTER_SECTIONS]
    assert draft.sections.count() == 10 and "<strong>" in draft.sections.get(key="objet-et-valeurs").body_html
    assert draft.regles.delai_prevenance_heures == 48
    with pytest.raises(ValidationError, match="déjà sa charte"):
        services.charte_start(territoire=mortagne, by=dgs_epci)


def test_rules_in_force_are_the_defaults_before_adoption_then_those_adopted(mortagne, dgs_epci, voices, in_three_days):
    assert selectors.rules_in_force(mortagne).delai_prevenance_heures == 48
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    services.regles_save(version=draft, by=dgs_epci, delai_prevenance_heures=72, mode_decision="majorite")
    assert selectors.rules_in_force(mortagne).delai_prevenance_heures == 48  # a draft is not in force
    proposition = services.draft_submit(version=draft, by=dgs_epci, closes_at=in_three_days)
    assert proposition.kind == "charte" and proposition.mode == "consentement"  # decided under the rules in force
    before = timezone.now()
    adopt(proposition, voices, dgs_epci)
    draft.refresh_from_db()
    assert draft.status == "adoptee" and draft.adopted_at >= before
    assert selectors.rules_in_force(mortagne).delai_prevenance_heures == 72
    assert selectors.rules_in_force(mortagne, at=before - timedelta(seconds=1)).delai_prevenance_heures == 48
    # New decisions now default to the charter's mode.
    assert decisions.proposition_create(territoire=mortagne, author=dgs_epci, title="T", body="B").mode == "majorite"


def test_a_draft_not_adopted_goes_back_to_its_writers(mortagne, dgs_epci, dgs_commune, in_three_days):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    proposition = services.draft_submit(version=draft, by=dgs_epci, closes_at=in_three_days)
    decisions.proposition_close(proposition=proposition, by=dgs_epci)  # nobody spoke: no quorum
    draft.refresh_from_db()
    assert draft.status == "brouillon" and draft.adopted_at is None


def test_an_adopted_version_is_immutable(charte_in_force, dgs_epci):
    version = charte_in_force.versions.get(status="adoptee")
    section = version.sections.first()
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.section_save(section=section, by=dgs_epci, title="X", body="Y", based_on_revision=section.revision)
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.regles_save(version=version, by=dgs_epci, delai_prevenance_heures=96)
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.section_add(version=version, by=dgs_epci, title="Nouvelle", body="")
    assert Section.objects.get(pk=section.pk).body == section.body


def test_a_new_draft_copies_the_version_in_force_and_only_one_draft_at_a_time(charte_in_force, dgs_epci):
    draft = services.draft_start(charte=charte_in_force, by=dgs_epci)
    in_force = charte_in_force.versions.get(status="adoptee")
    assert draft.number == 2 and draft.based_on == in_force
    assert list(draft.sections.values_list("key", "body")) == list(in_force.sections.values_list("key", "body"))
    with pytest.raises(ValidationError, match="déjà en cours"):
        services.draft_start(charte=charte_in_force, by=dgs_epci)
    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.create(charte=charte_in_force, number=9, status="brouillon")


def test_rules_are_validated_with_french_messages(mortagne, dgs_epci):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    with pytest.raises(ValidationError) as error:
        services.regles_save(version=draft, by=dgs_epci, delai_prevenance_heures=12, quorum_pourcent=120)
    assert "supérieure ou égale à 24" in str(error.value.message_dict["delai_prevenance_heures"])
    assert "inférieure ou égale à 100" in str(error.value.message_dict["quorum_pourcent"])
    assert Regles.objects.get(version=draft).delai_prevenance_heures == 48


def test_a_stale_save_is_refused_with_the_other_persons_text(mortagne, dgs_epci, dgs_commune):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    section = draft.sections.get(key="reunions")
    read = section.revision
    services.section_save(
        section=section, by=dgs_epci, title=section.title, body="Texte de Claire", based_on_revision=read
    )
    with pytest.raises(services.StaleSectionError) as error:
        services.section_save(
            section=section, by=dgs_commune, title=section.title, body="Texte de Sophie", based_on_revision=read
        )
    assert error.value.current.body == "Texte de Claire" and "Claire Bernard" in error.value.messages[0]
    assert Section.objects.get(pk=section.pk).body == "Texte de Claire"


def test_a_section_amendment_adopted_makes_a_new_version_in_force(
    charte_in_force, dgs_epci, dgs_commune, voices, in_three_days
):
    in_force = charte_in_force.versions.get(status="adoptee")
    amendement = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="section",
        section_key="reunions",
        text="Le CoDir se réunit **le jeudi** avant chaque bureau.",
        motive="Le mardi ne convient pas aux secrétaires de mairie.",
        closes_at=in_three_days,
    )
    assert amendement.proposition.is_open and amendement.proposition.kind == "charte"
    adopt(amendement.proposition, voices, dgs_commune)
    amendement.refresh_from_db()
    assert amendement.status == "adopte" and amendement.result_version.number == 2
    new = amendement.result_version
    assert new.status == "adoptee" and Version.objects.get(pk=in_force.pk).status == "remplacee"
    assert new.sections.get(key="reunions").body.startswith("Le CoDir se réunit **le jeudi**")
    assert Section.objects.get(version=in_force, key="reunions").body != new.sections.get(key="reunions").body


def test_a_rule_amendment_changes_the_rules_in_force_from_its_adoption(
    charte_in_force, mortagne, dgs_commune, voices, in_three_days
):
    with pytest.raises(ValidationError) as error:
        services.amendement_propose(
            charte=charte_in_force,
            by=dgs_commune,
            kind="regle",
            rule_name="delai_prevenance_heures",
            rule_value=400,
            motive="x",
            closes_at=in_three_days,
        )
    assert "rule_value" in error.value.message_dict
    amendement = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="regle",
        rule_name="delai_prevenance_heures",
        rule_value="72",
        motive="48 heures ne suffisent pas pour lire les dossiers du bureau.",
        closes_at=in_three_days,
    )
    before = timezone.now()
    adopt(amendement.proposition, voices, dgs_commune)
    assert selectors.rules_in_force(mortagne).delai_prevenance_heures == 72
    assert selectors.rules_in_force(mortagne, at=before).delai_prevenance_heures == 48


def test_two_amendments_on_one_section_never_overwrite_each_other(
    charte_in_force, dgs_epci, dgs_commune, sg_petite_commune, voices, in_three_days
):
    first = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="section",
        section_key="reunions",
        text="Version de Sophie",
        motive="a",
        closes_at=in_three_days,
    )
    second = services.amendement_propose(
        charte=charte_in_force,
        by=sg_petite_commune,
        kind="section",
        section_key="reunions",
        text="Version d'Élodie",
        motive="b",
        closes_at=in_three_days,
    )
    adopt(first.proposition, voices, dgs_commune)
    adopt(second.proposition, voices, sg_petite_commune)
    second.refresh_from_db()
    assert second.status == "a_rebaser" and second.result_version is None
    in_force = charte_in_force.versions.get(status="adoptee")
    assert in_force.sections.get(key="reunions").body == "Version de Sophie"
    rebased = services.amendement_rebase(
        amendement=second, by=sg_petite_commune, text="Version de Sophie, complétée par Élodie", closes_at=in_three_days
    )
    assert rebased.base_text == "Version de Sophie" and rebased.proposition.is_open
    adopt(rebased.proposition, voices, sg_petite_commune)
    rebased.refresh_from_db()
    assert rebased.status == "adopte"
    assert (
        charte_in_force.versions.get(status="adoptee").sections.get(key="reunions").body
        == "Version de Sophie, complétée par Élodie"
    )


def test_a_new_section_amendment_adds_a_section_at_the_end(charte_in_force, dgs_commune, voices, in_three_days):
    amendement = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="nouvelle_section",
        title="Vis ma vie",
        text="Deux journées par an.",
        motive="Mieux se connaître.",
        closes_at=in_three_days,
    )
    adopt(amendement.proposition, voices, dgs_commune)
    version = charte_in_force.versions.get(status="adoptee")
    last = version.sections.order_by("position").last()
    assert (last.key, last.title) == ("vis-ma-vie", "Vis ma vie")


def test_a_rejected_or_withdrawn_amendment_changes_nothing(charte_in_force, dgs_commune, in_three_days):
    amendement = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="section",
        section_key="reunions",
        text="Autre",
        motive="m",
        closes_at=in_three_days,
    )
    decisions.proposition_withdraw(proposition=amendement.proposition, by=dgs_commune, reason="Mal rédigé.")
    amendement.refresh_from_db()
    assert amendement.status == "retire" and charte_in_force.versions.count() == 1


def test_titulaires_sign_once_and_councils_ratify(charte_in_force, mortagne, dgs_commune, suppleant_commune, referent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from communes.models import Collectivite

    version = charte_in_force.versions.get(status="adoptee")
    services.version_sign(version=version, by=dgs_commune)
    with pytest.raises(ValidationError, match="déjà signé"):
        services.version_sign(version=version, by=dgs_commune)
    for agent in (suppleant_commune, referent):
        with pytest.raises(ValidationError, match="titulaire"):
            services.version_sign(version=version, by=agent)
    mortagne_sevre = Collectivite.objects.get(name="Mortagne-sur-Sèvre")
    with pytest.raises(ValidationError) as error:
        services.ratification_record(
            version=version,
            collectivite=mortagne_sevre,
            by=dgs_commune,
            deliberation_date=timezone.localdate(),
            deliberation_number="2026-118",
            document=SimpleUploadedFile("d.pdf", b"<script>", content_type="application/pdf"),
        )
    assert "PDF" in str(error.value)
    ratification = services.ratification_record(
        version=version,
        collectivite=mortagne_sevre,
        by=suppleant_commune,
        deliberation_date=timezone.localdate(),
        deliberation_number="2026-118",
        document=SimpleUploadedFile("d.pdf", b"%PDF-1.4 ...", content_type="application/pdf"),
    )
    rows = {row.collectivite.name: row for row in selectors.ratification_table(mortagne, version)}
    assert rows["Mortagne-sur-Sèvre"].signature.signed_by == dgs_commune
    assert rows["Mortagne-sur-Sèvre"].ratification == ratification
    assert rows["Tiffauges"].signature is None and rows["Tiffauges"].ratification is None


@pytest.mark.django_db(transaction=True)
def test_of_several_writers_saving_from_the_same_text_exactly_one_wins(mortagne, dgs_epci):
    """Parallel stale saves: real concurrent transactions (threads, one connection each)."""
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    section = draft.sections.get(key="reunions")
    read_revision = section.revision
    writers = 6
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def write(index: int):
        try:
            barrier.wait()
            services.section_save(
                section=section,
                by=dgs_epci,
                title=section.title,
                body=f"Texte {index}",
                based_on_revision=read_revision,
            )
            outcomes.append("saved")
        except services.StaleSectionError:
            outcomes.append("stale")
        except Exception as error:  # SQLite may refuse a concurrent writer outright: that is a refusal too
            outcomes.append(f"refused: {type(error).__name__}")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("saved") == 1, outcomes
    stored = Section.objects.get(pk=section.pk)
    assert stored.revision == read_revision + 1 and stored.body.startswith("Texte ")
    if connection.vendor == "postgresql":
        assert outcomes.count("stale") == writers - 1, outcomes


def test_the_amendment_kinds_are_checked(charte_in_force, dgs_commune, in_three_days):
    with pytest.raises(ValidationError):
        services.amendement_propose(
            charte=charte_in_force,
            by=dgs_commune,
            kind="section",
            section_key="inexistante",
            text="x",
            motive="m",
            closes_at=in_three_days,
        )
    with pytest.raises(ValidationError, match="pourquoi"):
        services.amendement_propose(
            charte=charte_in_force,
            by=dgs_commune,
            kind="section",
            section_key="reunions",
            text="x",
            motive=" ",
            closes_at=in_three_days,
        )
    assert not Amendement.objects.exists()


def test_decisions_closed_out_of_order_never_put_older_rules_back_in_force(
    charte_in_force, mortagne, dgs_commune, voices
):
    now = timezone.now()
    notice = services.amendement_propose(
        charte=charte_in_force, by=dgs_commune, kind="regle", rule_name="delai_prevenance_heures", rule_value=72,
        motive="a", closes_at=now + timedelta(hours=2),
    )  # fmt: skip
    quorum = services.amendement_propose(
        charte=charte_in_force, by=dgs_commune, kind="regle", rule_name="quorum_pourcent", rule_value=60,
        motive="b", closes_at=now + timedelta(hours=3),
    )  # fmt: skip
    for proposition in (notice.proposition, quorum.proposition):
        for agent in voices:
            decisions.position_express(proposition=proposition, agent=agent, choice="pour")
    decisions.decisions_sweep(now=now + timedelta(hours=4))
    rules = selectors.rules_in_force(mortagne, now + timedelta(hours=4))
    assert (rules.delai_prevenance_heures, rules.quorum_pourcent) == (72, 60)
    adopted = list(charte_in_force.versions.order_by("number").values_list("number", "adopted_at"))
    assert [at for _n, at in adopted] == sorted(at for _n, at in adopted)  # in force in the order of their numbers


def test_a_draft_started_before_an_adopted_amendment_cannot_be_submitted(
    charte_in_force, dgs_epci, dgs_commune, voices, in_three_days
):
    draft = services.draft_start(charte=charte_in_force, by=dgs_epci)
    amendement = services.amendement_propose(
        charte=charte_in_force, by=dgs_commune, kind="regle", rule_name="delai_prevenance_heures", rule_value=72,
        motive="m", closes_at=in_three_days,
    )  # fmt: skip
    adopt(amendement.proposition, voices, dgs_commune)
    with pytest.raises(ValidationError, match="a changé depuis le début de ce brouillon"):
        services.draft_submit(version=draft, by=dgs_epci, closes_at=in_three_days)


def test_an_objection_to_a_charter_change_is_not_answered_by_editing_the_proposition(
    charte_in_force, dgs_commune, sg_petite_commune, in_three_days
):
    amendement = services.amendement_propose(
        charte=charte_in_force, by=dgs_commune, kind="section", section_key="reunions", text="Nouveau", motive="m",
        closes_at=in_three_days,
    )  # fmt: skip
    objection = decisions.position_express(
        proposition=amendement.proposition, agent=sg_petite_commune, choice="objection", motive="Non"
    )
    with pytest.raises(ValidationError, match="reprenant l'amendement"):
        decisions.proposition_amend(
            proposition=amendement.proposition,
            by=dgs_commune,
            body="Autre",
            responses={objection.pk: "ok"},
            closes_at=in_three_days,
        )
