"""Telling people: the outbox written with the event, its delivery in the app and by mail.

Owns: outbox (delivery with back-off), mailer (SMTP), notifications (a user's in-app list).
May import: the foundation modules only.
"""
