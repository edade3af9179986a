"""Postman scripts run in a locked-down JavaScript sandbox."""
