"""Words that are not names though they head a line, a cell or a label: roles and job titles,
departments and teams, organisation words, placeholders, in English and the main EU languages."""

from __future__ import annotations

import regex

# Nouns for people by what they do (lower case). A word that ends with one of the longer ones is one too
# ("Neurosurgeon", "Dramatherapist").
PERSON_ROLES = frozenset(
    """
    manager director officer head lead chief president vice secretary treasurer chair chairman chairwoman
    chairperson owner sponsor coordinator administrator admin assistant associate analyst engineer
    developer designer architect consultant specialist advisor adviser accountant auditor clerk controller
    supervisor executive partner intern trainee apprentice representative rep agent technician mechanic
    operator inspector planner scheduler dispatcher recruiter buyer seller salesperson dealer scientist
    researcher professor lecturer teacher tutor instructor trainer coach counsellor counselor therapist
    psychologist psychiatrist physician surgeon doctor nurse midwife pharmacist dentist paramedic
    radiographer physiotherapist optometrist orthoptist dietitian carer caretaker cleaner porter driver
    courier cook chef waiter barista receptionist librarian editor writer author journalist reporter
    proofreader translator interpreter photographer producer presenter broadcaster lawyer solicitor barrister
    attorney counsel paralegal notary judge magistrate surveyor valuer broker underwriter actuary banker
    trader economist statistician programmer tester steward stewardess pilot captain sailor soldier guard
    ranger farmer gardener florist baker butcher builder labourer laborer carpenter plumber electrician
    painter decorator welder fitter installer estimator draughtsman draftsman technologist curator archivist
    conservator volunteer member founder cofounder co-founder ceo cfo cto coo cio cmo cso vp svp evp pm po
    ba sre facilitator moderator host scribe minute-taker notetaker note-taker taker approver reviewer
    assignee requester stakeholder attendee participant guest speaker worker adjuster fundraiser organiser
    organizer maker brewer musician artist animator illustrator chemist linguist florist
    optician
    leiter leiterin geschäftsführer geschäftsführerin vorsitzender vorsitzende mitarbeiter mitarbeiterin
    sachbearbeiter sachbearbeiterin berater beraterin ingenieur ingenieurin
    directeur directrice responsable chef gérant gérante président présidente secrétaire trésorier
    trésorière conseiller conseillère ingénieur commercial commerciale comptable assistante
    directora gerente jefe jefa presidente secretario secretaria tesorero tesorera asesor asesora ingeniero
    ingeniera contable direttore direttrice responsabile segretario segretaria tesoriere consulente ingegnere
    voorzitter secretaris penningmeester medewerker medewerkster adviseur leidinggevende
    kierownik dyrektor prezes sekretarz księgowy specjalista konsultant
    """.split()
)
# Departments, teams and bodies: not a person, never a name.
UNITS = frozenset(
    """
    hr it qa devops finance sales marketing operations legal procurement logistics engineering support
    compliance security research treasury payroll facilities accounting accounts purchasing quality product
    development administration management communications strategy governance risk audit team department
    division unit office staff committee board panel group desk service services customers clients success
    abteilung
    """.split()
)
ROLE_WORDS = PERSON_ROLES | UNITS
# Words of an organisation's name ("Acme Ltd", "Cisco Systems").
ORGANISATION_WORDS = frozenset(
    """
    inc ltd llc llp plc gmbh ag bv nv sa sas sarl srl spa oy ab as aps kg corp corporation company co group
    holdings technologies technology solutions systems services partners associates bank university
    college school hospital clinic institute foundation trust council ministry agency authority
    """.split()
)
_SUFFIX_ROLES = tuple(sorted((w for w in PERSON_ROLES if len(w) >= 5), key=len, reverse=True))
# Job-title endings that are rarely a name's ("Acupuncturist", "Osteopath", "Statistician").
_JOB_SUFFIX = regex.compile(
    r"(?:ologist|ographer|ician|(?<![vq])ist|path|smith|wright|monger|keeper|maker|worker)$"
)
MIN_SUFFIX_WORD = 8
PLACEHOLDERS = frozenset(
    "tbd tba tbc n/a na none null nil unknown vacant pending open various all nobody everyone anyone self -".split()
)


# Placeholder Latin ("lorem ipsum"): the words of Cicero's De finibus (public domain) that placeholder
# generators draw from. Templates and mock-ups keep it; its capitalised sentence starts are no names.
LATIN_FILLER = frozenset(
    "a ab accusamus accusantium ad adipisci adipiscing alias aliqua aliquam aliquid aliquip amet animi anim "
    "aperiam architecto asperiores aspernatur assumenda at atque aut aute autem beatae blanditiis cillum "
    "commodi commodo consectetur consequat consequatur consequuntur corporis corrupti culpa cum cumque "
    "cupidatat cupiditate debitis delectus deleniti deserunt dicta dignissimos distinctio do dolor dolore "
    "dolorem doloremque dolores doloribus dolorum ducimus duis ea eaque earum eius eiusmod eligendi enim eos "
    "error esse est et eum eveniet ex excepteur excepturi exercitation exercitationem expedita explicabo "
    "facere facilis fuga fugiat fugit harum hic id illo illum impedit in incididunt incidunt inventore ipsa "
    "ipsam ipsum irure iste itaque iure iusto labore laboriosam laboris laborum laudantium libero lorem "
    "magna magnam magni maiores maxime minim minima minus modi molestiae molestias mollit mollitia nam "
    "natus necessitatibus nemo neque nesciunt nihil nisi nobis non nostrud nostrum nulla numquam obcaecati "
    "occaecat odio odit officia officiis omnis optio pariatur perferendis perspiciatis placeat porro "
    "possimus praesentium proident provident quae quaerat quam quas quasi qui quia quibusdam quidem quis "
    "quisquam quo quod quos ratione recusandae reiciendis reprehenderit rem repellat repellendus "
    "repudiandae rerum saepe sapiente sed sequi similique sint sit soluta sunt suscipit tempor tempora "
    "tempore temporibus tenetur totam ullam ullamco unde ut velit vel veniam veritatis vero vitae "
    "voluptas voluptate voluptatem voluptates voluptatibus voluptatum".split()
)  # fmt: skip


def _key(word: str) -> str:
    return word.casefold().strip(".,;:()")


def is_person_role(word: str, known_name: bool = False) -> bool:
    """A noun for a person by what they do; ``known_name``: the word is also a listed name (then only the
    list itself counts, not the endings: "Smith" is a name, "Locksmith" a job)."""
    key = _key(word)
    if key in PERSON_ROLES:
        return True
    if known_name or len(key) < MIN_SUFFIX_WORD:
        return False
    return key.endswith(_SUFFIX_ROLES) or _JOB_SUFFIX.search(key) is not None


def is_role_word(word: str, known_name: bool = False) -> bool:
    """A role, job title, department, team or organisation word."""
    key = _key(word)
    return key in UNITS or key in ORGANISATION_WORDS or is_person_role(word, known_name)


def is_placeholder(text: str) -> bool:
    return text.strip().casefold() in PLACEHOLDERS
