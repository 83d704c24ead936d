"""What a column header or a line label says its values are, in English and the main EU languages.

``field_kind("Contact Email")`` is EMAIL_ADDRESS, ``field_kind("Nachname")`` PERSON, ``field_kind("Job
title")`` NOT_PERSONAL (a role, a department, a status: never a person, so a name the NER model sees there is
not one), and an unknown header None. Headers are compared as lower-case words, underscores and
punctuation dropped ("first_name", "First Name:", "**Owner**" alike).
"""

from __future__ import annotations

import regex

from masking.names.vocabulary import is_person_role

PERSON = "PERSON"
NOT_PERSONAL = "NOT_PERSONAL"


def _phrases(text: str) -> frozenset[str]:
    """Phrases separated by "|" in a multi-line literal."""
    return frozenset(" ".join(p.split()) for p in text.split("|") if p.strip())


# Whole headers (after normalising) that name a person.
_PERSON_PHRASES = _phrases(
    """
    name|full name|first name|given name|forename|forenames|last name|surname|family name|middle name|maiden name
    |display name|preferred name|contact|contact name|contact person|customer|customer name|client|client name
    |employee|employee name|staff|staff member|person|people|owner|account owner|opportunity owner|lead owner
    |case owner|assignee|assigned to|reporter|requester|requestor|requested by|created by|modified by
    |updated by|author|authors|approver|approved by|reviewer|reviewed by|manager|line manager|supervisor
    |reports to|sponsor|chair|lead|responsible|accountable|sales rep|account manager|agent|patient|doctor
    |physician|nurse|tenant|landlord|guarantor|beneficiary|account holder|cardholder|card holder|signatory
    |applicant|candidate|student|pupil|teacher|attendee|attendees|participant|participants|member|members
    |host|speaker|presenter|facilitator|moderator|note taker|notetaker|scribe|secretary|treasurer
    |emergency contact|next of kin|spouse|parent|guardian|recipient|sender|from|to|cc|bcc|interviewer
    |interviewee|driver|passenger|witness|claimant|insured|policyholder|policy holder|subscriber|user
    |full names|names|who|initiator|submitted by|prepared by|signed by|on behalf of|attn|attention
    |vorname|nachname|familienname|mitarbeiter|mitarbeiterin|kunde|kundin|ansprechpartner|ansprechpartnerin
    |kontakt|kontaktperson|inhaber|inhaberin|eigentümer|verantwortlich|verantwortliche|vorgesetzter
    |vorgesetzte|leiter|leiterin|sachbearbeiter|sachbearbeiterin|bearbeiter|antragsteller|arzt|ärztin
    |empfänger|absender|vertreter|teilnehmer|teilnehmende
    |nom|prénom|prenom|nom de famille|nom complet|cliente|employé|employée|salarié|salariée|collaborateur
    |collaboratrice|interlocuteur|interlocutrice|propriétaire|titulaire|demandeur|patiente|médecin
    |destinataire|expéditeur|commercial|commerciale|gestionnaire|référent|référente|participants|auteur
    |nombre|apellido|apellidos|nombre completo|empleado|empleada|contacto|persona de contacto|propietario
    |solicitante|paciente|médico|destinatario|remitente|gestor|autor
    |nome|cognome|nome completo|dipendente|contatto|referente|responsabile|proprietario|richiedente
    |paziente|medico|mittente
    |naam|voornaam|achternaam|klant|medewerker|contactpersoon|eigenaar|verantwoordelijke|aanvrager|patiënt
    |arts|ontvanger|afzender|leidinggevende|deelnemers
    |imię|nazwisko|imię i nazwisko|klient|pracownik|osoba kontaktowa|właściciel|odpowiedzialny|wnioskodawca
    |pacjent|lekarz|odbiorca|nadawca|kierownik
    |sobrenome|funcionário|contato|responsável|namn|förnamn|efternamn|kund|anställd|ansvarig|ägare
    |navn|fornavn|efternavn|medarbejder|ansvarlig|ejer|nimi|etunimi|sukunimi|jméno|příjmení
    |present|absent|apologies|regrets|invitees|invited|guests|in attendance|also present|anwesend|abwesend
    |entschuldigt|présents|présent|excusés|absents|presentes|ausentes|presenti|assenti|aanwezig|afwezig
    |obecni|nieobecni|närvarande|tilstede
    """
)
_EMAIL_WORDS = frozenset("email e-mail mail courriel correo e-mailadres emailadres epost e-post".split())
_PHONE_WORDS = frozenset(
    """phone telephone tel tel. mobile cell cellphone fax telefon telefonnummer handy mobil téléphone portable
    teléfono telefono móvil movil celular cellulare telefoon mobiel telefone telemóvel puhelin""".split()
)
_ADDRESS_PHRASES = _phrases(
    """address|home address|street|street address|postal address|mailing address|billing address
    |shipping address|residence|adresse|anschrift|straße|strasse|wohnort|dirección|direccion|domicilio
    |indirizzo|adres|morada|endereço|endereco|adress|adresse postale|adresse domicile"""
)
_BIRTH_PHRASES = _phrases(
    """date of birth|dob|d.o.b.|d.o.b|birth date|birthdate|birthday|born|geburtsdatum|geburtstag|date de naissance
    |né le|née le|fecha de nacimiento|data di nascita|geboortedatum|data urodzenia|data de nascimento
    |födelsedatum|fødselsdato|syntymäaika|datum narození"""
)
_SSN_PHRASES = _phrases("ssn|social security number|social security no|social security #")
_IBAN_PHRASES = _phrases(
    "iban|bank account|bankverbindung|rib|compte bancaire|cuenta bancaria|conto corrente"
)
_NATIONAL_ID_PHRASES = _phrases(
    """national insurance number|national insurance no|ni number
    |nino|national id|id number|passport number|passport no|tax id|tin|steuer-id|steueridentifikationsnummer
    |sozialversicherungsnummer|numéro de sécurité sociale|n° de sécurité sociale|nir|insee|dni|nie|nif
    |codice fiscale|bsn|burgerservicenummer|pesel|personnummer|cpr|cpr-nummer|henkilötunnus|rodné číslo
    |cpf|rg"""
)
# Identifier columns: a personal word with an id word ("Employee ID", "Personalnummer", "customer_no").
_ID_WORDS = frozenset("id no nr number num # code nummer numéro número numero".split())
_ID_OWNERS = frozenset(
    "employee staff personnel customer client member account patient student badge payroll personal kunden mitarbeiter".split()
)
_ID_HEADERS = frozenset("personalnummer kundennummer mitgliedsnummer matricule matrícula matricola".split())
# Never a person, whatever the NER model says about its values.
_NOT_PERSONAL_WORDS = frozenset(
    """role title job position function funktion poste fonction cargo puesto ruolo mansione functie rol
    stanowisko department dept team division unit abteilung service département departement departamento
    reparto afdeling dział status stage state état estado stato fase location city country region office
    site ort stadt land ville pays ciudad città stad company account organisation organization firma société
    empresa società bedrijf employer product category type priority decision outcome result level grade
    seniority branch sector industry segment currency amount total price rolle étape montant importe importo
    bedrag kwota belopp""".split()
)
# "Company name", "Product name": a name, but not a person's.
_NOT_A_PERSON_QUALIFIERS = frozenset(
    """company product account project file team department business organisation organization firm brand
    site server host domain user event course item street city town store shop venue band model""".split()
)
MAX_ROLE_LABEL_WORDS = 6
MAX_HEADER_WORDS = 6
MAX_HEADER_CHARS = 60
_NORMALISE = regex.compile(r"[_*#:\[\]()\"'`]+|(?<=\p{L})\.(?=\s|$)")
_SPACES = regex.compile(r"\s+")


