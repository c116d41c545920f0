//! The Banana message format used by MediaWiki and translatewiki.net: `$1` parameters,
//! `{{PLURAL:$1|one|other}}` with CLDR plural categories and explicit `N=` forms, and
//! `{{GENDER:$1|he|she|they}}`. Messages are parsed once at start-up and rendered per request.

use icu_plurals::{PluralOperands, PluralRules};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Param(usize),
    Plural(Vec<Node>, Vec<Vec<Node>>),
    Gender(Vec<Node>, Vec<Vec<Node>>),
}

pub fn parse(src: &str) -> Vec<Node> {
    let mut parser = Parser { src, pos: 0 };
    parser.sequence(false)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    /// Reads nodes up to the end, or, inside a `{{…}}` construct, up to its next `|` or `}}`.
    fn sequence(&mut self, in_construct: bool) -> Vec<Node> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        while let Some(c) = self.rest().chars().next() {
            if in_construct && (c == '|' || self.rest().starts_with("}}")) {
                break;
            }
            if let Some((len, plural)) = magic_word(self.rest()) {
                flush(&mut text, &mut nodes);
                self.pos += len;
                let mut args = vec![self.sequence(true)];
                while self.rest().starts_with('|') {
                    self.pos += 1;
                    args.push(self.sequence(true));
                }
                if self.rest().starts_with("}}") {
                    self.pos += 2;
                }
                let selector = args.remove(0);
                nodes.push(if plural {
                    Node::Plural(selector, args)
                } else {
                    Node::Gender(selector, args)
                });
                continue;
            }
            if c == '$' {
                let digits: String = self.rest()[1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let Ok(n @ 1..) = digits.parse::<usize>() {
                    flush(&mut text, &mut nodes);
                    nodes.push(Node::Param(n));
                    self.pos += 1 + digits.len();
                    continue;
                }
            }
            text.push(c);
            self.pos += c.len_utf8();
        }
        flush(&mut text, &mut nodes);
        nodes
    }
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}

/// `Some((length, is_plural))` when the text starts a PLURAL or GENDER construct.
fn magic_word(rest: &str) -> Option<(usize, bool)> {
    let head = rest.get(..9)?;
    if head.eq_ignore_ascii_case("{{PLURAL:") {
        Some((9, true))
    } else if head.eq_ignore_ascii_case("{{GENDER:") {
        Some((9, false))
    } else {
        None
    }
}

/// Renders parsed nodes with the given arguments and the plural rules of the message's language.
pub fn render(nodes: &[Node], args: &[&str], rules: &PluralRules, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Param(n) => match args.get(n - 1) {
                Some(arg) => out.push_str(arg),
                None => {
                    out.push('$');
                    out.push_str(&n.to_string());
                }
            },
            Node::Plural(selector, forms) => {
                let number = to_string(selector, args, rules);
                if let Some(form) = plural_form(&number, forms, args, rules) {
                    out.push_str(&form);
                }
            }
            Node::Gender(selector, forms) => {
                let gender = to_string(selector, args, rules);
                let index = match gender.trim() {
                    "male" => 0,
                    "female" => 1,
                    _ => 2,
                };
                let form = forms.get(index).or_else(|| forms.first());
                if let Some(form) = form {
                    render(form, args, rules, out);
                }
            }
        }
    }
}

fn to_string(nodes: &[Node], args: &[&str], rules: &PluralRules) -> String {
    let mut s = String::new();
    render(nodes, args, rules, &mut s);
    s
}

