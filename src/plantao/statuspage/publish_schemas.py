"""Publishing on the status page at the edge: the API's bodies and answers, validated once.
The rules that need the database (is the component on this page? is it already published?)
live in :mod:`plantao.statuspage.publishing`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

TITLE_MAX = 300
BODY_MAX = 10_000

ComponentStatus = Literal[
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
]
PublicStatus = Literal["investigating", "identified", "monitoring", "resolved"]
ComponentRef = Annotated[str, Field(min_length=1, max_length=200)]
PageSlug = Annotated[str, Field(min_length=1, max_length=64)]


class PublishIn(BaseModel):
    """Publish the incident: the public title and text (never the internal ones), and the
    affected components (slug or name) with the status each shows while it is open."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    components: dict[ComponentRef, ComponentStatus] = Field(default_factory=dict, max_length=100)
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    page: PageSlug | None = Field(default=None, description="default: the public page")


class UpdateIn(BaseModel):
    """A later public update; ``resolved`` ends it and restores its components (component
    changes given with a resolution are ignored)."""

    model_config = ConfigDict(extra="forbid")
    status: PublicStatus
    body: str = Field(min_length=1, max_length=BODY_MAX)
    components: dict[ComponentRef, ComponentStatus] | None = Field(default=None, max_length=100)


class DismissIn(BaseModel):
    """Do not publish this incident on ``page`` (default: the public page)."""

    model_config = ConfigDict(extra="forbid")
    page: PageSlug | None = None


class PublicUpdateOut(BaseModel):
    id: int
    status: PublicStatus
    body: str
    #: Component statuses set with this update (slug → status).
    components: dict[str, str]
    created_by: str
    created_at: datetime


class PublishedOut(BaseModel):
    """A publication or update as the API answers it: ``id`` is the public update's,
    ``incident`` the public incident's."""

    id: int
    incident: int
    page: str
    title: str
    status: PublicStatus
    impact: str
    #: The affected components and the status each shows while it is open (slug → status).
    components: dict[str, str]
    body: str
    url: str
    created_at: datetime
    resolved_at: datetime | None


class PublicIncidentOut(BaseModel):
    id: int
    page: str
    #: The internal incident (``INC-…``) it was published from, when there still is one.
    incident_ref: str | None
    title: str
    status: PublicStatus
    impact: str
    components: dict[str, str]
    url: str
    published_by: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    #: Oldest first.
    updates: list[PublicUpdateOut]


class PublicIncidentList(BaseModel):
    items: list[PublicIncidentOut]


class FedComponentOut(BaseModel):
    slug: str
    name: str
    status: str


class ProposalOut(BaseModel):
    """Publish on this page: ``urgency`` is ``at_once`` (Sev1), ``if_customers_affected``
    (Sev2) or ``optional``."""

    page: str
    page_name: str
    urgency: str
    at_once: bool
    components: list[FedComponentOut]


class PublicationOut(BaseModel):
    """The incident on the status pages: what is proposed and what is published."""

    incident: str
    proposals: list[ProposalOut]
    published: list[PublicIncidentOut]


class DismissedOut(BaseModel):
    incident: str
    page: str
    dismissed: bool = True
