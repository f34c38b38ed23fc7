"""An HTML page as a browser's parser reads it: its tags, their attributes and its text (the HTML
report's tests read what stackdoctor wrote and what Chromium built with it)."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """The page as a browser's parser reads it: its tags, attributes and text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())
