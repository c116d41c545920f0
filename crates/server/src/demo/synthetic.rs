//! A synthetic community in the interchange format: the data tests and benchmarks run on
//! (`cxc demo-data`), and the crowd around the hand-written people of `serve --demo`.
//!
//! It is deterministic (ChaCha8 from a seed, no hash-order dependence) and one stream: the first
//! N people of a larger community are exactly the people of a smaller one with the same seed.
//! Popularity is Zipf-skewed, as in real communities: a few capacities, countries, languages and
//! affiliates account for most people, and a long tail for the rest.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::interchange::{
    CapacityRecord, CapacityRef, LanguageRecord, OrganizationRecord, ProfileRecord, Record,
};

const AREAS: [&str; 7] = [
    "Organizational structure",
    "Communication",
    "Learning and evaluation",
    "Community health",
    "Social skills",
    "Strategic management",
    "Technology",
];
/// Second-level capacities, dealt to the areas in turn.
const CAPACITIES: [&str; 30] = [
    "Event organization",
    "Public speaking",
    "Program evaluation",
    "Conflict resolution",
    "Mentoring",
    "Partnerships",
    "Software development",
    "Grant writing",
    "Translation",
    "Training design",
    "Safe spaces",
    "Volunteer engagement",
    "Advocacy",
    "Data analysis",
    "Project management",
    "Social media",
    "Workshop facilitation",
    "Code of conduct",
    "Networking",
    "Fundraising",
    "Bot operation",
    "Budgeting",
    "Copy editing",
    "Surveys",
    "Well-being",
    "Leadership",
    "Policy",
    "Templates and modules",
    "Governance",
    "Photography",
];
const SPECIALISATIONS: [&str; 16] = [
    "basics",
    "advanced",
    "tools",
    "for newcomers",
    "in practice",
    "at scale",
    "for affiliates",
    "online",
    "offline",
    "case studies",
    "peer review",
    "documentation",
    "automation",
    "outreach",
    "assessment",
    "accessibility",
];
/// How many capacities the synthetic taxonomy has, over three levels.
pub const TAXONOMY_SIZE: usize = 150;

