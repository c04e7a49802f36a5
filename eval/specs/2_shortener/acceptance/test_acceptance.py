import pytest

from shortener.codes import decode, encode
from shortener.core import Shortener


def test_base62_round_trip():
    assert (encode(0), encode(61), encode(62)) == ("0", "Z", "10")
    assert all(decode(encode(n)) == n for n in (0, 1, 61, 62, 3843, 10**9))


def test_same_url_same_code():
    s = Shortener()
    code = s.shorten("https://example.com/a")
    assert s.shorten("https://example.com/a") == code
    assert s.shorten("https://example.com/b") != code


def test_counter_codes_start_at_1():
    s = Shortener()
    assert s.shorten("http://a.example") == encode(1)


def test_invalid_url():
    with pytest.raises(ValueError):
        Shortener().shorten("ftp://example.com")


def test_expand_counts_visits_and_unknown_code():
    s = Shortener()
    code = s.shorten("https://example.com")
    assert s.expand(code) == "https://example.com"
    s.expand(code)
    assert s.stats(code) == {"url": "https://example.com", "visits": 2}
    with pytest.raises(KeyError):
        s.expand("nope")


def test_alias():
    s = Shortener()
    assert s.shorten("https://a.example", alias="home") == "home"
    assert s.expand("home") == "https://a.example"
    with pytest.raises(ValueError):
        s.shorten("https://b.example", alias="home")


def test_persistence(tmp_path):
    path = tmp_path / "urls.json"
    s = Shortener(path)
    code = s.shorten("https://example.com")
    s.expand(code)
    again = Shortener(path)
    assert again.stats(code) == {"url": "https://example.com", "visits": 1}
