"""Texts of the KPI page (``web/kpi_pages.py``, ``web/kpi_view.py``). Keys start with ``kpi_``:
``kpi_s_<section>`` names a section, ``kpi_c_<series group>`` a chart, ``kpi_t_<table>`` a
table, ``kpi_col_<column>`` a column and ``kpi_h_<key>`` a headline figure; a name without a
text here is shown as the identifier it has in the CSV export."""

from __future__ import annotations

EN: dict[str, str] = {
    "kpi_nav": "KPIs",
    "kpi_title": "How we are doing",
    "kpi_help": (
        "Response times against each severity's targets, what happened and why, how we "
        "learn from it and what on-call costs people — for the incidents triggered in the "
        "period. Every table downloads as CSV, every section as JSON."
    ),
    "kpi_filters": "KPI filters",
    "kpi_period": "Period",
    "kpi_last_days": "Last {n} days",
    "kpi_from": "From",
    "kpi_to": "To (included)",
    "kpi_dates_hint": "Dates in UTC. From/to, when given, replace the period.",
    "kpi_service": "Service",
    "kpi_team": "Team",
    "kpi_severity": "Severity",
    "kpi_all": "All",
    "kpi_show": "Show",
    "kpi_sections": "Sections",
    "kpi_chart_data": "Chart data",
    "kpi_none": "Nothing in this period.",
    "kpi_more": "The first {shown} of {total} rows, in the order shown; all of them:",
    "kpi_download": "Download",
    "kpi_target": "{name} target",
    "kpi_week": "Week",
    "kpi_per_week": "{what} per week",
    "kpi_line_desc": "{what}: one line per series ({series}) over {weeks} weeks, with a "
    "dotted trend line for each and dashed target lines; the table below has the values.",
    "kpi_bar_desc": "{what}, one bar per row; the table below has the values.",
    "kpi_hist_desc": "{what}: how many fall in each range; the table below has the values.",
    "kpi_s_response": "Response times",
    "kpi_s_response_help": (
        "Median (p50) and p90 of the time to acknowledge (MTTA) and to resolve (MTTR) per "
        "severity, against the severity matrix's targets; incidents not yet acknowledged or "
        "resolved are counted apart."
    ),
    "kpi_s_response_distribution": "How response times spread",
    "kpi_s_response_distribution_help": (
        "Incidents per range of time to acknowledge and to resolve: the tail the medians "
        "hide. A time equal to a range's end (a target) counts in that range."
    ),
    "kpi_t_mtta_distribution": "Time to acknowledge",
    "kpi_t_mttr_distribution": "Time to resolve",
    "kpi_col_bucket": "Range",
    "kpi_s_incidents": "Incidents",
    "kpi_s_incidents_help": "Incidents by severity and by root-cause category, week by week.",
    "kpi_s_change_caused": "Caused by changes",
    "kpi_s_change_caused_help": (
        "Incidents with a change of their service in the hour before, or a change named as "
        "cause in the postmortem; per service and per release."
    ),
    "kpi_s_runbooks": "Runbook coverage",
    "kpi_s_runbooks_help": (
        "Incidents with a linked or confirmed runbook, and how often suggested runbooks "
        "were confirmed as useful."
    ),
    "kpi_s_adherence": "Learning: postmortems and actions",
    "kpi_s_adherence_help": (
        "Postmortems published by their due date and corrective actions done by theirs."
    ),
    "kpi_s_noise": "Alert noise",
    "kpi_s_noise_help": (
        "Alerts per incident, incidents that resolved by themselves without anyone "
        "acknowledging them, reopenings and the noisiest alert names."
    ),
    "kpi_s_oncall_load": "On-call load",
    "kpi_s_oncall_load_help": (
        "Pages per person, outside working hours and at night in the person's own time zone."
    ),
    "kpi_s_update_punctuality": "Status update punctuality",
    "kpi_s_update_punctuality_help": "Status updates posted by the time the cadence asked.",
    "kpi_s_routines": "Operational routines",
    "kpi_s_routines_help": "Recurring operational tasks done on time.",
    "kpi_c_mtta_p50": "Time to acknowledge (p50) per week",
    "kpi_c_mttr_p50": "Time to resolve (p50) per week",
    "kpi_c_incidents": "Incidents per week by severity",
    "kpi_c_alerts_per_incident": "Alerts per incident (mean)",
    "kpi_c_auto_resolved_unacked": "Resolved without acknowledgement",
    "kpi_c_reopened_incidents": "Reopened",
    "kpi_c_noise": "Alert noise per week",
    "kpi_c_pages": "Pages",
    "kpi_c_outside_working_hours": "Outside working hours",
    "kpi_c_night": "At night",
    "kpi_c_oncall_load": "Pages per week",
    "kpi_c_on_time_share": "On time",
    "kpi_c_lateness_p50_seconds": "Lateness (p50)",
    "kpi_c_change_caused_share": "Share caused by changes",
    "kpi_c_runbook_coverage": "Runbook coverage",
    "kpi_t_incidents_by_service": "Incidents by service",
    "kpi_t_response_by_severity": "Response times by severity",
    "kpi_t_incidents_by_severity": "Incidents by severity",
    "kpi_t_incidents_by_root_cause": "Incidents by root cause",
    "kpi_t_change_caused_by_service": "Caused by changes, per service",
    "kpi_t_change_caused_by_release": "Caused by changes, per release",
    "kpi_t_noise_summary": "Alert noise summary",
    "kpi_t_noise_top_alert_names": "Noisiest alert names",
    "kpi_t_runbook_coverage": "Runbook coverage",
    "kpi_t_runbook_coverage_by_service": "Runbook coverage per service",
    "kpi_t_routine_completion": "Routines",
    "kpi_t_adherence": "Adherence",
    "kpi_col_severity": "Severity",
    "kpi_col_incidents": "Incidents",
    "kpi_col_share": "Share",
    "kpi_col_service": "Service",
    "kpi_col_release": "Release",
    "kpi_col_name": "Name",
    "kpi_col_alerts": "Alerts",
    "kpi_col_team": "Team",
    "kpi_col_routine": "Routine",
    "kpi_col_due": "Due",
    "kpi_col_on_time": "On time",
    "kpi_col_late": "Late",
    "kpi_col_open": "Open",
    "kpi_col_coverage": "Coverage",
    "kpi_col_pages": "Pages",
    "kpi_h_incidents": "incidents",
    "kpi_h_unacknowledged": "not acknowledged",
    "kpi_h_unresolved": "not resolved",
    "kpi_h_rca_share": "postmortems on time",
    "kpi_h_action_share": "actions on time",
    "kpi_h_overdue_actions": "actions overdue",
    "kpi_h_change_caused": "caused by changes",
    "kpi_h_share": "share",
    "kpi_h_auto_resolved_unacked_share": "resolved without acknowledgement",
    "kpi_h_reopened_incidents": "reopened",
    "kpi_h_pages": "pages",
    "kpi_h_night": "night pages",
    "kpi_h_night_pages_per_week": "night pages per week",
    "kpi_h_coverage": "with a runbook",
    "kpi_h_usefulness": "suggestions confirmed",
    "kpi_h_without_runbook": "without a runbook",
    "kpi_h_on_time_share": "updates on time",
    "kpi_h_missed": "updates late",
    "kpi_h_routine_tasks_due": "routine tasks due",
    "kpi_h_routine_tasks_on_time": "done on time",
    "kpi_h_routine_tasks_late": "done late",
    "kpi_h_routine_on_time_share": "routines on time",
}

