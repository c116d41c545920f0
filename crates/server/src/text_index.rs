//! Free-text search over names, usernames and bios, with tantivy in memory. Text is folded
//! before indexing and querying — compatibility decomposition, combining marks removed,
//! lower case — so that search ignores case and diacritics in any script; Chinese, Japanese
//! and Korean characters are indexed one by one, since they are not separated by spaces.

use std::collections::HashMap;

use cxc_core::search::TextHits;
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhrasePrefixQuery, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

const TOKENIZER: &str = "cxc";
/// Results scored for ordering by relevance; further matches follow in a stable order.
const SCORED: usize = 2000;
/// How much more a match in the name counts than one in the bio.
const NAME_BOOST: f32 = 3.0;
/// Words this long or longer also match words they begin; shorter ones would match too much.
const PREFIX_FROM: usize = 3;
/// Longer words are whole words only: no word in a name or bio is that long, and the pattern
/// of a very long one would be too big to build.
const PREFIX_UP_TO: usize = 40;
/// A beginning counts for less than a whole word.
const PREFIX_WEIGHT: f32 = 0.5;

/// Folds text for matching: `Élodie` and `elodie` meet, as do `محمّد` and `محمد`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) || c == '\u{640}' {
            continue;
        }
        if let Some(plain) = unstroked(c) {
            out.push_str(plain);
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Latin letters whose marks are not separate characters, so decomposition leaves them alone.
fn unstroked(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' | 'Ł' | 'ƚ' => "l",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ħ' | 'Ħ' => "h",
        'ı' => "i",
        'ŧ' | 'Ŧ' => "t",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ß' => "ss",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

pub struct TextIndex {
    writer: IndexWriter,
    reader: IndexReader,
    slot: Field,
    name: Field,
    bio: Field,
}

impl TextIndex {
    pub fn new() -> anyhow::Result<TextIndex> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                // No phrase queries are ever built (quotes are taken as words), so positions
                // would only cost memory.
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let slot = schema.add_u64_field("slot", INDEXED | FAST);
        let name = schema.add_text_field("name", text.clone());
        let bio = schema.add_text_field("bio", text);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TextIndex {
            writer,
            reader,
            slot,
            name,
            bio,
        })
    }

    /// Adds or replaces a person's text; visible after [`TextIndex::commit`].
    pub fn upsert(
        &mut self,
        slot: u32,
        display_name: &str,
        username: &str,
        bio: &str,
    ) -> anyhow::Result<()> {
        self.remove(slot);
        self.add(slot, display_name, username, bio)
    }

    /// Adds the text of a slot that is not in the index yet. Building from scratch goes this
    /// way because tantivy holds every delete in memory until the commit (about 1.4 KiB
    /// each): deleting before each add made a million-profile start-up peak 1.4 GiB higher.
    pub fn add(
        &mut self,
        slot: u32,
        display_name: &str,
        username: &str,
        bio: &str,
    ) -> anyhow::Result<()> {
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.slot, u64::from(slot));
        doc.add_text(
            self.name,
            fold(&format!("{display_name} {}", username.replace('_', " "))),
        );
        doc.add_text(self.bio, fold(bio));
        self.writer.add_document(doc)?;
        Ok(())
    }

    pub fn remove(&mut self, slot: u32) {
        self.writer
            .delete_term(Term::from_field_u64(self.slot, u64::from(slot)));
    }

    pub fn commit(&mut self) -> anyhow::Result<()> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Every person whose text matches all words of `query`, names counting more than bios. A
    /// word of three letters or more also matches words it begins ("wiki" finds Wikidata);
    /// whole words score higher than beginnings.
    pub fn search(&self, query: &str) -> anyhow::Result<TextHits> {
        let searcher = self.reader.searcher();
        // Operators typed by people are taken as words, never as syntax.
        let folded: String = fold(query)
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in folded.split_whitespace() {
            let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [(self.name, NAME_BOOST), (self.bio, 1.0)] {
                let whole = TermQuery::new(
                    Term::from_field_text(field, word),
                    IndexRecordOption::WithFreqs,
                );
                either.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(whole), boost)),
                ));
                if (PREFIX_FROM..=PREFIX_UP_TO).contains(&word.chars().count()) {
                    // One term: the words in the term dictionary from this one to the next
                    // that does not begin with it, every one of them (the default stops at
                    // 50). Unlike a regular expression, nothing is compiled per request.
                    let mut beginning =
                        PhrasePrefixQuery::new(vec![Term::from_field_text(field, word)]);
                    beginning.set_max_expansions(u32::MAX);
                    either.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(beginning), boost * PREFIX_WEIGHT)),
                    ));
                }
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
        if clauses.is_empty() {
            return Ok(TextHits::default());
        }
        let parsed = BooleanQuery::new(clauses);
        let (top, all) = searcher.search(
            &parsed,
            &(
                TopDocs::with_limit(SCORED).order_by_score(),
                DocSetCollector,
            ),
        )?;
        let mut columns = HashMap::new();
        let mut slot_of = |address: tantivy::DocAddress| -> anyhow::Result<Option<u32>> {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .u64("slot")?,
                ),
            };
            Ok(column
                .first(address.doc_id)
                .and_then(|s| u32::try_from(s).ok()))
        };
        let mut hits = TextHits::default();
        for address in all {
            if let Some(slot) = slot_of(address)? {
                hits.slots.insert(slot);
            }
        }
        for (score, address) in top {
            if let Some(slot) = slot_of(address)? {
                hits.scores.insert(slot, score);
            }
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_diacritics_in_any_script() {
        assert_eq!(fold("Élodie ÇELİK"), fold("elodie celik"));
        assert_eq!(fold("محمّد"), fold("محمد"));
        assert_eq!(fold("Ñúñez"), "nunez");
        assert_eq!(fold("Łukasz Søren"), "lukasz soren");
        assert!(fold("陈美玲").split_whitespace().count() == 3);
    }

    #[test]
    fn finds_people_by_name_username_and_bio() {
        let mut index = TextIndex::new().unwrap();
        index
            .upsert(
                1,
                "Élodie Dubois",
                "Elodie_D",
                "Je photographie les monuments.",
            )
            .unwrap();
        index
            .upsert(2, "سارة المصري", "Sara_M", "Wikidata trainer in Cairo")
            .unwrap();
        index.upsert(3, "陈 美玲", "Chen_ML", "Wikisource").unwrap();
        index.commit().unwrap();
        fn found(index: &TextIndex, q: &str) -> Vec<u32> {
            index.search(q).unwrap().slots.iter().collect()
        }
        let slots = |q: &str| found(&index, q);
        assert_eq!(slots("elodie"), [1]);
        assert_eq!(slots("ÉLODIE monuments"), [1]);
        assert_eq!(slots("سارة"), [2]);
        assert_eq!(slots("wikidata cairo"), [2]);
        assert_eq!(slots("美玲"), [3]);
        assert_eq!(slots("chen"), [3]);
        assert!(slots("nobody-here").is_empty());
        assert_eq!(slots("wiki"), [2, 3], "a word's beginning finds it");
        assert_eq!(slots("ELO monu"), [1]);
        assert!(slots("wi").is_empty(), "two letters are a whole word only");
        assert!(
            slots(&"a".repeat(5000)).is_empty(),
            "a huge word is only a word"
        );
        assert_eq!(slots("\"unbalanced (query"), Vec::<u32>::new());
        index.remove(1);
        index.commit().unwrap();
        assert!(found(&index, "elodie").is_empty());
        index.upsert(4, "Ana", "Ana_W", "Wiki editor").unwrap();
        index.commit().unwrap();
        let hits = index.search("wiki").unwrap();
        assert!(
            hits.scores[&4] > hits.scores[&2],
            "a whole word ranks above a beginning"
        );
    }

    #[test]
    fn a_beginning_finds_every_word_it_begins() {
        let mut index = TextIndex::new().unwrap();
        // More distinct words than a prefix query expands to by default.
        for slot in 0..120u32 {
            let name = format!(
                "Moha{}{}",
                (b'a' + (slot / 26) as u8) as char,
                (b'a' + (slot % 26) as u8) as char
            );
            index
                .upsert(slot, &name, &format!("user_{slot}"), "")
                .unwrap();
        }
        index.commit().unwrap();
        assert_eq!(index.search("moh").unwrap().slots.len(), 120);
    }
}
