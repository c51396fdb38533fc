"""The status page's entries on an incident's timeline in the reader's language: published,
updated, dismissed, and the Sev1 prompt. The public words themselves stay as written."""

from __future__ import annotations

from collections.abc import Mapping

KINDS = frozenset(
    {
        "status_page.published",
        "status_page.updated",
        "status_page.dismissed",
        "status_page.prompted",
    }
)


def describe(kind: str, data: Mapping[str, object], message: str, t: Mapping[str, str]) -> str:
    """The entry's sentence; the stored message when its data is not what this expects."""
    page = str(data.get("page", ""))
    if kind == "status_page.published" and "title" in data:
        return t["spp_tl_published"].format(
            page=page, title=data["title"], body=data.get("body", "")
        )
    if kind == "status_page.updated" and "status" in data:
        status = t.get(f"spp_st_{data['status']}", str(data["status"]))
        return t["spp_tl_updated"].format(page=page, status=status, body=data.get("body", ""))
    if kind == "status_page.dismissed":
        return t["spp_tl_dismissed"].format(page=page)
    if kind == "status_page.prompted" and "user" in data:
        return t["spp_tl_prompted"].format(who=data["user"])
    return message
