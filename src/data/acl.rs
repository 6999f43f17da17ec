//! Access control as ZooKeeper 3.8 does it: the authentication providers a session can use
//! (`digest`, and `ip` from its address), the identities a session holds, permission checks
//! (`ZooKeeperServer.checkACL`), the expansion and validation of a requested ACL
//! (`PrepRequestProcessor.fixupACL`), and `whoAmI`'s answer.
//!
//! Pinned against the Apache ZooKeeper 3.8.0 server (Debian's build) with a raw-protocol client:
//! the digests, which ids are valid, the order of a session's ids and what `auth` expands to.

use super::types::{perms, Acl, ErrorCode, Id};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// The digest id for `user:password`: `user:base64(sha1("user:password"))`, as
/// `DigestAuthenticationProvider.generateDigest` makes it. The user is everything before the
/// first colon (all of it when there is none); the hash covers the whole string.
pub fn digest(user_and_password: &str) -> String {
    let user = user_and_password
        .split_once(':')
        .map_or(user_and_password, |(user, _)| user);
    let hash = Sha1::digest(user_and_password.as_bytes());
    format!("{user}:{}", BASE64.encode(hash))
}

/// Server-wide settings of the authentication providers, as ZooKeeper's system properties give them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthProviders {
    /// `zookeeper.DigestAuthenticationProvider.superDigest`: a digest id (e.g. the output of
    /// [`digest`] for `super:secret`); a session that authenticates to exactly it also becomes `super`.
    pub super_digest: Option<String>,
    /// Accept IPv6 addresses in `ip` ACLs. ZooKeeper 3.8 parses only IPv4 there (an IPv6 `ip`
    /// id is an InvalidACL and never matches); IPv6 support arrived after 3.9 (ZOOKEEPER-4240).
    /// Off by default so that we answer as 3.8 does.
    pub ipv6_ip_acls: bool,
    /// zoo.cfg's `skipACL=yes`: every permission check passes.
    pub skip_acl: bool,
}

/// One entry of `whoAmI`'s answer (`ClientInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub auth_scheme: String,
    /// The user name the scheme's provider derives from the id: the user part of a digest id,
    /// the address of an ip id, and empty for schemes without a provider (such as `super`).
    pub user: String,
}

/// The identities a session's connection holds: its `ip` id from the start, then whatever it
/// authenticates as. ZooKeeper keeps them in a set backed by a Java `ConcurrentHashMap`, and its
/// iteration order is visible to clients (in `whoAmI` and in what an `auth` ACL expands to), so
/// this models that table: bins indexed by Java's hash of the id, kept in the same order.
/// (Serialize only: it is connection state that is never restored, and the bins must stay a
/// power of two.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthInfo {
    /// The table's bins; a power of two of them, at least 16.
    bins: Vec<Vec<(i32, Id)>>,
    len: usize,
    /// The `ip` id of the client's address, which `ip` auth packets (re)add.
    client_ip: Option<String>,
}

impl Default for AuthInfo {
    fn default() -> Self {
        AuthInfo::new()
    }
}

impl AuthInfo {
    const INITIAL_BINS: usize = 16;

    /// No identities at all: for requests that do not come from a client connection.
    pub fn new() -> AuthInfo {
        AuthInfo {
            bins: vec![Vec::new(); Self::INITIAL_BINS],
            len: 0,
            client_ip: None,
        }
    }

    /// A new connection from `addr`: it holds `ip:<address>` from the start, the address written
    /// as Java's `InetAddress.getHostAddress` writes it.
    pub fn for_client(addr: IpAddr) -> AuthInfo {
        let ip = java_host_address(addr);
        let mut info = AuthInfo::new();
        info.add(Id::new("ip", &ip));
        info.client_ip = Some(ip);
        info
    }

    /// Adds an identity; false if the session already had it.
    pub fn add(&mut self, id: Id) -> bool {
        let hash = spread(java_id_hash(&id));
        let mask = self.bins.len() - 1;
        let bin = &mut self.bins[hash as usize & mask];
        if bin.iter().any(|(_, held)| *held == id) {
            return false;
        }
        bin.push((hash, id));
        self.len += 1;
        if self.len >= self.bins.len() - self.bins.len() / 4 {
            self.grow();
        }
        true
    }

