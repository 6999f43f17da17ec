//! ACL text as zkCli reads it (`AclParser`): comma-separated `scheme:id:perms` entries, the id
//! being everything between the first and the last colon (so `digest:user:hash:rw` works).
//! Like zkCli, a malformed entry or an unknown permission letter is reported and skipped
//! rather than failing the command; the server then judges what is left.

use crate::data::types::{perms, Acl, Id};

/// The entries that parsed, and a warning line for each problem, in zkCli's words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedAcl {
    pub acl: Vec<Acl>,
    pub warnings: Vec<String>,
}

pub fn parse_acl(text: &str) -> ParsedAcl {
    let mut parsed = ParsedAcl::default();
    for entry in java_split_commas(text) {
        let (Some(first), Some(last)) = (entry.find(':'), entry.rfind(':')) else {
            parsed
                .warnings
                .push(format!("{entry} does not have the form scheme:id:perm"));
            continue;
        };
        if first == last {
            parsed
                .warnings
                .push(format!("{entry} does not have the form scheme:id:perm"));
            continue;
        }
        let scheme = entry.get(..first).unwrap_or_default();
        let id = entry.get(first + 1..last).unwrap_or_default();
        let letters = entry.get(last + 1..).unwrap_or_default();
        let mut granted = 0;
        for letter in letters.chars() {
            match letter {
                'r' => granted |= perms::READ,
                'w' => granted |= perms::WRITE,
                'c' => granted |= perms::CREATE,
                'd' => granted |= perms::DELETE,
                'a' => granted |= perms::ADMIN,
                other => parsed.warnings.push(format!("Unknown perm type: {other}")),
            }
        }
        parsed.acl.push(Acl {
            perms: granted,
            id: Id::new(scheme, id),
        });
    }
    parsed
}

/// Java's `String.split(",")`: trailing empty pieces are dropped, except that a string
/// without any comma is returned whole (even when empty).
fn java_split_commas(text: &str) -> Vec<&str> {
    if !text.contains(',') {
        return vec![text];
    }
    let mut pieces: Vec<&str> = text.split(',').collect();
    while pieces.last() == Some(&"") {
        pieces.pop();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(scheme: &str, id: &str, granted: i32) -> Acl {
        Acl {
            perms: granted,
            id: Id::new(scheme, id),
        }
    }

    #[test]
    fn entries_split_on_commas_and_ids_span_first_to_last_colon() {
        let parsed = parse_acl("world:anyone:cdrwa,digest:bob:Y2Fm+/=:rw,auth::a,ip:127.0.0.1:r");
        assert_eq!(
            parsed.acl,
            vec![
                acl("world", "anyone", perms::ALL),
                acl("digest", "bob:Y2Fm+/=", perms::READ | perms::WRITE),
                acl("auth", "", perms::ADMIN),
                acl("ip", "127.0.0.1", perms::READ),
            ]
        );
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn malformed_entries_are_skipped_with_zkcli_warnings() {
        let parsed = parse_acl("bad,world:anyone,ip:10.0.0.1:rx");
        assert_eq!(parsed.acl, vec![acl("ip", "10.0.0.1", perms::READ)]);
        assert_eq!(
            parsed.warnings,
            vec![
                "bad does not have the form scheme:id:perm",
                "world:anyone does not have the form scheme:id:perm",
                "Unknown perm type: x",
            ]
        );
    }

    #[test]
    fn trailing_commas_are_ignored_but_an_empty_text_is_one_bad_entry() {
        assert_eq!(
            parse_acl("world:anyone:r,,").acl,
            vec![acl("world", "anyone", perms::READ)]
        );
        assert_eq!(
            parse_acl("").warnings,
            vec![" does not have the form scheme:id:perm"]
        );
        assert_eq!(parse_acl(",,"), ParsedAcl::default());
    }

    #[test]
    fn empty_permissions_grant_nothing() {
        assert_eq!(
            parse_acl("world:anyone:").acl,
            vec![acl("world", "anyone", 0)]
        );
    }
}
