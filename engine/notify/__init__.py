"""Telling people: the outbox written with the event, its delivery in the app and by mail.

Owns: channels (which ways a notice takes to a person), outbox (delivery with back-off), mailer (SMTP),
sms (the SMS gateway), notifications (a user's in-app list).
May import: the foundation modules only; the cases queue their notices here.
"""