    /// Doubles the table as `ConcurrentHashMap.transfer` does, which reorders a bin: the nodes
    /// before its last run of same-destination nodes are pushed to the front, reversed.
    /// (Java would also grow early when 8 ids share a bin; that is not modelled.)
    fn grow(&mut self) {
        let old = self.bins.len();
        let mut bins = vec![Vec::new(); old * 2];
        for (index, bin) in std::mem::take(&mut self.bins).into_iter().enumerate() {
            let goes_high = |hash: i32| hash as usize & old != 0;
            let Some(last_hash) = bin.last().map(|(hash, _)| *hash) else {
                continue;
            };
            let last_bit = goes_high(last_hash);
            let last_run = bin
                .iter()
                .rposition(|(hash, _)| goes_high(*hash) != last_bit)
                .map_or(0, |position| position + 1);
            let (mut low, mut high) = (Vec::new(), Vec::new());
            for entry in bin[..last_run].iter().rev() {
                if goes_high(entry.0) {
                    high.push(entry.clone());
                } else {
                    low.push(entry.clone());
                }
            }
            let tail = bin[last_run..].iter().cloned();
            if last_bit {
                high.extend(tail);
            } else {
                low.extend(tail);
            }
            bins[index] = low;
            bins[index + old] = high;
        }
        self.bins = bins;
    }

    /// The identities in ZooKeeper's order.
    pub fn ids(&self) -> impl Iterator<Item = &Id> {
        self.bins.iter().flatten().map(|(_, id)| id)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, id: &Id) -> bool {
        self.ids().any(|held| held == id)
    }

    /// A `super` identity bypasses every ACL.
    pub fn is_super(&self) -> bool {
        self.ids().any(|id| id.scheme == "super")
    }

    /// `whoAmI`: each identity's scheme and the user name its provider reports.
    pub fn who_am_i(&self) -> Vec<ClientInfo> {
        self.ids()
            .map(|id| ClientInfo {
                auth_scheme: id.scheme.clone(),
                user: match id.scheme.as_str() {
                    "digest" => id.id.split(':').next().unwrap_or("").to_string(),
                    "ip" => id.id.clone(),
                    _ => String::new(),
                },
            })
            .collect()
    }
}

impl AuthProviders {
    /// Handles an auth packet (`AuthPacket {scheme, auth}`): the identities it adds to the
    /// session, or AuthFailed, after which ZooKeeper replies with the error and closes the
    /// connection. `digest` takes `user:password` (bytes that are not UTF-8 become U+FFFD);
    /// `ip` ignores its data and (re)adds the connection's address; other schemes fail.
    pub fn authenticate(
        &self,
        auth: &mut AuthInfo,
        scheme: &str,
        data: &[u8],
    ) -> Result<(), ErrorCode> {
        match scheme {
            "digest" => {
                let id = digest(&String::from_utf8_lossy(data));
                if self.super_digest.as_deref() == Some(id.as_str()) {
                    auth.add(Id::new("super", ""));
                }
                auth.add(Id::new("digest", &id));
                Ok(())
            }
            "ip" => {
                let ip = auth.client_ip.clone().ok_or(ErrorCode::AuthFailed)?;
                auth.add(Id::new("ip", &ip));
                Ok(())
            }
            _ => Err(ErrorCode::AuthFailed),
        }
    }

    /// `checkACL`: may a session holding `auth` do `perm` on a znode with this ACL? An empty
    /// ACL and a `super` identity permit everything; otherwise an entry granting any bit of
    /// `perm` must be `world:anyone`, or match one of the session's ids of the same scheme
    /// (digest: exactly; ip: the address under the entry's mask). Entries of schemes without a
    /// provider never match.
    pub fn check_acl(&self, acl: &[Acl], perm: i32, auth: &AuthInfo) -> Result<(), ErrorCode> {
        if self.skip_acl || acl.is_empty() || auth.is_super() {
            return Ok(());
        }
        for entry in acl.iter().filter(|entry| entry.perms & perm != 0) {
            if entry.id.scheme == "world" && entry.id.id == "anyone" {
                return Ok(());
            }
            let granted = auth
                .ids()
                .filter(|held| held.scheme == entry.id.scheme)
                .any(|held| match held.scheme.as_str() {
                    "digest" => held.id == entry.id.id,
                    "ip" => self.ip_matches(&held.id, &entry.id.id),
                    _ => false,
                });
            if granted {
                return Ok(());
            }
        }
        Err(ErrorCode::NoAuth)
    }

