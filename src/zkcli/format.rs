//! How zkCli prints things: the Stat block, Java's `Date.toString`, watch events, lists,
//! ACL ids and permission letters. Scripts written against zkCli parse these, so each
//! follows the Java code that prints it (named in each doc comment).

use crate::data::types::{perms, EventType, Id, KeeperState, Stat};

/// `StatPrinter.print`: eleven `name = value` lines, zxids and the owner in hex.
pub fn stat_block(stat: &Stat) -> String {
    format!(
        "cZxid = 0x{:x}\nctime = {}\nmZxid = 0x{:x}\nmtime = {}\npZxid = 0x{:x}\n\
         cversion = {}\ndataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{:x}\n\
         dataLength = {}\nnumChildren = {}\n",
        stat.czxid,
        java_date(stat.ctime),
        stat.mzxid,
        java_date(stat.mtime),
        stat.pzxid,
        stat.cversion,
        stat.version,
        stat.aversion,
        stat.ephemeral_owner,
        stat.data_length,
        stat.num_children,
    )
}

/// `java.util.Date.toString()` (`EEE MMM dd HH:mm:ss zzz yyyy`) for milliseconds since the
/// epoch, always in UTC: zkCli uses the JVM's zone, which is UTC on servers and CI.
pub fn java_date(millis: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS
        .get(usize::try_from(days.rem_euclid(7)).unwrap_or(0))
        .unwrap_or(&"Thu");
    let month_name = MONTHS
        .get(usize::try_from(month - 1).unwrap_or(0))
        .unwrap_or(&"Jan");
    format!(
        "{weekday} {month_name} {day:02} {:02}:{:02}:{:02} UTC {year:04}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), as (year, month 1-12, day 1-31).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `WatchedEvent.toString()`, which zkCli prints after `WATCHER::`. State changes have no
/// path, which Java prints as null.
pub fn event_line(state: KeeperState, event_type: EventType, path: Option<&str>) -> String {
    format!(
        "WatchedEvent state:{} type:{} path:{}",
        state_name(state),
        event_type_name(event_type),
        path.unwrap_or("null")
    )
}

/// What zkCli's watcher prints for an event: each line preceded by an empty one
/// (`ZooKeeperMain.printMessage`).
pub fn watcher_block(state: KeeperState, event_type: EventType, path: Option<&str>) -> String {
    format!("\nWATCHER::\n\n{}\n", event_line(state, event_type, path))
}

fn state_name(state: KeeperState) -> &'static str {
    match state {
        KeeperState::Disconnected => "Disconnected",
        KeeperState::SyncConnected => "SyncConnected",
        KeeperState::AuthFailed => "AuthFailed",
        KeeperState::ConnectedReadOnly => "ConnectedReadOnly",
        KeeperState::Expired => "Expired",
        KeeperState::Closed => "Closed",
    }
}

fn event_type_name(event_type: EventType) -> &'static str {
    match event_type {
        EventType::None => "None",
        EventType::NodeCreated => "NodeCreated",
        EventType::NodeDeleted => "NodeDeleted",
        EventType::NodeDataChanged => "NodeDataChanged",
        EventType::NodeChildrenChanged => "NodeChildrenChanged",
        EventType::DataWatchRemoved => "DataWatchRemoved",
        EventType::ChildWatchRemoved => "ChildWatchRemoved",
        EventType::PersistentWatchRemoved => "PersistentWatchRemoved",
    }
}

/// `AbstractCollection.toString()`: `[a, b]`.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", items.join(", "))
}

/// `Id.toString()`, jute's text form: each string quoted with a leading `'` and its
/// separators percent-escaped, and a newline ending the record (`ToStringOutputArchive`),
/// so that zkCli's getAcl prints `'world,'anyone` and `: cdrwa` on two lines.
pub fn id_text(id: &Id) -> String {
    format!("{},{}\n", jute_string(&id.scheme), jute_string(&id.id))
}

fn jute_string(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 1);
    escaped.push('\'');
    for c in text.chars() {
        match c {
            '\0' => escaped.push_str("%00"),
            '\n' => escaped.push_str("%0A"),
            '\r' => escaped.push_str("%0D"),
            ',' => escaped.push_str("%2C"),
            '}' => escaped.push_str("%7D"),
            '%' => escaped.push_str("%25"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `ZKUtil.getPermString`: the letters of the granted permissions, in the order `cdrwa`.
pub fn perm_string(granted: i32) -> String {
    [
        (perms::CREATE, 'c'),
        (perms::DELETE, 'd'),
        (perms::READ, 'r'),
        (perms::WRITE, 'w'),
        (perms::ADMIN, 'a'),
    ]
    .into_iter()
    .filter(|(bit, _)| granted & bit != 0)
    .map(|(_, letter)| letter)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_as_java_date_to_string_in_utc() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        // As zkCli 3.8.0 printed a ctime on this machine's clock.
        assert_eq!(java_date(1_795_317_979_123), "Sun Nov 22 03:26:19 UTC 2026");
        assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(java_date(-1), "Wed Dec 31 23:59:59 UTC 1969");
    }

    #[test]
    fn stat_block_matches_zkcli_line_for_line() {
        let stat = Stat {
            czxid: 2,
            mzxid: 8,
            ctime: 0,
            mtime: 1000,
            version: 2,
            cversion: 3,
            aversion: 0,
            ephemeral_owner: 0x1000_0a5b_c2e0_0000,
            data_length: 6,
            num_children: 3,
            pzxid: 6,
        };
        assert_eq!(
            stat_block(&stat),
            "cZxid = 0x2\nctime = Thu Jan 01 00:00:00 UTC 1970\nmZxid = 0x8\n\
             mtime = Thu Jan 01 00:00:01 UTC 1970\npZxid = 0x6\ncversion = 3\n\
             dataVersion = 2\naclVersion = 0\nephemeralOwner = 0x10000a5bc2e00000\n\
             dataLength = 6\nnumChildren = 3\n"
        );
    }

    #[test]
    fn negative_longs_print_as_unsigned_hex_like_long_to_hex_string() {
        let container = Stat {
            ephemeral_owner: i64::MIN,
            ..Stat::default()
        };
        assert!(stat_block(&container).contains("ephemeralOwner = 0x8000000000000000\n"));
    }

    #[test]
    fn events_print_with_java_names_and_null_paths() {
        assert_eq!(
            watcher_block(KeeperState::SyncConnected, EventType::None, None),
            "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
        );
        assert_eq!(
            event_line(
                KeeperState::SyncConnected,
                EventType::NodeDataChanged,
                Some("/x")
            ),
            "WatchedEvent state:SyncConnected type:NodeDataChanged path:/x"
        );
    }

    #[test]
    fn ids_are_quoted_and_escaped_as_jute_prints_them() {
        assert_eq!(id_text(&Id::anyone()), "'world,'anyone\n");
        assert_eq!(
            id_text(&Id::new("digest", "bob:a,b%}")),
            "'digest,'bob:a%2Cb%25%7D\n"
        );
    }

    #[test]
    fn perm_letters_come_in_cdrwa_order() {
        assert_eq!(perm_string(perms::ALL), "cdrwa");
        assert_eq!(perm_string(perms::READ | perms::ADMIN), "ra");
        assert_eq!(perm_string(0), "");
    }

    #[test]
    fn lists_print_like_java_collections() {
        assert_eq!(list::<&str>(&[]), "[]");
        assert_eq!(list(&["a", "b"]), "[a, b]");
    }
}
