"""Texts of the "my shift" page (``web/shift_pages.py``): the shift checklist, the test page
and the routine tasks of whoever is on call. Keys start with ``sh_``."""

from __future__ import annotations

EN: dict[str, str] = {
    "sh_nav": "My shift",
    "sh_title": "My shift",
    "sh_help": (
        "What to do while you are on call: tick the checklist as you go (it starts empty "
        "each shift), make sure pages reach you, and do the routine tasks that fall to you."
    ),
    "sh_not_on_call": "You are not on call on any schedule right now.",
    "sh_on_call_on": "On call on",
    "sh_from": "From",
    "sh_until": "until",
    "sh_open_ended": "no end planned",
    "sh_default_list": "The default checklist (seed runbook); a manager may declare another.",
    "sh_phase_start": "Start of the shift",
    "sh_phase_during": "During the shift",
    "sh_phase_end": "End of the shift",
    "sh_tick": "Mark done",
    "sh_untick": "Undo",
    "sh_done": "done",
    "sh_progress": "{done} of {total} done",
    "sh_test_title": "Test page",
    "sh_test_help": (
        "Sends a real test message to each of your contact methods, the way a page goes "
        "out. One a minute."
    ),
    "sh_test_send": "Send a test page to yourself",
    "sh_test_sent": "Test page sent. Reload to see each method's result.",
    "sh_test_none": "No test page sent yet.",
    "sh_test_latest": "Latest test page",
    "sh_test_reload": "Reload the results",
    "sh_method": "Contact method",
    "sh_channel": "Channel",
    "sh_result": "Result",
    "sh_attempts": "Attempts",
    "sh_error": "Error",
    "sh_status_pending": "pending",
    "sh_status_delivered": "delivered",
    "sh_status_failed": "failed",
    "sh_tasks_title": "My routine tasks",
    "sh_tasks_help": "Recurring operational tasks assigned to you when they fell due.",
    "sh_tasks_none": "No routine task is waiting for you.",
    "sh_task": "Task",
    "sh_due": "Due",
    "sh_note": "Note (optional)",
    "sh_mark_done": "Mark done",
    "sh_recent_done": "Recently done",
    "sh_done_by": "by",
}

PT_BR: dict[str, str] = {
    "sh_nav": "Meu turno",
    "sh_title": "Meu turno",
    "sh_help": (
        "O que fazer durante o plantão: marque o checklist conforme avança (ele recomeça a "
        "cada turno), confirme que os pages chegam até você e faça as tarefas de rotina "
        "que ficaram com você."
    ),
    "sh_not_on_call": "Você não está de plantão em nenhuma escala agora.",
    "sh_on_call_on": "De plantão em",
    "sh_from": "De",
    "sh_until": "até",
    "sh_open_ended": "sem fim previsto",
    "sh_default_list": "O checklist padrão (runbook de referência); um gestor pode declarar outro.",
    "sh_phase_start": "Início do turno",
    "sh_phase_during": "Durante o turno",
    "sh_phase_end": "Fim do turno",
    "sh_tick": "Marcar feito",
    "sh_untick": "Desfazer",
    "sh_done": "feito",
    "sh_progress": "{done} de {total} feitos",
    "sh_test_title": "Page de teste",
    "sh_test_help": (
        "Envia uma mensagem de teste real para cada um dos seus meios de contato, do mesmo "
        "jeito que um page sai. Um por minuto."
    ),
    "sh_test_send": "Enviar um page de teste para mim",
    "sh_test_sent": "Page de teste enviado. Recarregue para ver o resultado de cada meio.",
    "sh_test_none": "Nenhum page de teste enviado ainda.",
    "sh_test_latest": "Último page de teste",
    "sh_test_reload": "Recarregar os resultados",
    "sh_method": "Meio de contato",
    "sh_channel": "Canal",
    "sh_result": "Resultado",
    "sh_attempts": "Tentativas",
    "sh_error": "Erro",
    "sh_status_pending": "pendente",
    "sh_status_delivered": "entregue",
    "sh_status_failed": "falhou",
    "sh_tasks_title": "Minhas tarefas de rotina",
    "sh_tasks_help": "Tarefas operacionais recorrentes atribuídas a você quando venceram.",
    "sh_tasks_none": "Nenhuma tarefa de rotina esperando por você.",
    "sh_task": "Tarefa",
    "sh_due": "Vence",
    "sh_note": "Observação (opcional)",
    "sh_mark_done": "Marcar feita",
    "sh_recent_done": "Feitas recentemente",
    "sh_done_by": "por",
}
