"""The responder's web UI: server-rendered pages, one module per area, one shared layout
(``plantao.web.rendering``). Forms carry a per-session CSRF token; nothing needs JavaScript to
work, and a small shipped script adds live updates."""

from __future__ import annotations

from fastapi import APIRouter

from plantao.web import (
    action_forms,
    action_pages,
    audit_pages,
    checklist_forms,
    declare_pages,
    delivery_pages,
    handoff_pages,
    inbox_pages,
    incident_list_pages,
    incident_oncall_forms,
    incident_pages,
    incident_runbook_forms,
    incident_visibility_forms,
    kpi_pages,
    login_pages,
    message_pages,
    oncall_pages,
    people_pages,
    postmortem_forms,
    postmortem_pages,
    responder_forms,
    review_pages,
    role_forms,
    routine_pages,
    runbook_pages,
    runbook_run_pages,
    schedule_pages,
    service_pages,
    settings_pages,
    shift_pages,
    silence_pages,
    sso_pages,
    stakeholder_pages,
    status_admin_pages,
    status_forms,
    status_subscriber_pages,
    template_admin_pages,
    token_pages,
    update_forms,
)

router = APIRouter(include_in_schema=False)
for module in (
    login_pages,
    sso_pages,
    incident_list_pages,
    declare_pages,  # before incident_pages: /incidents/new is no incident
    runbook_pages,
    delivery_pages,
    service_pages,
    inbox_pages,
    token_pages,
    stakeholder_pages,
    status_subscriber_pages,
    status_admin_pages,
    review_pages,
    kpi_pages,
    people_pages,
    audit_pages,
    settings_pages,
    template_admin_pages,
    oncall_pages,
    shift_pages,
    routine_pages,
    schedule_pages,
    handoff_pages,
    silence_pages,
    incident_runbook_forms,
    runbook_run_pages,
    incident_oncall_forms,
    responder_forms,
    message_pages,
    checklist_forms,  # before incident_pages: its /close outranks the catch-all
    role_forms,  # before incident_pages: its /roles outranks the catch-all
    update_forms,  # before incident_pages: its /status-updates outranks the catch-all
    incident_visibility_forms,  # before incident_pages: its /visibility outranks the catch-all
    postmortem_pages,
    postmortem_forms,  # before incident_pages: its /postmortem outranks the catch-all
    status_forms,  # before incident_pages: its /status-page/... outranks the catch-all
    action_pages,
    action_forms,
    incident_pages,  # last: its /incidents/{ref}/{action} form route is a catch-all
):
    router.include_router(module.router)
