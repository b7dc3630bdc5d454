"""Readable word-level differences between two texts, and between two versions of the charter."""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from charte.models import Regles, Version
from communes.text import clean_text

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff_html(old: str, new: str) -> SafeString:
    """HTML of `new` against `old`: removed words in <del>, added words in <ins>, all escaped.

    Screen readers are told where a change starts and ends, since strike-through is not read out.
    """
    before, after = _TOKENS.findall(clean_text(old)), _TOKENS.findall(clean_text(new))
    removed_label, added_label, end_label = _("[supprimé : "), _("[ajouté : "), "]"
    parts = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            parts.append(escape("".join(before[i1:i2])))
            continue
        if operation in ("delete", "replace"):
            parts.append(
                f'<del><span class="visually-hidden">{escape(removed_label)}</span>{escape("".join(before[i1:i2]))}'
                f'<span class="visually-hidden">{end_label}</span></del>'
            )
        if operation in ("insert", "replace"):
            parts.append(
                f'<ins><span class="visually-hidden">{escape(added_label)}</span>{escape("".join(after[j1:j2]))}'
                f'<span class="visually-hidden">{end_label}</span></ins>'
            )
    return mark_safe("".join(parts))  # every piece above is escaped


@dataclass
class SectionChange:
    key: str
    title: str
    change: str  # "ajoutee", "supprimee", "modifiee", "identique"
    title_diff: SafeString
    body_diff: SafeString


@dataclass
class RuleChange:
    name: str
    label: str
    before: object
    after: object


def version_diff(old: Version, new: Version) -> tuple[list[SectionChange], list[RuleChange]]:
    """Sections matched by key (in the new version's order, removed ones last), and changed rules."""
    old_sections = {s.key: s for s in old.sections.all()}
    new_sections = {s.key: s for s in new.sections.all()}
    changes = []
    for key, section in new_sections.items():
        previous = old_sections.get(key)
        if previous is None:
            changes.append(
                SectionChange(
                    key, section.title, "ajoutee", word_diff_html("", section.title), word_diff_html("", section.body)
                )
            )
        else:
            same = (previous.title, previous.body) == (section.title, section.body)
            changes.append(
                SectionChange(
                    key,
                    section.title,
                    "identique" if same else "modifiee",
                    word_diff_html(previous.title, section.title),
                    word_diff_html(previous.body, section.body),
                )
            )
    for key, section in old_sections.items():
        if key not in new_sections:
            changes.append(
                SectionChange(
                    key, section.title, "supprimee", word_diff_html(section.title, ""), word_diff_html(section.body, "")
                )
            )
    rules = []
    old_rules, new_rules = old.regles.as_dict(), new.regles.as_dict()
    for name in Regles.NAMES:
        if old_rules[name] != new_rules[name]:
            rules.append(
                RuleChange(name, str(Regles._meta.get_field(name).verbose_name), old_rules[name], new_rules[name])
            )
    return changes, rules
