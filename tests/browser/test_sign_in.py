"""Signing in and out in a real browser: a wrong password is told plainly, the form keeps the name."""

from __future__ import annotations

from .conftest import shoot, sign_in


def test_wrong_password_then_sign_in_and_out(page):
    sign_in(page, "edu_clerk", "not-the-password")
    assert page.locator("#sign-in-error").is_visible()
    assert page.input_value("#username") == "edu_clerk"
    shoot(page, "sign-in")
    sign_in(page, "edu_clerk")
    assert "/sign-in" not in page.url
    page.click("form[action$='/sign-out'] button")
    assert "/sign-in" in page.url


def test_language_switch_changes_the_page_language(page):
    sign_in(page, "edu_clerk")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("button[name=language][value=en]")
    assert page.get_attribute("html", "lang") == "en"
    page.reload()
    assert page.get_attribute("html", "lang") == "en"  # remembered for the user
