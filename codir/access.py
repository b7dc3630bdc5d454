"""Who may do what with instances and CoDir meetings."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from codir.models import Document, Instance, PointOdj, Reunion
from communes.access import TerritoireAccess, require_admin


def require_convener(access: TerritoireAccess) -> None:
    """Entering the instance calendar and planning meetings is for the territory's administrators."""
    require_admin(access)


def require_contributor(access: TerritoireAccess) -> None:
    if not access.can_contribute:
        raise PermissionDenied


def access_instance(access: TerritoireAccess, instance_id: int) -> Instance:
    return get_object_or_404(Instance.objects.for_territoire(access.territoire), pk=instance_id)


def access_reunion(access: TerritoireAccess, reunion_id: int) -> Reunion:
    return get_object_or_404(
        Reunion.objects.for_territoire(access.territoire).select_related(
            "territoire", "host", "animateur", "instance", "created_by"
        ),
        pk=reunion_id,
    )


def access_document(access: TerritoireAccess, document_id: int) -> Document:
    """Documents are the territory's: served through this check, never from a public folder."""
    return get_object_or_404(Document.objects.filter(point__reunion__territoire=access.territoire), pk=document_id)


def access_point(reunion: Reunion, point_id: int) -> PointOdj:
    return get_object_or_404(reunion.points.select_related("proposition", "reunion__instance"), pk=point_id)


def can_animate(access: TerritoireAccess, reunion: Reunion) -> bool:
    """The meeting's animateur or an administrator runs the meeting: attendance, minutes, late items."""
    return access.can_contribute and (access.is_admin or reunion.animateur_id == access.agent.pk)


def require_animation(access: TerritoireAccess, reunion: Reunion) -> None:
    if not can_animate(access, reunion):
        raise PermissionDenied
