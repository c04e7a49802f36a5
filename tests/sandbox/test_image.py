"""The debootstrap mirror comes from the machine's apt configuration (sample text, no network)."""

from __future__ import annotations

from sandbox._apt import deb822_entries, mirror_for, one_line_entries

# Host names under the reserved .example TLD: nothing here names a real mirror.
ONE_LINE = """\
# deb http://old.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://security.example/debian-security bookworm-security main
deb [ trusted=yes ] http://mirror.example/debian bookworm main contrib  # the main archive
"""

DEB822 = """\
Types: deb
# a comment inside a stanza
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
"""


def test_one_line_format_skips_comments_and_options():
    entries = one_line_entries(ONE_LINE)
    assert entries[0] == (["deb-src"], "http://src.example/debian", ["bookworm"])
    assert entries[-1] == (["deb"], "http://mirror.example/debian", ["bookworm"])
    assert len(entries) == 3


def test_deb822_stanzas_and_continuation_lines():
    entries = deb822_entries(DEB822 + "\nTypes: deb\nURIs:\n http://cont.example/debian\nSuites: sid\n")
    assert entries[0] == (["deb"], "http://mirror.example/debian", ["bookworm", "bookworm-updates"])
    assert entries[1][1] == "http://security.example/debian-security"
    assert entries[-1] == (["deb"], "http://cont.example/debian", ["sid"])
    assert len(entries) == 3  # the disabled stanza is dropped


def test_mirror_is_the_first_deb_entry_serving_the_suite(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "other.list.disabled").write_text("deb http://off.example/debian bookworm main\n")
    assert mirror_for("bookworm", tmp_path) == "http://mirror.example/debian"
    # sources.list is read first; a security-only or deb-src entry does not qualify
    (tmp_path / "sources.list").write_text(ONE_LINE)
    assert mirror_for("bookworm", tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text("deb http://first.example/debian bookworm main\n")
    assert mirror_for("bookworm", tmp_path) == "http://first.example/debian"


def test_no_matching_mirror_means_debootstrap_default(tmp_path):
    assert mirror_for("bookworm", tmp_path) is None  # no apt configuration at all
    (tmp_path / "sources.list").write_text("deb http://mirror.example/ubuntu noble main\n"
                                           "deb cdrom:[Debian 12]/ bookworm main\n")
    assert mirror_for("bookworm", tmp_path) is None