/// Country, its main language and a time zone people there use.
const COUNTRIES: [(&str, &str, &str); 61] = [
    ("NG", "yo", "Africa/Lagos"),
    ("GH", "en", "Africa/Accra"),
    ("KE", "sw", "Africa/Nairobi"),
    ("ZA", "zu", "Africa/Johannesburg"),
    ("UG", "en", "Africa/Kampala"),
    ("TZ", "sw", "Africa/Dar_es_Salaam"),
    ("CM", "fr", "Africa/Douala"),
    ("SN", "fr", "Africa/Dakar"),
    ("ET", "am", "Africa/Addis_Ababa"),
    ("RW", "rw", "Africa/Kigali"),
    ("DE", "de", "Europe/Berlin"),
    ("FR", "fr", "Europe/Paris"),
    ("GB", "en", "Europe/London"),
    ("NL", "nl", "Europe/Amsterdam"),
    ("SE", "sv", "Europe/Stockholm"),
    ("NO", "nb", "Europe/Oslo"),
    ("ES", "es", "Europe/Madrid"),
    ("IT", "it", "Europe/Rome"),
    ("PT", "pt", "Europe/Lisbon"),
    ("IE", "en", "Europe/Dublin"),
    ("CH", "de", "Europe/Zurich"),
    ("ID", "id", "Asia/Jakarta"),
    ("PH", "tl", "Asia/Manila"),
    ("MY", "ms", "Asia/Kuala_Lumpur"),
    ("TH", "th", "Asia/Bangkok"),
    ("VN", "vi", "Asia/Ho_Chi_Minh"),
    ("JP", "ja", "Asia/Tokyo"),
    ("KR", "ko", "Asia/Seoul"),
    ("TW", "zh", "Asia/Taipei"),
    ("AU", "en", "Australia/Sydney"),
    ("BR", "pt-br", "America/Sao_Paulo"),
    ("MX", "es", "America/Mexico_City"),
    ("AR", "es", "America/Argentina/Buenos_Aires"),
    ("CO", "es", "America/Bogota"),
    ("CL", "es", "America/Santiago"),
    ("PE", "es", "America/Lima"),
    ("VE", "es", "America/Caracas"),
    ("BO", "es", "America/La_Paz"),
    ("UY", "es", "America/Montevideo"),
    ("CU", "es", "America/Havana"),
    ("UA", "uk", "Europe/Kyiv"),
    ("PL", "pl", "Europe/Warsaw"),
    ("CZ", "cs", "Europe/Prague"),
    ("HU", "hu", "Europe/Budapest"),
    ("RO", "ro", "Europe/Bucharest"),
    ("RS", "sr", "Europe/Belgrade"),
    ("AM", "hy", "Asia/Yerevan"),
    ("GE", "ka", "Asia/Tbilisi"),
    ("IN", "hi", "Asia/Kolkata"),
    ("BD", "bn", "Asia/Dhaka"),
    ("PK", "ur", "Asia/Karachi"),
    ("NP", "ne", "Asia/Kathmandu"),
    ("LK", "si", "Asia/Colombo"),
    ("EG", "ar", "Africa/Cairo"),
    ("MA", "ar", "Africa/Casablanca"),
    ("TN", "ar", "Africa/Tunis"),
    ("JO", "ar", "Asia/Amman"),
    ("IR", "fa", "Asia/Tehran"),
    ("IL", "he", "Asia/Jerusalem"),
    ("US", "en", "America/New_York"),
    ("CA", "en", "America/Toronto"),
];
/// Countries with a national chapter in the synthetic community, and their names in English.
const CHAPTERS: [(&str, &str); 43] = [
    ("DE", "Germany"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("NL", "Netherlands"),
    ("SE", "Sweden"),
    ("NO", "Norway"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("PT", "Portugal"),
    ("IE", "Ireland"),
    ("CH", "Switzerland"),
    ("ID", "Indonesia"),
    ("PH", "Philippines"),
    ("MY", "Malaysia"),
    ("TH", "Thailand"),
    ("JP", "Japan"),
    ("KR", "Korea"),
    ("TW", "Taiwan"),
    ("AU", "Australia"),
    ("BR", "Brazil"),
    ("MX", "Mexico"),
    ("AR", "Argentina"),
    ("CO", "Colombia"),
    ("CL", "Chile"),
    ("PE", "Peru"),
    ("VE", "Venezuela"),
    ("UA", "Ukraine"),
    ("PL", "Poland"),
    ("CZ", "Czech Republic"),
    ("HU", "Hungary"),
    ("RS", "Serbia"),
    ("AM", "Armenia"),
    ("IN", "India"),
    ("BD", "Bangladesh"),
    ("NP", "Nepal"),
    ("EG", "Egypt"),
    ("IL", "Israel"),
    ("US", "United States"),
    ("CA", "Canada"),
    ("NG", "Nigeria"),
    ("GH", "Ghana"),
    ("KE", "Kenya"),
    ("ZA", "South Africa"),
];
const THEMATIC: [(&str, &str); 7] = [
    ("WWUG", "WikiWomen User Group"),
    ("WMLGBT", "Wikimedia LGBT+ User Group"),
    ("WMEDU", "Wikimedia Education User Group"),
    ("WMMED", "Wikimedia Medicine"),
    ("WMGLAM", "GLAM Wiki User Group"),
    ("WDUG", "Wikidata User Group"),
    ("WMSCI", "Wiki Science User Group"),
];
/// Second languages, besides English and the country's own.
const OTHER_LANGUAGES: [&str; 40] = [
    "es", "fr", "pt", "pt-br", "de", "it", "nl", "sv", "nb", "pl", "cs", "hu", "ro", "sr", "ru",
    "uk", "hy", "ka", "ar", "fa", "he", "hi", "bn", "ur", "ne", "si", "ta", "zh", "ja", "ko", "id",
    "ms", "th", "vi", "tl", "sw", "yo", "am", "zu", "rw",
];
const FIRST_NAMES: [&str; 58] = [
    "Ana", "Bruno", "Chidi", "Dana", "Elif", "Farah", "Gabriel", "Hana", "Ivan", "Joana", "Kwame",
    "Lina", "Mateo", "Nadia", "Omar", "Priya", "Quang", "Rosa", "Sven", "Tariq", "Uma", "Vera",
    "Wei", "Ximena", "Yusuf", "Zainab", "Amara", "Bilal", "Carmen", "Dmitri", "Esi", "Felipe",
    "Giulia", "Hiroshi", "Ines", "Jamal", "Kiri", "Lars", "Mei", "Nuno", "Olga", "Pedro", "Rahul",
    "Sofia", "Tunde", "Ula", "Vusi", "Wanjiru", "Yara", "Zeynep", "Élodie", "Zoë", "Łukasz",
    "Søren", "José", "Chloé", "Ngozi", "Thảo",
];
const LAST_NAMES: [&str; 42] = [
    "Silva", "Okafor", "Mensah", "Kowalski", "Nguyen", "Haddad", "Garcia", "Sato", "Kim", "Müller",
    "Dubois", "Rossi", "Novak", "Ivanova", "Sharma", "Rahman", "Khan", "Perera", "Tanaka",
    "Santos", "Mwangi", "Abebe", "Hughes", "Jansen", "Berg", "Costa", "López", "Petrov", "Horvat",
    "Popescu", "Tran", "Wong", "Chen", "Ali", "Cohen", "Ahmadi", "Diallo", "Banda", "Ortiz",
    "Reyes", "Ñúñez", "Çelik",
];
/// Display names in the script of a language, for some of its speakers.
const NATIVE_NAMES: [(&str, &[&str]); 17] = [
    ("ar", &["سارة المصري", "محمد حداد", "ليلى بن علي"]),
    ("fa", &["مریم احمدی", "رضا کریمی"]),
    ("he", &["נועה כהן", "יוסף לוי"]),
    ("hi", &["प्रिया शर्मा", "राहुल वर्मा"]),
    ("bn", &["রহিম খান"]),
    ("ur", &["عائشہ خان"]),
    ("ja", &["佐藤 さくら", "田中 ひろし"]),
    ("zh", &["陈 美玲", "王 伟"]),
    ("ko", &["김 민지"]),
    ("uk", &["Олена Петренко", "Андрій Коваль"]),
    ("hy", &["Անի Պետրոսյան"]),
    ("ka", &["ნინო ბერიძე"]),
    ("th", &["สมชาย ใจดี"]),
    ("am", &["አበበ ከበደ"]),
    ("ne", &["सीता थापा"]),
    ("si", &["නිමල් පෙරේරා"]),
    ("sr", &["Марко Јовановић"]),
];
const PRONOUNS: [&str; 3] = ["she/her", "he/him", "they/them"];

// The pieces bios are made of: a few sentences a volunteer would write about themselves.
const TOPICS: [&str; 16] = [
    "local history",
    "women scientists",
    "traditional music",
    "biodiversity",
    "historic monuments",
    "public health",
    "women's football",
    "oral literature",
    "endangered languages",
    "climate change",
    "old maps",
    "street art",
    "indigenous knowledge",
    "folk medicine",
    "railways",
    "poetry",
];
const ROLES: [&str; 10] = [
    "teacher",
    "student",
    "librarian",
    "journalist",
    "software engineer",
    "researcher",
    "designer",
    "retired nurse",
    "archivist",
    "museum curator",
];
const PROJECTS: [&str; 5] = [
    "Wikipedia",
    "Wikidata",
    "Wikimedia Commons",
    "Wikisource",
    "Wiktionary",
];
const EVENTS: [&str; 6] = [
    "edit-a-thons",
    "photo walks",
    "translation sprints",
    "Wiki Loves Monuments",
    "school workshops",
    "Wikidata weekends",
];

fn zipf(n: usize, exponent: f64) -> WeightedIndex<f64> {
    WeightedIndex::new((1..=n).map(|rank| 1.0 / (rank as f64).powf(exponent)))
        .expect("weights of a non-empty list")
}

/// Weighted choice over items listed in popularity order.
struct Popular<T> {
    items: Vec<T>,
    weights: WeightedIndex<f64>,
}

impl<T: Clone + PartialEq> Popular<T> {
    fn new(rng: &mut ChaCha8Rng, mut items: Vec<T>, exponent: f64) -> Self {
        // Which item is popular is itself random, so no list's order decides it.
        items.shuffle(rng);
        let weights = zipf(items.len(), exponent);
        Popular { items, weights }
    }

    fn one(&self, rng: &mut ChaCha8Rng) -> T {
        self.items[self.weights.sample(rng)].clone()
    }

    /// Up to `k` distinct items, weighted, none of them in `exclude`.
    fn some(&self, rng: &mut ChaCha8Rng, k: usize, exclude: &[T]) -> Vec<T> {
        let available = self.items.iter().filter(|i| !exclude.contains(i)).count();
        let mut out: Vec<T> = Vec::with_capacity(k.min(available));
        while out.len() < k.min(available) {
            let item = self.one(rng);
            if !exclude.contains(&item) && !out.contains(&item) {
                out.push(item);
            }
        }
        out
    }
}

/// What generated people may refer to: capacities (key and English label) and organizations
/// (key and home country, if any).
pub struct Universe {
    pub capacities: Vec<(String, String)>,
    pub organizations: Vec<(String, Option<String>)>,
}

impl Universe {
    /// The synthetic taxonomy and organizations of [`taxonomy`] and [`organizations`].
    pub fn synthetic() -> Universe {
        Universe {
            capacities: taxonomy()
                .into_iter()
                .map(|c| (c.key, c.labels["en"].clone()))
                .collect(),
            organizations: organizations()
                .into_iter()
                .map(|o| (o.key, o.countries.first().cloned()))
                .collect(),
        }
    }
}

fn english(text: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("en".to_owned(), text.to_owned())])
}

