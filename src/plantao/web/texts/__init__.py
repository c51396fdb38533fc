"""UI texts, one module per area of the web UI, each with ``EN`` and ``PT_BR`` dicts of the same
keys (a unit test checks it); ``plantao.web.i18n`` merges them."""
