class ReferenceConverter:
    """A request reference such as CSD-12; anything else never reaches a view (404)."""

    regex = r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value
