"""The public status page's words in English and Brazilian Portuguese, and its date format.

Kept here rather than under ``plantao.web.texts``: the engine renders the page into snapshots
(``statuspage.page_html``), and ``statuspage`` may not import ``web``. Keys carry the ``sp_``
prefix so they never clash with the web UI's. Pure: no database, no web framework.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

LANGUAGES = ("en", "pt-BR")

EN: dict[str, str] = {
    "sp_overall_operational": "All systems operational",
    "sp_overall_degraded_performance": "Degraded performance",
    "sp_overall_partial_outage": "Partial outage",
    "sp_overall_major_outage": "Major outage",
    "sp_overall_under_maintenance": "Under maintenance",
    "sp_status_operational": "Operational",
    "sp_status_degraded_performance": "Degraded performance",
    "sp_status_partial_outage": "Partial outage",
    "sp_status_major_outage": "Major outage",
    "sp_status_under_maintenance": "Under maintenance",
    "sp_incident_investigating": "Investigating",
    "sp_incident_identified": "Identified",
    "sp_incident_monitoring": "Monitoring",
    "sp_incident_resolved": "Resolved",
    "sp_maintenance_scheduled": "Scheduled",
    "sp_maintenance_in_progress": "In progress",
    "sp_maintenance_completed": "Completed",
    "sp_open_incidents": "Current incidents",
    "sp_components": "Components",
    "sp_other_components": "Other components",
    "sp_maintenance": "Scheduled maintenance",
    "sp_recent": "Past incidents",
    "sp_no_recent": "No incidents in the last 14 days.",
    "sp_no_history": "No resolved incidents yet.",
    "sp_history": "Incident history",
    "sp_history_link": "Incident history",
    "sp_subscribe": "Subscribe to updates",
    "sp_feed_atom": "Atom feed",
    "sp_feed_rss": "RSS feed",
    "sp_uptime": "{share} uptime",
    "sp_uptime_none": "No uptime data yet",
    "sp_uptime_days": "Uptime over the last 90 days",
    "sp_day_ok": "{day}: no downtime",
    "sp_day_down": "{day}: {share} uptime",
    "sp_day_maintenance": "{day}: maintenance",
    "sp_90_days_ago": "90 days ago",
    "sp_today": "Today",
    "sp_affected": "Affected",
    "sp_updated": "Updated {at}",
    "sp_window": "{start} to {end}",
    "sp_back": "Back to the status page",
    "sp_newer": "Newer",
    "sp_older": "Older",
    "sp_page_of": "Page {n} of {total}",
    "sp_language": "Language",
    "sp_generated": "Last updated {at}",
    "sp_logo": "{name} logo",
    "sp_footer": "Links",
}

PT_BR: dict[str, str] = {
    "sp_overall_operational": "Todos os sistemas operacionais",
    "sp_overall_degraded_performance": "Desempenho degradado",
    "sp_overall_partial_outage": "Indisponibilidade parcial",
    "sp_overall_major_outage": "Indisponibilidade grave",
    "sp_overall_under_maintenance": "Em manutenção",
    "sp_status_operational": "Operacional",
    "sp_status_degraded_performance": "Desempenho degradado",
    "sp_status_partial_outage": "Indisponibilidade parcial",
    "sp_status_major_outage": "Indisponibilidade grave",
    "sp_status_under_maintenance": "Em manutenção",
    "sp_incident_investigating": "Investigando",
    "sp_incident_identified": "Identificado",
    "sp_incident_monitoring": "Monitorando",
    "sp_incident_resolved": "Resolvido",
    "sp_maintenance_scheduled": "Agendada",
    "sp_maintenance_in_progress": "Em andamento",
    "sp_maintenance_completed": "Concluída",
    "sp_open_incidents": "Incidentes em andamento",
    "sp_components": "Componentes",
    "sp_other_components": "Outros componentes",
    "sp_maintenance": "Manutenções programadas",
    "sp_recent": "Incidentes anteriores",
    "sp_no_recent": "Nenhum incidente nos últimos 14 dias.",
    "sp_no_history": "Nenhum incidente resolvido ainda.",
    "sp_history": "Histórico de incidentes",
    "sp_history_link": "Histórico de incidentes",
    "sp_subscribe": "Receber atualizações",
    "sp_feed_atom": "Feed Atom",
    "sp_feed_rss": "Feed RSS",
    "sp_uptime": "{share} de disponibilidade",
    "sp_uptime_none": "Ainda sem dados de disponibilidade",
    "sp_uptime_days": "Disponibilidade nos últimos 90 dias",
    "sp_day_ok": "{day}: sem indisponibilidade",
    "sp_day_down": "{day}: {share} de disponibilidade",
    "sp_day_maintenance": "{day}: manutenção",
    "sp_90_days_ago": "90 dias atrás",
    "sp_today": "Hoje",
    "sp_affected": "Afetados",
    "sp_updated": "Atualizado em {at}",
    "sp_window": "{start} até {end}",
    "sp_back": "Voltar à página de status",
    "sp_newer": "Mais recentes",
    "sp_older": "Mais antigos",
    "sp_page_of": "Página {n} de {total}",
    "sp_language": "Idioma",
    "sp_generated": "Última atualização em {at}",
    "sp_logo": "Logotipo de {name}",
    "sp_footer": "Links",
}

TEXTS = {"en": EN, "pt-BR": PT_BR}

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "pt-BR": ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"],
}
_MONTH_NAMES = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "pt-BR": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
}


def pick(requested: str | None, accept_language: str | None, default: str) -> str:
    """The language to show: ``?lang=`` when it names one, else the first of the browser's
    ``Accept-Language`` that is known (any ``pt`` reads pt-BR), else the page's."""
    chosen = _known(requested or "")
    if chosen:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        found = _known(tag)
        if found and weight > 0:
            ranked.append((-weight, index, found))
    return min(ranked)[2] if ranked else (default if default in LANGUAGES else "en")


def _known(tag: str) -> str | None:
    lowered = tag.strip().lower()
    if lowered.startswith("pt"):
        return "pt-BR"
    if lowered.startswith("en"):
        return "en"
    return None


def when(at: datetime, language: str) -> str:
    """An absolute time in UTC, the way each language writes it: ``2 Dec 2026, 17:05 UTC``."""
    utc = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    month = _MONTHS[language][utc.month - 1]
    return f"{utc.day} {month} {utc.year}, {utc:%H:%M} UTC"


def day(at: date, language: str) -> str:
    """A date: ``2 Dec 2026``."""
    return f"{at.day} {_MONTHS[language][at.month - 1]} {at.year}"


def month(year: int, number: int, language: str) -> str:
    """A month heading: ``December 2026`` / ``dezembro de 2026``."""
    name = _MONTH_NAMES[language][number - 1]
    return f"{name} {year}" if language == "en" else f"{name} de {year}"


def share(value: float) -> str:
    """An uptime share as people read it: ``99.95%`` (never rounded up to 100% when it is
    not)."""
    percent = value * 100
    if percent >= 100:
        return "100%"
    return f"{min(percent, 99.99):.2f}%"
