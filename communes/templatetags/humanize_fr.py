from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def nombre(value: int | None) -> str:
    """A number with the active locale's thousands separator (6 065 in French)."""
    if value is None:
        return ""
    return number_format(value, force_grouping=True)


@register.filter
def timesince_delta(value) -> str:
    """A duration as people say it: "2 h 05", "3 j 4 h"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} j {hours} h"
    return f"{hours} h {minutes:02d}"
