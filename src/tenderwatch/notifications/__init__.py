"""Notifications: in the app, and by e-mail and SMS through pluggable backends."""
