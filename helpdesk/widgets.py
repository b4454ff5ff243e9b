"""Form widgets whose markup is printed in Python: Django's templates render a select's every
option through two includes (~0.1 ms an option), and the agent's request page shows ~150."""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


def _string(value) -> str:
    """{{ value|stringformat:'s' }}: the text of the value, escaped unless it was safe."""
    text = str(value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_string(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    """forms.Select with the same markup as Django's select.html and select_option.html."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        if self.template_name != _SELECT or self.option_template_name != _OPTION:
            return super().render(name, value, attrs, renderer)  # a subclass with templates of its own
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{_string(option["value"])}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))
