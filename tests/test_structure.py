"""Structure-aware detection (masking/structure): tables by column, label and role lines, e-mail headers and
signatures; and through the masker, the issue's patterns with Faker names of many countries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faker import Faker

from masking import Masker
from masking.structure import find_structure
from masking.structure.fields import NOT_PERSONAL, PERSON, field_kind
from masking.structure.tables import find_tables

LOCALES = (
    "de_DE",
    "fr_FR",
    "pl_PL",
    "es_ES",
    "nl_NL",
    "it_IT",
    "sv_SE",
    "cs_CZ",
    "hu_HU",
    "tr_TR",
    "pt_BR",
    "el_GR",
)


def people(seed: int, count: int) -> Iterator[tuple[str, str]]:
    fake = Faker(list(LOCALES))
    fake.seed_instance(seed)
    for _ in range(count):
        yield fake.first_name(), fake.last_name()


def spans(text: str) -> list[str]:
    return sorted({text[s.start : s.end] for s in find_structure(text).spans if s.entity_type == "PERSON"})


def raw_parts(masker: Masker, text: str, names: list[tuple[str, str]]) -> list[str]:
    masked = masker.mask("doc_structure", text).masked_text or ""
    return [
        part
        for given, surname in names
        for part in (given, *surname.split())
        if len(part) > 2 and part in masked
    ]


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Name", PERSON),
        ("first_name", PERSON),
        ("Nachname", PERSON),
        ("Interlocuteur", PERSON),
        ("Account Owner", PERSON),
        ("Project Lead", PERSON),
        ("E-mail address", "EMAIL_ADDRESS"),
        ("Téléphone", "PHONE_NUMBER"),
        ("Geburtsdatum", "DATE_OF_BIRTH"),
        ("employee_id", "ACCOUNT_NUMBER"),
        ("Role", NOT_PERSONAL),
        ("Job title", NOT_PERSONAL),
        ("Company name", NOT_PERSONAL),
        ("Abteilung", NOT_PERSONAL),
        ("Year", None),
    ],
)
def test_field_kind(header: str, kind: str | None) -> None:
    assert field_kind(header) == kind


def test_markdown_table_by_column() -> None:
    text = (
        "| Name | Role | E-mail |\n| --- | --- | --- |\n| Jordán Yüksel | Nurse | jy@example.com |\n"
        "| jane roe | Head of Finance | jr@example.com |\n| TBD | Controller | |\n"
    )
    found = find_structure(text)
    # fail closed: the lower-case name is masked whole; the placeholder is not
    assert spans(text) == ["Jordán Yüksel", "jane roe"]
    assert {text[s.start : s.end] for s in found.spans if s.entity_type == "EMAIL_ADDRESS"} == {
        "jy@example.com",
        "jr@example.com",
    }
    assert {"Nurse", "Head of Finance", "Controller", "Role"} <= {text[a:b] for a, b in found.not_person}


def test_pasted_csv_and_tsv() -> None:
    csv_text = "Intro line.\n\nName,Role,Year\nLenn Juhász,Account manager,2021\nDora Castrillo,Nurse,2019\n"
    assert spans(csv_text) == ["Dora Castrillo", "Lenn Juhász"]
    tsv_text = "Kontakt\tAbteilung\nÉva Vávra\tEinkauf\nJon Pastor\tVertrieb\n"
    assert spans(tsv_text) == ["Jon Pastor", "Éva Vávra"]


def test_a_headerless_name_column_is_inferred() -> None:
    text = "| Grace Hill | 2021 |\n| Maria Gonzalez | 2019 |\n| Tomasz Kowalczyk | 2020 |\n"
    assert spans(text) == ["Grace Hill", "Maria Gonzalez", "Tomasz Kowalczyk"]


def test_prose_with_commas_is_no_table() -> None:
    text = "We met Anna, Bob, and Carl there.\nThey ate, drank, and talked for hours.\n"
    assert list(find_tables(text)) == []


def test_label_and_role_lines() -> None:
    text = (
        "Chair: Éva Vávra. Minutes: the board met.\nOwner - Ilona Lantz\nSponsor – Slavěna Çamurcuoğlu\n"
        "Attendees:\n- Jordán Yüksel (Project Lead)\n- Zsolt Fleszar (Controller)\n"
        "Vítězslav da Costa, Head of Finance\nTechnical brewer: Ljubica Jurić\nStatus: Grace Hill approved\n"
    )
    assert spans(text) == sorted(
        [
            "Éva Vávra",
            "Ilona Lantz",
            "Slavěna Çamurcuoğlu",
            "Jordán Yüksel",
            "Zsolt Fleszar",
            "Vítězslav da Costa",
            "Ljubica Jurić",
        ]
    )
    not_person = {text[a:b] for a, b in find_structure(text).not_person}
    assert {"Project Lead", "Controller", "Head of Finance"} <= not_person


def test_mail_headers_quotes_and_signatures() -> None:
    text = (
        'From: "Doe, Jane" <jane@example.com>\nTo: Kai Ott <kai@example.com>; Bo Lindqvist <bo@example.com>\n\n'
        "Hi Kai,\n\nOn Monday, Ana Ruiz <ana@example.com> wrote:\n> fine\n\nMit freundlichen Grüßen\n\n"
        "Grit Allain\nSenior Account Manager\n"
    )
    assert spans(text) == ["Ana Ruiz", "Bo Lindqvist", "Doe, Jane", "Grit Allain", "Kai Ott"]


def test_caseless_scripts_where_a_name_goes() -> None:
    assert spans("Owner: 山田 太郎\nContact – 김 민준\n") == ["山田 太郎", "김 민준"]


def test_the_issue_patterns_leave_no_name_part(masker: Masker) -> None:
    names = list(people(31, 12))
    full = [f"{g} {s}" for g, s in names]
    text = (
        f"Chair: {full[0]}. Minutes: the board met on Tuesday.\nOwner - {full[1]}\nSponsor – {full[2]}\n\n"
        f"Name,Role,Year\n{full[3]},Account manager,2021\n{full[4]},Nurse,2019\n\n"
        f"| Name | Role |\n| --- | --- |\n| {full[5]} | Nurse |\n| {full[6]} | Head of Finance |\n\n"
        f"- {full[7]} (Project Lead)\n- {full[8]} (Controller)\n\n"
        f"Best regards,\n{full[9]}\nSenior Account Manager\n\n"
        f"Deployments are checked every week. {names[0][0]} agreed; {names[1][1]} did not.\n"
    )
    assert raw_parts(masker, text, names[:10]) == []


def test_capitalised_common_words_and_roles_are_not_persons(masker: Masker) -> None:
    text = (
        "Deployments are checked every Friday.\nDeployments are logged.\n\n"
        "| Name | Role |\n| --- | --- |\n| Ana Ruiz | Head of Finance |\n| Bo Li | Controller |\n"
    )
    result = masker.mask("doc_precision", text)
    masked = result.masked_text or ""
    assert masked.count("Deployments") == 2 and "Head of Finance" in masked and "Controller" in masked
    assert "Ana Ruiz" not in masked and "Bo Li" not in masked


def test_a_ner_span_never_runs_across_a_cell(masker: Masker) -> None:
    text = "| Account | Contact |\n| --- | --- |\n| Reynolds, Mills and Bennett | Jane Doe |\n"
    masked = masker.mask("doc_cells", text).masked_text or ""
    assert masked.count("|") == text.count("|")
