"""Untrusted text is text in every channel: what a reader sees of a hostile title and body.

Rendered the way each channel renders it: the json:// body as Markdown (Apprise's own Markdown to HTML), the
same body through Apprise's Markdown to Slack mrkdwn conversion, the HTML and plain-text parts of a real
e-mail (aiosmtpd), and a Rocket.Chat webhook on loopback, a service without titles into whose Markdown body
Apprise blends the title.
"""

from __future__ import annotations

import html
import re

from apprise import Apprise, NotifyFormat
from apprise.conversion.format import markdown_to_html
from test_notify import BASE, configure, listing, smtp, start  # noqa: F401  (smtp is a fixture)

EVIL = (
    "MP Materials signs $500 million offtake deal [click](http://evil.example) **urgent** _now_ "
    "<script>alert(1)</script> <@U123> <!channel> @here www.evil.example ops@evil.example https://evil.example/x"
)
LITERALS = ("[click](http://evil.example)", "**urgent**", "<script>alert(1)</script>", "www.evil.example")
ADDRESSES = ("http://evil", "https://evil", "www.evil", "evil.example", "@evil")


def visible(markup: str) -> str:
    """The text a reader sees of HTML (tags dropped, entities decoded, invisible joiners gone)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("\u2060", "")


def links(markup: str) -> list[str]:
    return re.findall(r"""href=["']([^"']+)""", markup)


def test_a_hostile_title_and_body_render_literally_everywhere(site, project, smtp):  # noqa: F811
    configure(project, site, smtp)
    rocket = f"rocket://hooktoken/secondpart@127.0.0.1:{site.port}/%23alerts?mode=webhook"
    apprise_yml = project.alerts / "apprise.yml"
    apprise_yml.write_text(apprise_yml.read_text() + f"  - {rocket}:\n      - tag: procurement\n")
    page = start(project, site, BASE)
    row = (
        f'<li><a href="/n/evil.html">{html.escape(EVIL)}</a> <span>2025-10-09</span>'
        f"<p>{html.escape('The $500 million offtake deal covers NdPr oxide. ' + EVIL)}</p></li>"
    )
    page.set_body(listing(BASE).replace("<ul class='list'>", "<ul class='list'>" + row).encode())
    project.cli("check")
    ours = site.url("/n/evil.html")

    # Markdown (json://): rendered, only our link, no emphasis, heading or HTML; the page's words as written
    (hook,) = site.received("/hook")
    rendered = markdown_to_html(hook["message"])
    assert links(rendered) == [ours]
    assert not re.search(r"<(strong|em|h\d|script)\b", rendered.replace("<strong>DEAL", ""))
    for literal in LITERALS:
        assert literal in visible(rendered), literal
    for address in ADDRESSES:  # a GFM or Slack linkifier finds no address the page wrote
        assert address not in hook["message"] and address not in hook["title"], address
    assert "<" not in hook["title"] and "@here" not in hook["title"]

    # Slack: Apprise's own conversion of that Markdown to mrkdwn
    slack = Apprise.instantiate("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7")
    mrkdwn = slack.dialect_convert(hook["message"], NotifyFormat.MARKDOWN)
    assert [anchor.split("|")[0] for anchor in re.findall(r"<([^<>]+)>", mrkdwn)] == [ours]  # links, mentions
    assert not re.search(r"(?<![\\*])\*urgent\*", mrkdwn) and "&lt;@U123&gt;" in mrkdwn
    for address in ADDRESSES:
        assert address not in mrkdwn, address

    # e-mail: the HTML part and the plain-text part
    (mail,) = smtp.messages
    mail_html = mail.get_body(("html",)).get_content()
    mail_text = mail.get_body(("plain",)).get_content()
    assert links(mail_html) == [ours] and "<script>" not in mail_html and "<strong>urgent" not in mail_html
    for literal in LITERALS:
        assert literal in visible(mail_html), literal
    assert "[click](http://evil.example)" in mail_text.replace("\u2060", "")
    for address in ADDRESSES:
        assert address not in mail_html and address not in mail_text and address not in mail["Subject"], address

    # a service without titles: Apprise puts the title into the Markdown body as a heading
    (posted,) = [request["json"] for request in site.requests if request["path"].startswith("/hooks/")]
    blended = markdown_to_html(posted["text"])
    assert links(blended) == [ours]
    assert "[click](http://evil.example)" in visible(blended.split("</h1>")[0])  # the title, as written


def test_a_plain_text_channel_gets_plain_text_and_the_page_still_cannot_link(site, project):
    """A channel that shows text as it is (`?format=text`, ntfy, SMS, the console) gets the text rendering: the
    page's words as written, no Markdown escapes, no address it wrote live, no mention; only our links."""
    configure(project, site)
    text_url = site.url("/text").replace("http://", "json://") + "?format=text"
    apprise_yml = project.alerts / "apprise.yml"
    apprise_yml.write_text(apprise_yml.read_text() + f"  - {text_url}:\n      - tag: procurement\n")
    page = start(project, site, BASE)
    row = (
        f'<li><a href="/n/evil.html">{html.escape(EVIL)}</a> <span>2025-10-09</span>'
        f"<p>{html.escape('The $500 million offtake deal (NdPr oxide) covers 10,000 t. ' + EVIL)}</p></li>"
    )
    page.set_body(listing(BASE).replace("<ul class='list'>", "<ul class='list'>" + row).encode())
    project.cli("check")
    ours = site.url("/n/evil.html")
    (markdown,) = site.received("/hook")
    (text,) = site.received("/text")
    assert "\\(" in markdown["message"]  # the Markdown channel escapes page text...
    body = text["message"]
    assert "\\" not in body and "(NdPr oxide)" in body  # ...the text channel shows it as written
    assert f"Source: MOFCOM {ours}" in body  # our link, whole
    for literal in ("[click](", "**urgent**", "<script>alert(1)</script>", "<@U123>"):
        assert literal in body.replace("\u2060", ""), literal
    for address in ADDRESSES:
        assert address not in body and address not in text["title"], address
    assert "@here" not in body and "@\u2060here" in body
    assert re.findall(r"https?://\S+", body) == [ours]


def test_the_console_prints_plain_text(site, project):
    configure(project, site, procurement_url="console://")
    start(project, site, "商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定 (附件)")
    out = project.cli("check").output
    assert "MOFCOM Announcement No. 61 of 2025: export controls on overseas rare earth items" in out
    assert "Original title: 商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定 (附件)" in out
    assert "\\(" not in out and "[Open the source](" not in out
