"""sources.toml validation: every mistake names the file, the entry and the key; no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from watcher.config.sources import load_config
from watcher.core.errors import ConfigError

VALID = """
[settings]
user_agent = "watcher-test/1.0 (ops@example.org)"
host_interval = "2s"

[defaults]
interval = "30m"
timeout = "20s"
tags = ["china"]

[[source]]
name = "mofcom"
url = "https://www.mofcom.gov.cn/api-gateway/unit?pageNo=1"
kind = "html"
item = "ul.txtList_01 > li"
json_path = "data.html"
official = true
detail = { selector = "div.art-con", max = 3 }

[[source]]
name = "fr-bis"
url = "https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=industry-and-security-bureau"
kind = "json"
items = "results"
id = "document_number"
link = "html_url"
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "sources.toml"
    path.write_text(text, "utf-8")
    return load_config(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.problems


def test_defaults_settings_and_kind_options(tmp_path):
    config = load(tmp_path, VALID)
    mofcom, fr = config.sources
    assert (mofcom.interval, mofcom.timeout, mofcom.tags) == (1800.0, 20.0, ("china",))
    assert mofcom.official and not fr.official
    assert mofcom.options.json_path == "data.html"
    assert mofcom.detail.selector == "div.art-con" and mofcom.detail.max == 3
    assert fr.options.items == "results" and fr.options.id == "document_number" and fr.options.link == "html_url"
    assert config.settings.host_interval == 2.0
    with pytest.raises(ValidationError, match="frozen"):
        mofcom.interval = 5


def test_toml_syntax_error_gives_line_and_column(tmp_path):
    found = problems(tmp_path, '[[source]]\nname = "a"\nurl = "https://x.org\nkind = "html"\n')
    assert len(found) == 1
    assert "sources.toml: TOML syntax error" in found[0]
    assert "line 3" in found[0] and "column" in found[0]


def test_unknown_key_names_entry_and_suggests(tmp_path):
    found = problems(tmp_path, '[[source]]\nname = "mofcom"\nurl = "https://x.org/"\nkind = "html"\nitme = "li"\n')
    text = "\n".join(found)
    assert "[[source]] 'mofcom' (entry 1)" in text
    assert "unknown key 'itme'" in text and "did you mean 'item'?" in text
    assert "[[source]] 'mofcom' (entry 1): key 'item': is required (CSS selector of one entry" in text


def test_wrong_type_and_bad_interval(tmp_path):
    found = problems(
        tmp_path,
        '[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "feed"\n'
        'official = "yes please"\ninterval = "5 minutes"\n',
    )
    text = "\n".join(found)
    assert "[[source]] 'a' (entry 1): key 'official'" in text
    assert "key 'interval'" in text and "'90s', '30m', '6h'" in text


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('severity = "urgent"', "key 'severity': must be 'high', 'medium' or 'low', or a table label -> level"),
        ('severity = { quota = "urgent" }', "key 'severity': the level of quota must be 'high', 'medium' or 'low'"),
        ('tags = "china"', """key 'tags': must be a list, e.g. ["china"]; got 'china'"""),
        ("interval = 0", "key 'interval': must be at least 1s; got 0s"),
        ('timeout = "0s"', "key 'timeout': must be more than 0s; got 0s"),
        ('official = "yes"', "key 'official': must be true or false (without quotes); got 'yes'"),
        ("enabled = 1", "key 'enabled': must be true or false (without quotes); got 1"),
        ("retries = 20", "key 'retries': must be at most 10; got 20"),
        ('headers = "x"', "key 'headers': must be a table"),
    ],
)
def test_errors_speak_of_keys_lists_tables_and_units_not_pydantic_types(tmp_path, line, said):
    found = problems(tmp_path, f'[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "feed"\n{line}\n')
    assert len(found) == 1, found
    assert said in found[0]
    for jargon in ("Input should", "literal[", "tuple", "dictionary", "greater than", "Field required"):
        assert jargon not in found[0]


def test_bad_url_duplicate_name_unknown_kind_missing_name(tmp_path):
    found = problems(
        tmp_path,
        """
[[source]]
name = "a"
url = "ftp://x.org/"
kind = "feed"
[[source]]
name = "b"
url = "https://x.org/"
kind = "feed"
[[source]]
name = "b"
url = "https://y.org/"
kind = "feed"
[[source]]
name = "c"
url = "https://x.org/"
kind = "rss"
[[source]]
url = "https://x.org/"
kind = "feed"
""",
    )
    text = "\n".join(found)
    assert "'a' (entry 1): key 'url': 'ftp://x.org/' is not an http(s) URL" in text
    assert "'b' (entry 3): key 'name': duplicate name, already used by entry 2" in text
    assert "'c' (entry 4): key 'kind': unknown kind 'rss'" in text and "allowed: feed, html, json, page" in text
    assert "[[source]] entry 5: missing required key 'name'" in text
    assert len(found) == 4


def test_invalid_selector_and_jmespath_are_config_errors(tmp_path):
    found = problems(
        tmp_path,
        '[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "html"\nitem = "ul >> li["\n'
        '[[source]]\nname = "b"\nurl = "https://x.org/"\nkind = "json"\nitems = "results[?"\n',
    )
    text = "\n".join(found)
    assert "'a' (entry 1): key 'item': invalid CSS selector" in text
    assert "'b' (entry 2): key 'items': invalid JMESPath" in text


