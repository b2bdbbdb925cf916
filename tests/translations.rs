//! The German catalogue covers every message: each `tr!` and `english!` in `src/` and each text of `--help` has
//! a translation in `po/de.po` that is not fuzzy and keeps the message's placeholders, and the
//! catalogue holds nothing else. `scripts/update-po` runs this test with `JITSI_CUSTOM_POT` set
//! to write the template (.pot) it merges into the catalogue.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// One message of the program: where it is, and what a translation must keep.
#[derive(Debug, Default)]
struct Message {
    context: Option<String>,
    id: String,
    plural: Option<String>,
    places: Vec<String>,
}

type Key = (Option<String>, String);

/// Where the `--help` texts come from: the doc comments of `src/cli/`, read through clap.
const HELP_PLACE: &str = "src/cli/localize.rs";

#[test]
fn catalogue_has_every_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let mut messages: BTreeMap<Key, Message> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut add = |message: Message, place: String| {
        let key = (message.context.clone(), message.id.clone());
        let entry = messages.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Message {
                places: Vec::new(),
                ..message
            }
        });
        entry.places.push(place);
    };

    let mut files: Vec<_> = walkdir::WalkDir::new(root.join("src"))
        .into_iter()
        .map(|entry| entry.expect("src/ is readable").into_path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    for path in files {
        let relative = path
            .strip_prefix(root)
            .expect("under the crate")
            .display()
            .to_string();
        let source = std::fs::read_to_string(&path).expect("source is UTF-8");
        let tokens = TokenStream::from_str(&source).unwrap_or_else(|err| panic!("{relative}: {err}"));
        scan(tokens, &mut |found| match found {
            Ok((message, line)) => add(message, format!("{relative}:{line}")),
            Err((problem, line)) => problems.push(format!("{relative}:{line}: {problem}")),
        });
    }
    for text in jitsi_custom::cli::localize::help_texts() {
        add(
            Message {
                id: text,
                ..Message::default()
            },
            HELP_PLACE.to_owned(),
        );
    }

    if let Some(pot) = std::env::var_os("JITSI_CUSTOM_POT") {
        let template: String = order.iter().map(|key| pot_entry(&messages[key])).collect();
        std::fs::write(&pot, format!("{}{template}", pot_header())).expect("the .pot is writable");
    }

    let catalogue =
        rspolib::pofile(root.join("po/de.po").to_str().expect("UTF-8 path")).expect("po/de.po parses");
    let mut in_catalogue = BTreeSet::new();
    for entry in catalogue.entries.iter().filter(|entry| !entry.obsolete) {
        let key = (entry.msgctxt.clone(), entry.msgid.clone());
        let Some(message) = messages.get(&key) else {
            problems.push(format!(
                "po/de.po:{}: not a message of the program: {:?}",
                entry.linenum, entry.msgid
            ));
            continue;
        };
        in_catalogue.insert(key);
        let wanted = placeholders(&message.id);
        let translations: Vec<&str> = match &message.plural {
            Some(_) => entry.msgstr_plural.iter().map(String::as_str).collect(),
            None => entry.msgstr.iter().map(String::as_str).collect(),
        };
        if entry.fuzzy() || translations.is_empty() || translations.iter().any(|text| text.is_empty()) {
            problems.push(format!(
                "{}: no German translation of {:?}",
                message.places[0], message.id
            ));
            continue;
        }
        for text in translations {
            let mut found = placeholders(text);
            let mut expected = wanted.clone();
            if message.plural.is_some() {
                // A German singular may spell out the count ("eine Datei") instead of `{n}`.
                found.remove("n");
                expected.remove("n");
            }
            if found != expected {
                problems.push(format!(
                    "po/de.po:{}: the translation's placeholders {found:?} differ from the message's {expected:?}: {:?}",
                    entry.linenum, message.id
                ));
            }
        }
    }
    for key in &order {
        if !in_catalogue.contains(key) {
            problems.push(format!(
                "{}: no German translation of {:?}",
                messages[key].places[0], key.1
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with the German messages (run scripts/update-po, then translate in po/de.po):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

type Found = Result<(Message, usize), (String, usize)>;

/// Finds every `tr!(…)` and `english!(…)` in `tokens`, inside other macros too.
fn scan(tokens: TokenStream, report: &mut dyn FnMut(Found)) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (index, tree) in trees.iter().enumerate() {
        if let TokenTree::Group(group) = tree {
            if is_test_module(&trees[..index]) {
                continue;
            }
            let is_tr_call = index >= 2
                && matches!(&trees[index - 2], TokenTree::Ident(ident) if ident == "tr" || ident == "english")
                && matches!(&trees[index - 1], TokenTree::Punct(punct) if punct.as_char() == '!')
                && group.delimiter() == Delimiter::Parenthesis;
            if is_tr_call {
                let line = group.span().start().line;
                report(
                    parse_call(group.stream())
                        .map(|message| (message, line))
                        .map_err(|problem| (problem, line)),
                );
            }
            scan(group.stream(), report);
        }
    }
}

/// Whether the group after `before` is the body of `#[cfg(test)] mod name`: test code is no
/// message of the program.
fn is_test_module(before: &[TokenTree]) -> bool {
    match before {
        [
            ..,
            TokenTree::Punct(hash),
            TokenTree::Group(attribute),
            TokenTree::Ident(keyword),
            TokenTree::Ident(_),
        ] => {
            hash.as_char() == '#'
                && keyword == "mod"
                && attribute.stream().to_string().replace(' ', "") == "cfg(test)"
        }
        _ => false,
    }
}

/// `"id"`, `"context" => "id"`, `"one" | "many" % n`, each followed by `, arguments`.
fn parse_call(stream: TokenStream) -> Result<Message, String> {
    let mut segments: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for tree in stream {
        match &tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => segments.push(Vec::new()),
            _ => segments.last_mut().expect("one segment at least").push(tree),
        }
    }
    let head = segments.remove(0);
    let mut message = Message::default();
    let mut rest = head.as_slice();
    let first = string(rest.first())?;
    rest = &rest[1..];
    if let [TokenTree::Punct(eq), TokenTree::Punct(gt), ..] = rest
        && eq.as_char() == '='
        && gt.as_char() == '>'
    {
        message.context = Some(first);
        message.id = string(rest.get(2))?;
        rest = &rest[3..];
    } else {
        message.id = first;
    }
    let mut named: BTreeSet<String> = BTreeSet::new();
    if let [TokenTree::Punct(bar), ..] = rest
        && bar.as_char() == '|'
    {
        message.plural = Some(string(rest.get(1))?);
        named.insert("n".to_owned());
    } else if !rest.is_empty() {
        return Err(format!(
            "tr! takes a string literal first, not {}",
            tokens_text(&head)
        ));
    }
    let mut positional = 0;
    for segment in segments.iter().filter(|segment| !segment.is_empty()) {
        match segment.as_slice() {
            [TokenTree::Ident(name)] => {
                named.insert(name.to_string());
            }
            [TokenTree::Ident(name), TokenTree::Punct(eq), next, ..]
                if eq.as_char() == '=' && !matches!(next, TokenTree::Punct(p) if p.as_char() == '=') =>
            {
                named.insert(name.to_string());
            }
            _ => positional += 1,
        }
    }
    let texts = [Some(&message.id), message.plural.as_ref()];
    let mut next_positional = 0;
    for placeholder in texts
        .into_iter()
        .flatten()
        .flat_map(|text| jitsi_custom::i18n::placeholders(text))
    {
        let known = if placeholder.is_empty() {
            next_positional += 1;
            next_positional <= positional
        } else if let Ok(index) = placeholder.parse::<usize>() {
            index < positional
        } else {
            named.contains(&placeholder)
        };
        if !known {
            return Err(format!(
                "{{{placeholder}}} in {:?} has no argument (tr! does not capture variables; pass it: `{placeholder} = …`)",
                message.id
            ));
        }
    }
    Ok(message)
}

fn string(tree: Option<&TokenTree>) -> Result<String, String> {
    match tree {
        Some(TokenTree::Literal(literal)) => syn::parse_str::<syn::LitStr>(&literal.to_string())
            .map(|text| text.value())
            .map_err(|_| format!("tr! needs a string literal, not {literal}")),
        Some(other) => Err(format!("tr! needs a string literal, not {other}")),
        None => Err("tr! needs a string literal".to_owned()),
    }
}

fn tokens_text(trees: &[TokenTree]) -> String {
    trees
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn placeholders(text: &str) -> BTreeSet<String> {
    jitsi_custom::i18n::placeholders(text).into_iter().collect()
}

fn pot_header() -> String {
    "msgid \"\"\nmsgstr \"\"\n\"Project-Id-Version: jitsi-custom\\n\"\n\"MIME-Version: 1.0\\n\"\n\
     \"Content-Type: text/plain; charset=UTF-8\\n\"\n\"Content-Transfer-Encoding: 8bit\\n\"\n\n"
        .to_owned()
}

fn pot_entry(message: &Message) -> String {
    let mut entry = String::new();
    if message.places.iter().any(|place| place == HELP_PLACE) {
        entry.push_str("#. a text of --help, from a doc comment in src/cli/\n");
    }
    for place in &message.places {
        entry.push_str(&format!("#: {place}\n"));
    }
    if placeholders(&message.id).iter().any(|name| !name.is_empty()) || message.id.contains("{}") {
        entry.push_str("#, rust-format\n");
    }
    if let Some(context) = &message.context {
        entry.push_str(&format!("msgctxt {}\n", quoted(context)));
    }
    entry.push_str(&format!("msgid {}\n", quoted(&message.id)));
    match &message.plural {
        Some(plural) => {
            entry.push_str(&format!(
                "msgid_plural {}\nmsgstr[0] \"\"\nmsgstr[1] \"\"\n\n",
                quoted(plural)
            ));
        }
        None => entry.push_str("msgstr \"\"\n\n"),
    }
    entry
}

fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\t', "\\t")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}
