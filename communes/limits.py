"""How long a typed text may be, in characters: the same bounds for the API and the forms.

The database's text columns take anything, so without a bound one request could store megabytes that every
page and export then carries. The bounds are generous for what is written here: a charter section, minutes
or a proposition are at most a few pages of Markdown; a motive, a follow-up note or what an exchange taught
is a few paragraphs.
"""

from django.db import models

MARKDOWN_MAX_LENGTH = 50_000  # a document in Markdown: about twenty printed pages
TEXT_MAX_LENGTH = 5_000  # a plain text of a few paragraphs


# Markdown sources stored without their HTML: an amendment's text becomes a section's body when adopted.
MARKDOWN_WITHOUT_HTML = {"charte.Amendement.text", "charte.Amendement.base_text"}


def text_max_length(model_field: models.TextField) -> int:
    """The bound of a model's TextField: a text rendered to HTML beside it (`<name>_html`) is Markdown."""
    names = {field.name for field in model_field.model._meta.get_fields()}
    markdown = f"{model_field.name}_html" in names or f"{model_field.model._meta.label}.{model_field.name}" in (
        MARKDOWN_WITHOUT_HTML
    )
    return MARKDOWN_MAX_LENGTH if markdown else TEXT_MAX_LENGTH


def bounded_formfield(model_field: models.Field, **kwargs):
    """A ModelForm's `formfield_callback`: a TextField gets the bound the API gives it (no bound in the model,
    whose column takes anything)."""
    if isinstance(model_field, models.TextField) and model_field.max_length is None:
        kwargs.setdefault("max_length", text_max_length(model_field))
    return model_field.formfield(**kwargs)
