//! The visualiser's words in English and Chinese. Every user-visible string of the browser
//! comes from here; a key without both languages does not compile, and the tests check that
//! placeholders (`{0}`, `{1}`, ...) match between them.

mod catalog;
mod trace;

pub use catalog::Msg;
pub use trace::{describe_pending, describe_trace, describe_vote_reason, phase_name, role_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The code used in addresses and the page's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The language's own name, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    pub fn t(self, msg: Msg) -> &'static str {
        msg.text(self)
    }

    /// A message with its placeholders `{0}`, `{1}`, ... filled in.
    pub fn fill(self, msg: Msg, args: &[&dyn std::fmt::Display]) -> String {
        fill(msg.text(self), args)
    }

    /// Picks this language's side of a scenario's two-language text.
    pub fn pick(self, text: &crate::scenario::ast::Text) -> &str {
        match self {
            Lang::En => &text.en,
            Lang::Zh if text.zh.is_empty() => &text.en,
            Lang::Zh => &text.zh,
        }
    }
}

/// Replaces `{0}`, `{1}`, ... in `template` with `args`.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| {
            after[..close]
                .parse::<usize>()
                .ok()
                .map(|index| (index, close))
        }) {
            Some((index, close)) => {
                match args.get(index) {
                    Some(arg) => out.push_str(&arg.to_string()),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<usize> {
        let mut found: Vec<usize> = text
            .match_indices('{')
            .filter_map(|(i, _)| {
                let after = &text[i + 1..];
                after[..after.find('}')?].parse().ok()
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        for &msg in Msg::ALL {
            let (en, zh) = (msg.text(Lang::En), msg.text(Lang::Zh));
            assert!(!en.trim().is_empty(), "{msg:?} has no English");
            assert!(!zh.trim().is_empty(), "{msg:?} has no Chinese");
            assert_eq!(placeholders(en), placeholders(zh), "{msg:?}");
        }
    }

    #[test]
    fn chinese_messages_are_translated_not_copied() {
        // Protocol words (LEADING, ZAB, zxid) and commands stay as they are; a sentence must not.
        let protocol_only = [
            Msg::FamilyDiscovery,
            Msg::FamilySync,
            Msg::FamilyEstablish,
            Msg::ConsolePlaceholder,
            Msg::FamilyCommit,
            Msg::Clock,
            Msg::TraceAcceptedEpoch,
            Msg::TraceCurrentEpoch,
        ];
        let untranslated: Vec<Msg> = Msg::ALL
            .iter()
            .copied()
            .filter(|m| !protocol_only.contains(m))
            .filter(|m| {
                let (en, zh) = (m.text(Lang::En), m.text(Lang::Zh));
                en == zh && en.split_whitespace().count() > 1
            })
            .collect();
        assert_eq!(untranslated, Vec::<Msg>::new());
    }

    #[test]
    fn fill_replaces_placeholders_in_any_order_and_keeps_other_braces() {
        assert_eq!(fill("{1} then {0}", &[&"a", &2]), "2 then a");
        assert_eq!(fill("{x} {5} {0}", &[&"a"]), "{x} {5} a");
        assert_eq!(fill("no braces", &[]), "no braces");
    }

    #[test]
    fn language_codes_read_back() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("fr"), None);
    }
}
