"""A person's settings: the e-mail address and phone number notices go to, and the channels they keep on;
a wrong address or number is shown beside its field, with what was typed, and nothing is saved."""

from __future__ import annotations

from engine import identity
from tests.test_web_designer import Browser


def _person(ctx) -> None:
    with ctx.db.session() as session:
        identity.add_user(session, "dep", "secret-pw", ["deputies"], "赵代表")


def _saved(ctx):
    with ctx.db.session() as session:
        user = identity.get_user(session, "dep")
        return user.email, user.phone, user.notify_email, user.notify_sms, user.timezone


def test_a_person_chooses_their_channels(app, ctx):
    _person(ctx)
    me = Browser(app, "dep")
    page = me.get("/settings").get_data(as_text=True)
    assert 'name="phone"' in page and 'name="notify_sms"' in page
    assert "本系统目前未开通短信发送" in page  # the service's own switch is off: said so, not hidden
    answer = me.client.post("/settings", data={"csrf_token": me.token, "language": "zh_CN", "timezone": "", "channels_form": "1",
                                               "email": "zhao@example.org", "phone": "+86 138-0013-8000",
                                               "notify_email": "1"})
    assert answer.status_code == 302
    assert _saved(ctx) == ("zhao@example.org", "+8613800138000", True, False, None)
    page = me.get("/settings").get_data(as_text=True)
    assert 'value="+8613800138000"' in page and 'name="notify_email" value="1" checked' in page


def test_a_wrong_number_is_shown_beside_its_field_and_nothing_is_saved(app, ctx):
    _person(ctx)
    me = Browser(app, "dep")
    answer = me.client.post("/settings", data={"csrf_token": me.token, "language": "en", "timezone": "Asia/Shanghai", "channels_form": "1",
                                               "email": "not-an-address", "phone": "call me"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="email-error"' in page and 'id="phone-error"' in page and "这不是有效的手机号码" in page
    assert 'value="call me"' in page and 'value="not-an-address"' in page  # what was typed is kept
    assert _saved(ctx) == (None, None, True, True, None)  # not even the time zone was half-saved