PT_BR: dict[str, str] = {
    "kpi_nav": "Indicadores",
    "kpi_title": "Como estamos indo",
    "kpi_help": (
        "Tempos de resposta frente às metas de cada severidade, o que aconteceu e por quê, "
        "como aprendemos com isso e quanto o plantão pesa nas pessoas — para os incidentes "
        "abertos no período. Cada tabela pode ser baixada em CSV e cada seção em JSON."
    ),
    "kpi_filters": "Filtros dos indicadores",
    "kpi_period": "Período",
    "kpi_last_days": "Últimos {n} dias",
    "kpi_from": "De",
    "kpi_to": "Até (inclusive)",
    "kpi_dates_hint": "Datas em UTC. Quando preenchidas, De/Até substituem o período.",
    "kpi_service": "Serviço",
    "kpi_team": "Time",
    "kpi_severity": "Severidade",
    "kpi_all": "Todos",
    "kpi_show": "Mostrar",
    "kpi_sections": "Seções",
    "kpi_chart_data": "Dados do gráfico",
    "kpi_none": "Nada neste período.",
    "kpi_more": "As primeiras {shown} de {total} linhas, na ordem mostrada; todas:",
    "kpi_download": "Baixar",
    "kpi_target": "meta {name}",
    "kpi_week": "Semana",
    "kpi_per_week": "{what} por semana",
    "kpi_line_desc": "{what}: uma linha por série ({series}) em {weeks} semanas, com uma "
    "linha de tendência pontilhada para cada e linhas de meta tracejadas; a tabela abaixo "
    "traz os valores.",
    "kpi_bar_desc": "{what}, uma barra por linha; a tabela abaixo traz os valores.",
    "kpi_hist_desc": "{what}: quantos caem em cada faixa; a tabela abaixo traz os valores.",
    "kpi_s_response": "Tempos de resposta",
    "kpi_s_response_help": (
        "Mediana (p50) e p90 do tempo até o reconhecimento (MTTA) e até a resolução (MTTR) "
        "por severidade, frente às metas da matriz de severidade; incidentes ainda não "
        "reconhecidos ou resolvidos são contados à parte."
    ),
    "kpi_s_response_distribution": "Como os tempos de resposta se distribuem",
    "kpi_s_response_distribution_help": (
        "Incidentes por faixa de tempo até reconhecer e até resolver: a cauda que as "
        "medianas escondem. Um tempo igual ao fim de uma faixa (uma meta) conta nessa faixa."
    ),
    "kpi_t_mtta_distribution": "Tempo até reconhecer",
    "kpi_t_mttr_distribution": "Tempo até resolver",
    "kpi_col_bucket": "Faixa",
    "kpi_s_incidents": "Incidentes",
    "kpi_s_incidents_help": (
        "Incidentes por severidade e por categoria de causa raiz, semana a semana."
    ),
    "kpi_s_change_caused": "Causados por mudanças",
    "kpi_s_change_caused_help": (
        "Incidentes com uma mudança do seu serviço na hora anterior, ou com uma mudança "
        "apontada como causa no postmortem; por serviço e por versão."
    ),
    "kpi_s_runbooks": "Cobertura de runbooks",
    "kpi_s_runbooks_help": (
        "Incidentes com runbook vinculado ou confirmado, e com que frequência os runbooks "
        "sugeridos foram confirmados como úteis."
    ),
    "kpi_s_adherence": "Aprendizado: postmortems e ações",
    "kpi_s_adherence_help": (
        "Postmortems publicados até o prazo e ações corretivas concluídas até o delas."
    ),
    "kpi_s_noise": "Ruído de alertas",
    "kpi_s_noise_help": (
        "Alertas por incidente, incidentes resolvidos sozinhos sem que ninguém os "
        "reconhecesse, reaberturas e os nomes de alerta mais ruidosos."
    ),
    "kpi_s_oncall_load": "Carga do plantão",
    "kpi_s_oncall_load_help": (
        "Acionamentos por pessoa, fora do horário de trabalho e de madrugada no fuso da pessoa."
    ),
    "kpi_s_update_punctuality": "Pontualidade das atualizações de status",
    "kpi_s_update_punctuality_help": "Atualizações de status publicadas no prazo da cadência.",
    "kpi_s_routines": "Rotinas operacionais",
    "kpi_s_routines_help": "Tarefas operacionais recorrentes feitas no prazo.",
    "kpi_c_mtta_p50": "Tempo até reconhecer (p50) por semana",
    "kpi_c_mttr_p50": "Tempo até resolver (p50) por semana",
    "kpi_c_incidents": "Incidentes por semana e severidade",
    "kpi_c_alerts_per_incident": "Alertas por incidente (média)",
    "kpi_c_auto_resolved_unacked": "Resolvidos sem reconhecimento",
    "kpi_c_reopened_incidents": "Reabertos",
    "kpi_c_noise": "Ruído de alertas por semana",
    "kpi_c_pages": "Acionamentos",
    "kpi_c_outside_working_hours": "Fora do horário de trabalho",
    "kpi_c_night": "De madrugada",
    "kpi_c_oncall_load": "Acionamentos por semana",
    "kpi_c_on_time_share": "No prazo",
    "kpi_c_lateness_p50_seconds": "Atraso (p50)",
    "kpi_c_change_caused_share": "Proporção causada por mudanças",
    "kpi_c_runbook_coverage": "Cobertura de runbooks",
    "kpi_t_incidents_by_service": "Incidentes por serviço",
    "kpi_t_response_by_severity": "Tempos de resposta por severidade",
    "kpi_t_incidents_by_severity": "Incidentes por severidade",
    "kpi_t_incidents_by_root_cause": "Incidentes por causa raiz",
    "kpi_t_change_caused_by_service": "Causados por mudanças, por serviço",
    "kpi_t_change_caused_by_release": "Causados por mudanças, por versão",
    "kpi_t_noise_summary": "Resumo do ruído de alertas",
    "kpi_t_noise_top_alert_names": "Alertas mais ruidosos",
    "kpi_t_runbook_coverage": "Cobertura de runbooks",
    "kpi_t_runbook_coverage_by_service": "Cobertura de runbooks por serviço",
    "kpi_t_routine_completion": "Rotinas",
    "kpi_t_adherence": "Aderência",
    "kpi_col_severity": "Severidade",
    "kpi_col_incidents": "Incidentes",
    "kpi_col_share": "Proporção",
    "kpi_col_service": "Serviço",
    "kpi_col_release": "Versão",
    "kpi_col_name": "Nome",
    "kpi_col_alerts": "Alertas",
    "kpi_col_team": "Time",
    "kpi_col_routine": "Rotina",
    "kpi_col_due": "Previstas",
    "kpi_col_on_time": "No prazo",
    "kpi_col_late": "Atrasadas",
    "kpi_col_open": "Abertas",
    "kpi_col_coverage": "Cobertura",
    "kpi_col_pages": "Acionamentos",
    "kpi_h_incidents": "incidentes",
    "kpi_h_unacknowledged": "não reconhecidos",
    "kpi_h_unresolved": "não resolvidos",
    "kpi_h_rca_share": "postmortems no prazo",
    "kpi_h_action_share": "ações no prazo",
    "kpi_h_overdue_actions": "ações atrasadas",
    "kpi_h_change_caused": "causados por mudanças",
    "kpi_h_share": "proporção",
    "kpi_h_auto_resolved_unacked_share": "resolvidos sem reconhecimento",
    "kpi_h_reopened_incidents": "reabertos",
    "kpi_h_pages": "acionamentos",
    "kpi_h_night": "acionamentos de madrugada",
    "kpi_h_night_pages_per_week": "acionamentos de madrugada por semana",
    "kpi_h_coverage": "com runbook",
    "kpi_h_usefulness": "sugestões confirmadas",
    "kpi_h_without_runbook": "sem runbook",
    "kpi_h_on_time_share": "atualizações no prazo",
    "kpi_h_missed": "atualizações atrasadas",
    "kpi_h_routine_tasks_due": "tarefas de rotina previstas",
    "kpi_h_routine_tasks_on_time": "feitas no prazo",
    "kpi_h_routine_tasks_late": "feitas com atraso",
    "kpi_h_routine_on_time_share": "rotinas no prazo",
}
