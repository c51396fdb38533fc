# ruff: noqa: E501 - UI texts are data; a sentence stays on one line so translators can compare
"""Texts of single sign-on: why a login through the provider failed, and the signed-out page."""

from __future__ import annotations

EN: dict[str, str] = {
    "sso_err_not_configured": "Single sign-on is not set up on this installation.",
    "sso_err_unreachable": "The single sign-on provider could not be reached. Try again in a moment.",
    "sso_err_expired": "This sign-in was not started from this browser or took too long. Please start again.",
    "sso_err_denied": "The single sign-on provider did not allow the login.",
    "sso_err_invalid": "The single sign-on provider's answer could not be verified, so nobody was logged in. Please try again.",
    "sso_err_disabled": "This account is disabled. Ask an admin to enable it.",
    "sso_err_ambiguous": "Several accounts share your e-mail address; an admin must fix that before single sign-on can log you in.",
    "sso_signed_out_title": "Signed out",
    "sso_signed_out": "You are signed out of Plantão. Now signing you out of your single sign-on provider too…",
    "sso_provider_logout": "Sign out of the single sign-on provider",
    "sso_back_to_login": "Back to the login page",
}

PT_BR: dict[str, str] = {
    "sso_err_not_configured": "O login único (SSO) não está configurado nesta instalação.",
    "sso_err_unreachable": "Não foi possível falar com o provedor de login único. Tente de novo em instantes.",
    "sso_err_expired": "Este login não começou neste navegador ou demorou demais. Comece de novo, por favor.",
    "sso_err_denied": "O provedor de login único não permitiu o login.",
    "sso_err_invalid": "Não foi possível verificar a resposta do provedor de login único; ninguém entrou. Tente de novo, por favor.",
    "sso_err_disabled": "Esta conta está desativada. Peça a um admin para reativá-la.",
    "sso_err_ambiguous": "Várias contas usam o seu e-mail; um admin precisa corrigir isso antes que o login único possa fazer você entrar.",
    "sso_signed_out_title": "Você saiu",
    "sso_signed_out": "Você saiu do Plantão. Agora vamos encerrar também a sua sessão no provedor de login único…",
    "sso_provider_logout": "Sair do provedor de login único",
    "sso_back_to_login": "Voltar para a página de login",
}