/// 150 capacities: 7 areas, 30 capacities under them and 113 specialisations, keyed `cap-N`.
pub fn taxonomy() -> Vec<CapacityRecord> {
    let mut records: Vec<CapacityRecord> = Vec::with_capacity(TAXONOMY_SIZE);
    let mut add = |parent: Option<String>, label: String| {
        let key = format!("cap-{}", records.len() + 1);
        records.push(CapacityRecord {
            key: key.clone(),
            parent,
            labels: english(&label),
            descriptions: BTreeMap::new(),
            qid: None,
            status: None,
            merged_into: None,
        });
        key
    };
    let areas: Vec<String> = AREAS.iter().map(|a| add(None, (*a).to_owned())).collect();
    let capacities: Vec<(String, &str)> = CAPACITIES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                add(Some(areas[i % areas.len()].clone()), (*name).to_owned()),
                *name,
            )
        })
        .collect();
    for j in 0..TAXONOMY_SIZE - AREAS.len() - CAPACITIES.len() {
        let (parent, name) = &capacities[j % capacities.len()];
        let suffix = SPECIALISATIONS[(j / capacities.len()) % SPECIALISATIONS.len()];
        add(Some(parent.clone()), format!("{name}: {suffix}"));
    }
    records
}

/// 43 national chapters (`WMxx`) and 7 thematic user groups.
pub fn organizations() -> Vec<OrganizationRecord> {
    let record =
        |key: String, kind: &str, name: String, countries: Vec<String>| OrganizationRecord {
            key,
            kind: kind.to_owned(),
            names: english(&name),
            countries,
            description: BTreeMap::new(),
            website: None,
            meta_page: None,
            known: Vec::new(),
            offered: Vec::new(),
            wanted: Vec::new(),
        };
    CHAPTERS
        .iter()
        .map(|(cc, name)| {
            record(
                format!("WM{cc}"),
                "chapter",
                format!("Wikimedia {name}"),
                vec![(*cc).to_owned()],
            )
        })
        .chain(THEMATIC.iter().map(|(key, name)| {
            record(
                (*key).to_owned(),
                "user_group",
                (*name).to_owned(),
                Vec::new(),
            )
        }))
        .collect()
}

