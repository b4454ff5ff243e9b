from dataclasses import dataclass


@dataclass(frozen=True)
class SubmittedValues:
    """Cleaned input of a request type's form: summary, description, other fields by key, files."""

    summary: str
    description: str
    fields: dict
    files: dict  # field key -> list of uploaded files