def test_unknown_top_level_and_defaults_keys(tmp_path):
    found = problems(tmp_path, '[default]\ninterval = "1h"\n[settings]\nhost_intreval = "1s"\n')
    text = "\n".join(found)
    assert "unknown top-level key 'default' (did you mean 'defaults'?)" in text
    assert "[settings]: unknown key 'host_intreval' (did you mean 'host_interval'?)" in text


def test_unknown_encoding_and_severity_label(tmp_path):
    found = problems(
        tmp_path,
        '[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "feed"\nencoding = "gbk2"\n'
        'severity = { quotas = "high" }\n',
    )
    text = "\n".join(found)
    assert "unknown encoding 'gbk2'" in text
    assert "unknown label(s) quotas" in text


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "sources.toml").write_bytes('name = "稀土"'.encode("gbk"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "sources.toml")


def test_config_hash_changes_with_what_is_extracted(tmp_path):
    base = '[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "html"\nitem = "li"\n'
    first = load(tmp_path, base).sources[0]
    same = load(tmp_path, base + 'interval = "6h"\n').sources[0]
    other = load(tmp_path, base.replace('"li"', '"ul > li"')).sources[0]
    assert first.config_hash == same.config_hash != other.config_hash
    encoded = load(tmp_path, base + 'encoding = "latin-1"\n').sources[0]
    assert encoded.config_hash not in (
        first.config_hash,
        load(tmp_path, base + 'encoding = "utf-8"\n').sources[0].config_hash,
    )


# Keys that only change when or how a source is fetched, or what happens to its changes, not which items it
# yields. A new key must be put here or in RESHAPING: this test makes whoever adds one decide.
NOT_RESHAPING = {
    "name", "interval", "timeout", "headers", "tags", "enabled", "official", "baseline", "user_agent",
    "max_bytes", "retries", "notify", "publisher", "severity", "detail", "hosts",
}  # fmt: skip


def test_every_source_key_is_either_reshaping_or_not():
    from watcher.config.sources import RESHAPING, Source

    assert set(RESHAPING).isdisjoint(NOT_RESHAPING)
    assert set(Source.model_fields) == set(RESHAPING) | NOT_RESHAPING


def test_cli_sources_check(project):
    project.write_sources('[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "feed"\n')
    ok = project.cli("sources", "--check")
    assert ok.exit_code == 0 and "OK, 1 source (1 enabled)" in ok.output
    assert json.loads(project.cli("sources", "--check", "--json").output) == {
        "file": str(project.sources),
        "valid": True,
        "sources": 1,
        "enabled": 1,
    }
    project.write_sources('[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "feed"\ntimeout = -1\n')
    bad = project.cli("sources", "--check")
    assert bad.exit_code == 2
    assert "error: invalid configuration" in bad.output and "key 'timeout'" in bad.output
    assert "Traceback" not in bad.output
    bad_json = project.cli("sources", "--check", "--json")
    assert bad_json.exit_code == 2
    report = json.loads(bad_json.output)
    assert report["valid"] is False and "key 'timeout'" in report["problems"][0]


def test_a_bad_header_value_is_not_echoed(tmp_path):
    found = problems(
        tmp_path,
        '[[source]]\nname = "a"\nurl = "https://x.org/"\nkind = "feed"\nheaders = { Authorization = 123456789 }\n',
    )
    text = "\n".join(found)
    assert "key 'headers.Authorization'" in text and "123456789" not in text


def test_placeholder_contact_warns_at_start_until_it_is_replaced(tmp_path, caplog):
    from watcher.pipeline.wiring import build_pipeline
    from watcher.store import Store

    sec = 'url = "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany"\nkind = "feed"\n'
    text = (
        '[settings]\nuser_agent = "watcher/0.1 (+https://github.com/watcher-alerts/watcher; ops@example.org)"\n'
        f'[[source]]\nname = "sec"\n{sec}user_agent = "acme ops@example.org"\n'
        f'[[source]]\nname = "fr"\n{sec}'
        f'[[source]]\nname = "off"\n{sec}user_agent = "x ops@example.com"\nenabled = false\n'
        '[[source]]\nname = "demo"\nurl = "http://127.0.0.1:8000/feed"\nkind = "feed"\nuser_agent = "x a@example.org"\n'
    )
    config = load(tmp_path, text)
    assert config.placeholder_contacts() == ["[settings] user_agent", "[[source]] 'sec' user_agent"]
    store = Store.open(tmp_path / "state")
    with caplog.at_level("WARNING"):
        build_pipeline(config, store)
    (record,) = [r for r in caplog.records if "placeholder contact" in r.getMessage()]
    assert "[settings] user_agent, [[source]] 'sec' user_agent still send the placeholder" in record.getMessage()

    real = text.replace("ops@example.org", "buyers@acme-metals.com")
    fixed = load(tmp_path, real)
    assert fixed.placeholder_contacts() == []
    caplog.clear()
    build_pipeline(fixed, store)
    assert not [r for r in caplog.records if "placeholder contact" in r.getMessage()]
    store.close()