/// An endless, deterministic stream of people.
pub struct People {
    rng: ChaCha8Rng,
    capacities: Popular<usize>,
    labels: Vec<String>,
    keys: Vec<String>,
    countries: Popular<usize>,
    languages: Popular<&'static str>,
    organizations: Popular<String>,
    chapter_of: BTreeMap<String, String>,
    next: u64,
}

/// The first day anyone joined, and how many days after it people keep joining.
const JOINED_FROM: (i16, i8, i8) = (2023, 9, 1);
const JOINED_DAYS: i32 = 1033;

impl People {
    pub fn new(universe: &Universe, seed: u64) -> People {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let capacities = Popular::new(&mut rng, (0..universe.capacities.len()).collect(), 0.9);
        let countries = Popular::new(&mut rng, (0..COUNTRIES.len()).collect(), 1.0);
        let languages = Popular::new(&mut rng, OTHER_LANGUAGES.to_vec(), 1.0);
        let organizations = Popular::new(
            &mut rng,
            universe.organizations.iter().map(|o| o.0.clone()).collect(),
            1.0,
        );
        People {
            rng,
            capacities,
            keys: universe.capacities.iter().map(|c| c.0.clone()).collect(),
            labels: universe
                .capacities
                .iter()
                .map(|c| lowercase_first(&c.1))
                .collect(),
            countries,
            languages,
            organizations,
            chapter_of: universe
                .organizations
                .iter()
                .filter_map(|(key, country)| Some((country.clone()?, key.clone())))
                .collect(),
            next: 1,
        }
    }