    /// Whether the session may read a znode with this ACL: ZooKeeper (3.8.4 on, and Debian's
    /// patched 3.8.0, CVE-2024-23944) delivers a watch notification only when it may.
    pub fn may_read(&self, acl: &[Acl], auth: &AuthInfo) -> bool {
        self.check_acl(acl, perms::READ, auth).is_ok()
    }

    /// `fixupACL`: the ACL a create or setACL stores. Exact duplicates are dropped first
    /// (keeping the first); then each entry is kept if valid, `auth` entries are replaced by one
    /// entry per authenticated id of the session (digest ids, not ip or super) in the session's
    /// order, and anything else is InvalidACL: an empty list, `auth` without an authenticated id,
    /// `world` other than `anyone`, a malformed digest or ip id, or an unknown scheme.
    /// Duplicates created by the expansion are kept, as ZooKeeper keeps them.
    pub fn fixup_acl(&self, requested: &[Acl], auth: &AuthInfo) -> Result<Vec<Acl>, ErrorCode> {
        let mut unique: Vec<&Acl> = Vec::with_capacity(requested.len());
        for entry in requested {
            if !unique.contains(&entry) {
                unique.push(entry);
            }
        }
        if unique.is_empty() {
            return Err(ErrorCode::InvalidAcl);
        }
        let mut fixed = Vec::with_capacity(unique.len());
        for entry in unique {
            let id = &entry.id;
            if id.scheme == "world" && id.id == "anyone" {
                fixed.push(entry.clone());
            } else if id.scheme == "auth" {
                let before = fixed.len();
                fixed.extend(
                    auth.ids()
                        .filter(|held| is_authenticated_scheme(&held.scheme))
                        .map(|held| Acl {
                            perms: entry.perms,
                            id: held.clone(),
                        }),
                );
                if fixed.len() == before {
                    return Err(ErrorCode::InvalidAcl);
                }
            } else if self.is_valid_id(id) {
                fixed.push(entry.clone());
            } else {
                return Err(ErrorCode::InvalidAcl);
            }
        }
        Ok(fixed)
    }

    /// The provider's `isValid` for an ACL id; false for schemes without a provider.
    pub fn is_valid_id(&self, id: &Id) -> bool {
        match id.scheme.as_str() {
            // Java's `id.split(":").length == 2`, which drops trailing empty parts.
            "digest" => java_split_count(&id.id, ':') == 2,
            "ip" => self.parse_ip_expr(&id.id).is_some(),
            _ => false,
        }
    }

    /// `IPAuthenticationProvider.matches`: the client's address and the entry's, both masked to
    /// the entry's `/bits` (all bits without one), are equal.
    fn ip_matches(&self, client: &str, expr: &str) -> bool {
        let Some((acl_addr, bits)) = self.parse_ip_expr(expr) else {
            return false;
        };
        let Some(client_addr) = self.parse_ip(client) else {
            return false;
        };
        if client_addr.len() != acl_addr.len() {
            return false;
        }
        mask(&acl_addr, bits) == mask(&client_addr, bits)
    }

    /// An ip ACL expression `address[/bits]`: its bytes and mask length, if valid.
    fn parse_ip_expr(&self, expr: &str) -> Option<(Vec<u8>, u32)> {
        let (address, bits) = match expr.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (expr, None),
        };
        let bytes = self.parse_ip(address)?;
        let width = bytes.len() as i64 * 8;
        let bits = match bits {
            None => width,
            Some(bits) => i64::from(java_parse_int(bits)?),
        };
        if !(0..=width).contains(&bits) {
            return None;
        }
        Some((bytes, bits as u32))
    }

    fn parse_ip(&self, address: &str) -> Option<Vec<u8>> {
        if self.ipv6_ip_acls && address.contains(':') {
            return address
                .parse::<Ipv6Addr>()
                .ok()
                .map(|v6| v6.octets().to_vec());
        }
        parse_java_ipv4(address).map(|v4| v4.to_vec())
    }
}

/// Whether ids of this scheme come from a provider whose `isAuthenticated` is true, and so
/// stand in for an `auth` ACL entry: digest yes, ip no, super and unknown schemes have no provider.
fn is_authenticated_scheme(scheme: &str) -> bool {
    scheme == "digest"
}

