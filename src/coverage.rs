//! Point counts: how many points of each kind could be instrumented, how
//! many were, and how many were waived or instrumented with a limit. The
//! report and the gate both read them; neither depends on the other for it.

use crate::engine::PointKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Instrumentable and instrumented points, per kind.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KindCounts(pub BTreeMap<PointKind, Count>);

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Count {
    pub instrumentable: u64,
    pub instrumented: u64,
    /// Points that could not be instrumented in functions the user waived
    /// (a `ctinject: waive` comment, or the configuration's `waive`): not
    /// among `instrumentable`, so coverage and the gate leave them out, and
    /// never counted as covered.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub waived: u64,
    /// Instrumented points (among `instrumented`) whose form works only
    /// where the function report's `limited` says.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limited: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Count {
    pub fn skipped(&self) -> u64 {
        self.instrumentable - self.instrumented
    }
}

impl KindCounts {
    pub fn add(&mut self, kind: PointKind, instrumented: bool) {
        let c = self.0.entry(kind).or_default();
        c.instrumentable += 1;
        c.instrumented += instrumented as u64;
    }
    pub fn merge(&mut self, other: &KindCounts) {
        for (k, c) in &other.0 {
            let e = self.0.entry(*k).or_default();
            e.instrumentable += c.instrumentable;
            e.instrumented += c.instrumented;
            e.waived += c.waived;
            e.limited += c.limited;
        }
    }
    pub fn total(&self) -> Count {
        self.0.values().fold(Count::default(), |a, c| Count {
            instrumentable: a.instrumentable + c.instrumentable,
            instrumented: a.instrumented + c.instrumented,
            waived: a.waived + c.waived,
            limited: a.limited + c.limited,
        })
    }
    /// Moves every point not instrumented to `waived`.
    pub(crate) fn waive_skipped(&mut self) {
        for c in self.0.values_mut() {
            c.waived += c.skipped();
            c.instrumentable = c.instrumented;
        }
    }
}