fn plural_form(
    number: &str,
    forms: &[Vec<Node>],
    args: &[&str],
    rules: &PluralRules,
) -> Option<String> {
    let digits: String = number
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let rendered: Vec<String> = forms.iter().map(|f| to_string(f, args, rules)).collect();
    // An explicit form such as `0=no messages` wins over the CLDR category.
    let mut regular = Vec::new();
    for form in &rendered {
        match form.split_once('=') {
            Some((n, text)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                if n == digits {
                    return Some(text.to_owned());
                }
            }
            _ => regular.push(form),
        }
    }
    let last = regular.len().checked_sub(1)?;
    let operands = fixed_decimal::Decimal::try_from_str(&digits)
        .map_or_else(|_| PluralOperands::from(0u32), |d| PluralOperands::from(&d));
    let category = rules.category_for(operands);
    let index = rules
        .categories()
        .position(|c| c == category)
        .unwrap_or(usize::MAX);
    Some(regular[index.min(last)].clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use icu_locale_core::Locale;

    fn rules(lang: &str) -> PluralRules {
        let locale: Locale = lang.parse().unwrap();
        PluralRules::try_new_cardinal(locale.into()).unwrap()
    }

    fn fmt(lang: &str, msg: &str, args: &[&str]) -> String {
        let mut out = String::new();
        render(&parse(msg), args, &rules(lang), &mut out);
        out
    }

    #[test]
    fn parameters_are_substituted() {
        assert_eq!(
            fmt("en", "Hello $1, meet $2", &["Ana", "Omar"]),
            "Hello Ana, meet Omar"
        );
        assert_eq!(fmt("en", "Costs $5 and $", &[]), "Costs $5 and $");
    }

    #[test]
    fn english_plurals() {
        let msg = "$1 {{PLURAL:$1|person|people}}";
        assert_eq!(fmt("en", msg, &["1"]), "1 person");
        assert_eq!(fmt("en", msg, &["0"]), "0 people");
        assert_eq!(fmt("en", msg, &["1,000"]), "1,000 people");
    }

    #[test]
    fn arabic_has_six_forms() {
        let msg = "{{PLURAL:$1|zero|one|two|few|many|other}}";
        let got: Vec<String> = ["0", "1", "2", "3", "11", "100"]
            .iter()
            .map(|n| fmt("ar", msg, &[n]))
            .collect();
        assert_eq!(got, ["zero", "one", "two", "few", "many", "other"]);
        assert_eq!(rules("ar").categories().count(), 6);
    }

    #[test]
    fn missing_forms_clamp_to_the_last_and_explicit_forms_win() {
        assert_eq!(fmt("ar", "{{PLURAL:$1|zero|one}}", &["5"]), "one");
        let msg = "{{PLURAL:$1|0=nobody|one person|$1 people}}";
        assert_eq!(fmt("en", msg, &["0"]), "nobody");
        assert_eq!(fmt("en", msg, &["1"]), "one person");
        assert_eq!(fmt("en", msg, &["7"]), "7 people");
    }

    #[test]
    fn gender_picks_by_position() {
        let msg = "{{GENDER:$1|He|She|They}} offered";
        assert_eq!(fmt("en", msg, &["male"]), "He offered");
        assert_eq!(fmt("en", msg, &["female"]), "She offered");
        assert_eq!(fmt("en", msg, &["unknown"]), "They offered");
        assert_eq!(
            fmt("en", "{{GENDER:$1|Their}} profile", &["female"]),
            "Their profile"
        );
    }

    #[test]
    fn constructs_nest_parameters() {
        let msg = "{{PLURAL:$1|$2 has one offer|$2 has $1 offers}}";
        assert_eq!(fmt("fr", msg, &["1", "Ana"]), "Ana has one offer");
        assert_eq!(fmt("fr", msg, &["3", "Ana"]), "Ana has 3 offers");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Writes nodes back as Banana source, the inverse of [`parse`].
        fn print(nodes: &[Node]) -> String {
            let mut out = String::new();
            for node in nodes {
                match node {
                    Node::Text(text) => out.push_str(text),
                    Node::Param(n) => out.push_str(&format!("${n}")),
                    Node::Plural(selector, forms) | Node::Gender(selector, forms) => {
                        let word = if matches!(node, Node::Plural(..)) {
                            "PLURAL"
                        } else {
                            "GENDER"
                        };
                        out.push_str(&format!("{{{{{word}:{}", print(selector)));
                        for form in forms {
                            out.push('|');
                            out.push_str(&print(form));
                        }
                        out.push_str("}}");
                    }
                }
            }
            out
        }

        /// Whether the syntax can say these nodes: text inside a construct that ends in `}`
        /// (from an unclosed `{{PLURAL:…}`) would run into the closing `}}` when printed.
        fn printable(nodes: &[Node], in_construct: bool) -> bool {
            nodes.iter().all(|node| match node {
                Node::Text(text) => !(in_construct && text.ends_with('}')),
                Node::Param(_) => true,
                Node::Plural(selector, forms) | Node::Gender(selector, forms) => {
                    printable(selector, true) && forms.iter().all(|f| printable(f, true))
                }
            })
        }

        /// Message-like text: the syntax's pieces, well and badly nested, among any characters.
        fn message() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                "\\PC{0,4}",
                "[$][0-9]{1,3}",
                Just("{{PLURAL:".to_owned()),
                Just("{{gender:".to_owned()),
                Just("|".to_owned()),
                Just("}}".to_owned()),
                Just("{".to_owned()),
                Just("$".to_owned()),
                "[0-9]{1,2}=",
            ];
            prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
        }

        fn arguments() -> impl Strategy<Value = Vec<String>> {
            let argument = prop_oneof![
                "[0-9]{1,7}",
                "[0-9]{1,3}(,[0-9]{3})?",
                Just("male".to_owned()),
                "\\PC{0,6}"
            ];
            prop::collection::vec(argument, 0..4)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2048))]

            #[test]
            fn any_message_parses_prints_and_parses_the_same(src in message()) {
                let nodes = parse(&src);
                prop_assume!(printable(&nodes, false));
                prop_assert_eq!(parse(&print(&nodes)), nodes);
            }

            #[test]
            fn any_message_renders_in_any_language(
                src in message(),
                args in arguments(),
                lang in prop::sample::select(vec!["en", "ar", "fr", "pt", "ru", "ja"]),
            ) {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let mut out = String::new();
                render(&parse(&src), &args, &rules(lang), &mut out);
            }

            #[test]
            fn text_without_syntax_is_shown_as_it_is(src in "[^${]{0,40}") {
                prop_assert_eq!(fmt("ar", &src, &["1"]), src);
            }

            #[test]
            fn every_parameter_is_replaced_by_its_argument(
                // A word after a parameter must not start with a digit: `$1` and `0` read `$10`.
                words in prop::collection::vec("([^$|{}0-9][^$|{}]{0,4})?", 1..5),
                args in prop::collection::vec("[^$]{0,5}", 4),
            ) {
                let src: String = words.iter().enumerate().map(|(i, w)| format!("{w}${}", i % 4 + 1)).collect();
                let expected: String = words.iter().enumerate().map(|(i, w)| format!("{w}{}", args[i % 4])).collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                prop_assert_eq!(fmt("en", &src, &args), expected);
            }
        }
    }
}