    /// `k` capacities by popularity, sorted as the taxonomy lists them.
    fn capacities(&mut self, k: usize, exclude: &[usize]) -> Vec<usize> {
        let mut picked = self.capacities.some(&mut self.rng, k, exclude);
        picked.sort_unstable();
        picked
    }

    fn bio(&mut self, offered: &[usize], wanted: &[usize], country: &str) -> String {
        let rng = &mut self.rng;
        let topic = TOPICS.choose(rng).copied().unwrap_or_default();
        let project = PROJECTS.choose(rng).copied().unwrap_or_default();
        let role = ROLES.choose(rng).copied().unwrap_or_default();
        let event = EVENTS.choose(rng).copied().unwrap_or_default();
        let since = 2005 + rng.random_range(0..20);
        let mut sentences = vec![match rng.random_range(0..4) {
            0 => format!("I write about {topic} on {project} and review new articles."),
            1 => format!("A {role} who has edited {project} since {since}, mostly on {topic}."),
            2 => format!("I am a {role} in {country} and I love sharing {topic} with the world."),
            _ => format!(
                "I upload photos of {topic} to Wikimedia Commons and describe them on Wikidata."
            ),
        }];
        if let Some(&c) = offered.choose(rng) {
            let label = &self.labels[c];
            sentences.push(match rng.random_range(0..3) {
                0 => format!("I can help with {label}."),
                1 => format!("Happy to share what I know about {label}."),
                _ => format!("Ask me about {label}; I learnt it the hard way."),
            });
        }
        if let Some(&c) = wanted.choose(rng) {
            let label = &self.labels[c];
            sentences.push(match rng.random_range(0..3) {
                0 => format!("I would like to learn {label}."),
                1 => format!("Looking for someone to teach me {label}."),
                _ => format!("Next I want to get better at {label}."),
            });
        }
        if rng.random_bool(0.5) {
            sentences.push(format!("Our group runs {event} a few times a year."));
        }
        sentences.join(" ")
    }
}

fn lowercase_first(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) if !label.chars().nth(1).is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => label.to_owned(),
    }
}

/// A draw from the exponential distribution with this mean, rounded down.
fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    (-(1.0 - rng.random::<f64>()).ln() * mean) as usize
}

impl Iterator for People {
    type Item = ProfileRecord;

