"""The POST an admin change page sends when saved as it stands, to change a field or two."""


def _post_value(value):
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    return value


def _add(data: dict, form) -> None:
    for name in form.fields:
        value = _post_value(form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)


def admin_form_data(response) -> dict:
    """The main form and every inline formset of an admin change page, as the browser posts them."""
    data: dict = {}
    _add(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for form in formset.forms:
            if form.instance.pk:  # the extra, empty forms stay unsent
                _add(data, form)
    return data


def inline_prefix(response, model, **lookup) -> str:
    """The prefix of the inline form editing the row of `model` that matches `lookup`."""
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            instance = form.instance
            if isinstance(instance, model) and all(getattr(instance, k) == v for k, v in lookup.items()):
                return form.prefix
    raise LookupError(lookup)
