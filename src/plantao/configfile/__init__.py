"""Configuration as code: plantao.yaml."""