/// `IPAuthenticationProvider.v4addr2Bytes`: exactly four dot-separated Java ints in 0..=255
/// (so `+10` and `010` are accepted, as ZooKeeper accepts them).
fn parse_java_ipv4(address: &str) -> Option<[u8; 4]> {
    let mut bytes = [0u8; 4];
    let mut parts = address.split('.');
    for byte in &mut bytes {
        *byte = u8::try_from(java_parse_int(parts.next()?)?).ok()?;
    }
    parts.next().is_none().then_some(bytes)
}

/// Keeps the first `bits` bits and zeroes the rest.
fn mask(bytes: &[u8], bits: u32) -> Vec<u8> {
    bytes
        .iter()
        .enumerate()
        .map(|(index, &byte)| {
            let kept = bits.saturating_sub(index as u32 * 8).min(8);
            if kept == 0 {
                0
            } else {
                byte & (0xffu8 << (8 - kept))
            }
        })
        .collect()
}

/// Java's `Integer.parseInt` for ASCII input: an optional sign, then decimal digits, within i32.
/// (Java also accepts non-ASCII Unicode digits; those are rejected here.)
fn java_parse_int(text: &str) -> Option<i32> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = 0;
    for digit in digits.bytes() {
        value = value * 10 + i64::from(digit - b'0');
        if value > i64::from(i32::MAX) + 1 {
            return None;
        }
    }
    i32::try_from(if negative { -value } else { value }).ok()
}

/// The length of Java's `text.split(separator)`: trailing empty parts are dropped, and an empty
/// string gives one (empty) part.
fn java_split_count(text: &str, separator: char) -> usize {
    if text.is_empty() {
        return 1;
    }
    let parts: Vec<&str> = text.split(separator).collect();
    parts.len()
        - parts
            .iter()
            .rev()
            .take_while(|part| part.is_empty())
            .count()
}

