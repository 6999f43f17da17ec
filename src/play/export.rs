//! The run's trace written out as JSON, for the visualiser's export button. Written by hand
//! (a JSON library would add a tenth to the browser's download for one button).

/// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
/// (Also the native bench report's.)
pub(crate) fn json_string(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The run's trace as a JSON document: where it came from (the address that rebuilds it,
/// the settings, the trace hash) and every event with its time, server, kind and text.
pub fn trace_json(playback: &super::Playback) -> String {
    let sim = playback.sim();
    let config = sim.config();
    let mut out = String::new();
    out.push_str(&format!(
        "{{\n  \"zooscope\": {},\n  \"address\": {},\n  \"seed\": {},\n  \"servers\": {},\n  \"observers\": {},\n  \"now_ms\": {},\n  \"steps\": {},\n  \"trace_hash\": \"{:016x}\",\n  \"trace\": [",
        json_string(env!("CARGO_PKG_VERSION")),
        json_string(&playback.address()),
        config.seed,
        config.servers,
        config.observers,
        sim.now().as_millis(),
        sim.steps_taken(),
        sim.trace_hash(),
    ));
    for (i, event) in sim.trace().iter().enumerate() {
        let debug = format!("{:?}", event.kind);
        let kind = debug.split([' ', '{', '(']).next().unwrap_or_default();
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&format!(
            "{{\"at_ms\": {}, \"server\": {}, \"kind\": {}, \"text\": {}}}",
            event.at.as_millis(),
            event.server,
            json_string(kind),
            json_string(&crate::i18n::describe_trace(crate::i18n::Lang::En, event)),
        ));
    }
    out.push_str("\n  ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimConfig;
    use crate::time::VirtualTime;

    #[test]
    fn the_exported_trace_is_valid_json_with_every_event() {
        let mut playback = super::super::Playback::new(SimConfig::default()).unwrap();
        playback.act(super::super::action::ViewerAction::AddClient {
            name: "q\"uote".into(),
            server: 1,
            timeout_ms: 10_000,
        });
        playback.advance_to(VirtualTime::from_millis(5000));
        let json: tinyjson::JsonValue = trace_json(&playback).parse().unwrap();
        let events: &Vec<tinyjson::JsonValue> = json["trace"].get().unwrap();
        assert_eq!(events.len(), playback.sim().trace().len());
        assert_eq!(json["seed"].get::<f64>(), Some(&1.0));
        let address: &String = json["address"].get().unwrap();
        assert!(address.contains("act="));
        let kinds: Vec<&String> = events.iter().filter_map(|e| e["kind"].get()).collect();
        assert!(kinds.iter().any(|k| *k == "ElectionDecided"));
        assert!(events
            .iter()
            .all(|e| e["text"].get::<String>().is_some_and(|t| !t.is_empty())));
    }
}
