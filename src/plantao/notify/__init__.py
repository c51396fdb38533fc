"""Notifications: outgoing channels, throttles, retries, signed action links and webhooks."""
