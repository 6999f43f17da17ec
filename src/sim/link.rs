//! Run settings written in a page address (`?seed=7&servers=5`), so a link reproduces a run.
//! Pure string handling: the UI reads the address, this decides what it means.

use super::SimConfig;

/// The configuration named by a query string such as `?seed=7&servers=5`, or the reasons it
/// could not be used (the run then falls back to the defaults for the offending keys).
pub fn config_from_query(query: &str) -> (SimConfig, Vec<String>) {
    let mut config = SimConfig::default();
    let mut problems = Vec::new();
    for pair in query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "seed" => &mut config.seed,
            "servers" => &mut config.servers,
            "tick" => &mut config.tick_ms,
            "observers" => &mut config.observers,
            _ => continue,
        };
        match value.parse::<u64>() {
            Ok(number) => *slot = number,
            Err(_) => problems.push(format!("{key}={value:?} is not a whole number; ignored")),
        }
    }
    if let Err(reason) = config.validate() {
        problems.push(format!("{reason}; using the defaults instead"));
        let seed = config.seed;
        config = SimConfig {
            seed,
            ..SimConfig::default()
        };
    }
    (config, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_query_gives_defaults() {
        assert_eq!(config_from_query(""), (SimConfig::default(), vec![]));
    }

    #[test]
    fn seed_servers_and_tick_are_read() {
        let (config, problems) = config_from_query("?seed=42&servers=5&tick=500&other=x");
        assert!(problems.is_empty());
        assert_eq!((config.seed, config.servers, config.tick_ms), (42, 5, 500));
    }

    #[test]
    fn non_numbers_are_reported_and_ignored() {
        let (config, problems) = config_from_query("?seed=abc&servers=5");
        assert_eq!(config.seed, SimConfig::default().seed);
        assert_eq!(config.servers, 5);
        assert_eq!(
            problems,
            vec!["seed=\"abc\" is not a whole number; ignored"]
        );
    }

    #[test]
    fn invalid_ensemble_falls_back_to_defaults_but_keeps_the_seed() {
        let (config, problems) = config_from_query("?servers=99&seed=3");
        assert_eq!(config.servers, SimConfig::default().servers);
        assert_eq!(config.seed, 3);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("99 servers requested"));
    }
}
