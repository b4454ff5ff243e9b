"""Pages without a total: fetch one row more than shown to know whether a next page exists, so a
list costs the same at any size (no COUNT over the whole table)."""

from dataclasses import dataclass


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def page_of(queryset, *, number, size: int = 25, max_page: int = 400) -> Page:
    try:
        number = min(max(int(number), 1), max_page)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(items=rows[:size], number=number, has_next=len(rows) > size)