def normalise_header(text: str) -> str:
    """'**First_Name:**' -> 'first name'."""
    return _SPACES.sub(" ", _NORMALISE.sub(" ", text.casefold())).strip(" .-")


def field_kind(header: str) -> str | None:
    """The entity type a header or label names (PERSON, EMAIL_ADDRESS, ...), NOT_PERSONAL, or None."""
    phrase = normalise_header(header)
    if not phrase or len(phrase) > MAX_HEADER_CHARS:
        return None
    words = phrase.replace("/", " ").replace(",", " ").split()
    if not words or len(words) > MAX_HEADER_WORDS:
        return None
    kind = _by_words(phrase, words)
    # "Project Lead", "Executive sponsor", "Designer, industrial/product", "Development scientist"
    role = is_person_role(words[-1]) or (kind is None and any(is_person_role(w) for w in words))
    short = len(words) <= MAX_ROLE_LABEL_WORDS and phrase not in _NOT_PERSONAL_WORDS
    if role and short and kind in (None, NOT_PERSONAL):
        return PERSON
    return kind


def _by_words(phrase: str, words: list[str]) -> str | None:
    word_set = set(words) | {w.strip("-") for w in phrase.split("-")}
    if word_set & _EMAIL_WORDS or phrase.startswith(("e-mail", "email")):
        return "EMAIL_ADDRESS"
    if word_set & _PHONE_WORDS or phrase.startswith(("phone", "tel")):
        return "PHONE_NUMBER"
    if phrase in _BIRTH_PHRASES:
        return "DATE_OF_BIRTH"
    if phrase in _SSN_PHRASES:
        return "US_SSN"
    if phrase in _NATIONAL_ID_PHRASES:
        return "NATIONAL_ID"
    if phrase in _IBAN_PHRASES:
        return "IBAN_CODE"
    if phrase in _ID_HEADERS or (word_set & _ID_WORDS and word_set & _ID_OWNERS):
        return "ACCOUNT_NUMBER"
    if phrase in _ADDRESS_PHRASES:
        return "STREET_ADDRESS"
    if "name" in word_set and word_set & _NOT_A_PERSON_QUALIFIERS:
        return NOT_PERSONAL
    if phrase in _PERSON_PHRASES:
        return PERSON
    if word_set & _NOT_PERSONAL_WORDS:
        return NOT_PERSONAL
    return None
