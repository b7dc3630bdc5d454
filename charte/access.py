"""Who may do what with the charter, answered once for pages and API."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from charte.models import Amendement, Charte, Ratification, Section, Version
from communes.access import TerritoireAccess, holds_permission, require_admin


def access_charte(access: TerritoireAccess) -> Charte:
    charte = Charte.objects.filter(territoire=access.territoire).first()
    if charte is None:
        raise Http404
    return charte


def require_writer(access: TerritoireAccess) -> None:
    """Members co-write the draft and propose amendments; observers and facilitators read."""
    if not access.can_contribute:
        raise PermissionDenied


def require_convener(access: TerritoireAccess) -> None:
    """Starting the charter or a new draft, and putting a draft to adoption, is for administrators."""
    require_admin(access)


def access_version(access: TerritoireAccess, number: int) -> Version:
    return get_object_or_404(Version.objects.for_territoire(access.territoire).select_related("regles"), number=number)


def access_draft_section(access: TerritoireAccess, section_id: int) -> Section:
    require_writer(access)
    return get_object_or_404(
        Section.objects.filter(version__charte__territoire=access.territoire).select_related("version", "updated_by"),
        pk=section_id,
    )


def access_amendement(access: TerritoireAccess, amendement_id: int, *, write: bool = False) -> Amendement:
    amendement = get_object_or_404(
        Amendement.objects.for_territoire(access.territoire).select_related("author", "proposition", "base_version"),
        pk=amendement_id,
    )
    if write and not (access.can_contribute and holds_permission(access.agent, "charte.change_amendement", amendement)):
        raise PermissionDenied
    return amendement


def access_ratification(access: TerritoireAccess, ratification_id: int) -> Ratification:
    """Deliberations are served through this check, never from a public folder."""
    return get_object_or_404(
        Ratification.objects.filter(version__charte__territoire=access.territoire), pk=ratification_id
    )