    fn next(&mut self) -> Option<ProfileRecord> {
        let n = self.next;
        self.next += 1;
        let first = *FIRST_NAMES.choose(&mut self.rng)?;
        let last = *LAST_NAMES.choose(&mut self.rng)?;
        let (country, primary, timezone) = COUNTRIES[self.countries.one(&mut self.rng)];

        let mut languages = Vec::new();
        let mut spoken: Vec<&'static str> = Vec::new();
        if self.rng.random_bool(0.85) {
            spoken.push(primary);
            languages.push(LanguageRecord {
                code: primary.to_owned(),
                level: "native".into(),
            });
        }
        if primary != "en" && self.rng.random_bool(0.6) {
            spoken.push("en");
            languages.push(LanguageRecord {
                code: "en".to_owned(),
                level: self.rng.random_range(1..=5u8).into(),
            });
        }
        let extra = [0, 0, 0, 1, 1, 2][self.rng.random_range(0..6)];
        for code in self.languages.some(&mut self.rng, extra, &spoken) {
            let level = match self.rng.random_range(0..6u8) {
                5 => "native".into(),
                l => (l + 1).into(),
            };
            languages.push(LanguageRecord {
                code: code.to_owned(),
                level,
            });
        }

        let count = (1 + exponential(&mut self.rng, 5.0)).min(20);
        let known = self.capacities(count, &[]);
        let offered: Vec<usize> = known
            .iter()
            .copied()
            .filter(|_| self.rng.random_bool(0.5))
            .collect();
        let count = exponential(&mut self.rng, 4.0).min(12);
        let wanted = self.capacities(count, &known);

        let mut affiliations = Vec::new();
        if self.rng.random_bool(0.3) {
            let home = self
                .rng
                .random_bool(0.7)
                .then(|| self.chapter_of.get(country).cloned())
                .flatten();
            affiliations.push(home.unwrap_or_else(|| self.organizations.one(&mut self.rng)));
        }
        let mut display_name = format!("{first} {last}");
        if let Some((_, names)) = NATIVE_NAMES.iter().find(|(code, _)| *code == primary)
            && self.rng.random_bool(0.3)
        {
            display_name = (*names.choose(&mut self.rng)?).to_owned();
        }
        let roll: f64 = self.rng.random();
        let visibility = if roll < 0.02 {
            "hidden"
        } else if roll < 0.07 {
            "members"
        } else {
            "public"
        };
        let joined = jiff::civil::date(JOINED_FROM.0, JOINED_FROM.1, JOINED_FROM.2)
            .checked_add(jiff::Span::new().days(self.rng.random_range(0..=JOINED_DAYS)))
            .ok()?;
        let wiki = primary.split('-').next().unwrap_or(primary);
        let mut projects = vec![format!("{wiki}wiki")];
        for family in ["commons", "wikidata"] {
            if self.rng.random_bool(0.3) {
                projects.push(family.to_owned());
            }
        }
        let pronouns = self
            .rng
            .random_bool(0.3)
            .then(|| PRONOUNS.choose(&mut self.rng).map(|p| (*p).to_owned()))
            .flatten();
        let max_connections = self
            .rng
            .random_bool(0.25)
            .then(|| self.rng.random_range(1..=5));
        let bio = self.bio(&offered, &wanted, country);
        let refs = |list: &[usize]| {
            list.iter()
                .map(|&c| CapacityRef::Key(self.keys[c].clone()))
                .collect()
        };
        Some(ProfileRecord {
            username: format!("{first}_{last}_{n}"),
            display_name,
            bio,
            bio_language: Some("en".to_owned()),
            country: Some(country.to_owned()),
            languages,
            known: refs(&known),
            offered: refs(&offered),
            wanted: refs(&wanted),
            affiliations,
            visibility: visibility.to_owned(),
            joined: Some(joined.to_string()),
            pronouns,
            timezone: Some(timezone.to_owned()),
            projects,
            away_until: None,
            max_connections,
            recommendable: true,
        })
    }
}

/// The files `cxc demo-data` writes into its folder, in the order to import them.
pub const FILES: [&str; 3] = ["taxonomy.jsonl", "organizations.jsonl", "profiles.jsonl"];

/// Writes the synthetic taxonomy, its organizations and `profiles` people into `dir` (made if
/// missing); `progress` is told about every person written.
pub fn write(dir: &Path, profiles: u64, seed: u64, progress: &dyn Fn(u64)) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let open = |name: &str| -> anyhow::Result<BufWriter<File>> {
        let path = dir.join(name);
        let file =
            File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(BufWriter::with_capacity(1 << 20, file))
    };
    let line = |out: &mut BufWriter<File>, record: &Record| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")?;
        Ok(())
    };
    let [taxonomy_file, organizations_file, profiles_file] = FILES;
    let mut out = open(taxonomy_file)?;
    for record in taxonomy() {
        line(&mut out, &Record::Capacity(record))?;
    }
    out.flush()?;
    let mut out = open(organizations_file)?;
    for record in organizations() {
        line(&mut out, &Record::Organization(record))?;
    }
    out.flush()?;
    let mut out = open(profiles_file)?;
    for person in People::new(&Universe::synthetic(), seed).take(profiles as usize) {
        line(&mut out, &Record::Profile(person))?;
        progress(1);
    }
    out.flush()?;
    Ok(())
}
