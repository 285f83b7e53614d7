"""Devices and screenshots for the browser tests."""

from pathlib import Path

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}


def shoot(page, name, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def check_out_with_lookup_password(page, sku, contact, password):
    """On `page`, the product page of `sku`: one bought for `contact`, with a lookup password
    (the find-my-order form's), and the checkout submitted."""
    page.goto(f"/products/{sku}")
    page.locator('input[name="contact"]').fill(contact)
    page.locator("details summary").click()
    page.locator('input[name="lookup_password"]').fill(password)
    page.locator("form.checkout button[type=submit]").click()
