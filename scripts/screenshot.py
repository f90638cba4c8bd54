"""Screenshot a page of a running server in headless Chromium (for looking at what we build).

.venv/bin/python scripts/screenshot.py http://127.0.0.1:8000/ out.png [--user dept --password demo]
"""

from __future__ import annotations

import argparse
import shutil

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--user")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        page = browser.new_page(locale="zh-CN", viewport={"width": args.width, "height": 900})
        if args.user:
            base = args.url.split("/", 3)
            page.goto(f"{base[0]}//{base[2]}/login")
            page.fill("input[name=username]", args.user)
            page.fill("input[name=password]", args.password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
        page.goto(args.url)
        page.screenshot(path=args.out, full_page=args.full_page)
        browser.close()


if __name__ == "__main__":
    main()
