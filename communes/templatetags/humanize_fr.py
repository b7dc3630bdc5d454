from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def nombre(value: int | None) -> str:
    """A number with the active locale's thousands separator (6 065 in French)."""
    if value is None:
        return ""
    return number_format(value, force_grouping=True)
