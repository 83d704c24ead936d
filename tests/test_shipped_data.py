"""Data tables shipped in place of a dependency's import stay equal to what the dependency gives."""

from __future__ import annotations


def test_the_shipped_country_names_are_phonenumbers_english_region_names() -> None:
    from phonenumbers.geodata.locale import LOCALE_DATA

    from masking.recognizers.address import _country_names

    expected: set[str] = set()
    for by_language in LOCALE_DATA.values():
        name = by_language.get("en")
        # "*aa": the same as language "aa"
        while name and name.startswith("*"):
            name = by_language.get(name[1:])
        if name:
            expected.add(name)
    shipped = _country_names()
    assert set(shipped) == expected
    # longest first: "Democratic Republic of the Congo" before "Congo"
    assert [len(name) for name in shipped] == sorted((len(name) for name in shipped), reverse=True)
