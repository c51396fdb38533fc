"""``status_pages:`` in ``plantao.yaml``: the status pages, their branding and their components.

``public`` is the page at ``/status``; any other page lives at ``/status/<slug>`` or on its own
``host``. A page without ``components`` keeps the ones it has (the ``public`` page's default
is one component per service); ``components: []`` declares a page with none.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plantao.configfile.located import LocatedError
from plantao.statuspage import page_rules


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FooterLinkSpec(_Strict):
    label: str = Field(min_length=1, max_length=100)
    url: str = Field(max_length=2048)

    _url = field_validator("url")(page_rules.web_url)


class ColorsSpec(_Strict):
    brand: str | None = None
    text: str | None = None
    background: str | None = None

    @field_validator("brand", "text", "background")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        return None if value is None else page_rules.color(value)


class BrandingSpec(_Strict):
    logo_url: str | None = Field(default=None, max_length=2048)
    colors: ColorsSpec = Field(default_factory=ColorsSpec)
    footer_links: list[FooterLinkSpec] = Field(default_factory=list, max_length=20)

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        return None if value is None else page_rules.web_url(value)

    def stored(self) -> dict[str, Any]:
        """The ``status_pages.branding`` JSON (only what is set)."""
        out: dict[str, Any] = {}
        if self.logo_url:
            out["logo_url"] = self.logo_url
        colors = self.colors.model_dump(exclude_none=True)
        if colors:
            out["colors"] = colors
        if self.footer_links:
            out["footer_links"] = [link.model_dump() for link in self.footer_links]
        return out


class ComponentSpec(_Strict):
    slug: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    group: str | None = Field(default=None, min_length=1, max_length=200)
    #: Display order (lower first); the list's order breaks ties and stands in when absent.
    order: int | None = None
    services: list[str] = Field(default_factory=list)

    _slug = field_validator("slug")(page_rules.component_slug)


class StatusPageSpec(_Strict):
    slug: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    audience: Literal["public", "internal"] = "public"
    host: str | None = Field(default=None, max_length=253)
    language: Literal["en", "pt-BR"] = "en"
    branding: BrandingSpec = Field(default_factory=BrandingSpec)
    components: list[ComponentSpec] | None = None

    _slug = field_validator("slug")(page_rules.page_slug)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        return None if value is None else page_rules.host(value)

    @field_validator("components")
    @classmethod
    def _unique(cls, values: list[ComponentSpec] | None) -> list[ComponentSpec] | None:
        seen: set[str] = set()
        for index, component in enumerate(values or []):
            if component.slug in seen:
                raise LocatedError(f"[{index}].slug", f"duplicate '{component.slug}'")
            seen.add(component.slug)
        return values


def status_references(config: Any) -> list[str]:
    """Pages once each (slug and host); components name the file's services when it has them
    (otherwise they are checked against the stored ones when applied)."""
    problems: list[str] = []
    services = None if config.services is None else {s.slug for s in config.services}
    slugs: set[str] = set()
    hosts: set[str] = set()
    for index, page in enumerate(config.status_pages or []):
        where = f"status_pages[{index}]"
        if page.slug in slugs:
            problems.append(f"{where}.slug: duplicate '{page.slug}'")
        slugs.add(page.slug)
        if page.host and page.host in hosts:
            problems.append(f"{where}.host: '{page.host}' is used by another page")
        if page.host:
            hosts.add(page.host)
        for c_index, component in enumerate(page.components or []):
            for s_index, service in enumerate(component.services):
                if services is not None and service not in services:
                    problems.append(
                        f"{where}.components[{c_index}].services[{s_index}]: "
                        f"unknown service '{service}'"
                    )
    return problems
