//! The previous allocation state: what the director's `ip_addresses` table would hold.
//!
//! The file is one [`SettingsDocument`] (the JSON `dualhome ipam plan --format json` prints) or an array of them
//! (several deployments on one director). Every address in it is in use for the whole director (§4.3: dynamic
//! allocation skips every address of the table, all deployments, same family); an instance of the deployment being
//! planned keeps its address if it is still reservable (§4.4).

use crate::addr::Addr;
use crate::error::{At, ErrorKind, IpamError};
use crate::settings::SettingsDocument;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One address in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// Deployment owning it.
    pub deployment: String,
    /// Instance `group/index`.
    pub instance: String,
    /// Network name.
    pub network: String,
    /// The address (parsed, so any spelling matches).
    pub ip: Addr,
}

/// All addresses in use before this plan, indexed by address and by (deployment, instance, network) so that
/// planning N instances against A previous addresses costs O(N log A), not O(N × A).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    allocations: Vec<Allocation>,
    by_ip: BTreeMap<Addr, Vec<usize>>,
    by_owner: BTreeMap<(String, String, String), Addr>,
}

impl State {
    /// Indexes `allocations` (file order; the first entry for an owner and network wins).
    pub fn new(allocations: Vec<Allocation>) -> State {
        let mut by_ip: BTreeMap<Addr, Vec<usize>> = BTreeMap::new();
        let mut by_owner = BTreeMap::new();
        for (i, a) in allocations.iter().enumerate() {
            by_ip.entry(a.ip).or_default().push(i);
            let key = (a.deployment.clone(), a.instance.clone(), a.network.clone());
            by_owner.entry(key).or_insert(a.ip);
        }
        State {
            allocations,
            by_ip,
            by_owner,
        }
    }

    /// Every allocation, in file order.
    pub fn allocations(&self) -> &[Allocation] {
        &self.allocations
    }

    /// The address `instance` of `deployment` had on `network`.
    pub fn previous(&self, deployment: &str, instance: &str, network: &str) -> Option<Addr> {
        let key = (deployment.to_string(), instance.to_string(), network.to_string());
        self.by_owner.get(&key).copied()
    }

    fn holders(&self, ip: Addr) -> impl Iterator<Item = &Allocation> {
        self.by_ip
            .get(&ip)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.allocations.get(i))
    }

    /// Whether anyone but `instance` of `deployment` holds `ip`.
    pub fn held_by_other(&self, ip: Addr, deployment: &str, instance: &str) -> bool {
        self.holders(ip)
            .any(|a| a.deployment != deployment || a.instance != instance)
    }

    /// The first owner of `ip`, if any.
    pub fn owner(&self, ip: Addr) -> Option<&Allocation> {
        self.holders(ip).next()
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum StateFile {
    One(SettingsDocument),
    Many(Vec<SettingsDocument>),
}

/// Parses a state file; `file` names it in errors.
pub fn parse_state(file: &str, text: &str) -> Result<State, IpamError> {
    let file: Arc<str> = Arc::from(file);
    let docs = match serde_json::from_str::<StateFile>(text) {
        Ok(StateFile::One(doc)) => vec![doc],
        Ok(StateFile::Many(docs)) => docs,
        Err(err) => {
            let at = At {
                file: Arc::clone(&file),
                line: err.line() as u64,
                column: err.column() as u64,
                offset: None,
                len: 0,
            };
            let message = format!("expected a plan JSON document or an array of them ({err})");
            return Err(IpamError::new(at, ErrorKind::InvalidState(message)));
        }
    };
    let mut allocations = Vec::new();
    for doc in docs {
        for instance in &doc.instances {
            for (network, settings) in &instance.networks {
                let Some(text) = settings.ip.as_deref() else { continue };
                let ip = Addr::parse(text).ok_or_else(|| {
                    let message = format!(
                        "instance '{}' network '{network}': invalid ip '{text}'",
                        instance.instance
                    );
                    IpamError::new(At::argument(&file), ErrorKind::InvalidState(message))
                })?;
                allocations.push(Allocation {
                    deployment: doc.deployment.clone(),
                    instance: instance.instance.clone(),
                    network: network.clone(),
                    ip,
                });
            }
        }
    }
    Ok(State::new(allocations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_or_many_documents_and_normalises_addresses() {
        let one = r#"{"deployment":"d","era":"2018","instances":[{"instance":"a/0","networks":{"n":{"type":"manual","ip":"2001:0db8:0000:0000:0000:0000:0000:0002","cloud_properties":{}}}}]}"#;
        let state = parse_state("s.json", one);
        let Ok(state) = state else { panic!("{state:?}") };
        assert_eq!(state.previous("d", "a/0", "n"), Addr::parse("2001:db8::2"));
        let many = format!("[{one}, {}]", one.replace("\"d\"", "\"e\""));
        assert_eq!(parse_state("s.json", &many).map(|s| s.allocations().len()), Ok(2));
    }

    #[test]
    fn bad_json_is_located() {
        let err = parse_state("s.json", "{\n  \"deployment\": 3\n}").err();
        assert!(
            matches!(&err, Some(e) if &*e.at.file == "s.json" && e.kind.rule() == "DualhomeInvalidState"),
            "{err:?}"
        );
        let err = parse_state(
            "s.json",
            r#"{"deployment":"d","era":"x","instances":[{"instance":"a/0","networks":{"n":{"type":"manual","ip":"nope","cloud_properties":{}}}}]}"#,
        );
        assert!(err.is_err());
    }

    #[test]
    fn ownership_queries() {
        let doc = r#"{"deployment":"d","era":"current","instances":[
            {"instance":"a/0","networks":{"n":{"type":"manual","ip":"10.0.0.5","cloud_properties":{}},"m":{"type":"dynamic","cloud_properties":{}}}},
            {"instance":"a/1","networks":{"n":{"type":"manual","ip":"10.0.0.6","cloud_properties":{}}}}]}"#;
        let Ok(state) = parse_state("s.json", doc) else {
            panic!("parse")
        };
        // Dynamic networks have no ip and hold nothing.
        assert_eq!(state.allocations().len(), 2);
        let five = Addr::parse("10.0.0.5");
        let Some(five) = five else { panic!("addr") };
        assert!(!state.held_by_other(five, "d", "a/0"));
        assert!(state.held_by_other(five, "d", "a/1"));
        assert!(state.held_by_other(five, "e", "a/0"));
        assert_eq!(state.owner(five).map(|o| o.instance.as_str()), Some("a/0"));
        assert_eq!(state.previous("d", "a/1", "n"), Addr::parse("10.0.0.6"));
        assert_eq!(state.previous("d", "a/1", "m"), None);
    }
}