/// `InetAddress.getHostAddress`: dotted IPv4 (also for IPv4-mapped IPv6, which Java turns into
/// an IPv4 address), and IPv6 as eight uncompressed lower-case hex groups.
fn java_host_address(addr: IpAddr) -> String {
    let v6 = match addr {
        IpAddr::V4(v4) => return v4.to_string(),
        IpAddr::V6(v6) => v6,
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Ipv4Addr::to_string(&v4);
    }
    v6.segments()
        .iter()
        .map(|segment| format!("{segment:x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Java's `String.hashCode`, over UTF-16 code units.
fn java_string_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The jute-generated `Id.hashCode`.
fn java_id_hash(id: &Id) -> i32 {
    let hash = 17i32
        .wrapping_mul(37)
        .wrapping_add(java_string_hash(&id.scheme));
    hash.wrapping_mul(37).wrapping_add(java_string_hash(&id.id))
}

/// `ConcurrentHashMap.spread`: the hash its bins are chosen by.
fn spread(hash: i32) -> i32 {
    (hash ^ ((hash as u32) >> 16) as i32) & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::types::perms::{ADMIN, ALL, CREATE, DELETE, READ, WRITE};

    fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
        Acl {
            perms,
            id: Id::new(scheme, id),
        }
    }

    fn localhost() -> AuthInfo {
        AuthInfo::for_client(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    fn authed(users: &[&str]) -> AuthInfo {
        let mut auth = localhost();
        for user in users {
            AuthProviders::default()
                .authenticate(&mut auth, "digest", user.as_bytes())
                .unwrap();
        }
        auth
    }

    fn users(auth: &AuthInfo) -> Vec<(String, String)> {
        auth.who_am_i()
            .into_iter()
            .map(|info| (info.auth_scheme, info.user))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn digest_matches_zookeeper_generate_digest() {
        // Values from Python's hashlib/base64, and the first three also from the real server
        // (getACL of a node created with an `auth` ACL after addauth).
        assert_eq!(digest("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
        assert_eq!(digest("bob:pw"), "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=");
        assert_eq!(digest("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
        assert_eq!(digest("user:password"), "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
        // No colon: the whole string is the user; extra colons belong to the password.
        assert_eq!(digest("alice"), "alice:UisnajVr3zkBPfq+os1D4UHsyeg=");
        assert_eq!(digest("a:b:c"), "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=");
        assert_eq!(digest(""), ":2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    }

    #[test]
    fn every_connection_starts_with_its_ip_identity() {
        // Real server: whoAmI of an unauthenticated client is [(ip, 127.0.0.1)].
        assert_eq!(users(&localhost()), pairs(&[("ip", "127.0.0.1")]));
        let v6 = AuthInfo::for_client("::1".parse().unwrap());
        assert_eq!(v6.ids().next(), Some(&Id::new("ip", "0:0:0:0:0:0:0:1")));
        let mapped = AuthInfo::for_client("::ffff:10.1.2.3".parse().unwrap());
        assert_eq!(mapped.ids().next(), Some(&Id::new("ip", "10.1.2.3")));
        assert!(AuthInfo::new().is_empty());
    }

    #[test]
    fn who_am_i_lists_ids_in_zookeepers_hash_order() {
        // Real server, one session: addauth alice, bob, alice again (no change), then super.
        let providers = AuthProviders {
            super_digest: Some(digest("super:test")),
            ..AuthProviders::default()
        };
        let mut auth = localhost();
        for user in ["alice:secret", "bob:pw", "alice:secret"] {
            providers
                .authenticate(&mut auth, "digest", user.as_bytes())
                .unwrap();
        }
        assert_eq!(
            users(&auth),
            pairs(&[("digest", "alice"), ("digest", "bob"), ("ip", "127.0.0.1")])
        );
        providers
            .authenticate(&mut auth, "digest", b"super:test")
            .unwrap();
        assert_eq!(
            users(&auth),
            pairs(&[
                ("digest", "alice"),
                ("digest", "bob"),
                ("super", ""),
                ("ip", "127.0.0.1"),
                ("digest", "super"),
            ])
        );
        assert!(auth.is_super());
    }

    #[test]
    fn ids_in_one_bin_keep_insertion_order() {
        // Real server: alice and bob share a bin, so the session that added bob first lists
        // (and expands `auth` to) bob before alice.
        let auth = authed(&["bob:pw", "alice:secret"]);
        assert_eq!(
            users(&auth),
            pairs(&[("digest", "bob"), ("digest", "alice"), ("ip", "127.0.0.1")])
        );
    }

    #[test]
    fn many_ids_follow_the_real_servers_order() {
        // Real server, whoAmI after these addauths.
        let auth = authed(&[
            "nocolon", "u1:p", "u2:p", "u3:p", "carol:x", "dave:y", "eve:z",
        ]);
        assert_eq!(
            users(&auth),
            pairs(&[
                ("digest", "u2"),
                ("digest", "u3"),
                ("digest", "u1"),
                ("digest", "carol"),
                ("digest", "eve"),
                ("digest", "nocolon"),
                ("ip", "127.0.0.1"),
                ("digest", "dave"),
            ])
        );
    }

    #[test]
    fn grown_tables_follow_the_real_servers_order() {
        // Real server: whoAmI after addauth user0:pw .. user29:pw (the table grew twice).
        let names: Vec<String> = (0..30).map(|n| format!("user{n}:pw")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let listed: Vec<String> = users(&authed(&refs))
            .into_iter()
            .map(|(_, user)| user)
            .collect();
        let expected = "user27 user25 user2 user26 user10 127.0.0.1 user29 user18 user11 user13 \
                        user15 user22 user19 user4 user6 user23 user5 user28 user8 user9 user24 \
                        user12 user3 user14 user20 user21 user7 user16 user1 user17 user0";
        assert_eq!(listed.join(" "), expected);
    }

    #[test]
    fn growing_the_table_keeps_every_id_once() {
        let names: Vec<String> = (0..40).map(|n| format!("user{n}:pw")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let auth = authed(&refs);
        assert_eq!(auth.len(), 41);
        assert_eq!(auth.ids().count(), 41);
        assert_eq!(auth.bins.len(), 64);
        for name in &names {
            assert!(auth.contains(&Id::new("digest", &digest(name))));
        }
        for (index, bin) in auth.bins.iter().enumerate() {
            for (hash, id) in bin {
                assert_eq!(*hash, spread(java_id_hash(id)));
                assert_eq!(*hash as usize & 63, index);
            }
        }
    }

    #[test]
    fn unknown_scheme_fails_and_ip_auth_succeeds() {
        // Real server: scheme "foo" -> AuthFailed (-115); "ip" -> OK, whoAmI unchanged.
        let providers = AuthProviders::default();
        let mut auth = localhost();
        assert_eq!(
            providers.authenticate(&mut auth, "foo", b"bar"),
            Err(ErrorCode::AuthFailed)
        );
        assert_eq!(
            providers.authenticate(&mut auth, "super", b"x"),
            Err(ErrorCode::AuthFailed)
        );
        assert_eq!(providers.authenticate(&mut auth, "ip", b"whatever"), Ok(()));
        assert_eq!(users(&auth), pairs(&[("ip", "127.0.0.1")]));
        assert_eq!(
            providers.authenticate(&mut AuthInfo::new(), "ip", b""),
            Err(ErrorCode::AuthFailed)
        );
    }

    #[test]
    fn super_needs_the_configured_digest() {
        let mut auth = localhost();
        AuthProviders::default()
            .authenticate(&mut auth, "digest", b"super:test")
            .unwrap();
        assert!(!auth.is_super());
        let providers = AuthProviders {
            super_digest: Some(digest("super:test")),
            ..AuthProviders::default()
        };
        providers
            .authenticate(&mut auth, "digest", b"super:wrong")
            .unwrap();
        assert!(!auth.is_super());
        providers
            .authenticate(&mut auth, "digest", b"super:test")
            .unwrap();
        assert!(auth.is_super());
        let locked = [acl(ALL, "digest", &digest("alice:secret"))];
        assert_eq!(providers.check_acl(&locked, ADMIN, &auth), Ok(()));
    }

    #[test]
    fn non_utf8_auth_data_does_not_panic() {
        let mut auth = localhost();
        AuthProviders::default()
            .authenticate(&mut auth, "digest", &[0xff, b':', 0xfe])
            .unwrap();
        assert_eq!(auth.len(), 2);
    }

    #[test]
    fn check_acl_follows_zookeeper() {
        let providers = AuthProviders::default();
        let anon = localhost();
        let alice = authed(&["alice:secret"]);
        let alice_id = digest("alice:secret");
        let cases: &[(&[Acl], i32, &AuthInfo, bool)] = &[
            (&[], ALL, &anon, true),
            (&[acl(READ, "world", "anyone")], READ, &anon, true),
            (&[acl(READ, "world", "anyone")], WRITE, &anon, false),
            (&[acl(ALL, "world", "someone")], READ, &anon, false),
            (&[acl(READ, "digest", &alice_id)], READ, &alice, true),
            (&[acl(READ, "digest", &alice_id)], READ, &anon, false),
            (&[acl(READ, "digest", &alice_id)], DELETE, &alice, false),
            (
                &[acl(WRITE, "digest", "alice:secret")],
                WRITE,
                &alice,
                false,
            ),
            // Any overlapping bit suffices when several are asked for.
            (
                &[acl(CREATE, "world", "anyone")],
                READ | CREATE,
                &anon,
                true,
            ),
            (&[acl(ALL, "super", "")], READ, &anon, false),
            (&[acl(ALL, "auth", "")], READ, &alice, false),
            (&[acl(ALL, "sasl", "alice")], READ, &alice, false),
            (&[acl(0, "world", "anyone")], READ, &anon, false),
            (&[acl(READ, "ip", "127.0.0.1")], READ, &anon, true),
            (&[acl(READ, "ip", "127.0.0.2")], READ, &anon, false),
            (&[acl(READ, "ip", "127.0.0.0/8")], READ, &anon, true),
            (&[acl(READ, "ip", "10.0.0.0/0")], READ, &anon, true),
            (&[acl(READ, "ip", "127.0.0.0/33")], READ, &anon, false),
            (&[acl(READ, "ip", "::1")], READ, &anon, false),
            (
                &[
                    acl(READ, "digest", &alice_id),
                    acl(WRITE, "world", "anyone"),
                ],
                WRITE,
                &anon,
                true,
            ),
        ];
        for (index, (entries, perm, auth, allowed)) in cases.iter().enumerate() {
            let expected = if *allowed {
                Ok(())
            } else {
                Err(ErrorCode::NoAuth)
            };
            assert_eq!(
                providers.check_acl(entries, *perm, auth),
                expected,
                "case {index}: {entries:?} perm {perm}"
            );
        }
    }

    #[test]
    fn ipv4_masks_compare_only_the_leading_bits() {
        let providers = AuthProviders::default();
        let cases = [
            ("10.1.2.3", "10.1.2.3", true),
            ("10.1.2.3", "10.1.2.0/24", true),
            ("10.1.3.3", "10.1.2.0/24", false),
            ("10.1.2.3", "10.1.2.255/24", true),
            ("10.1.2.3", "10.0.0.0/15", true),
            ("10.2.2.3", "10.0.0.0/15", false),
            ("10.1.2.3", "11.0.0.0/7", true),
            ("10.1.2.3", "12.0.0.0/7", false),
            ("10.1.2.3", "0.0.0.0/0", true),
            ("10.1.2.3", "10.1.2.2/31", true),
            ("10.1.2.3", "10.1.2.2/32", false),
            ("10.1.2.3", "+10.1.2.3", true),
            ("10.1.2.3", "010.1.2.3/+32", true),
            ("10.1.2.3", "10.1.2.3/", false),
            ("10.1.2.3", "10.1.2.3/-1", false),
            ("10.1.2.3", "10.1.2.3/8/9", false),
            ("10.1.2.3", "10.1.2", false),
            ("10.1.2.3", "", false),
            ("0:0:0:0:0:0:0:1", "::1", false),
        ];
        for (client, expr, expected) in cases {
            assert_eq!(
                providers.ip_matches(client, expr),
                expected,
                "{client} vs {expr}"
            );
        }
    }

    #[test]
    fn ipv6_masks_work_when_enabled() {
        let providers = AuthProviders {
            ipv6_ip_acls: true,
            ..AuthProviders::default()
        };
        let cases = [
            ("0:0:0:0:0:0:0:1", "::1", true),
            ("0:0:0:0:0:0:0:1", "::1/128", true),
            ("0:0:0:0:0:0:0:1", "::2/127", false),
            ("0:0:0:0:0:0:0:1", "::/0", true),
            ("2001:db8:0:0:0:0:0:7", "2001:db8::/32", true),
            ("2001:db9:0:0:0:0:0:7", "2001:db8::/32", false),
            ("2001:db8:0:0:0:0:0:7", "2001:db8::/129", false),
            ("2001:db8:0:0:0:0:0:7", "2001:db8::g", false),
            ("10.1.2.3", "::/0", false),
            ("10.1.2.3", "10.1.2.0/24", true),
        ];
        for (client, expr, expected) in cases {
            assert_eq!(
                providers.ip_matches(client, expr),
                expected,
                "{client} vs {expr}"
            );
        }
        let v6_client = AuthInfo::for_client("2001:db8::7".parse().unwrap());
        let entry = [acl(READ, "ip", "2001:db8::/48")];
        assert_eq!(providers.check_acl(&entry, READ, &v6_client), Ok(()));
        assert_eq!(
            AuthProviders::default().check_acl(&entry, READ, &v6_client),
            Err(ErrorCode::NoAuth)
        );
    }

    #[test]
    fn fixup_validates_ids_like_the_real_server() {
        // Every case created on the real server with world:anyone's session (ip only):
        // true = created, false = InvalidACL (-114).
        let providers = AuthProviders::default();
        let anon = localhost();
        let cases = [
            ("world", "anyone", true),
            ("world", "foo", false),
            ("World", "anyone", false),
            ("digest", "user:", false),
            ("digest", "user:h:", true),
            ("digest", "user:h::", true),
            ("digest", ":h", true),
            ("digest", "a:b:c", false),
            ("digest", "nocolon", false),
            ("digest", "::", false),
            ("digest", "", false),
            ("ip", "10.0.0.1", true),
            ("ip", "10.0.0.0/8", true),
            ("ip", "10.0.0.0/0", true),
            ("ip", "10.0.0.0/33", false),
            ("ip", "10.0.0.0/", false),
            ("ip", "10.0.0.0/-1", false),
            ("ip", "10.0.0.0/+8", true),
            ("ip", "+10.0.0.1", true),
            ("ip", "-0.0.0.1", true),
            ("ip", "010.0.0.1", true),
            ("ip", "256.0.0.1", false),
            ("ip", "1.2.3", false),
            ("ip", "1.2.3.4.", false),
            ("ip", "::1", false),
            ("ip", "0:0:0:0:0:0:0:1", false),
            ("ip", "", false),
            ("ip", "1.2.3.4/8/9", false),
            ("ip", "99999999999.0.0.1", false),
            ("super", "", false),
            ("foo", "bar", false),
            ("sasl", "bob", false),
            ("auth", "", false),
            ("auth", "whatever", false),
        ];
        for (scheme, id, valid) in cases {
            let requested = [acl(ALL, scheme, id)];
            let expected = if valid {
                Ok(requested.to_vec())
            } else {
                Err(ErrorCode::InvalidAcl)
            };
            assert_eq!(
                providers.fixup_acl(&requested, &anon),
                expected,
                "{scheme}:{id}"
            );
        }
        assert_eq!(providers.fixup_acl(&[], &anon), Err(ErrorCode::InvalidAcl));
        // Permissions are not validated (the real server stored 0 and 99).
        assert!(providers
            .fixup_acl(&[acl(99, "world", "anyone")], &anon)
            .is_ok());
    }

    #[test]
    fn fixup_drops_exact_duplicates_keeping_first_occurrence() {
        // Real server: getACL after create with this list.
        let requested = [
            acl(ALL, "world", "anyone"),
            acl(READ, "world", "anyone"),
            acl(ALL, "world", "anyone"),
            acl(READ, "ip", "1.2.3.4"),
            acl(READ, "ip", "1.2.3.4"),
        ];
        assert_eq!(
            AuthProviders::default().fixup_acl(&requested, &localhost()),
            Ok(vec![
                acl(ALL, "world", "anyone"),
                acl(READ, "world", "anyone"),
                acl(READ, "ip", "1.2.3.4"),
            ])
        );
    }

    #[test]
    fn fixup_expands_auth_to_digest_ids_in_session_order() {
        // Real server: session authenticated as bob then alice; create with this list.
        let auth = authed(&["bob:pw", "alice:secret"]);
        let bob = digest("bob:pw");
        let alice = digest("alice:secret");
        let requested = [
            acl(READ, "auth", "x"),
            acl(ALL, "digest", &bob),
            acl(READ, "auth", ""),
            acl(WRITE, "world", "anyone"),
        ];
        assert_eq!(
            AuthProviders::default().fixup_acl(&requested, &auth),
            Ok(vec![
                acl(READ, "digest", &bob),
                acl(READ, "digest", &alice),
                acl(ALL, "digest", &bob),
                acl(READ, "digest", &bob),
                acl(READ, "digest", &alice),
                acl(WRITE, "world", "anyone"),
            ])
        );
    }

    #[test]
    fn fixup_auth_skips_ip_and_super_ids() {
        // Real server: the session also holds super and ip ids; `auth` became three digests.
        let providers = AuthProviders {
            super_digest: Some(digest("super:test")),
            ..AuthProviders::default()
        };
        let mut auth = authed(&["bob:pw", "alice:secret"]);
        providers
            .authenticate(&mut auth, "digest", b"super:test")
            .unwrap();
        assert_eq!(
            providers.fixup_acl(&[acl(ALL, "auth", "")], &auth),
            Ok(vec![
                acl(ALL, "digest", &digest("bob:pw")),
                acl(ALL, "digest", &digest("alice:secret")),
                acl(ALL, "digest", &digest("super:test")),
            ])
        );
    }

    #[test]
    fn java_integer_parsing_edge_cases() {
        assert_eq!(java_parse_int("2147483647"), Some(i32::MAX));
        assert_eq!(java_parse_int("-2147483648"), Some(i32::MIN));
        assert_eq!(java_parse_int("2147483648"), None);
        assert_eq!(java_parse_int("+"), None);
        assert_eq!(java_parse_int("-"), None);
        assert_eq!(java_parse_int(" 1"), None);
        assert_eq!(java_parse_int("١"), None);
        assert_eq!(java_split_count("a:b::", ':'), 2);
        assert_eq!(java_split_count(":::", ':'), 0);
        assert_eq!(java_split_count("", ':'), 1);
    }

    #[test]
    fn may_read_is_check_acl_for_read() {
        let providers = AuthProviders::default();
        let alice_only = [acl(ALL, "digest", &digest("alice:secret"))];
        assert!(!providers.may_read(&alice_only, &localhost()));
        assert!(providers.may_read(&alice_only, &authed(&["alice:secret"])));
        assert!(providers.may_read(&Acl::open_unsafe(), &localhost()));
    }
}
